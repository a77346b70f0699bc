from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "quizzes.teach.lti"
    label = "lti"
    verbose_name = "LTI 1.3 platforms and links"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from course.server import background
        from quizzes.teach.lti import grades, outbox  # noqa: F401  (grades: the score receivers)

        # The scheduler process (manage.py run_scheduler) sends queued scores to LMS gradebooks.
        background.register("lti.scores", outbox.EVERY_S, outbox.deliver_due)
