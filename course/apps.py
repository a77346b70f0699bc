from django.apps import AppConfig


class CourseConfig(AppConfig):
    name = "course"
    verbose_name = "Course lessons"

    def ready(self) -> None:
        # Connects the log-in receiver that moves signed-out reads to the account.
        from course import reads  # noqa: F401
