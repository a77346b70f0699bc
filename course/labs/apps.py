from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "course.labs"
    label = "labs"
    verbose_name = "Hands-on labs"

    def ready(self) -> None:
        from course.labs import signals  # noqa: F401  (moves session drafts at log-in)
