from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Quizzes and progress"

    def ready(self) -> None:
        from quizzes import signals  # noqa: F401  (connects the user_logged_in receiver)
