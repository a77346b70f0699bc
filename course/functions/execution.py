"""The one seam between a saved function and the machinery that runs it.

A saved function runs in a warm execution environment when there is one: the per-host warm
daemon (course/runner/warm) keeps one per (user, function, version), so module-level state and
/tmp survive between invocations, as on Lambda. A new version (code, memory or timeout changed)
is a new key, hence a cold start. Without the daemon (not started, restarting) the client runs
the invocation cold in this process and says so: a cold start, never an error. Either way the
run spends the user's rate limit and holds a concurrency slot, as the runner page does; callers
rely on the exceptions (runner.Throttled, runner.SandboxUnavailable, ValueError), which the views
answer as 429, 503 and 400.
"""

from __future__ import annotations

from course import runner
from course.functions.models import Function
from course.runner.warm import WarmKey, invoke_warm

__all__ = ["invoke_warm", "request_for", "run"]
from course.runner.web.limits import limiters, sandbox_limits


def request_for(function: Function, event: object) -> runner.InvocationRequest:
    return runner.InvocationRequest(
        runtime=function.runtime,
        code=function.code,
        event=event,
        memory_mb=function.memory_mb,
        timeout_s=function.timeout_s,
    )


def run(
    function: Function, event: object, *, user, force_cold: bool = False
) -> tuple[runner.Invocation, bool]:
    """Invoke ``function`` with ``event`` for ``user``: (the invocation, whether it was cold)."""
    slots, rate = limiters()
    rate.hit(str(user.pk))
    key = WarmKey(user_id=user.pk, function_id=function.pk, version=function.version)
    with slots.acquire():
        return invoke_warm(
            key, request_for(function, event), force_cold=force_cold, limits=sandbox_limits()
        )
