"""The loop itself, in process: a tick claims due windows and runs them on worker threads
(execution mocked: speed), and a stop request ends serve()."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from course.functions.schedules import scheduler
from course.functions.schedules.models import Schedule, set_schedule

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tick_runs_due_windows_on_the_workers_and_the_loop_stops(alice_fn):
    set_schedule(alice_fn, "rate(1 minute)")
    Schedule.objects.update(next_run_at=timezone.now() - timedelta(seconds=1))
    ran = threading.Event()
    events = []

    def run(function, event, **kwargs):
        events.append((function.pk, event["detail-type"], kwargs["trigger"]))
        ran.set()
        raise scheduler.runner.SandboxUnavailable("stand-in")  # still never crashes the loop

    loop = scheduler.Scheduler(interval_s=0.05, workers=2)
    with mock.patch.object(scheduler.execution, "run", side_effect=run):
        thread = threading.Thread(target=loop.serve)
        thread.start()
        assert ran.wait(10)
        loop.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert events == [(alice_fn.pk, "Scheduled Event", "schedule")]
    schedule = Schedule.objects.get()
    assert schedule.run_count == 1 and schedule.last_status == "unavailable"
    assert schedule.next_run_at > timezone.now()


def test_a_tick_claims_no_more_than_its_idle_workers(alice_fn):
    set_schedule(alice_fn, "rate(1 minute)")
    Schedule.objects.update(next_run_at=timezone.now() - timedelta(seconds=1))
    loop = scheduler.Scheduler(workers=1)
    loop._busy = 1  # its one worker is running something else
    assert loop.tick() == 0
    assert Schedule.objects.get().run_count == 0
