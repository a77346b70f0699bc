from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from course.labs.content import KINDS
from course.lessons.models import Lesson


class LabQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, lesson__is_published=True)


class Lab(models.Model):
    """A hands-on task of a lesson, loaded from course/labs/content/ by sync_content."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="labs")
    key = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=40, choices=[(k, k) for k in KINDS])
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=1)
    statement_html = models.TextField()
    hints_html = models.JSONField(default=list, blank=True)
    starter = models.TextField(blank=True)
    solution = models.TextField(help_text="Shown to a learner only once they have passed.")
    spec = models.JSONField(help_text="Runtime, limits and tests (course.labs.content).")
    source_path = models.CharField(max_length=255)
    is_active = models.BooleanField(
        default=True, help_text="Labs removed from content/ are retired, never deleted."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LabQuerySet.as_manager()

    class Meta:
        ordering = ["lesson__order", "order", "key"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("labs:lab", kwargs={"slug": self.lesson.slug, "key": self.key})

    @property
    def is_code(self) -> bool:
        return self.kind == "code"

    @property
    def tests(self) -> list[dict]:
        return self.spec.get("tests", [])

    @property
    def visible_tests(self) -> list[dict]:
        return [t for t in self.tests if t.get("visible")]


class LabAttemptQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user) if user.is_authenticated else self.none()


class LabAttempt(models.Model):
    """A submitted answer, graded against every test (visible and hidden)."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_attempts"
    )
    answer = models.TextField()
    # The answer's SHA-256: the same answer submitted twice (a double click, a retry) is one
    # attempt, which the unique constraint below makes certain under concurrency.
    answer_digest = models.CharField(max_length=64)
    score = models.PositiveIntegerField()
    max_score = models.PositiveIntegerField()
    passed = models.BooleanField()
    outcomes = models.JSONField(help_text="Every test's name, visibility, pass and message.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LabAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lab", "answer_digest"], name="lab_attempt_once_per_answer"
            )
        ]
        indexes = [models.Index(fields=["user", "lab", "passed"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.lab.key} · {self.score}/{self.max_score}"


class LabDraft(models.Model):
    """What a learner typed, saved as they type: signed-in by user, anonymous by session."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lab_drafts",
    )
    session_key = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lab", "user"], condition=Q(user__isnull=False), name="one_draft_per_user"
            ),
            models.UniqueConstraint(
                fields=["lab", "session_key"],
                condition=Q(user__isnull=True),
                name="one_draft_per_session",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(session_key=""), name="draft_has_an_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"draft of {self.lab.key}"
