"""Setting schedules, one active per learner, expiry, claims (exactly once), missed windows,
and what a run does, on the suite's database (SQLite unless make test-postgres)."""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from course import runner
from course.functions.models import Function
from course.functions.schedules import scheduler
from course.functions.schedules.forms import ScheduleForm
from course.functions.schedules.models import (
    AlreadyScheduled,
    Schedule,
    other_active,
    set_schedule,
)
from course.labs.validators.schedule import validate
from tests.functions.conftest import HELLO
from tests.schedules.conftest import T0

pytestmark = pytest.mark.django_db


def another_fn(owner, name="second"):
    return Function.objects.create(owner=owner, name=name, runtime="python", code=HELLO)


# --- Validation: the lab's validator -----------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["rate(1 minutes)", "rate(5 minute)", "cron(0 12 * * * *)", "cron(61 * * * ? *)",
             "rate(five minutes)", "cron(0 12 * *)", "hourly"],
)  # fmt: skip
def test_the_form_refuses_with_the_labs_own_message(text):
    form = ScheduleForm({"expression": text})
    assert not form.is_valid()
    assert form.errors["expression"] == [validate(text).errors[0].message]


@pytest.mark.parametrize(
    "text,why",
    [("at(2030-01-01T00:00:00)", "repeats"), ("cron(0 12 * * ? 1999)", "never fires"),
     ("", "Give a schedule expression"), ("rate(" + "9" * 300 + ")", "at most 256")],
)  # fmt: skip
def test_the_form_refuses_what_would_never_repeat(text, why):
    form = ScheduleForm({"expression": text})
    assert not form.is_valid()
    assert why in form.errors["expression"][0]


# --- Setting, one active per learner, expiry ---------------------------------------------------


def test_set_schedule_fires_next_at_the_first_window(alice_fn):
    schedule = set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    assert schedule.next_run_at == T0 + timedelta(minutes=5)
    assert schedule.expires_at == T0 + timedelta(hours=1)
    assert schedule.owner_id == alice_fn.owner_id and schedule.active
    assert schedule.as_json(T0)["next"] == [
        "2026-03-02T10:05:00Z", "2026-03-02T10:10:00Z", "2026-03-02T10:15:00Z",
        "2026-03-02T10:20:00Z", "2026-03-02T10:25:00Z",
    ]  # fmt: skip


def test_replacing_keeps_one_row(alice_fn):
    set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    set_schedule(alice_fn, "cron(0 * * * ? *)", now=T0 + timedelta(minutes=1))
    assert Schedule.objects.get().expression == "cron(0 * * * ? *)"
    assert Schedule.objects.get().next_run_at == T0 + timedelta(hours=1)


def test_one_active_schedule_per_learner(alice, alice_fn, bob_fn):
    set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    with pytest.raises(AlreadyScheduled, match="on hello"):
        set_schedule(another_fn(alice), "rate(5 minutes)", now=T0)
    set_schedule(bob_fn, "rate(5 minutes)", now=T0)  # Bob is another learner
    assert Schedule.objects.count() == 2


def test_the_constraint_decides_when_two_requests_race(alice, alice_fn):
    """Both requests pass the friendly check before either saves: the partial unique index
    refuses the second, and the learner is told why."""
    set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    with (
        mock.patch("course.functions.schedules.models.other_active", return_value=None),
        pytest.raises(AlreadyScheduled),
    ):
        set_schedule(another_fn(alice), "rate(5 minutes)", now=T0)
    assert Schedule.objects.filter(owner=alice).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Schedule.objects.create(
            function=another_fn(alice, "third"), owner=alice, expression="rate(1 hour)",
            anchor_at=T0, next_run_at=T0, expires_at=T0 + timedelta(hours=1),
        )  # fmt: skip


def test_an_expired_schedule_does_not_block_a_new_one(alice, alice_fn):
    set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    later = T0 + timedelta(hours=1, seconds=1)
    second = set_schedule(another_fn(alice), "rate(5 minutes)", now=later)
    first = Schedule.objects.get(function=alice_fn)
    assert second.active and not first.active and first.next_run_at is None
    assert not first.is_live(later) and first.as_json(later)["status"] == "expired"
    assert other_active(alice.pk, second.function_id) is None


def test_expired_schedules_stop_firing(alice_fn):
    set_schedule(alice_fn, "rate(1 minute)", now=T0)
    after = T0 + timedelta(hours=1)
    assert Schedule.objects.expire(after) == 1
    assert scheduler.claim_due(after + timedelta(seconds=5)) == []
    schedule = Schedule.objects.get()
    assert not schedule.active and schedule.run_count == 0


