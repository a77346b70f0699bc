from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "course.functions.schedules"
    label = "schedules"
    verbose_name = "Function schedules"
