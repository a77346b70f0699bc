import re

from django.conf import settings
from django.db import models
from django.urls import reverse

from course.lessons.markdown import EMBED_MARKER_RE
from course.server import static_urls


class LessonQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def outline(self):
        """The course outline: just what a list of lessons needs, without the bodies."""
        return self.published().only("slug", "title", "order", "summary", "reading_minutes")


class Lesson(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField()
    summary = models.CharField(max_length=400)
    source_path = models.CharField(max_length=255, help_text="File in course/content/.")
    body_html = models.TextField(
        help_text="Rendered once by sync_content; never parsed per request."
    )
    toc_html = models.TextField(blank=True)
    headings = models.JSONField(default=list, help_text="[{id, title, level}] of the body.")
    reading_minutes = models.PositiveSmallIntegerField(default=1)
    takeaways_html = models.TextField(
        blank=True, help_text="The 'Key takeaways' section, extracted at sync for the cheat sheet."
    )
    is_published = models.BooleanField(
        default=True, help_text="Lessons removed from content/ are unpublished, never deleted."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lesson", kwargs={"slug": self.slug})

    def body_parts(self) -> list[tuple[str, str]]:
        """Split the stored HTML around embeds: [(kind, value)] with kind "html" or "embed".

        A plain string split, so pages stay cheap; the embeds themselves are rendered by
        the template because they depend on the request (CSRF token, signed-in user). Diagram
        URLs are filled in here, by the storage of the process serving the page.
        """
        body = static_urls.resolve(self.body_html)
        parts: list[tuple[str, str]] = []
        position = 0
        for match in EMBED_MARKER_RE.finditer(body):
            parts.append(("html", body[position : match.start()]))
            parts.append(("embed", match.group(1)))
            position = match.end()
        parts.append(("html", body[position:]))
        return [(kind, value) for kind, value in parts if kind == "embed" or value.strip()]

    def heading_title(self, anchor: str) -> str:
        for heading in self.headings:
            if heading["id"] == anchor:
                return heading["title"]
        return re.sub(r"[-_]+", " ", anchor).capitalize()


class LessonRead(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_reads"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="reads")
    first_read_at = models.DateTimeField(auto_now_add=True)
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="one_read_per_user_and_lesson")
        ]
        ordering = ["-last_read_at"]

    def __str__(self) -> str:
        return f"{self.user} read {self.lesson}"
