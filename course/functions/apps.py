from django.apps import AppConfig


class FunctionsConfig(AppConfig):
    name = "course.functions"
    label = "functions"
    verbose_name = "Saved functions"

    def ready(self) -> None:
        from course.functions import signals  # noqa: F401  (moves session drafts at log-in)
