"""Monitoring tests: invocations are announced as course.functions.execution announces them,
with Invocations shaped as the runner makes them (its real REPORT line)."""

from __future__ import annotations

import time

import pytest

from course import runner
from course.functions import signals
from course.functions.models import Function
from course.runner.invocation import report_line
from tests.functions.conftest import HELLO


def make_invocation(
    request_id: str = "req-1",
    *,
    duration_ms: float = 12.5,
    max_memory_mb: int = 40,
    memory_mb: int = 128,
    output: str = "hello from the handler\n",
    error: dict | None = None,
    init_ms: float | None = None,
) -> runner.Invocation:
    """What the runner returns: its logs already hold START, the output, END and REPORT."""
    report = {
        "duration_ms": duration_ms,
        "billed_duration_ms": max(1, int(-(-(duration_ms + (init_ms or 0)) // 1))),
        "memory_size_mb": memory_mb,
        "max_memory_used_mb": max_memory_mb,
    }
    if init_ms is not None:
        report["init_duration_ms"] = init_ms
    logs = (
        f"START RequestId: {request_id} Version: $LATEST\n{output}"
        f"END RequestId: {request_id}\n{report_line(request_id, report)}\n"
    )
    return runner.Invocation(
        request_id=request_id,
        status="failed" if error else "succeeded",
        result_json=b"null",
        error=error,
        logs=logs,
        report=report,
        logs_truncated=False,
    )


def announce(function, invocation=None, *, trigger="console", cold=False, started=None):
    invocation = invocation or make_invocation()
    signals.invoked.send(
        sender=Function,
        function=function,
        trigger=trigger,
        invocation=invocation,
        cold=cold,
        started=time.time() if started is None else started,
    )
    return invocation


def throttle(function, trigger="api"):
    signals.throttled.send(sender=Function, function=function, trigger=trigger)


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
