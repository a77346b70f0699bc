"""Writing the log stream and the metric datapoints (the signal receivers), and reading them.

Why one Datapoint row per invocation or throttle rather than one counter row per minute: rows
are only ever inserted, so concurrent invocations (several workers, servers, the scheduler)
cannot lose an update, with no row lock to wait on and no upsert race on a minute's first
invocation; and the percentiles stay exact, which a counter row cannot give without keeping
every duration anyway. The cost moves to reading, which is bounded: one query over one
function's rows inside the window (at most 24 hours, indexed on (function, at)), whose number
the rate limits cap (the runner's per-user rate, endpoints' usage plans and site-wide limits),
aggregated in Python by stats.per_minute.

Recording costs a fixed number of queries whatever the history: insert the entry, trim the
stream to its newest KEEP_LOG_ENTRIES (one DELETE of the rows older than the 200th newest:
amortised one row), insert the datapoint, prune the datapoints past RETENTION (one indexed
DELETE). Under concurrent writers on PostgreSQL, a trim may not see another transaction's
uncommitted entry, so a stream can hold a few more than 200 entries until its next invocation
trims it again; never fewer, and never more than 200 plus the number of concurrent writers.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime

from django.db import DatabaseError, transaction
from django.db.models import Subquery

from course import runner
from course.functions.models import Function
from course.functions.monitoring import stats
from course.functions.monitoring.models import (
    KEEP_LOG_ENTRIES,
    RETENTION,
    Datapoint,
    LogEntry,
    Trigger,
)
from course.runner.invocation import report_line

log = logging.getLogger(__name__)

MAX_ERROR_TYPE = 200
# One stored entry at most: CloudWatch Logs' largest event (256 KB). The runner keeps 64 KB of a
# handler's output today, but the stream must not grow with whatever a future path hands it:
# 200 entries of 10 MB would be 2 GB for one function.
MAX_LOG_CHARS = 256 * 1024
# The end of a cut log is kept: its END and REPORT lines (and the error, if it failed).
KEEP_TAIL_CHARS = 2048


def storable(text: str) -> str:
    """Text a database column can hold: PostgreSQL refuses NUL, and lone surrogates cannot be
    encoded; both come from a learner's output as it is."""
    text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


def bounded(text: str) -> tuple[str, bool]:
    """``text`` within MAX_LOG_CHARS: its beginning and its last lines, and whether it was cut."""
    if len(text) <= MAX_LOG_CHARS:
        return text, False
    tail = text[-KEEP_TAIL_CHARS:]
    tail = tail[tail.find("\n") + 1 :] if "\n" in tail[:-1] else tail
    marker = f"\n[... {len(text) - MAX_LOG_CHARS:,}+ characters of log not kept ...]\n"
    head = text[: MAX_LOG_CHARS - len(marker) - len(tail)]
    return head + marker + tail, True


def _ms(value: object) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0


def log_text(invocation: runner.Invocation) -> str:
    """The invocation's log as Lambda writes it to CloudWatch. The runner's logs already hold
    the START / END / REPORT lines (course/runner/invocation.py); logs from elsewhere without a
    REPORT line for this request get them here, so no line is ever doubled."""
    logs = invocation.logs or ""
    request_id = invocation.request_id
    if f"REPORT RequestId: {request_id}" in logs:
        return logs
    report = invocation.report
    body = logs if not logs or logs.endswith("\n") else logs + "\n"
    fields = {
        "duration_ms": _ms(report.get("duration_ms")),
        "billed_duration_ms": report.get("billed_duration_ms", 0),
        "memory_size_mb": report.get("memory_size_mb", 0),
        "max_memory_used_mb": report.get("max_memory_used_mb", 0),
        "init_duration_ms": report.get("init_duration_ms"),
    }
    return (
        f"START RequestId: {request_id} Version: $LATEST\n{body}"
        f"END RequestId: {request_id}\n{report_line(request_id, fields)}\n"
    )


def _when(started: float | None) -> datetime:
    return datetime.fromtimestamp(started if started is not None else time.time(), tz=UTC)


