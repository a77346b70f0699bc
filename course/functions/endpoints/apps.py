from django.apps import AppConfig


class EndpointsConfig(AppConfig):
    name = "course.functions.endpoints"
    label = "endpoints"
    verbose_name = "Function endpoints"
