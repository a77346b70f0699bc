"""The function runner on the web: validate, throttle, hand over to course.runner, report.

Three entry points share one path: the JSON API (POST /api/runner/invoke), the page's form
(htmx swaps the result panel; without JS the page re-renders with it) and the lesson embed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from course import pricing, runner
from course.runner_samples import DEFAULT_STARTER, SAMPLE_EVENTS, STARTERS

# Lambda refuses synchronous invoke payloads over 6 MB (6,291,456 bytes) with this error type.
MAX_EVENT_BYTES = 6_291_456
MAX_CODE_CHARS = 256 * 1024
REAL_LAMBDA_MEMORY = "real Lambda allows 128-10,240 MB"
REAL_LAMBDA_TIMEOUT = "real Lambda allows 1-900 s"


@dataclass
class Outcome:
    """What one run request came to: an HTTP status and the JSON body the API returns."""

    status: int
    body: dict
    invocation: runner.Invocation | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def response_json(self) -> str:
        if self.invocation is None:
            return ""
        inv = self.invocation
        value = inv.error if inv.status == "failed" and inv.error else inv.result
        return json.dumps(value, indent=2, ensure_ascii=False)


def sandbox_limits() -> runner.SandboxLimits:
    return runner.SandboxLimits(state_dir=settings.RUNNER_STATE_DIR / "work")


@cache
def _limiters(state_dir: str, redis_url: str, concurrency: int, per_minute: int, timeout: int):
    if redis_url:
        # Several machines: the limits must live where all of them can see them.
        import redis

        from course.runner_limits import RedisConcurrencySlots, RedisRateLimiter

        client = redis.Redis.from_url(redis_url)
        lease_s = timeout + 30  # longer than any run, short enough to recover from a crash
        return RedisConcurrencySlots(client, concurrency, lease_s), RedisRateLimiter(
            client, per_minute
        )
    return (
        runner.ConcurrencySlots(Path(state_dir) / "slots", concurrency),
        runner.RateLimiter(Path(state_dir) / "rate", per_minute),
    )


def limiters():
    """The concurrency slots and rate limiter shared by every worker (and machine)."""
    return _limiters(
        str(settings.RUNNER_STATE_DIR),
        settings.REDIS_URL,
        settings.RUNNER_MAX_CONCURRENCY,
        settings.RUNNER_RATE_PER_MINUTE,
        settings.RUNNER_MAX_TIMEOUT_S,
    )


def whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip()) if len(value.strip()) < 10 else None
    return None


def validate(data: Mapping[str, object]) -> tuple[runner.InvocationRequest | None, dict]:
    """Check a run request; every bad field gets a message that also says what Lambda allows."""
    errors: dict[str, str] = {}
    available = runner.runtimes(sandbox_limits())
    runtime = data.get("runtime", "python")
    if runtime not in available:
        errors["runtime"] = f"Unknown runtime {str(runtime)[:40]!r}; choose python or nodejs."
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        errors["code"] = "Write a handler function to run."
    elif len(code) > MAX_CODE_CHARS:
        errors["code"] = f"Code is limited to {MAX_CODE_CHARS // 1024} KB here."
    memory = whole_number(data.get("memory_mb", 128))
    if memory is None or not 128 <= memory <= settings.RUNNER_MAX_MEMORY_MB:
        errors["memory_mb"] = (
            f"Memory must be a whole number of MB from 128 to "
            f"{settings.RUNNER_MAX_MEMORY_MB:,} here ({REAL_LAMBDA_MEMORY})."
        )
    timeout = whole_number(data.get("timeout_s", 3))
    if timeout is None or not 1 <= timeout <= settings.RUNNER_MAX_TIMEOUT_S:
        errors["timeout_s"] = (
            f"Timeout must be a whole number of seconds from 1 to "
            f"{settings.RUNNER_MAX_TIMEOUT_S} here ({REAL_LAMBDA_TIMEOUT})."
        )
    event = data.get("event", {})
    if errors:
        return None, errors
    return runner.InvocationRequest(
        runtime=runtime, code=code, event=event, memory_mb=memory, timeout_s=timeout
    ), {}


def event_size(event: object) -> int:
    return len(json.dumps(event, ensure_ascii=False).encode())


def execute(user, data: Mapping[str, object]) -> Outcome:
    """Validate, apply the limits, run. Every learner-caused failure is a 200 with the run."""
    request, errors = validate(data)
    if errors:
        return Outcome(400, {"errors": errors}, errors=errors)
    if event_size(request.event) > MAX_EVENT_BYTES:
        message = (
            f"Request must be smaller than {MAX_EVENT_BYTES} bytes for the InvokeFunction operation"
        )
        return Outcome(
            413,
            {"errorType": "RequestEntityTooLargeException", "errorMessage": message},
            errors={"event": message},
        )
    limits = sandbox_limits()
    status = runner.sandbox_status(limits)
    info = runner.runtimes(limits)[request.runtime]
    if not status.ok or not info.available:
        reason = status.reason if not status.ok else info.reason
        fix = status.how_to_fix if not status.ok else "Install it on the server (see README)."
        return Outcome(
            503,
            {"errorType": "ServiceUnavailable", "reason": reason, "how_to_fix": fix},
            errors={"sandbox": f"{reason} {fix}".strip()},
        )
    slots, rate = limiters()
    try:
        rate.hit(str(user.pk))
        with slots.acquire():
            invocation = runner.invoke(request, limits=limits)
    except runner.Throttled as throttled:  # course.runner_limits raises the same
        body = {
            "errorType": "TooManyRequestsException",
            "errorMessage": str(throttled),
            "reason": "ConcurrentInvocationLimitExceeded"
            if throttled.kind == "concurrency"
            else "CallerRateLimitExceeded",
            "retryAfterSeconds": round(throttled.retry_after_s, 1),
        }
        return Outcome(429, body, errors={"throttled": str(throttled)})
    except runner.SandboxUnavailable as unavailable:
        return Outcome(
            503,
            {
                "errorType": "ServiceUnavailable",
                "reason": unavailable.reason,
                "how_to_fix": unavailable.how_to_fix,
            },
            errors={"sandbox": f"{unavailable.reason} {unavailable.how_to_fix}".strip()},
        )
    cost = pricing.invocation_cost(request.memory_mb, invocation.report["billed_duration_ms"])
    body = {**invocation.as_dict(), "cost_usd": float(cost)}
    return Outcome(200, body, invocation=invocation)


def json_outcome(outcome: Outcome) -> JsonResponse:
    response = JsonResponse(outcome.body, status=outcome.status)
    if outcome.status == 429:
        response["Retry-After"] = str(max(1, round(outcome.body["retryAfterSeconds"])))
    return response


@require_POST
def invoke_api(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse(
            {"errorType": "Unauthorized", "errors": {"auth": "Log in to run functions."}},
            status=401,
        )
    try:
        raw = request.body
    except RequestDataTooBig:
        return JsonResponse(
            {
                "errorType": "RequestEntityTooLargeException",
                "errorMessage": f"Request must be smaller than {MAX_EVENT_BYTES} bytes "
                "for the InvokeFunction operation",
            },
            status=413,
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"errors": {"body": "The request body must be JSON."}}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"errors": {"body": "Send a JSON object."}}, status=400)
    return json_outcome(execute(request.user, data))


# --- The page --------------------------------------------------------------------------------


def form_values(params: Mapping[str, str]) -> dict[str, str]:
    """What the editor shows: a chosen starter, the learner's last submission, or the default."""
    starter = STARTERS.get(params.get("starter", ""), STARTERS[DEFAULT_STARTER])
    values = {
        "starter": starter.key,
        "runtime": starter.runtime,
        "code": starter.code,
        "event": SAMPLE_EVENTS[starter.event_key].json,
        "event_sample": starter.event_key,
        "memory_mb": "128",
        "timeout_s": "3",
    }
    for name in ("runtime", "code", "event", "memory_mb", "timeout_s"):
        if name in params and "starter" not in params:
            values[name] = params[name]
    return values


