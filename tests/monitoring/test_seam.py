"""Through the real seam: /api/functions/<id>/invoke -> execution.run -> signals -> monitoring,
with only the warm runner (invoke_warm) and the sandbox checks stood in for."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from course import runner
from tests.monitoring.conftest import make_invocation


@pytest.fixture
def seam(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    ok = runner.SandboxStatus(True, "", "")
    available = {
        "python": runner.RuntimeInfo("python", "Python 3.11.2", True),
        "nodejs": runner.RuntimeInfo("nodejs", "Node.js v20.20.2", True),
    }
    cold = make_invocation("seam-cold", duration_ms=21.0, max_memory_mb=44, init_ms=120.0,
                           output="cold output\n")  # fmt: skip
    warm = make_invocation("seam-warm", duration_ms=4.0, max_memory_mb=45, output="warm output\n")
    invoke_warm = mock.Mock(side_effect=[(cold, True), (warm, False)])
    with (
        mock.patch("course.runner.web.views.runner.sandbox_status", return_value=ok),
        mock.patch("course.runner.web.views.runner.runtimes", return_value=available),
        mock.patch("course.functions.execution.invoke_warm", invoke_warm),
    ):
        yield invoke_warm


def invoke(client, fn, event):
    return client.post(
        f"/api/functions/{fn.pk}/invoke",
        json.dumps({"event": event}),
        content_type="application/json",
    )


def test_invocations_through_the_api_reach_logs_and_metrics(client, alice, alice_fn, seam):
    client.force_login(alice)
    assert invoke(client, alice_fn, {"name": "a"}).status_code == 200
    assert invoke(client, alice_fn, {"name": "b"}).status_code == 200
    assert seam.call_count == 2

    logs = client.get(f"/api/functions/{alice_fn.pk}/logs").json()
    assert [e["request_id"] for e in logs] == ["seam-warm", "seam-cold"]
    assert [e["trigger"] for e in logs] == ["api", "api"]
    assert [e["cold"] for e in logs] == [False, True]
    assert [e["init_duration_ms"] for e in logs] == [None, 120.0]
    assert logs[1]["text"].count("START RequestId: seam-cold") == 1
    assert "Init Duration: 120.00 ms" in logs[1]["text"]

    minutes = client.get(f"/api/functions/{alice_fn.pk}/metrics?minutes=2").json()
    assert sum(m["invocations"] for m in minutes) == 2
    busy = [m for m in minutes if m["invocations"]]
    if len(busy) == 1:  # both in the same minute (nearly always)
        assert (busy[0]["duration_p50_ms"], busy[0]["duration_p99_ms"]) == (4.0, 21.0)
        assert busy[0]["max_memory_mb"] == 45


def test_a_throttled_invocation_is_counted(client, alice, alice_fn, seam, settings):
    settings.RUNNER_RATE_PER_MINUTE = 1
    client.force_login(alice)
    assert invoke(client, alice_fn, {}).status_code == 200
    assert invoke(client, alice_fn, {}).status_code == 429
    minutes = client.get(f"/api/functions/{alice_fn.pk}/metrics?minutes=2").json()
    assert sum(m["invocations"] for m in minutes) == 1
    assert sum(m["throttles"] for m in minutes) == 1
    assert len(client.get(f"/api/functions/{alice_fn.pk}/logs").json()) == 1


def test_the_console_invocation_shows_on_the_monitor_page(client, alice, alice_fn, seam):
    client.force_login(alice)
    assert client.post(f"/functions/{alice_fn.pk}/invoke", {"event": ""}).status_code == 200
    html = client.get(f"/functions/{alice_fn.pk}/monitor").content.decode()
    assert "seam-cold" in html and "Console" in html and "cold output" in html
