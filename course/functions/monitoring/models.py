"""A function's log stream (its last KEEP_LOG_ENTRIES invocations) and its metric datapoints
(one row per invocation or throttle, kept RETENTION)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from course.functions.models import Function

KEEP_LOG_ENTRIES = 200
# At least 24 hours are readable; the extra hour means a reader at the edge of the window never
# races the pruning.
RETENTION = timedelta(hours=25)


class Trigger(models.TextChoices):
    CONSOLE = "console", "Console"
    API = "api", "API"
    ENDPOINT = "endpoint", "HTTP endpoint"
    SCHEDULE = "schedule", "Schedule"


class LogEntryQuerySet(models.QuerySet):
    def matching(self, text: str = "", errors_only: bool = False) -> LogEntryQuerySet:
        entries = self
        if text:
            entries = entries.filter(text__icontains=text)
        if errors_only:
            entries = entries.filter(status=LogEntry.FAILED)
        return entries


class LogEntry(models.Model):
    """One invocation as the function's log stream shows it: its figures and its log text (the
    runtime's output between Lambda's START, END and REPORT lines)."""

    SUCCEEDED, FAILED = "succeeded", "failed"

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="log_entries")
    request_id = models.CharField(max_length=64)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    started_at = models.DateTimeField()
    cold = models.BooleanField()
    status = models.CharField(max_length=16)
    error_type = models.CharField(max_length=200, blank=True)
    duration_ms = models.FloatField()
    billed_duration_ms = models.PositiveIntegerField()
    memory_size_mb = models.PositiveIntegerField()
    max_memory_used_mb = models.PositiveIntegerField()
    init_duration_ms = models.FloatField(null=True, blank=True)  # cold starts only
    text = models.TextField()
    truncated = models.BooleanField(default=False)

    objects = LogEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["function", "-id"], name="log_entry_newest")]
        verbose_name_plural = "log entries"

    def __str__(self) -> str:
        return f"{self.function_id} {self.request_id}"

    def as_json(self) -> dict:
        return {
            "request_id": self.request_id,
            "trigger": self.trigger,
            "time": self.started_at.isoformat(),
            "cold": self.cold,
            "status": self.status,
            "error_type": self.error_type or None,
            "duration_ms": self.duration_ms,
            "billed_duration_ms": self.billed_duration_ms,
            "memory_size_mb": self.memory_size_mb,
            "max_memory_used_mb": self.max_memory_used_mb,
            "init_duration_ms": self.init_duration_ms,
            "text": self.text,
            "truncated": self.truncated,
        }


class Datapoint(models.Model):
    """One invocation or one throttle, for the per-minute metrics (see recording.py for why a
    row each rather than a counter per minute)."""

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="datapoints")
    at = models.DateTimeField()
    throttled = models.BooleanField(default=False)
    error = models.BooleanField(default=False)
    duration_ms = models.FloatField(null=True, blank=True)
    max_memory_mb = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["function", "at"], name="datapoint_function_time")]

    def __str__(self) -> str:
        kind = "throttle" if self.throttled else "invocation"
        return f"{self.function_id} {kind} at {self.at:%Y-%m-%d %H:%M:%S}"
