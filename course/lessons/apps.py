from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "course.lessons"
    # The label this app had when it was the whole `course` package: it names the tables
    # (course_lesson, course_lessonread) and the migration history, so both stay as they are.
    label = "course"
    verbose_name = "Course lessons"

    def ready(self) -> None:
        # Connects the log-in receiver that moves signed-out reads to the account.
        from course.lessons import reads  # noqa: F401
