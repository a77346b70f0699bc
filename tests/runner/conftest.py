"""Shared fixtures for the runner's tests.

The sandbox needs bubblewrap and user namespaces. Where they are missing the sandbox tests skip
with the reason, except under CI=true, where a missing sandbox is a failure: CI must exercise
it. Same for Node.js.
"""

from __future__ import annotations

import pytest

from course.runner import InvocationRequest, SandboxLimits, invoke, runtimes, sandbox_status
from tests.helpers import Unavailable, unavailable


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Unavailable):
            pytest.fail(value.reason, pytrace=False)


@pytest.fixture(scope="session")
def limits() -> SandboxLimits | Unavailable:
    status = sandbox_status()
    if not status.ok:
        return unavailable(f"the sandbox is unavailable: {status.reason} {status.how_to_fix}")
    return SandboxLimits()


@pytest.fixture(scope="session")
def node(limits) -> Unavailable | None:
    if isinstance(limits, Unavailable):
        return limits
    info = runtimes(limits)["nodejs"]
    if not info.available:
        return unavailable(f"Node.js is unavailable: {info.reason}")
    return None


@pytest.fixture
def run(limits):
    """run(code, runtime="python", event=None, memory=128, timeout=3, **kw) -> Invocation"""

    def _run(code, runtime="python", event=None, memory=128, timeout=3, **kwargs):
        run_limits = kwargs.pop("limits", limits)
        request = InvocationRequest(
            runtime=runtime,
            code=code,
            event={} if event is None else event,
            memory_mb=memory,
            timeout_s=timeout,
            **kwargs,
        )
        return invoke(request, limits=run_limits)

    return _run


@pytest.fixture
def healthy(run):
    """Assert the runner still works normally (after something hostile)."""

    def _check():
        inv = run(
            "def lambda_handler(event, context):\n    return {'ok': event['n'] + 1}\n",
            event={"n": 41},
        )
        assert inv.status == "succeeded", inv.logs
        assert inv.result == {"ok": 42}

    return _check
