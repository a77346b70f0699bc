"""A saved function invoked through the API, end to end with a real warm daemon: the second
invocation reuses the environment (state kept, no Init Duration); a new version starts cold."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course import runner
from course.runner.web.limits import sandbox_limits
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
COUNTER = (
    "COUNT = 0\n"
    "def lambda_handler(event, context):\n"
    "    global COUNT\n"
    "    COUNT += 1\n"
    "    return {'count': COUNT}\n"
)


@pytest.fixture
def sandbox():
    status = runner.sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")


@pytest.fixture
def warm_daemon(sandbox, tmp_path, monkeypatch, settings):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    sock = tmp_path / "warm" / "warm.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "course.runner.warm.daemon", "--socket", str(sock)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "RUNNER_WARM_IDLE_S": "60"},
        cwd=ROOT,
    )
    deadline = time.monotonic() + 20
    while not sock.exists():
        assert proc.poll() is None, "the warm daemon exited"
        assert time.monotonic() < deadline, "the warm daemon did not start"
        time.sleep(0.05)
    monkeypatch.setenv("RUNNER_WARM_SOCKET", str(sock))
    yield sock
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


def call(client, method, path, payload):
    return getattr(client, method)(path, json.dumps(payload), content_type="application/json")


def test_warm_then_cold_again_after_a_new_version(client, alice, warm_daemon):
    client.force_login(alice)
    created = call(
        client, "post", "/api/functions/",
        {"name": "counter", "runtime": "python", "code": COUNTER, "memory_mb": 128,
         "timeout_s": 3},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    invoke = f"/api/functions/{created.json()['id']}/invoke"
    first = call(client, "post", invoke, {"event": {}}).json()
    second = call(client, "post", invoke, {"event": {}}).json()
    assert (first["cold"], first["result"]) == (True, {"count": 1})
    assert "init_duration_ms" in first["report"]
    assert (second["cold"], second["result"]) == (False, {"count": 2})
    assert "init_duration_ms" not in second["report"]
    assert "Init Duration" not in second["logs"].splitlines()[-1]
    # New code is a new version: a fresh environment, its state starts again.
    changed = call(
        client, "put", f"/api/functions/{created.json()['id']}", {"code": COUNTER + "# v2\n"}
    )
    assert changed.status_code == 200
    third = call(client, "post", invoke, {"event": {}}).json()
    assert (third["cold"], third["result"]) == (True, {"count": 1})


def test_another_learner_never_gets_my_environment(client, alice, bob, warm_daemon):
    from django.test import Client

    ids = []
    for user in (alice, bob):
        c = Client()
        c.force_login(user)
        fid = call(
            c, "post", "/api/functions/",
            {"name": "counter", "runtime": "python", "code": COUNTER, "memory_mb": 128,
             "timeout_s": 3},
        ).json()["id"]  # fmt: skip
        ids.append((c, fid))
    for c, fid in ids:
        body = call(c, "post", f"/api/functions/{fid}/invoke", {"event": {}}).json()
        assert (body["cold"], body["result"]) == (True, {"count": 1})
