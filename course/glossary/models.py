from django.db import models
from django.urls import reverse


class Term(models.Model):
    """A glossary entry, loaded by sync_content from course/glossary/content/glossary.yaml."""

    slug = models.SlugField(max_length=100, unique=True)
    term = models.CharField(max_length=100)
    definition_html = models.TextField()
    lesson_slug = models.SlugField(max_length=64, help_text="The lesson that teaches it.")
    anchor = models.CharField(max_length=200, help_text="The section of that lesson.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term

    def get_absolute_url(self) -> str:
        return f"{reverse('glossary:glossary')}#{self.slug}"

    def lesson_url(self) -> str:
        return f"{reverse('lesson', kwargs={'slug': self.lesson_slug})}#{self.anchor}"