def runner_context(request: HttpRequest, params: Mapping[str, str], outcome=None) -> dict:
    limits = sandbox_limits()
    return {
        "runner": {
            "values": form_values(params),
            "runtimes": runner.runtimes(limits).values(),
            "sandbox": runner.sandbox_status(limits),
            "starters": STARTERS.values(),
            "events": SAMPLE_EVENTS.values(),
            "max_memory": settings.RUNNER_MAX_MEMORY_MB,
            "max_timeout": settings.RUNNER_MAX_TIMEOUT_S,
        },
        "outcome": outcome,
        "request": request,
        "user": request.user,
    }


def form_data(post: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """The form sends the event as JSON text; parse it like the API's body would be."""
    data = {name: post.get(name, "") for name in ("runtime", "code", "memory_mb", "timeout_s")}
    text = post.get("event", "").strip() or "{}"
    try:
        data["event"] = json.loads(text)
    except ValueError as error:
        return data, {"event": f"The event is not valid JSON: {error.msg} (line {error.lineno})."}
    return data, {}


@require_GET
def function_runner_page(request: HttpRequest) -> HttpResponse:
    return render(
        request, "course/tools/function_runner.html", runner_context(request, request.GET)
    )


@require_POST
@vary_on_headers("HX-Request")
def run_form(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.htmx:
            outcome = Outcome(401, {}, errors={"auth": "Log in to run functions."})
            return render(
                request, "course/tools/_runner_result.html", runner_context(request, {}, outcome)
            )
        return redirect_to_login(request.get_full_path())
    data, errors = form_data(request.POST)
    outcome = Outcome(400, {"errors": errors}, errors=errors) if errors else None
    outcome = outcome or execute(request.user, data)
    context = runner_context(request, request.POST, outcome)
    if request.htmx:
        return render(request, "course/tools/_runner_result.html", context)
    return render(request, "course/tools/function_runner.html", context, status=outcome.status)
