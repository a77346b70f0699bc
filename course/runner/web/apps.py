from django.apps import AppConfig


class RunnerWebConfig(AppConfig):
    """The function runner's web side: no models; an app for its template tag and the
    `invoke` management command."""

    name = "course.runner.web"
    label = "runner_web"
    verbose_name = "Function runner"