def test_a_claim_never_runs_an_expired_schedule_the_sweep_missed(alice_fn):
    set_schedule(alice_fn, "rate(1 minute)", now=T0)
    Schedule.objects.update(next_run_at=T0 + timedelta(hours=1))
    assert scheduler.claim_due(T0 + timedelta(hours=1)) == []
    assert not Schedule.objects.get().active


def test_renew_gives_another_hour_and_restarts_an_expired_one(alice_fn):
    schedule = set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    schedule.renew(T0 + timedelta(minutes=30))
    assert schedule.expires_at == T0 + timedelta(minutes=90)
    assert schedule.next_run_at == T0 + timedelta(minutes=5)  # unchanged while live
    Schedule.objects.expire(T0 + timedelta(hours=2))
    schedule.refresh_from_db()
    schedule.renew(T0 + timedelta(hours=3, minutes=2))
    schedule.refresh_from_db()
    assert schedule.active and schedule.expires_at == T0 + timedelta(hours=4, minutes=2)
    assert schedule.next_run_at == T0 + timedelta(hours=3, minutes=5)  # no replay of the gap


def test_renewing_an_expired_one_respects_one_active(alice, alice_fn):
    first = set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    later = T0 + timedelta(hours=2)
    set_schedule(another_fn(alice), "rate(5 minutes)", now=later)
    first.refresh_from_db()
    with pytest.raises(AlreadyScheduled, match="on second"):
        first.renew(later)
    first.refresh_from_db()
    assert not first.active


# --- Claims ------------------------------------------------------------------------------------


def test_a_due_window_is_claimed_once_and_the_next_one_scheduled(alice_fn):
    set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    at = T0 + timedelta(minutes=5, seconds=1)
    claims = scheduler.claim_due(at)
    assert claims == [
        scheduler.Claim(Schedule.objects.get().pk, alice_fn.pk, T0 + timedelta(minutes=5))
    ]
    assert scheduler.claim_due(at) == []
    schedule = Schedule.objects.get()
    assert schedule.next_run_at == T0 + timedelta(minutes=10)
    assert schedule.run_count == 1 and schedule.last_status == "running"


def test_a_stale_read_cannot_claim_again(alice_fn):
    """The conditional UPDATE: a scheduler that read the row before another claimed it gets
    nothing (the SQLite path, and a second guard on PostgreSQL)."""
    set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    stale = Schedule.objects.get()
    at = T0 + timedelta(minutes=5)
    assert len(scheduler.claim_due(at)) == 1
    assert scheduler._claim_one(stale, at) is None
    assert Schedule.objects.get().run_count == 1


def test_a_missed_window_is_skipped_and_logged_not_replayed(alice_fn, caplog):
    set_schedule(alice_fn, "rate(5 minutes)", now=T0)
    back = T0 + timedelta(minutes=47)  # the scheduler was stopped from 10:02 to 10:47
    with caplog.at_level(logging.WARNING, "course.schedules"):
        assert scheduler.claim_due(back) == []
    schedule = Schedule.objects.get()
    assert schedule.skipped_runs == 9 and schedule.last_skipped_at == back  # 10:05 ... 10:45
    assert schedule.run_count == 0 and schedule.active
    assert schedule.next_run_at == T0 + timedelta(minutes=50)
    assert "skipped 9 missed window(s)" in caplog.text
    assert len(scheduler.claim_due(T0 + timedelta(minutes=50))) == 1


def test_a_little_late_runs_once(alice_fn):
    set_schedule(alice_fn, "rate(1 minute)", now=T0)
    late = T0 + timedelta(minutes=1, seconds=50)  # under a minute late: run this window
    assert len(scheduler.claim_due(late)) == 1
    schedule = Schedule.objects.get()
    assert schedule.next_run_at == T0 + timedelta(minutes=2) and schedule.skipped_runs == 0


def test_claims_respect_the_limit_and_order(django_user_model):
    users = django_user_model.objects.bulk_create(
        django_user_model(username=f"learner{i}") for i in range(5)
    )
    for i, user in enumerate(users):
        set_schedule(another_fn(user, f"fn{i}"), "rate(1 minute)", now=T0 + timedelta(seconds=i))
    claims = scheduler.claim_due(T0 + timedelta(minutes=1, seconds=10), limit=3)
    assert [c.scheduled_for for c in claims] == [
        T0 + timedelta(minutes=1, seconds=i) for i in range(3)
    ]


# --- Running a claim -----------------------------------------------------------------------------


