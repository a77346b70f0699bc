from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "course.search"
    label = "search"
    verbose_name = "Search"
