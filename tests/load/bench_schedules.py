"""The scheduler's claim query with 10,000 schedules (`make bench`): it must stay on the
schedule_due index (no sequential scan), on SQLite and, when it can be started, PostgreSQL.

Each database is a throwaway one: a temporary SQLite file, a fresh PostgreSQL database on the
test server (tests/services/postgres.sh). Prints each plan and how long one claim takes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COUNT = 10_000


def inner() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "course.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from course.functions.schedules import scheduler
    from tests.schedules.seed import seed

    call_command("migrate", "--noinput", verbosity=0)
    now = timezone.now()
    seed(COUNT, now, prefix="bench", due=20)
    plan = scheduler.claim_plan(now)
    # One claim of the 20 due windows, rolled back: the query the loop runs every second.
    started = time.perf_counter()
    with transaction.atomic():
        claims = scheduler.claim_due(now, limit=50)
        transaction.set_rollback(True)
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"{connection.vendor}: claim query plan with {COUNT} schedules:")
    print("  " + plan.replace("\n", "\n  "))
    print(f"  one claim of {len(claims)} due windows: {elapsed_ms:.1f} ms")
    indexed = "schedule_due" in plan and "Seq Scan" not in plan and "SCAN schedules" not in plan
    print(f"  {'OK: indexed' if indexed else 'FAIL: the claim query scans the table'}")
    return 0 if indexed else 1


def run(database_url: str, var_dir: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DATABASE_URL=database_url, DJANGO_VAR_DIR=var_dir, DJANGO_DEBUG="1")
    return subprocess.run(
        [sys.executable, "-m", "tests.load.bench_schedules", "--inner"], cwd=ROOT, env=env
    ).returncode


def main() -> int:
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bench-schedules-") as var:
        failed |= run(f"sqlite:///{var}/bench.sqlite3", var)
        started = subprocess.run(
            ["bash", str(ROOT / "tests/services/postgres.sh"), "start"],
            capture_output=True, text=True,
        )  # fmt: skip
        if started.returncode != 0:
            print(f"postgresql: skipped ({started.stderr.strip()})")
        else:
            from tests.servers import new_database

            failed |= run(new_database(started.stdout.strip().splitlines()[-1]), var)
    return failed


if __name__ == "__main__":
    sys.exit(inner() if "--inner" in sys.argv else main())
