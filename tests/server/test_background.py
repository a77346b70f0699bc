"""The registry of periodic background jobs (course/server/background.py): pure, no database."""

from __future__ import annotations

import threading

import pytest

from course.server import background


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test (the apps' own jobs, e.g. LTI's, are put back after)."""
    monkeypatch.setattr(background, "_jobs", {})
    return background


def test_a_registered_job_is_due_at_once_then_every_period(registry):
    runs = []
    registry.register("count", 5, lambda: runs.append(1))
    assert registry.registered() == {"count": 5.0}
    assert registry.run_due(now=100.0) == 1
    assert registry.run_due(now=104.9) == 0
    assert registry.run_due(now=105.0) == 1
    assert runs == [1, 1]


def test_a_job_that_raises_is_logged_and_runs_again_at_its_next_time(registry, caplog):
    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("the LMS is down")

    registry.register("broken", 1, broken)
    assert registry.run_due(now=0.0) == 1  # no exception escapes
    assert "background job broken failed" in caplog.text
    assert registry.run_due(now=1.0) == 1
    assert calls == [1, 1]


def test_a_job_still_running_is_not_started_again(registry):
    release, started = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(5)

    registry.register("slow", 1, slow)
    thread = threading.Thread(target=registry.run_due, kwargs={"now": 0.0})
    thread.start()
    assert started.wait(5)
    assert registry.take_due(now=50.0) == []  # due, but its run is not over
    release.set()
    thread.join(5)
    assert [job.name for job in registry.take_due(now=50.0)] == ["slow"]


def test_each_due_run_is_handed_out_once_however_many_ask(registry):
    registry.register("once", 10, lambda: None)
    taken = [registry.take_due(now=0.0) for _ in range(3)]
    assert [len(t) for t in taken] == [1, 0, 0]


def test_jobs_can_run_on_another_thread_through_submit(registry):
    submitted = []
    registry.register("a", 1, lambda: "ran")
    started = registry.run_due(now=0.0, submit=lambda run, job: submitted.append(run(job)))
    assert started == 1 and submitted == [True]


def test_a_job_whose_start_fails_is_released(registry, caplog):
    registry.register("a", 1, lambda: None)

    def refuse(run, job):
        raise RuntimeError("cannot schedule new futures after shutdown")

    assert registry.run_due(now=0.0, submit=refuse) == 1
    assert "could not be started" in caplog.text
    assert [job.name for job in registry.take_due(now=1.0)] == ["a"]


def test_registering_again_replaces_and_unregister_removes(registry):
    registry.register("job", 1, lambda: None)
    registry.register("job", 3, lambda: None)
    assert registry.registered() == {"job": 3.0}
    registry.unregister("job")
    registry.unregister("job")  # gone already: nothing to do
    assert registry.registered() == {}


@pytest.mark.parametrize("every_s", [0, -1, float("nan")])
def test_a_period_must_be_positive(registry, every_s):
    with pytest.raises(ValueError, match="every_s"):
        registry.register("bad", every_s, lambda: None)


def test_a_job_must_be_callable(registry):
    with pytest.raises(TypeError):
        registry.register("bad", 1, "not a function")


def test_the_lti_deliverer_is_registered_by_its_app():
    from quizzes.teach.lti import outbox

    assert background.registered()["lti.scores"] == outbox.EVERY_S
