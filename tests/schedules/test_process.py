"""`manage.py run_scheduler` as `make run` starts it: a real process on a real SQLite file,
firing a real tiny handler in the sandbox; one scheduler per SQLite file; SIGTERM and
--exit-with stop it."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course.runner import sandbox_status
from course.runner.web.views import sandbox_limits
from tests.helpers import require_tool
from tests.servers import ROOT, manage, production_env

pytestmark = pytest.mark.server

# Succeeds only when it gets EventBridge's scheduled event.
HANDLER = (
    "def lambda_handler(event, context):\n"
    "    assert event['source'] == 'aws.events', event\n"
    "    assert event['detail-type'] == 'Scheduled Event', event\n"
    "    assert event['resources'][0].endswith(':rule/tick-schedule'), event\n"
    "    return event['time']\n"
)
SETUP = f"""
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from course.functions.models import Function
from course.functions.schedules.models import Schedule, set_schedule
user = User.objects.create_user("learner", password="x")
fn = Function.objects.create(owner=user, name="tick", runtime="python", code={HANDLER!r})
set_schedule(fn, "rate(1 minute)")
Schedule.objects.update(next_run_at=timezone.now() - timedelta(seconds=2))
"""


def scheduler(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", "--interval", "0.2", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def schedule_row(db: Path) -> tuple[int, str]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT run_count, last_status FROM schedules_schedule"
        ).fetchone()


def wait_for(condition, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    var = tmp_path_factory.mktemp("scheduler")
    env = production_env(var, var / "static")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "shell", "-c", SETUP)
    return env


def test_the_scheduler_fires_a_real_handler_and_one_runs_per_sqlite_file(env):
    db = Path(env["DJANGO_VAR_DIR"]) / "db.sqlite3"
    first = scheduler(env)
    try:
        assert wait_for(lambda: schedule_row(db)[1] not in ("", "running"))
        assert schedule_row(db) == (1, "succeeded")
        second = scheduler(env)
        try:
            line = wait_for(lambda: second.stdout.readline())
            assert "another scheduler" in line and "waiting for it to stop" in line
            out = stop(first)
            assert "scheduler started" in out and "scheduler stopped" in out
            assert "ran: succeeded" in out
            # The waiting one takes over once the first has gone.
            assert "scheduler started" in wait_for(lambda: second.stdout.readline())
        finally:
            stop(second)
    finally:
        if first.poll() is None:
            first.kill()
    assert schedule_row(db)[0] == 1  # not run again: its next window is a minute away


def test_it_exits_with_the_process_it_was_started_with(env):
    parent = subprocess.Popen(["sleep", "60"])
    child = scheduler(env, "--exit-with", str(parent.pid))
    try:
        assert "scheduler started" in wait_for(lambda: child.stdout.readline())
        parent.kill()
        parent.wait()
        out, _ = child.communicate(timeout=30)
        assert child.returncode == 0 and "scheduler stopped" in out
    finally:
        if child.poll() is None:
            child.kill()
