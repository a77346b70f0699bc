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


def test_the_loop_runs_registered_background_jobs_and_survives_one_raising(monkeypatch):
    """The scheduler process runs the site's background jobs (course/server/background.py) on
    threads of their own; a job that raises is logged and runs again, the loop carries on."""
    from course.server import background

    monkeypatch.setattr(background, "_jobs", {})
    done = threading.Event()
    counts = {"broken": 0, "fine": 0}
    threads = set()

    def broken():
        counts["broken"] += 1
        raise RuntimeError("a job's bug")

    def fine():
        counts["fine"] += 1
        threads.add(threading.current_thread().name)
        if counts["fine"] >= 3 and counts["broken"] >= 3:
            done.set()

    background.register("broken", 0.01, broken)
    background.register("fine", 0.01, fine)
    loop = scheduler.Scheduler(interval_s=0.02, workers=1)
    thread = threading.Thread(target=loop.serve)
    thread.start()
    try:
        assert done.wait(10)
    finally:
        loop.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert counts["broken"] >= 3 and counts["fine"] >= 3
    assert all(name.startswith("background") for name in threads)  # never the loop's thread


def test_a_background_job_that_hangs_does_not_hold_up_the_schedules(alice_fn, monkeypatch):
    from course.server import background

    monkeypatch.setattr(background, "_jobs", {})
    started, release = threading.Event(), threading.Event()

    def hangs():
        started.set()
        release.wait(10)

    background.register("hangs", 60, hangs)
    set_schedule(alice_fn, "rate(1 minute)")
    ran = threading.Event()

    def run(function, event, **kwargs):
        ran.set()
        raise scheduler.runner.SandboxUnavailable("stand-in")

    loop = scheduler.Scheduler(interval_s=0.05, workers=1)
    with mock.patch.object(scheduler.execution, "run", side_effect=run):
        thread = threading.Thread(target=loop.serve)
        thread.start()
        try:
            assert started.wait(10)
            # The job is hanging now; a window that comes due still runs.
            Schedule.objects.update(next_run_at=timezone.now() - timedelta(seconds=1))
            assert ran.wait(10)
        finally:
            release.set()
            loop.stop()
            thread.join(10)
    assert not thread.is_alive()
