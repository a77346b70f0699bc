"""Run saved functions on their schedules (course/functions/schedules/scheduler.py), and the
site's periodic background jobs (course/server/background.py: the LTI score deliverer).

`make run` and `make serve` start it beside the server with --exit-with, as they start the warm
daemon, so it stops with them."""

from __future__ import annotations

import logging
import os
import select
import signal
import threading

from django.core.management.base import BaseCommand

from course.functions.schedules.lock import SqliteLock, lock_path
from course.functions.schedules.scheduler import INTERVAL_S, WORKERS, Scheduler


def _stop_when_gone(pid: int, stopping: threading.Event) -> None:
    try:
        fd = os.pidfd_open(pid)
    except OSError:  # already gone
        stopping.set()
        return
    select.select([fd], [], [])
    stopping.set()


class Command(BaseCommand):
    help = (
        "Run saved functions on their schedules, and the background jobs (LTI scores to LMS "
        "gradebooks), until stopped (SIGTERM, Ctrl-C)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--exit-with", type=int, help="exit when this process exits")
        parser.add_argument("--interval", type=float, default=INTERVAL_S, help="seconds per tick")
        parser.add_argument("--workers", type=int, default=WORKERS, help="runs at the same time")

    def handle(self, *args, exit_with=None, interval=INTERVAL_S, workers=WORKERS, **options):
        logging.getLogger("course.schedules").setLevel(logging.INFO)
        logging.getLogger("course.background").setLevel(logging.INFO)
        scheduler = Scheduler(interval_s=interval, workers=max(1, workers))
        signal.signal(signal.SIGTERM, scheduler.stop)
        signal.signal(signal.SIGINT, scheduler.stop)
        if exit_with:
            threading.Thread(
                target=_stop_when_gone, args=(exit_with, scheduler.stopping), daemon=True
            ).start()
        path = lock_path()
        lock = SqliteLock(path) if path else None
        if lock and not lock.try_acquire():
            self.stderr.write(
                f"run_scheduler: another scheduler (pid {lock.holder()}) is running on this "
                f"SQLite database ({path}); waiting for it to stop. SQLite runs one scheduler; "
                "use PostgreSQL to run one on each server."
            )
            if not lock.wait(scheduler.stopping):
                return
        try:
            scheduler.serve()
        finally:
            if lock:
                lock.release()
