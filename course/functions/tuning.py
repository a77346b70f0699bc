"""Power tuning of a saved function through the warm engine, with the web's limits and answers.

The engine (course/runner/warm/power.py) runs the sizes and does the maths; here the function's
own code and the user's rate limit go in, and each way it can refuse comes out as an HTTP status
and a message: a bad size list or run count (400), a tuning already running (409), the rate limit
(429), the time budget (503), no sandbox (503).
"""

from __future__ import annotations

from django.conf import settings

from course import runner
from course.functions import execution
from course.functions.models import Function
from course.runner.warm import TuningResult, WarmKey, power
from course.runner.web.limits import limiters, sandbox_limits


class TuningRefused(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


def tune_function(function: Function, event: object, *, user, memory_sizes, runs) -> dict:
    """The tuning as the JSON API answers it (``POST /api/functions/<id>/tune``)."""
    return tune(function, event, user=user, memory_sizes=memory_sizes, runs=runs).as_dict()


def tune(function: Function, event: object, *, user, memory_sizes, runs) -> TuningResult:
    """The whole result, for the tuning page: also each size's cold start and the sizes that
    failed, which the JSON contract leaves out. Raises TuningRefused."""
    if memory_sizes is not None and (
        not isinstance(memory_sizes, list)
        or not memory_sizes
        or not all(isinstance(m, int) and not isinstance(m, bool) for m in memory_sizes)
    ):
        raise TuningRefused(
            400, {"errors": {"memory_sizes": "Give a list of whole numbers of MB."}}
        )
    _, rate = limiters()
    key = WarmKey(user_id=user.pk, function_id=function.pk, version=function.version)
    try:
        result = power.tune(
            execution.request_for(function, event),
            key,
            max_memory_mb=settings.RUNNER_MAX_MEMORY_MB,
            lock_dir=settings.RUNNER_STATE_DIR / "tuning",
            memory_sizes=memory_sizes,
            runs=runs,
            rate_limiter=rate,
            invoker=lambda k, request, force_cold: execution.invoke_warm(
                k, request, force_cold=force_cold, limits=sandbox_limits()
            ),
        )
    except ValueError as error:
        field = "runs" if "runs" in str(error) else "memory_sizes"
        raise TuningRefused(400, {"errors": {field: str(error)}}) from None
    except power.TuningBusy as busy:
        raise TuningRefused(409, {"errors": {"tuning": str(busy)}}) from None
    except runner.Throttled as throttled:
        raise TuningRefused(
            429,
            {
                "errorType": "TooManyRequestsException",
                "errorMessage": "A tuning spends one rate-limit hit per run: "
                f"{throttled}. Try fewer sizes or runs, or wait a minute.",
            },
        ) from None
    except power.TuningCancelled as cancelled:
        raise TuningRefused(503, {"errors": {"tuning": str(cancelled)}}) from None
    except runner.SandboxUnavailable as unavailable:
        raise TuningRefused(
            503, {"errorType": "ServiceUnavailable", "reason": unavailable.reason}
        ) from None
    return result
