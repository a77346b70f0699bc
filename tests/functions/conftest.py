"""Saved functions' tests run the runner's real code but a stand-in sandbox: each run returns
what a handler returning the event's "name" would, so the tests need no bubblewrap."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from course import runner
from course.functions.models import Function


def fake_invocation(request: runner.InvocationRequest, limits=None) -> runner.Invocation:
    result = json.dumps({"hello": (request.event or {}).get("name", "world")}).encode()
    return runner.Invocation(
        request_id="6f1c1bd2-3c39-4b8e-9f1e-0d2f3a4b5c6d",
        status="succeeded",
        result_json=result,
        error=None,
        logs="START\nEND\nREPORT\n",
        report={
            "duration_ms": 1.5,
            "billed_duration_ms": 2,
            "memory_size_mb": request.memory_mb,
            "max_memory_used_mb": 30,
            "init_duration_ms": 80.25,
        },
        logs_truncated=False,
    )


@pytest.fixture
def fake_runner(settings, tmp_path):
    """runner.invoke answers at once; the sandbox and both runtimes look available."""
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    ok = runner.SandboxStatus(True, "", "")
    available = {
        "python": runner.RuntimeInfo("python", "Python 3.11.2", True),
        "nodejs": runner.RuntimeInfo("nodejs", "Node.js v20.20.2", True),
    }
    invoke = mock.Mock(side_effect=fake_invocation)
    with (
        mock.patch("course.runner.web.views.runner.sandbox_status", return_value=ok),
        mock.patch("course.runner.web.views.runner.runtimes", return_value=available),
        mock.patch("course.runner.web.views.runner.invoke", invoke),
        # Without a warm daemon the warm client runs the invocation cold, in process.
        mock.patch("course.runner.warm.client.invoke", invoke),
    ):
        yield invoke


HELLO = 'def lambda_handler(event, context):\n    return {"hello": event.get("name")}\n'


@pytest.fixture
def alice_fn(alice):
    return Function.objects.create(
        owner=alice, name="hello", runtime="python", code=HELLO, memory_mb=128, timeout_s=3
    )


@pytest.fixture
def bob_fn(bob):
    return Function.objects.create(
        owner=bob, name="bobs", runtime="python", code=HELLO, memory_mb=256, timeout_s=5
    )
