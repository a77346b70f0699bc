from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "quizzes.teach.lti"
    label = "lti"
    verbose_name = "LTI 1.3 platforms and links"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quizzes.teach.lti import grades  # noqa: F401  (connects the submission receivers)
