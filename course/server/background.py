"""Periodic background jobs, run by the one long-running process every deployment already has:
the scheduler (`manage.py run_scheduler`, which `make run` and `make serve` start).

A feature registers a job from its AppConfig.ready():

    background.register("lti.scores", every_s=2, job=outbox.deliver_due)

and the scheduler's loop calls run_due() each tick. This module knows nothing of the features
(course/ imports nothing from quizzes/: the registry is how they reach the loop) and nothing of
Django: a job opens and closes what it needs; the scheduler runs each on a thread of its own
and closes that thread's database connection afterwards.

Rules a job can count on: it is never run twice at once in one process (a run still going when
the job is due again is not started again); an exception is logged and the job runs again at
its next time; it never stops the loop. Across servers a job must make its own work safe to
share (several schedulers on PostgreSQL each run every job), e.g. by claiming rows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("course.background")


@dataclass
class Job:
    name: str
    every_s: float
    run: Callable[[], object]
    next_at: float = 0.0  # time.monotonic() when it is due next; 0: at the first tick
    running: bool = False


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def register(name: str, every_s: float, job: Callable[[], object]) -> None:
    """Run ``job()`` about every ``every_s`` seconds in the scheduler process. Registering a
    name again replaces that job (ready() may run more than once)."""
    if not callable(job):
        raise TypeError(f"background job {name!r} must be callable")
    if not every_s > 0:
        raise ValueError(f"background job {name!r}: every_s must be positive, not {every_s!r}")
    with _lock:
        _jobs[name] = Job(name, float(every_s), job)


def unregister(name: str) -> None:
    with _lock:
        _jobs.pop(name, None)


def registered() -> dict[str, float]:
    """Each job's name and period."""
    with _lock:
        return {name: job.every_s for name, job in _jobs.items()}


def take_due(now: float | None = None) -> list[Job]:
    """The jobs due at ``now`` that are not running, marked running, their next time set: each
    run is handed out once, however many threads ask."""
    now = time.monotonic() if now is None else now
    due = []
    with _lock:
        for job in _jobs.values():
            if not job.running and job.next_at <= now:
                job.running = True
                job.next_at = now + job.every_s
                due.append(job)
    return due


def run(job: Job) -> bool:
    """Run one job taken by take_due(); never raises. True if it finished without an error."""
    try:
        job.run()
        return True
    except Exception:  # the loop outlives any job's failure; it runs again at its next time
        log.exception("background job %s failed; it runs again in %.0f s", job.name, job.every_s)
        return False
    finally:
        with _lock:
            job.running = False


def run_due(
    now: float | None = None, submit: Callable[[Callable[[Job], bool], Job], object] | None = None
) -> int:
    """Start every due job: ``submit(run, job)`` (e.g. a thread pool's submit), or run them here
    one after the other. Returns how many were started."""
    jobs = take_due(now)
    for job in jobs:
        if submit is None:
            run(job)
        else:
            try:
                submit(run, job)
            except Exception:  # e.g. the pool shutting down: the job was not started
                log.exception("background job %s could not be started", job.name)
                with _lock:
                    job.running = False
    return len(jobs)
