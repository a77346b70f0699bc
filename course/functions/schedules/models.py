"""A saved function's schedule (EventBridge Scheduler, rate() or cron()): one per function, at
most one active per learner, expiring an hour after it was set or renewed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from course.functions.models import Function
from course.labs.validators.schedule import Recurrence, iso, recurrence

LIFETIME = timedelta(hours=1)


class AlreadyScheduled(Exception):
    """The learner has another active schedule: one at a time, so a forgotten one cannot keep
    spending the shared sandboxes."""

    def __init__(self, other_name: str | None) -> None:
        self.other_name = other_name
        where = f" (on {other_name})" if other_name else ""
        super().__init__(
            f"You already have an active schedule{where}: each learner may have one at a time. "
            "Remove it, or let it expire, before scheduling another function."
        )


class ScheduleQuerySet(models.QuerySet):
    def owned_by(self, user) -> ScheduleQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def due(self, now: datetime) -> ScheduleQuerySet:
        """The claim query: served by the partial index on next_run_at (schedule_due)."""
        return self.filter(active=True, next_run_at__lte=now).order_by("next_run_at")

    def expired(self, now: datetime) -> ScheduleQuerySet:
        return self.filter(active=True, expires_at__lte=now)

    def expire(self, now: datetime) -> int:
        """Stop the schedules whose hour is up; they stay, marked expired, until renewed."""
        return self.expired(now).update(active=False, next_run_at=None)


class Schedule(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        THROTTLED = "throttled"
        UNAVAILABLE = "unavailable"
        ERROR = "error"
        RUNNING = "running"

    function = models.OneToOneField(Function, on_delete=models.CASCADE, related_name="schedule")
    # The function's owner again, so that "one active schedule per learner" is a constraint.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="function_schedules"
    )
    expression = models.CharField(max_length=256)
    # A rate counts from when the schedule was set, as EventBridge counts it.
    anchor_at = models.DateTimeField()
    # The next fire time not yet claimed; empty once expired.
    next_run_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    run_count = models.PositiveIntegerField(default=0)
    last_fired_at = models.DateTimeField(null=True, blank=True)  # the scheduled time last run
    last_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    skipped_runs = models.PositiveIntegerField(default=0)
    last_skipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(active=True), name="one_active_schedule_per_learner"
            )
        ]
        indexes = [
            models.Index(fields=["next_run_at"], condition=Q(active=True), name="schedule_due"),
            models.Index(fields=["expires_at"], condition=Q(active=True), name="schedule_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.function} {self.expression}"

    def get_absolute_url(self) -> str:
        return reverse("schedules:page", args=[self.function_id])

    @property
    def recurrence(self) -> Recurrence:
        return recurrence(self.expression)

    def is_live(self, now: datetime | None = None) -> bool:
        return self.active and self.expires_at > (now or timezone.now())

    def upcoming(self, now: datetime | None = None) -> list[datetime]:
        return self.recurrence.upcoming(now or timezone.now(), self.anchor_at)

    def as_json(self, now: datetime | None = None) -> dict:
        now = now or timezone.now()

        def when(moment: datetime | None) -> str | None:
            return iso(moment) if moment else None

        return {
            "expression": self.expression,
            "next": [iso(moment) for moment in self.upcoming(now)],
            "status": "active" if self.is_live(now) else "expired",
            "expires_at": iso(self.expires_at),
            "next_run_at": when(self.next_run_at),
            "runs": self.run_count,
            "last_run_at": when(self.last_fired_at),
            "last_status": self.last_status or None,
            "skipped_runs": self.skipped_runs,
            "last_skipped_at": when(self.last_skipped_at),
        }

    def renew(self, now: datetime | None = None) -> None:
        """Another hour. An expired schedule starts again from now: the windows it slept
        through are not run."""
        now = now or timezone.now()
        fields = {"expires_at": now + LIFETIME}
        if not self.is_live(now):
            fields.update(active=True, next_run_at=self.recurrence.next_after(now, self.anchor_at))
        _save_active(self, fields, now)


def other_active(owner_id: int, function_id: int) -> str | None:
    """The name of the learner's active schedule on another function, if any."""
    return (
        Schedule.objects.filter(owner_id=owner_id, active=True)
        .exclude(function_id=function_id)
        .values_list("function__name", flat=True)
        .first()
    )


def _save_active(schedule: Schedule, fields: dict, now: datetime) -> None:
    """Apply ``fields`` to a schedule that is to be active; AlreadyScheduled when the learner has
    another. The check names it; the constraint decides when two requests race."""
    with transaction.atomic():
        Schedule.objects.filter(owner_id=schedule.owner_id).expire(now)
        other = other_active(schedule.owner_id, schedule.function_id)
        if other is not None:
            raise AlreadyScheduled(other)
        for name, value in fields.items():
            setattr(schedule, name, value)
        try:
            with transaction.atomic():
                # Only these fields: a scheduler may have just counted a run on this row.
                if schedule.pk:
                    schedule.save(update_fields=[*fields, "updated_at"])
                else:
                    schedule.save()
        except IntegrityError:
            raise AlreadyScheduled(None) from None


def set_schedule(function: Function, expression: str, now: datetime | None = None) -> Schedule:
    """Set or replace ``function``'s schedule (a validated expression): active for an hour, a
    rate counted from now. Raises AlreadyScheduled."""
    now = (now or timezone.now()).replace(microsecond=0)
    schedule = Schedule.objects.filter(function=function).first() or Schedule(
        function=function, owner_id=function.owner_id, run_count=0
    )
    fields = {
        "expression": expression,
        "anchor_at": now,
        "next_run_at": recurrence(expression).next_after(now, now),
        "expires_at": now + LIFETIME,
        "active": True,
        "owner_id": function.owner_id,
    }
    _save_active(schedule, fields, now)
    return schedule
