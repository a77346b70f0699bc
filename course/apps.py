from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project package as an app, for the one thing that must see every feature: the
    `sync_content` command (course/management/commands/). It has no models; the label "course"
    belongs to the lessons app, which kept it when it moved to course/lessons/."""

    name = "course"
    label = "project"
    verbose_name = "Cloud Compute Course"
