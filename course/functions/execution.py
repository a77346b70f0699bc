"""The one seam between a saved function and the machinery that runs it.

A saved function runs in a warm execution environment when there is one: the per-host warm
daemon (course/runner/warm) keeps one per (user, function, version), so module-level state and
/tmp survive between invocations, as on Lambda. A new version (code, memory or timeout changed)
is a new key, hence a cold start. Without the daemon (not started, restarting) the client runs
the invocation cold in this process and says so: a cold start, never an error. Either way the
run spends the user's rate limit and holds a concurrency slot, as the runner page does; callers
rely on the exceptions (runner.Throttled, runner.SandboxUnavailable, ValueError), which the views
answer as 429, 503 and 400.

Every trigger (the runner page and JSON API, an HTTP endpoint, a schedule) comes through run(),
which announces each finished invocation and each throttled one as a signal (signals.invoked,
signals.throttled): monitoring listens, and nothing here needs to know it exists.
"""

from __future__ import annotations

import dataclasses
import time

from course import runner
from course.functions import signals
from course.functions.models import Function
from course.runner.warm import WarmKey, invoke_warm
from course.runner.web.limits import limiters, sandbox_limits

__all__ = ["TRIGGERS", "invoke_warm", "request_for", "run"]

# Where an invocation came from, as the log stream names it.
TRIGGERS = ("console", "api", "endpoint", "schedule")


def request_for(function: Function, event: object) -> runner.InvocationRequest:
    return runner.InvocationRequest(
        runtime=function.runtime,
        code=function.code,
        event=event,
        memory_mb=function.memory_mb,
        timeout_s=function.timeout_s,
    )


def run(
    function: Function,
    event: object,
    *,
    user,
    force_cold: bool = False,
    trigger: str = "console",
    spend_rate: bool = True,
) -> tuple[runner.Invocation, bool]:
    """Invoke ``function`` with ``event`` for ``user``: (the invocation, whether it was cold).

    ``spend_rate=False`` is for callers that throttle by their own rules first (an endpoint's
    usage plan and site-wide limits, the scheduler's once-a-minute cap); the concurrency slot is
    always held. A warm start's REPORT has no Init Duration, as on Lambda.
    """
    assert trigger in TRIGGERS, trigger
    slots, rate = limiters()
    try:
        if spend_rate:
            rate.hit(str(user.pk))
        key = WarmKey(user_id=user.pk, function_id=function.pk, version=function.version)
        started = time.time()
        with slots.acquire():
            invocation, cold = invoke_warm(
                key, request_for(function, event), force_cold=force_cold, limits=sandbox_limits()
            )
    except runner.Throttled:
        signals.throttled.send(sender=Function, function=function, trigger=trigger)
        raise
    if not cold:
        report = {k: v for k, v in invocation.report.items() if k != "init_duration_ms"}
        invocation = dataclasses.replace(invocation, report=report)
    signals.invoked.send(
        sender=Function,
        function=function,
        trigger=trigger,
        invocation=invocation,
        cold=cold,
        started=started,
    )
    return invocation, cold
