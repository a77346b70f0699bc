"""A saved function run for real: the seam hands it to the bubblewrap sandbox."""

from __future__ import annotations

import json

import pytest

from course import runner
from course.runner.web.limits import sandbox_limits
from tests.helpers import require_tool


@pytest.fixture
def sandbox(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    status = runner.sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")


def test_invoke_a_saved_function_with_a_saved_event(client, alice, alice_fn, sandbox):
    client.force_login(alice)
    response = client.post(
        f"/api/functions/{alice_fn.pk}/invoke",
        json.dumps({"event": {"name": "Ada"}}),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded" and body["result"] == {"hello": "Ada"}
    assert body["cold"] is True and body["report"]["init_duration_ms"] > 0
    assert body["report"]["memory_size_mb"] == alice_fn.memory_mb
