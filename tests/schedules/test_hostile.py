"""Schedules against a hostile learner: more than one run a minute, runs that outlive their
function, giant errors, many schedules, and the loop surviving all of it."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest

from course import runner
from course.functions.models import Function
from course.functions.schedules import scheduler
from course.functions.schedules.models import AlreadyScheduled, Schedule, set_schedule
from tests.functions.conftest import HELLO
from tests.schedules.conftest import T0

pytestmark = pytest.mark.django_db


def claimed(function, expression="rate(5 minutes)"):
    set_schedule(function, expression, now=T0)
    due = Schedule.objects.get(function=function).next_run_at
    (claim,) = scheduler.claim_due(due)
    return claim


def test_a_cron_every_minute_is_claimed_once_per_minute_however_often_ticked(alice_fn):
    set_schedule(alice_fn, "cron(* * * * ? *)", now=T0 + timedelta(seconds=1))
    claims = []
    for second in range(0, 180, 1):  # a tick every second for three minutes
        claims += scheduler.claim_due(T0 + timedelta(minutes=1, seconds=second))
    times = [claim.scheduled_for for claim in claims]
    assert times == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]


def test_setting_the_schedule_again_never_moves_the_next_run_before_a_minute(alice_fn):
    """Each set starts from now: re-setting every few seconds postpones the run, never
    brings it forward to under a minute away."""
    set_schedule(alice_fn, "rate(1 minute)", now=T0)
    for seconds in (10, 20, 30, 40, 50):
        schedule = set_schedule(alice_fn, "rate(1 minute)", now=T0 + timedelta(seconds=seconds))
        assert schedule.next_run_at == T0 + timedelta(seconds=seconds + 60)


def test_one_active_schedule_per_learner_however_many_functions(alice):
    functions = [
        Function.objects.create(owner=alice, name=f"f{i}", runtime="python", code=HELLO)
        for i in range(5)
    ]
    set_schedule(functions[0], "rate(1 minute)", now=T0)
    for function in functions[1:]:
        with pytest.raises(AlreadyScheduled):
            set_schedule(function, "rate(1 minute)", now=T0)
    assert Schedule.objects.filter(owner=alice, active=True).count() == 1


def test_expiry_is_enforced_at_claim_time_even_without_a_sweep(alice_fn):
    set_schedule(alice_fn, "rate(1 minute)", now=T0)
    # Every minute of the hour is claimed; the first window past the hour is not.
    for minute in range(1, 60):
        assert len(scheduler.claim_due(T0 + timedelta(minutes=minute))) == 1
    assert scheduler.claim_due(T0 + timedelta(minutes=60)) == []
    assert scheduler.claim_due(T0 + timedelta(minutes=61)) == []
    assert not Schedule.objects.get().active


@pytest.mark.django_db(transaction=True)  # foreign keys checked at commit, as in production
def test_a_function_deleted_while_it_runs_does_not_break_fire(alice_fn, fake_runner):
    from course.functions.monitoring.models import LogEntry

    claim = claimed(alice_fn)

    def delete_then_answer(request, *args, **kwargs):
        Function.objects.filter(pk=alice_fn.pk).delete()
        return runner.Invocation(
            request_id="r", status="succeeded", result_json=b"{}", logs="", error=None,
            report={"duration_ms": 1.0}, logs_truncated=False,
        )  # fmt: skip

    fake_runner.side_effect = delete_then_answer
    assert scheduler.fire(claim) == "succeeded"
    assert not Schedule.objects.exists()
    assert not LogEntry.objects.exists()  # monitoring logged the lost record, stored no orphan


def test_a_giant_error_is_stored_bounded(alice_fn, fake_runner):
    claim = claimed(alice_fn)
    fake_runner.side_effect = None
    fake_runner.return_value = runner.Invocation(
        request_id="r", status="failed", result_json=b"{}", logs="x" * 1_000_000,
        error={"errorType": "E" * 10_000, "errorMessage": "m" * 1_000_000}, report={},
        logs_truncated=False,
    )  # fmt: skip
    assert scheduler.fire(claim) == "failed"
    assert len(Schedule.objects.get().last_error) <= 300


@pytest.mark.django_db(transaction=True)  # the run's thread has its own connection
def test_the_loop_outlives_runs_that_fail_in_every_way(alice, alice_fn):
    """Claims run on the pool; whatever a run raises, the scheduler keeps ticking."""
    loop = scheduler.Scheduler(interval_s=0.01, workers=2)
    set_schedule(alice_fn, "rate(1 minute)", now=T0)
    with mock.patch.object(scheduler.execution, "run", side_effect=MemoryError("huge")):
        assert loop.tick(T0 + timedelta(minutes=1)) == 1
        loop._pool.shutdown(wait=True)
    assert loop._busy == 0
    assert Schedule.objects.get().last_status == "error"
