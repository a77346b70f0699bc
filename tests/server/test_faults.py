"""Faults a real deployment meets: crashed workers, restarts, a database that goes away."""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import require_tool
from tests.servers import Browser, Server, create_user, manage, prepare, production_env, quiz_form

pytestmark = pytest.mark.server

PASSWORD = "a long unusual passphrase"
LEARNERS = 12

ATTEMPT_STATE = """
import json
from quizzes.models import Answer, Attempt
rows = []
for attempt in Attempt.objects.filter(user__username__startswith="crash"):
    answers = list(Answer.objects.filter(attempt=attempt))
    rows.append({
        "status": attempt.status,
        "score": attempt.score,
        "answers": len(answers),
        "graded": sum(a.is_correct is not None for a in answers),
        "asked": len(attempt.question_ids),
    })
print(json.dumps(rows))
"""


def attempt_state(env) -> list[dict]:
    return json.loads(manage(env, "shell", "-c", ATTEMPT_STATE).strip().splitlines()[-1])


def start_and_answer(server: Server, username: str) -> tuple[Browser, str]:
    browser = Browser(server.url)
    browser.login(username, PASSWORD)
    _, html, url = browser.post("/lessons/docker/quiz/start/")
    path = re.search(r"/quizzes/attempts/\d+/", url).group(0)
    status, _, _ = browser.post(path + "review/", quiz_form(html))
    assert status == 200
    return browser, path


@pytest.fixture
def sqlite_server_env(tmp_path, collected_static):
    env = production_env(tmp_path, collected_static)
    prepare(env)
    return env


def test_killed_workers_lose_no_committed_answer_and_leave_no_half_written_attempt(
    sqlite_server_env,
):

    env = sqlite_server_env
    for n in range(LEARNERS):
        create_user(env, f"crash{n}", PASSWORD)
    server = Server(env, workers=2, threads=8).start()
    try:
        learners = [start_and_answer(server, f"crash{n}") for n in range(LEARNERS)]
        before = attempt_state(env)
        assert all(row["answers"] == row["asked"] for row in before)

        barrier = threading.Barrier(LEARNERS + 1)

        def submit(browser: Browser, path: str) -> None:
            barrier.wait()
            # The worker may die under this request: exactly the case under test.
            with contextlib.suppress(OSError):
                browser.post(path + "submit/")

        threads = [threading.Thread(target=submit, args=pair) for pair in learners]
        for thread in threads:
            thread.start()
        barrier.wait()
        time.sleep(0.05)
        for pid in server.worker_pids():  # crash every worker mid-flight
            os.kill(pid, signal.SIGKILL)
        for thread in threads:
            thread.join()

        after = attempt_state(env)
        assert len(after) == LEARNERS
        for row in after:
            # Every answer committed before the crash is still there...
            assert row["answers"] == row["asked"]
            # ...and each attempt is wholly submitted or wholly still open, never in between.
            if row["status"] == "submitted":
                assert row["score"] is not None and row["graded"] == row["asked"]
            else:
                assert row["status"] == "in_progress"
                assert row["graded"] == 0

        # The master restarts its workers; an attempt the crash interrupted can be submitted.
        for browser, path in learners:
            status, html, _ = browser.post(path + "submit/")
            assert status == 200 and "Your result" in html
        assert {row["status"] for row in attempt_state(env)} == {"submitted"}
    finally:
        server.stop()


def test_a_restart_resumes_in_progress_attempts(sqlite_server_env):
    env = sqlite_server_env
    create_user(env, "restart", PASSWORD)
    server = Server(env).start()
    browser, path = start_and_answer(server, "restart")
    server.stop()
    again = Server(env).start()
    try:
        _, html, _ = browser.use(again.url).get("/lessons/docker/quiz/")
        assert "Resume quiz" in html
        _, review, _ = browser.get(path + "review/")
        assert "Not answered" not in review
        status, result, _ = browser.post(path + "submit/")
        assert status == 200 and "Your result" in result
    finally:
        again.stop()


def test_the_database_vanishing_gives_503s_and_recovers(tmp_path, collected_static):
    """A PostgreSQL server of its own is stopped under the running site, then started again."""
    script = Path(__file__).parents[1] / "services" / "postgres.sh"
    # Under /tmp itself: as root the server runs as the postgres user, who cannot enter
    # pytest's private temporary folders.
    data = Path(tempfile.mkdtemp(prefix="ccc-fault-pg-"))
    os.chmod(data, 0o755)
    pg_env = {**os.environ, "PG_PORT": "54391", "PG_DATA": str(data / "cluster")}

    def postgres(action: str) -> str:
        result = subprocess.run(
            ["bash", str(script), action], env=pg_env, capture_output=True, text=True
        )
        require_tool(result.returncode == 0, f"PostgreSQL: {result.stderr.strip()}")
        return result.stdout.strip()

    url = postgres("start")
    env = production_env(tmp_path / "var", collected_static, DATABASE_URL=url)
    prepare(env)
    create_user(env, "steady", PASSWORD)
    server = Server(env).start()
    try:
        browser = Browser(server.url)
        browser.login("steady", PASSWORD)
        assert browser.get("/healthz")[0] == 200

        postgres("stop")
        status, body, _ = browser.get("/healthz")
        assert status == 503
        status, page, _ = browser.get("/progress/")
        assert status == 503
        assert "We'll be back in a moment" in page and "Traceback" not in page
        status, body, _ = browser.get("/api/pricing/lambda?requests=1&duration_ms=1&memory_mb=128")
        assert status == 200  # the calculator needs no database and keeps working

        postgres("start")
        deadline = time.time() + 15
        while browser.get("/healthz")[0] != 200 and time.time() < deadline:
            time.sleep(0.2)
        assert browser.get("/healthz")[0] == 200
        status, page, _ = browser.get("/progress/")
        assert status == 200 and "Your progress" in page  # the session survived the outage
    finally:
        server.stop()
        postgres("stop")
        shutil.rmtree(data, ignore_errors=True)
