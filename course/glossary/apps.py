from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    name = "course.glossary"
    label = "glossary"
    verbose_name = "Glossary"