def record_invocation(
    sender, function: Function, trigger: str, invocation: runner.Invocation, cold: bool,
    started: float | None = None, **kwargs,
) -> None:  # fmt: skip
    """Receiver of signals.invoked. Monitoring never fails an invocation: a database error is
    logged and the invocation's answer goes out as it would have."""
    report = invocation.report or {}
    error_type = ""
    if invocation.error:
        error_type = str(invocation.error.get("errorType") or "Error")[:MAX_ERROR_TYPE]
    at = _when(started)
    init = report.get("init_duration_ms") if cold else None
    text, cut = bounded(storable(log_text(invocation)))
    try:
        with transaction.atomic():
            LogEntry.objects.create(
                function=function,
                request_id=storable(str(invocation.request_id))[:64],
                trigger=trigger if trigger in Trigger.values else Trigger.CONSOLE,
                started_at=at,
                cold=cold,
                status=LogEntry.FAILED if invocation.status == "failed" else LogEntry.SUCCEEDED,
                error_type=storable(error_type),
                duration_ms=_ms(report.get("duration_ms")),
                billed_duration_ms=int(report.get("billed_duration_ms") or 0),
                memory_size_mb=int(report.get("memory_size_mb") or function.memory_mb),
                max_memory_used_mb=int(report.get("max_memory_used_mb") or 0),
                init_duration_ms=_ms(init) if init is not None else None,
                text=text,
                truncated=bool(invocation.logs_truncated) or cut,
            )
            _trim(function)
            Datapoint.objects.create(
                function=function,
                at=at,
                error=invocation.status == "failed",
                duration_ms=_ms(report.get("duration_ms")),
                max_memory_mb=int(report.get("max_memory_used_mb") or 0),
            )
            _prune(function)
    except DatabaseError:  # e.g. the function was deleted while it ran
        log.exception("could not record invocation %s of function %s", invocation.request_id,
                      function.pk)  # fmt: skip


def record_throttle(sender, function: Function, trigger: str, **kwargs) -> None:
    """Receiver of signals.throttled: a throttle is a metric, not a log entry (Lambda writes no
    log for an invocation it refused)."""
    try:
        with transaction.atomic():
            Datapoint.objects.create(function=function, at=_when(None), throttled=True)
            _prune(function)
    except DatabaseError:
        log.exception("could not record a throttle of function %s", function.pk)


def _trim(function: Function) -> None:
    oldest_kept = (
        LogEntry.objects.filter(function=function)
        .order_by("-pk")
        .values("pk")[KEEP_LOG_ENTRIES - 1 : KEEP_LOG_ENTRIES]
    )
    LogEntry.objects.filter(function=function, pk__lt=Subquery(oldest_kept)).delete()


def _prune(function: Function) -> None:
    cutoff = datetime.now(UTC) - RETENTION
    Datapoint.objects.filter(function=function, at__lt=cutoff).delete()


# --- Reading ---------------------------------------------------------------------------------


def metrics(function: Function, minutes: int, now: float | None = None) -> list[stats.Minute]:
    """The last ``minutes`` minutes (the current one included), one query."""
    current = int((now if now is not None else time.time()) // stats.SECONDS)
    first = current - minutes + 1
    since = datetime.fromtimestamp(first * stats.SECONDS, tz=UTC)
    rows = Datapoint.objects.filter(function=function, at__gte=since).values_list(
        "at", "throttled", "error", "duration_ms", "max_memory_mb"
    )
    samples = (
        stats.Sample(
            minute=int(at.timestamp() // stats.SECONDS),
            throttled=throttled,
            error=error,
            duration_ms=duration,
            max_memory_mb=memory,
        )
        for at, throttled, error, duration, memory in rows.iterator(chunk_size=2000)
    )
    return stats.per_minute(samples, first, minutes)


def minute_json(minute: stats.Minute) -> dict:
    return {
        "minute": datetime.fromtimestamp(minute.minute * stats.SECONDS, tz=UTC).isoformat(),
        "invocations": minute.invocations,
        "errors": minute.errors,
        "throttles": minute.throttles,
        "duration_p50_ms": minute.duration_p50_ms,
        "duration_p99_ms": minute.duration_p99_ms,
        "max_memory_mb": minute.max_memory_mb,
    }