def claimed(function):
    set_schedule(function, "rate(5 minutes)", now=T0)
    (claim,) = scheduler.claim_due(T0 + timedelta(minutes=5))
    return claim


def test_fire_runs_the_function_with_the_scheduled_event(alice, alice_fn, fake_runner):
    claim = claimed(alice_fn)
    with mock.patch.object(scheduler.execution, "run", wraps=scheduler.execution.run) as run:
        assert scheduler.fire(claim) == "succeeded"
    (function, event), kwargs = run.call_args
    assert function == alice_fn
    assert kwargs == {"user": alice, "trigger": "schedule", "spend_rate": False}
    assert event["source"] == "aws.events" and event["time"] == "2026-03-02T10:05:00Z"
    assert fake_runner.call_args.args[0].event == event
    assert Schedule.objects.get().last_status == "succeeded"


@pytest.mark.parametrize(
    "problem,status",
    [(runner.Throttled("concurrency"), "throttled"),
     (runner.SandboxUnavailable("no bubblewrap"), "unavailable"),
     (RuntimeError("boom"), "error")],
)  # fmt: skip
def test_fire_never_raises(alice_fn, problem, status, caplog):
    claim = claimed(alice_fn)
    with mock.patch.object(scheduler.execution, "run", side_effect=problem):
        assert scheduler.fire(claim) == status
    schedule = Schedule.objects.get()
    assert schedule.last_status == status and schedule.last_error
    assert f"schedule {schedule.pk}" in caplog.text


def test_a_run_refused_for_a_sandbox_slot_is_retried_within_its_window(alice_fn, fake_runner):
    """A host busy with other runs refuses with Throttled("concurrency"): like Lambda retrying a
    throttled asynchronous invocation, the scheduler tries again, each refusal a throttle."""
    claim = dataclasses.replace(claimed(alice_fn), scheduled_for=timezone.now())
    Schedule.objects.update(last_fired_at=claim.scheduled_for)  # as if claimed just now
    refusals = [runner.Throttled("concurrency", retry_after_s=0.2)] * 2
    real_run = scheduler.execution.run

    def busy_then_free(*args, **kwargs):
        if refusals:
            raise refusals.pop()
        return real_run(*args, **kwargs)

    with mock.patch.object(scheduler.execution, "run", side_effect=busy_then_free) as run:
        assert scheduler.fire(claim) == "succeeded"
    assert run.call_count == 3
    assert Schedule.objects.get().last_status == "succeeded"


def test_a_stopping_scheduler_gives_up_a_throttled_retry(alice_fn):
    claim = dataclasses.replace(claimed(alice_fn), scheduled_for=timezone.now())
    stopping = threading.Event()
    stopping.set()
    refused = runner.Throttled("concurrency", retry_after_s=1)
    with mock.patch.object(scheduler.execution, "run", side_effect=refused) as run:
        assert scheduler.fire(claim, stopping) == "throttled"
    assert run.call_count == 1


def test_a_function_deleted_meanwhile_is_fine(alice_fn):
    claim = claimed(alice_fn)
    alice_fn.delete()
    assert scheduler.fire(claim) == "gone"
    assert not Schedule.objects.exists()


def test_a_failing_handler_is_recorded(alice_fn, fake_runner):
    claim = claimed(alice_fn)
    failed = runner.Invocation(
        request_id="r", status="failed", result_json=b"{}", logs="",
        error={"errorType": "ValueError", "errorMessage": "bad"}, report={}, logs_truncated=False,
    )  # fmt: skip
    fake_runner.side_effect = None
    fake_runner.return_value = failed
    assert scheduler.fire(claim) == "failed"
    assert Schedule.objects.get().last_error == "ValueError: bad"


# --- Query counts --------------------------------------------------------------------------------


def test_a_claim_costs_fixed_queries(django_user_model, django_assert_num_queries):
    users = django_user_model.objects.bulk_create(
        django_user_model(username=f"q{i}") for i in range(10)
    )
    for i, user in enumerate(users):
        set_schedule(another_fn(user, f"fn{i}"), "rate(1 minute)", now=T0)
    # SELECT the due rows, one conditional UPDATE each, inside atomic() (a savepoint pair here,
    # as the test runs in a transaction): no query per function or per owner.
    with django_assert_num_queries(2 + 1 + 10) as captured:
        assert len(scheduler.claim_due(T0 + timedelta(minutes=1), limit=10)) == 10
    assert sum(q["sql"].startswith("UPDATE") for q in captured.captured_queries) == 10
    assert sum(q["sql"].startswith("SELECT") for q in captured.captured_queries) == 1
