"""Two servers' schedulers on one PostgreSQL database: every due window runs exactly once.

Two real `manage.py run_scheduler` processes (as `make serve` starts one per server) share a
fresh PostgreSQL database holding a dozen learners' schedules, all due now. Each schedule's
handler runs in the real sandbox; the functions' log streams (monitoring) and the schedules'
run counts must both say: once each, and the work was shared, not done twice.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from course.runner import sandbox_status
from course.runner.web.views import sandbox_limits
from tests.helpers import require_tool
from tests.servers import ROOT, manage, new_database, production_env

pytestmark = pytest.mark.server

LEARNERS = 12
HANDLER = "def lambda_handler(event, context):\n    return event['time']\n"
SETUP = f"""
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from course.functions.models import Function
from course.functions.schedules.models import Schedule, set_schedule
for i in range({LEARNERS}):
    user = User.objects.create_user(f"learner{{i}}")
    fn = Function.objects.create(owner=user, name="tick", runtime="python", code={HANDLER!r})
    set_schedule(fn, "rate(1 minute)")
Schedule.objects.update(next_run_at=timezone.now() - timedelta(seconds=1))
"""
COUNTS = """
from course.functions.monitoring.models import LogEntry
from course.functions.schedules.models import Schedule
runs = Schedule.objects.values_list("run_count", flat=True)
logged = LogEntry.objects.filter(trigger="schedule").values_list("function__owner__username")
print("COUNTS", sorted(runs), "|", sorted(name for name, in logged))
"""


def counts(env: dict) -> tuple[str, str]:
    line = next(ln for ln in manage(env, "shell", "-c", COUNTS).splitlines() if "COUNTS" in ln)
    runs, logged = line.removeprefix("COUNTS ").split(" | ")
    return runs, logged


def scheduler(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", "--interval", "0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_two_schedulers_run_each_due_window_once(postgres_url, tmp_path):
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    env = production_env(tmp_path, tmp_path / "static", DATABASE_URL=new_database(postgres_url))
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "shell", "-c", SETUP)
    servers = [scheduler(env), scheduler(env)]
    try:
        deadline = time.monotonic() + 60
        while True:
            runs, logged = counts(env)
            if runs == str([1] * LEARNERS) and logged.count("learner") == LEARNERS:
                break
            assert time.monotonic() < deadline, (runs, logged)
            time.sleep(0.5)
        time.sleep(1.5)  # time for a wrong second claim to show, had there been one
    finally:
        outputs = []
        for server in servers:
            server.send_signal(signal.SIGTERM)
            outputs.append(server.communicate(timeout=30)[0])
    runs, logged = counts(env)
    assert runs == str([1] * LEARNERS)
    assert logged == str(sorted(f"learner{i}" for i in range(LEARNERS)))
    ran = [out.count("ran: succeeded") for out in outputs]
    assert sum(ran) == LEARNERS, outputs
