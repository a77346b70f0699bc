"""No lost counts when invocations and throttles are recorded from many threads at once (each
with its own database connection, as workers and servers have). Runs on the configured
database: SQLite by default; PostgreSQL with `make test-postgres` or DATABASE_URL and
TEST_SERVICES=1."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from course.functions.monitoring import recording
from course.functions.monitoring.models import KEEP_LOG_ENTRIES, Datapoint, LogEntry
from tests.monitoring.conftest import announce, make_invocation, throttle

THREADS, EACH, THROTTLES = 8, 30, 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_recording_loses_nothing(alice_fn):
    started = time.time()

    def work(thread: int) -> None:
        try:
            for i in range(EACH):
                error = {"errorType": "E", "errorMessage": ""} if i % 10 == 0 else None
                invocation = make_invocation(
                    f"t{thread}-{i}", duration_ms=float(i + 1), error=error
                )
                announce(alice_fn, invocation, started=started)
            for _ in range(THROTTLES):
                throttle(alice_fn)
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))

    total = THREADS * EACH
    assert Datapoint.objects.filter(throttled=False).count() == total
    minutes = recording.metrics(alice_fn, 2)
    assert sum(m.invocations for m in minutes) == total
    assert sum(m.errors for m in minutes) == THREADS * (EACH // 10)
    assert sum(m.throttles for m in minutes) == THREADS * THROTTLES
    (busy,) = [m for m in minutes if m.invocations]
    # Every thread recorded durations 1..EACH: the nearest-rank figures of that multiset.
    assert (busy.duration_p50_ms, busy.duration_p99_ms) == (15.0, 30.0)
    # One more invocation after the burst trims the stream to exactly its cap.
    announce(alice_fn, make_invocation("after"))
    assert LogEntry.objects.filter(function=alice_fn).count() == KEEP_LOG_ENTRIES
