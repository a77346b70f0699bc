"""Shared fixtures for the runner's tests.

The sandbox needs bubblewrap and user namespaces. Where they are missing the sandbox tests skip
with the reason, except under CI=true, where a missing sandbox is a failure: CI must exercise
it. Same for Node.js.
"""

from __future__ import annotations

import math
import os
import re
from decimal import Decimal

import pytest

from course.runner import InvocationRequest, SandboxLimits, invoke, runtimes, sandbox_status

REPORT_RE = re.compile(
    r"^REPORT RequestId: (?P<id>[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
    r"-[0-9a-f]{12})"
    r"\tDuration: (?P<duration>\d+\.\d{2}) ms"
    r"\tBilled Duration: (?P<billed>\d+) ms"
    r"\tMemory Size: (?P<memory>\d+) MB"
    r"\tMax Memory Used: (?P<used>\d+) MB"
    r"\tInit Duration: (?P<init>\d+\.\d{2}) ms$",
    re.MULTILINE,
)


class Unavailable:
    """Stands in for a fixture whose tool is missing under CI, so the test itself fails."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def unavailable(reason: str) -> Unavailable:
    if os.environ.get("CI") == "true":
        return Unavailable(f"CI=true but {reason}")
    pytest.skip(reason)


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


def parse_report(inv) -> dict:
    """The REPORT line, checked against Lambda's shape and against ``inv.report``."""
    lines = inv.logs.splitlines()
    matches = [m for m in (REPORT_RE.match(line) for line in lines) if m]
    assert len(matches) == 1, inv.logs
    m = matches[0]
    assert m["id"] == inv.request_id
    duration, init = Decimal(m["duration"]), Decimal(m["init"])
    assert int(m["billed"]) == max(1, math.ceil(duration + init))
    assert float(duration) == inv.report["duration_ms"]
    assert float(init) == inv.report["init_duration_ms"]
    assert int(m["billed"]) == inv.report["billed_duration_ms"]
    assert int(m["memory"]) == inv.report["memory_size_mb"]
    assert int(m["used"]) == inv.report["max_memory_used_mb"]
    assert 1 <= int(m["used"]) <= int(m["memory"])
    return {
        "duration": float(duration),
        "init": float(init),
        "billed": int(m["billed"]),
        "memory": int(m["memory"]),
        "used": int(m["used"]),
    }


def between_start_and_end(inv) -> str:
    start = f"START RequestId: {inv.request_id} Version: $LATEST\n"
    end = f"END RequestId: {inv.request_id}\n"
    assert inv.logs.count(start) == 1 and inv.logs.count(end) == 1, inv.logs
    return inv.logs.split(start, 1)[1].split(end, 1)[0]
