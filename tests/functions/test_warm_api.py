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


def test_power_tuning_through_the_api(client, alice, warm_daemon, settings):
    settings.RUNNER_RATE_PER_MINUTE = 60
    client.force_login(alice)
    fid = call(
        client, "post", "/api/functions/",
        {"name": "spin", "runtime": "python", "memory_mb": 128, "timeout_s": 3,
         "code": "def lambda_handler(e, c):\n    n = 200000\n    while n:\n        n -= 1\n"},
    ).json()["id"]  # fmt: skip
    url = f"/api/functions/{fid}/tune"
    response = call(client, "post", url, {"event": {}, "memory_sizes": [128, 1024], "runs": 3})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"results", "recommendation"}
    assert [r["memory_mb"] for r in body["results"]] == [128, 1024]
    for row in body["results"]:
        assert set(row) == {"memory_mb", "duration_ms", "p50_ms", "p90_ms", "billed_ms",
                            "cost_per_invocation", "cost_per_million"}  # fmt: skip
    slow, fast = body["results"]
    assert slow["duration_ms"] > fast["duration_ms"] * 3  # CPU follows memory
    assert set(body["recommendation"]) == {"cheapest", "fastest", "balanced"}
    assert body["recommendation"]["fastest"] == 1024
    # Bad input changes nothing and says why; another learner cannot tune it.
    bad = call(client, "post", url, {"event": {}, "runs": 50})
    assert bad.status_code == 400 and "runs" in bad.json()["errors"]
    bad = call(client, "post", url, {"event": {}, "memory_sizes": "all"})
    assert bad.status_code == 400 and "memory_sizes" in bad.json()["errors"]
    from django.test import Client

    other = Client()
    other.force_login(settings_user("bob"))
    assert call(other, "post", url, {"event": {}}).status_code == 404


def test_tuning_spends_the_rate_limit_per_run(client, alice, warm_daemon, settings):
    settings.RUNNER_RATE_PER_MINUTE = 5
    client.force_login(alice)
    fid = call(
        client, "post", "/api/functions/",
        {"name": "f", "runtime": "python", "code": COUNTER, "memory_mb": 128, "timeout_s": 3},
    ).json()["id"]  # fmt: skip
    response = call(client, "post", f"/api/functions/{fid}/tune", {"event": {}, "runs": 2})
    assert response.status_code == 429  # 7 sizes x 2 runs = 14 hits > 5
    assert "per run" in response.json()["errorMessage"]


def settings_user(name):
    from django.contrib.auth.models import User

    return User.objects.get_or_create(username=name)[0]
