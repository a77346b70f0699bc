from django.db import models
from django.urls import reverse


class Section(models.Model):
    """One lesson section as the search index sees it: rebuilt by sync_content, never edited.

    The full-text index itself is the database's own: an FTS5 table (search_section_fts) on
    SQLite, a GIN expression index on PostgreSQL; see course/search/backends.py.
    """

    lesson_slug = models.SlugField(max_length=64)
    lesson_title = models.CharField(max_length=200)
    lesson_order = models.PositiveIntegerField()
    anchor = models.CharField(max_length=200, blank=True, help_text="Empty: the lesson's intro.")
    heading = models.CharField(max_length=300)
    body = models.TextField()

    class Meta:
        ordering = ["lesson_order", "pk"]

    def __str__(self) -> str:
        return f"{self.lesson_slug}#{self.anchor}"

    def get_absolute_url(self) -> str:
        url = reverse("lesson", kwargs={"slug": self.lesson_slug})
        return f"{url}#{self.anchor}" if self.anchor else url
