"""The receivers: the log stream's entries and text, the 200 cap, the datapoints, the metrics
read from them, and what each costs in queries."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta

import pytest

from course.functions.monitoring import recording
from course.functions.monitoring.models import KEEP_LOG_ENTRIES, Datapoint, LogEntry
from tests.monitoring.conftest import announce, make_invocation, throttle

# A minute boundary ten minutes ago: recent enough that recording does not prune it.
MINUTE = (int(time.time()) // 60 - 10) * 60


def test_an_invocation_is_a_log_entry_with_lambdas_lines(alice_fn):
    invocation = make_invocation(
        "abc-123", duration_ms=12.34, max_memory_mb=41, init_ms=85.5, output="hi\n"
    )
    announce(alice_fn, invocation, trigger="api", cold=True, started=MINUTE + 5)
    entry = LogEntry.objects.get()
    assert entry.text.splitlines() == [
        "START RequestId: abc-123 Version: $LATEST",
        "hi",
        "END RequestId: abc-123",
        "REPORT RequestId: abc-123\tDuration: 12.34 ms\tBilled Duration: 98 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 85.50 ms",
    ]
    assert entry.text == invocation.logs  # the runner's lines, not doubled
    assert (entry.trigger, entry.cold, entry.status, entry.error_type) == (
        "api",
        True,
        "succeeded",
        "",
    )
    assert (entry.duration_ms, entry.billed_duration_ms, entry.memory_size_mb) == (12.34, 98, 128)
    assert (entry.max_memory_used_mb, entry.init_duration_ms) == (41, 85.5)
    assert entry.started_at == datetime.fromtimestamp(MINUTE + 5, tz=UTC)


def test_a_warm_invocation_has_no_init_duration(alice_fn):
    announce(alice_fn, make_invocation("w"), cold=False)
    entry = LogEntry.objects.get()
    assert entry.init_duration_ms is None
    assert "Init Duration" not in entry.text


def test_logs_without_lambdas_lines_get_them_once(alice_fn):
    bare = dataclasses.replace(make_invocation("r-9", duration_ms=3.0), logs="only output")
    announce(alice_fn, bare)
    lines = LogEntry.objects.get().text.splitlines()
    assert lines[0] == "START RequestId: r-9 Version: $LATEST"
    assert lines[1:3] == ["only output", "END RequestId: r-9"]
    assert lines[3].startswith("REPORT RequestId: r-9\tDuration: 3.00 ms\tBilled Duration: 3 ms")
    assert len(lines) == 4


def test_a_failed_invocation_keeps_its_error_type(alice_fn):
    error = {"errorType": "ZeroDivisionError", "errorMessage": "division by zero"}
    announce(alice_fn, make_invocation(error=error))
    entry = LogEntry.objects.get()
    assert (entry.status, entry.error_type) == ("failed", "ZeroDivisionError")
    assert Datapoint.objects.get().error is True


def test_nul_and_surrogates_in_output_are_stored(alice_fn):
    announce(alice_fn, make_invocation(output="a\x00b\ud800c\n"))
    assert "a\ufffdb?c" in LogEntry.objects.get().text


def test_the_stream_keeps_the_newest_200(alice_fn, bob_fn):
    announce(bob_fn, make_invocation("bob-0"))
    for i in range(KEEP_LOG_ENTRIES + 5):
        announce(alice_fn, make_invocation(f"r-{i}"))
    kept = list(LogEntry.objects.filter(function=alice_fn).values_list("request_id", flat=True))
    assert len(kept) == KEEP_LOG_ENTRIES
    assert kept[0] == f"r-{KEEP_LOG_ENTRIES + 4}" and kept[-1] == "r-5"
    assert LogEntry.objects.filter(function=bob_fn).count() == 1  # others' streams untouched
    # Metrics are not capped: every invocation counts.
    assert Datapoint.objects.filter(function=alice_fn).count() == KEEP_LOG_ENTRIES + 5


def test_recording_costs_the_same_queries_with_a_long_history(alice_fn, django_assert_num_queries):
    # SAVEPOINT, insert entry, trim, insert datapoint, prune, RELEASE.
    with django_assert_num_queries(6):
        announce(alice_fn, make_invocation("first"))
    for i in range(KEEP_LOG_ENTRIES + 10):
        announce(alice_fn, make_invocation(f"r-{i}"))
    with django_assert_num_queries(6):
        announce(alice_fn, make_invocation("late"))
    with django_assert_num_queries(4):  # SAVEPOINT, insert, prune, RELEASE
        throttle(alice_fn)


def test_metrics_from_known_durations(alice_fn):
    base = MINUTE
    durations = [float(d) for d in range(1, 101)]  # 1..100 ms in one minute
    for i, d in enumerate(durations):
        announce(alice_fn, make_invocation(f"a{i}", duration_ms=d, max_memory_mb=30 + i % 7),
                 started=base + 1 + i * 0.5)  # fmt: skip
    error = {"errorType": "Boom", "errorMessage": "x"}
    announce(alice_fn, make_invocation("e1", duration_ms=7.0, error=error), started=base + 61)
    announce(alice_fn, make_invocation("e2", duration_ms=3.0, max_memory_mb=90), started=base + 70)
    minutes = recording.metrics(alice_fn, 3, now=base + 150)
    assert [m.minute * 60 for m in minutes] == [base, base + 60, base + 120]
    first, second, third = minutes
    assert (first.invocations, first.errors, first.throttles) == (100, 0, 0)
    assert (first.duration_p50_ms, first.duration_p99_ms, first.max_memory_mb) == (50.0, 99.0, 36)
    assert (second.invocations, second.errors) == (2, 1)
    assert (second.duration_p50_ms, second.duration_p99_ms, second.max_memory_mb) == (3.0, 7.0, 90)
    assert (third.invocations, third.duration_p50_ms, third.max_memory_mb) == (0, None, None)


def test_throttles_are_counted_but_not_logged(alice_fn):
    throttle(alice_fn)
    throttle(alice_fn, trigger="endpoint")
    announce(alice_fn)
    (minute,) = recording.metrics(alice_fn, 1)
    assert (minute.invocations, minute.throttles) == (1, 2)
    assert LogEntry.objects.count() == 1


def test_a_days_metrics_is_one_query(alice_fn, django_assert_num_queries):
    now = MINUTE
    Datapoint.objects.bulk_create(
        Datapoint(function=alice_fn, at=datetime.fromtimestamp(now - i * 30, tz=UTC),
                  duration_ms=float(i % 50), max_memory_mb=40)
        for i in range(2880)
    )  # fmt: skip
    with django_assert_num_queries(1):
        minutes = recording.metrics(alice_fn, 1440, now=now)
    assert len(minutes) == 1440
    # The window starts 1439 minutes before the start of the current minute (now's, exactly).
    assert sum(m.invocations for m in minutes) == 2879


def test_old_datapoints_are_pruned_but_a_day_is_kept(alice_fn):
    now = datetime.now(UTC)
    Datapoint.objects.create(function=alice_fn, at=now - timedelta(hours=26))
    Datapoint.objects.create(function=alice_fn, at=now - timedelta(hours=24))
    announce(alice_fn)
    assert Datapoint.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_deleted_function_is_not_an_error(alice_fn, caplog):
    pk = alice_fn.pk
    alice_fn.delete()
    alice_fn.pk = pk  # the invocation finished after the learner deleted the function
    announce(alice_fn)
    throttle(alice_fn)
    # The foreign key is checked at commit: the receiver's transaction fails, quietly.
    assert LogEntry.objects.count() == 0 and Datapoint.objects.count() == 0
    assert "could not record invocation" in caplog.text
