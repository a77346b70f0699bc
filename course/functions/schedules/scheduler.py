"""The scheduler: claims due schedules exactly once across servers, and runs them.

Each tick (about every second) it stops expired schedules, then claims the due ones. A claim
advances ``next_run_at`` past now in the same transaction that found the row, before anything
runs, so no other scheduler can claim that window again:
- PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` (several servers each take different rows);
- SQLite: one scheduler per database file (run_scheduler holds a file lock), and the same
  conditional UPDATE (``WHERE next_run_at = <what we read>``) guards the claim either way.

A window found more than MISSED_AFTER late (the scheduler was stopped, the machine slept) is
skipped, counted on the schedule and logged, never replayed: a rate(1 minute) schedule back
after an hour runs once at its next window, not sixty times.

A run refused for lack of a free sandbox slot (the host's concurrency limit, shared with the
runner page and endpoints) is retried within its window, as Lambda retries a throttled
asynchronous invocation: every refusal counts as a throttle in the function's metrics, and only
a window still refused RETRY_FOR after it was due is given up (recorded as throttled).

The same loop runs the site's periodic background jobs (course/server/background.py): features
register them from their AppConfig.ready() -- today the LTI score deliverer
(quizzes/teach/lti/outbox.py, every 2 s), which sends the scores of quizzes and labs to LMS
gradebooks -- and each tick starts the due ones on BACKGROUND_WORKERS threads of their own, so a
slow job (an LMS that takes 10 s to answer) never delays a schedule. A job that raises is logged
and runs again at its next time; it never stops the loop. So `make run` and `make serve`, which
start this process, deliver scores with no cron entry.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from course import runner
from course.functions import execution
from course.functions.models import Function
from course.functions.schedules.events import scheduled_event
from course.functions.schedules.models import Schedule
from course.server import background

log = logging.getLogger("course.schedules")

MISSED_AFTER = timedelta(seconds=60)
RETRY_FOR = timedelta(seconds=45)  # inside the minute: never overlaps the next window's run
INTERVAL_S = 1.0
WORKERS = 4
BACKGROUND_WORKERS = 2


@dataclass(frozen=True)
class Claim:
    schedule_id: int
    function_id: int
    scheduled_for: datetime


def claim_due(now: datetime | None = None, limit: int = 50) -> list[Claim]:
    """Claim up to ``limit`` due windows; each window is returned by exactly one caller."""
    now = now or timezone.now()
    claims: list[Claim] = []
    with transaction.atomic():
        rows = list(_due_rows(now, limit))
        for schedule in rows:
            claim = _claim_one(schedule, now)
            if claim is not None:
                claims.append(claim)
    return claims


def _due_rows(now: datetime, limit: int):
    # of=("self",): lock only schedule rows. On SQLite select_for_update is a no-op.
    return (
        Schedule.objects.due(now)
        .select_for_update(skip_locked=True, of=("self",))
        .only("id", "function_id", "expression", "anchor_at", "next_run_at", "expires_at")[:limit]
    )


def claim_plan(now: datetime | None = None, limit: int = 50) -> str:
    """The database's plan for the claim query (EXPLAIN), for the tests and `make bench`: it
    must use the schedule_due index, never scan the table."""
    with transaction.atomic():
        return _due_rows(now or timezone.now(), limit).explain()


def _claim_one(schedule: Schedule, now: datetime) -> Claim | None:
    window = schedule.next_run_at
    guard = Schedule.objects.filter(pk=schedule.pk, active=True, next_run_at=window)
    if schedule.expires_at <= now:  # expired between the sweep and now
        guard.update(active=False, next_run_at=None)
        return None
    try:
        recurrence = schedule.recurrence
    except ValueError as bad:  # an expression the validator no longer accepts: stop it
        log.error("schedule %s stopped: %s", schedule.pk, bad)
        guard.update(active=False, next_run_at=None, last_status="error", last_error=str(bad)[:300])
        return None
    following = recurrence.next_after(now, schedule.anchor_at)
    if now - window > MISSED_AFTER:
        skipped = recurrence.count_between(window, now, schedule.anchor_at)
        if guard.update(
            next_run_at=following,
            skipped_runs=F("skipped_runs") + skipped,
            last_skipped_at=now,
        ):
            log.warning(
                "schedule %s (function %s): skipped %d missed window(s) from %s; next at %s",
                schedule.pk, schedule.function_id, skipped, window.isoformat(),
                following.isoformat() if following else "never",
            )  # fmt: skip
        return None
    # Windows between this one and now (late, but within MISSED_AFTER) are skipped too: one
    # run per claim, never a burst.
    skipped = recurrence.count_between(window + timedelta(microseconds=1), now, schedule.anchor_at)
    fields = {
        "next_run_at": following,
        "last_fired_at": window,
        "last_status": Schedule.Status.RUNNING,
        "last_error": "",
        "run_count": F("run_count") + 1,
    }
    if skipped:
        fields.update(skipped_runs=F("skipped_runs") + skipped, last_skipped_at=now)
    if not guard.update(**fields):
        return None  # another scheduler took this window first
    return Claim(schedule.pk, schedule.function_id, window)


def _run_retrying_throttles(function: Function, event: dict, claim: Claim, stopping):
    """execution.run, again after each concurrency refusal until RETRY_FOR after the window (or
    the scheduler stops); the last refusal is raised."""
    give_up_at = claim.scheduled_for + RETRY_FOR
    while True:
        try:
            return execution.run(
                function, event, user=function.owner, trigger="schedule", spend_rate=False
            )
        except runner.Throttled as refused:
            wait = max(0.2, min(float(refused.retry_after_s or 1.0), 2.0))
            if timezone.now() + timedelta(seconds=wait) > give_up_at or stopping.wait(wait):
                raise


def fire(claim: Claim, stopping: threading.Event | None = None) -> str:
    """Run one claimed window; never raises. Returns the outcome recorded on the schedule."""
    function = Function.objects.select_related("owner").filter(pk=claim.function_id).first()
    if function is None:  # deleted since the claim: its schedule went with it
        log.info("schedule %s: function %s is gone", claim.schedule_id, claim.function_id)
        return "gone"
    event = scheduled_event(
        function_name=function.name, user_id=function.owner_id, scheduled_for=claim.scheduled_for
    )
    error = ""
    try:
        invocation, _cold = _run_retrying_throttles(
            function, event, claim, stopping or threading.Event()
        )
    except runner.Throttled as refused:
        status, error = Schedule.Status.THROTTLED, f"Throttled: {refused}"
    except runner.SandboxUnavailable as down:
        status, error = Schedule.Status.UNAVAILABLE, f"Sandbox unavailable: {down}"
    except Exception as exc:  # the loop must outlive any one run
        log.exception("schedule %s: run failed", claim.schedule_id)
        status, error = Schedule.Status.ERROR, f"{type(exc).__name__}: {exc}"
    else:
        status = invocation.status
        if invocation.error:
            kind, message = invocation.error.get("errorType"), invocation.error.get("errorMessage")
            error = f"{kind}: {message}"
    if error:
        log.warning("schedule %s (function %s): %s", claim.schedule_id, function.pk, error)
    else:
        log.info("schedule %s (function %s) ran: %s", claim.schedule_id, function.pk, status)
    Schedule.objects.filter(pk=claim.schedule_id, last_fired_at=claim.scheduled_for).update(
        last_status=status, last_error=error[:300]
    )
    return status


class Scheduler:
    """The loop behind ``manage.py run_scheduler``: tick, run claims on a few threads, repeat."""

    def __init__(self, *, interval_s: float = INTERVAL_S, workers: int = WORKERS) -> None:
        self.interval_s = interval_s
        self.workers = workers
        self.stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="schedule")
        self._background = ThreadPoolExecutor(
            max_workers=BACKGROUND_WORKERS, thread_name_prefix="background"
        )
        self._busy = 0
        self._lock = threading.Lock()

    def stop(self, *_args) -> None:
        self.stopping.set()

    def _run(self, claim: Claim) -> None:
        try:
            fire(claim, self.stopping)
        finally:
            connection.close()  # this thread's own connection
            with self._lock:
                self._busy -= 1

    def tick(self, now: datetime | None = None) -> int:
        """One round: expire, claim as many windows as there are idle workers, start them."""
        now = now or timezone.now()
        expired = Schedule.objects.expire(now)
        if expired:
            log.info("%d schedule(s) expired", expired)
        with self._lock:
            free = self.workers - self._busy
        if free <= 0:
            return 0
        claims = claim_due(now, limit=free)
        for claim in claims:
            with self._lock:
                self._busy += 1
            self._pool.submit(self._run, claim)
        return len(claims)

    def _run_background(self, run, job) -> bool:
        try:
            return run(job)
        finally:
            connection.close()  # this thread's own connection

    def run_background(self, now: float | None = None) -> int:
        """Start the background jobs that are due (course/server/background.py) on their own
        threads; returns how many started."""
        return background.run_due(
            now, submit=lambda run, job: self._background.submit(self._run_background, run, job)
        )

    def serve(self) -> None:
        log.info(
            "scheduler started (every %.1f s, %d workers; background jobs: %s)",
            self.interval_s,
            self.workers,
            ", ".join(background.registered()) or "none",
        )
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    self.tick()
                except Exception:  # the database restarting, a lock timeout: next tick
                    log.exception("scheduler tick failed; trying again")
                try:
                    self.run_background()
                except Exception:  # never stops the schedules
                    log.exception("starting background jobs failed; trying again")
                self.stopping.wait(self.interval_s)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._background.shutdown(wait=True, cancel_futures=True)
            connection.close()
            log.info("scheduler stopped")
