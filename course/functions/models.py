"""A learner's saved Lambda functions, the versions they went through, their test events, and
the drafts autosaved as they type."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

KEEP_VERSIONS = 20
MAX_TEST_EVENTS = 10  # the Lambda console's limit of saved test events per function
CONFIG_FIELDS = ("runtime", "code", "memory_mb", "timeout_s")


class FunctionQuerySet(models.QuerySet):
    def owned_by(self, user) -> FunctionQuerySet:
        """Ownership lives in the queryset: everyone else's functions simply do not exist."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)


class Function(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="functions"
    )
    name = models.CharField(max_length=64)
    runtime = models.CharField(max_length=16)
    code = models.TextField()
    memory_mb = models.PositiveIntegerField(default=128)
    timeout_s = models.PositiveIntegerField(default=3)
    # Goes up by one on every change of code or configuration: warm environments are keyed on
    # (id, version), so a changed function never runs in an environment built for an older one.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FunctionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="function_name_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("functions:detail", args=[self.pk])

    def as_json(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "runtime": self.runtime,
            "code": self.code,
            "memory_mb": self.memory_mb,
            "timeout_s": self.timeout_s,
            "version": self.version,
        }

    def config(self) -> dict:
        return {name: getattr(self, name) for name in CONFIG_FIELDS}

    def add_test_event(self, name: str, body: str) -> TestEvent | None:
        """Save a new test event, or None when the function already has MAX_TEST_EVENTS.

        The count and the insert happen under a lock on the function's row, so parallel adds
        take turns and the cap holds (the form's count is only a friendly early answer).
        SQLite's IMMEDIATE transactions serialise writers the same way.
        """
        with transaction.atomic():
            list(Function.objects.select_for_update().filter(pk=self.pk).values_list("pk"))
            if self.test_events.count() >= MAX_TEST_EVENTS:
                return None
            return TestEvent.objects.create(function=self, name=name, body=body)

    def update(self, name: str, config: dict) -> bool:
        """Apply a validated name and configuration. A change of code or configuration keeps the
        previous one as a FunctionVersion (the newest KEEP_VERSIONS) and bumps ``version``.
        Returns whether the version changed."""
        with transaction.atomic():
            current = Function.objects.select_for_update().get(pk=self.pk)
            changed = current.config() != config
            if changed:
                FunctionVersion.objects.create(
                    function=current, number=current.version, **current.config()
                )
                self.version = current.version + 1
                for field, value in config.items():
                    setattr(self, field, value)
            self.name = name
            self.save()
            if changed:
                stale = current.versions.values_list("pk", flat=True)[KEEP_VERSIONS:]
                FunctionVersion.objects.filter(pk__in=list(stale)).delete()
        return changed


class FunctionVersion(models.Model):
    """What a function was before a change: its code and configuration at that version."""

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    runtime = models.CharField(max_length=16)
    code = models.TextField()
    memory_mb = models.PositiveIntegerField()
    timeout_s = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["function", "number"], name="one_row_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.function} v{self.number}"


class TestEvent(models.Model):
    """A named test event, kept as the JSON text the learner wrote (their layout stays)."""

    __test__ = False  # not a pytest test class, despite the name

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="test_events")
    name = models.CharField(max_length=25)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["function", "name"], name="event_name_unique_per_fn")
        ]

    def __str__(self) -> str:
        return self.name


class FunctionDraft(models.Model):
    """What the runner's form held when the learner last typed: a saved function's unsaved
    changes (``function`` set), or a new function's (``function`` empty). Anonymous learners'
    drafts belong to their session until they sign up or log in (drafts.move_to_user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="function_drafts",
    )
    session_key = models.CharField(max_length=40, blank=True)
    function = models.ForeignKey(
        Function, on_delete=models.CASCADE, null=True, blank=True, related_name="drafts"
    )
    # The form's fields as typed (text, even the numbers): a draft need not be valid yet.
    fields = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "function"],
                condition=Q(user__isnull=False, function__isnull=False),
                name="one_draft_per_user_function",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False, function__isnull=True),
                name="one_new_function_draft_per_user",
            ),
            models.UniqueConstraint(
                fields=["session_key"],
                condition=Q(user__isnull=True),
                name="one_function_draft_per_session",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(session_key=""),
                name="function_draft_has_an_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"draft of {self.function or 'a new function'}"
