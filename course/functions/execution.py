"""The one seam between a saved function and the machinery that runs it.

Today every run is cold: a fresh sandbox through runner.invoke, under the same per-user rate
limit and concurrency slots as the runner page (course/runner/web/views.run_cold). Warm
execution environments, keyed on (function.pk, function.version), replace this body; callers
rely only on the signature and on the exceptions run_cold raises (runner.Throttled,
runner.SandboxUnavailable, ValueError), which the views answer as 429, 503 and 400.
"""

from __future__ import annotations

from course import runner
from course.functions.models import Function
from course.runner.web.limits import sandbox_limits
from course.runner.web.views import run_cold


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
    invocation = run_cold(user, request_for(function, event), sandbox_limits())
    return invocation, True
