"""The score deliverer: sends the outbox (PendingScore) to LMS gradebooks, in the background.

The scheduler process runs deliver_due() every EVERY_S seconds (registered by LtiConfig.ready()
with course/server/background.py); `manage.py lti_scores retry` runs it by hand. For each due
row it:
1. claims it, exactly once across deliverers: on PostgreSQL the candidate is read with
   SELECT ... FOR UPDATE SKIP LOCKED (deliverers on several servers take different rows and
   never wait on each other); everywhere, the claim itself is a conditional UPDATE that sets a
   lease (leased_until) only if the row is still unleased, so on SQLite (a scheduler and an
   operator's `lti_scores retry` at the same time) one of them wins and the other moves on. The
   lease outlasts any one send (several HTTP calls, each timing out after 10 s); a deliverer
   that dies mid-send leaves a lease that simply runs out.
2. sends it (grades.deliver), outside any transaction;
3. deletes it when the platform took it, unless a newer submission replaced the score in the
   meantime (then the row is released and the newer score goes next); on failure records the
   error and the next try after BACKOFF (10 s, 30 s, 2 min, 10 min, 30 min, then hourly), and
   gives up (failed_at) once the score is GIVE_UP_AFTER old: kept, listed in the admin (where
   it can be sent again) and counted on the class page.
A platform that fails once in a run is not tried again in that run: a dead LMS costs one
timeout per run, not one per waiting score.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from pylti1p3.service_connector import ServiceConnector

from quizzes.teach.lti import grades, tool
from quizzes.teach.lti.models import PendingScore

log = logging.getLogger(__name__)

EVERY_S = 2.0
BACKOFF = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=5)
MAX_ERROR_CHARS = 500
RUN_BUDGET_S = 30.0  # a run stops claiming after this; the next run carries on
RUN_LIMIT = 200


def backoff(tries: int) -> timedelta:
    """How long to wait after the ``tries``-th failed delivery (1, 2, ...)."""
    return BACKOFF[min(max(tries, 1), len(BACKOFF)) - 1]


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    skipped_platforms: set[int] = field(default_factory=set)


def claim(
    now: datetime | None = None,
    *,
    now_all: bool = False,
    include_failed: bool = False,
    exclude_platforms=(),
) -> PendingScore | None:
    """Take one due row for this caller alone (its lease set), or None when none is left.
    ``now_all`` (an operator's retry) ignores the backoff; ``include_failed`` takes given-up
    rows too."""
    now = now or timezone.now()
    rows = PendingScore.objects.unleased(now)
    if not include_failed:
        rows = rows.waiting()
    if not now_all:
        rows = rows.filter(next_attempt_at__lte=now)
    if exclude_platforms:
        rows = rows.exclude(link__context__platform_id__in=exclude_platforms)
    lease = now + LEASE
    candidates = rows.order_by("next_attempt_at", "pk").select_related(
        "link__context__platform", "learner"
    )
    guard = PendingScore.objects.unleased(now)
    for _ in range(5):  # lost a race for the first candidate: try the next one
        if connection.features.has_select_for_update_skip_locked:
            # Rows another deliverer is claiming right now are skipped, not waited for.
            with transaction.atomic():
                row = candidates.select_for_update(skip_locked=True, of=("self",)).first()
                won = row is not None and guard.filter(pk=row.pk).update(leased_until=lease)
        else:
            # SQLite: no row locks, and a read-then-write transaction could fail to upgrade its
            # lock; in autocommit the conditional UPDATE alone decides who has the row.
            row = candidates.first()
            won = row is not None and guard.filter(pk=row.pk).update(leased_until=lease)
        if row is None:
            return None
        if won:
            row.leased_until = lease
            return row
    return None


def _failed(row: PendingScore, error: Exception, now: datetime) -> bool:
    """Record a failed delivery; True if the score was given up."""
    text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    give_up = now - row.scored_at >= GIVE_UP_AFTER
    fields = {"tries": F("tries") + 1, "last_error": text, "leased_until": None}
    if give_up:
        fields["failed_at"] = now
    else:
        fields["next_attempt_at"] = now + backoff(row.tries + 1)
    mine = PendingScore.objects.filter(pk=row.pk, leased_until=row.leased_until)
    if not mine.filter(scored_at=row.scored_at).update(**fields):
        mine.update(leased_until=None)  # a newer score replaced it: that one goes next
        return False
    if give_up:
        log.error("LTI score %s given up after %d tries: %s", row.pk, row.tries + 1, text)
    return give_up


SENT, RETRYING, GAVE_UP = "sent", "retrying", "gave up"


def send(row: PendingScore, connectors: dict[int, ServiceConnector] | None = None) -> str:
    """Deliver one claimed row and settle it: SENT, RETRYING (backing off) or GAVE_UP. Never
    raises."""
    connectors = {} if connectors is None else connectors
    platform = row.link.context.platform
    try:
        # One connector per platform and run: its access token is asked for once, not per score.
        if platform.pk not in connectors:
            connectors[platform.pk] = ServiceConnector(
                tool.registration_for(platform), tool.http_session()
            )
        grades.deliver(
            connectors[platform.pk],
            row.link,
            row.learner,
            row.score_given,
            row.score_maximum,
            row.scored_at,
        )
    except Exception as error:  # any platform failure (HTTP error, timeout, bad answer)
        log.warning("LTI score %s for %s not sent to %s: %r", row.pk, row.link, platform, error)
        return GAVE_UP if _failed(row, error, timezone.now()) else RETRYING
    mine = PendingScore.objects.filter(pk=row.pk, leased_until=row.leased_until)
    if not mine.filter(scored_at=row.scored_at).delete()[0]:
        mine.update(leased_until=None)  # a newer score replaced it meanwhile: it goes next
    return SENT


def deliver_due(
    *,
    now_all: bool = False,
    include_failed: bool = False,
    limit: int = RUN_LIMIT,
    budget_s: float = RUN_BUDGET_S,
) -> Outcome:
    """Send due scores until none is left, ``limit`` were claimed or ``budget_s`` has passed
    (``now_all``: every waiting score, backoff or not; ``include_failed``: given-up ones too)."""
    outcome = Outcome()
    connectors: dict[int, ServiceConnector] = {}
    started = time.monotonic()
    for _ in range(limit):
        if time.monotonic() - started > budget_s:
            break
        row = claim(
            now_all=now_all,
            include_failed=include_failed,
            exclude_platforms=outcome.skipped_platforms,
        )
        if row is None:
            break
        result = send(row, connectors)
        if result == SENT:
            outcome.sent += 1
            continue
        outcome.failed += 1
        outcome.gave_up += result == GAVE_UP
        outcome.skipped_platforms.add(row.link.context.platform_id)
    if outcome.sent or outcome.failed:
        log.info(
            "LTI scores: %d sent, %d failed (%d given up)",
            outcome.sent,
            outcome.failed,
            outcome.gave_up,
        )
    return outcome
