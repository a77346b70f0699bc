from django.apps import AppConfig


class CalculatorConfig(AppConfig):
    """The Lambda pricing calculator: no models; an app for its template tags."""

    name = "course.calculator"
    label = "calculator"
    verbose_name = "Lambda pricing calculator"
