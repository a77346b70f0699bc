"""The function runner on the web: validate, throttle, hand over to course.runner, report.

Three entry points share one path: the JSON API (POST /api/runner/invoke), the page's form
(htmx swaps the result panel; without JS the page re-renders with it) and the lesson embed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from course import pricing, runner
from course.runner.payload import NotStandardJSON, TooDeep, Unreturnable
from course.runner.payload import check as check_standard_json
from course.runner_samples import DEFAULT_STARTER, SAMPLE_EVENTS, STARTERS

# Lambda's synchronous invocation payload limit, for the request (the event) and the response:
# 6 MB, exactly 6,291,456 bytes; over it, Invoke fails with RequestEntityTooLargeException.
MAX_EVENT_BYTES = 6_291_456
MAX_CODE_CHARS = 256 * 1024
# The API's body carries the code and the settings beside the event, so it may be larger than
# the event alone: room for the largest event, the largest code written as \uXXXX escapes
# (6 bytes a character) and the other fields. Read by this view itself, not through Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which would refuse events Lambda accepts.
MAX_BODY_BYTES = MAX_EVENT_BYTES + 6 * MAX_CODE_CHARS + 64 * 1024
# The page shows this much of a result or error; the API always returns all of it.
SHOWN_BYTES = 64 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
REAL_LAMBDA_MEMORY = "real Lambda allows 128-10,240 MB"
REAL_LAMBDA_TIMEOUT = "real Lambda allows 1-900 s"
EVENT_TOO_LARGE = (
    f"Request must be smaller than {MAX_EVENT_BYTES} bytes for the InvokeFunction operation"
)
BODY_TOO_LARGE = (
    f"The request body must be at most {MAX_BODY_BYTES:,} bytes: room for Lambda's "
    f"{MAX_EVENT_BYTES:,}-byte synchronous payload limit for the event, plus your code "
    f"(up to {MAX_CODE_CHARS // 1024} KB) and settings."
)


@dataclass
class Outcome:
    """What one run request came to: an HTTP status and the JSON body the API returns.

    For a run, ``body`` has every field but the result, which stays the raw text the runtime
    sent (``invocation.result_json``) and is spliced into ``json_bytes`` without parsing."""

    status: int
    body: dict
    invocation: runner.Invocation | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def json_bytes(self) -> bytes:
        if self.invocation is not None:
            return self.invocation.to_json(**self.body)
        return json.dumps(self.body, ensure_ascii=False, allow_nan=False).encode()

    @cached_property
    def _shown(self) -> tuple[str, str]:
        inv = self.invocation
        if inv is None:
            return "", ""
        if inv.status == "failed" and inv.error:
            raw = json.dumps(inv.error, ensure_ascii=False).encode()
        else:
            raw = inv.result_json
        return shown_json(raw)

    @property
    def cpu_share(self) -> str:
        """The CPU this memory size buys, as Lambda allocates it (1,769 MB = one vCPU)."""
        if self.invocation is None:
            return ""
        vcpus = self.invocation.report["memory_size_mb"] / 1769
        return f"{vcpus:.0%} of one vCPU" if vcpus < 1 else f"{vcpus:.2f} vCPUs"

    @property
    def response_json(self) -> str:
        """The result (or error) as the page shows it: pretty-printed if small, else the
        first SHOWN_BYTES of the raw text."""
        return self._shown[0]

    @property
    def response_note(self) -> str:
        """Says when only the start is shown; empty when everything is."""
        return self._shown[1]


def shown_json(raw: bytes) -> tuple[str, str]:
    """(text, note): only what is shown is ever parsed, pretty-printed or rendered."""
    if len(raw) <= SHOWN_BYTES:
        try:
            text = _pretty(json.loads(raw))
        except (RecursionError, ValueError):
            return raw.decode("utf-8", "replace"), ""
        if len(text) <= 4 * SHOWN_BYTES:
            return text, ""
        # Indenting multiplied the size (deep nesting): show the text as it was sent.
        return raw.decode("utf-8", "replace"), ""
    # "ignore" drops the character that the cut may have split in two.
    head = raw[:SHOWN_BYTES].decode("utf-8", "ignore")
    note = (
        f"Only the first {SHOWN_BYTES // 1024} KB of {len(raw):,} bytes are shown, as sent; "
        "POST /api/runner/invoke returns all of it."
    )
    return head, note


def _pretty(value: object) -> str:
    """json.dumps(indent=2), but it stops a little past the size the page would show."""
    pieces: list[str] = []
    size = 0
    for piece in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(value):
        pieces.append(piece)
        size += len(piece)
        if size > 4 * SHOWN_BYTES:
            break
    return "".join(pieces)


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


class BadJSON(ValueError):
    """JSON the runner will not take, with a message for the learner."""


def parse_json(raw: bytes | str, what: str) -> object:
    """Parse learner JSON strictly: standard JSON only (no NaN or Infinity, no number beyond a
    double, no lone surrogate), nested no deeper than the parser can follow. BadJSON says why."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    malformed = False
    try:
        # Cheap, builds nothing, and refuses what json.loads would accept but the sandbox,
        # Node.js or a client reading our answer could not.
        check_standard_json(data)
    except TooDeep:
        raise BadJSON(f"{what} is nested too deeply; keep it under 200 levels.") from None
    except Unreturnable as exc:
        raise BadJSON(f"{what} is not standard JSON: {exc}.") from None
    except NotStandardJSON:
        malformed = True  # json.loads below says where
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJSON(f"{what} is nested too deeply; keep it under 200 levels.") from None
    except UnicodeDecodeError:
        raise BadJSON(f"{what} must be UTF-8 JSON.") from None
    except ValueError as error:
        where = f" (line {error.lineno})" if hasattr(error, "lineno") else ""
        raise BadJSON(f"{what} is not valid JSON: {getattr(error, 'msg', error)}{where}.") from None
    if malformed:  # what only Python's lenient parser takes, such as a byte-order mark
        raise BadJSON(f"{what} is not valid JSON.")
    return value


def validate(data: Mapping[str, object]) -> tuple[runner.InvocationRequest | None, dict]:
    """Check a run request; every bad field gets a message that also says what Lambda allows."""
    errors: dict[str, str] = {}
    available = runner.runtimes(sandbox_limits())
    runtime = data.get("runtime", "python")
    if not isinstance(runtime, str) or runtime not in available:
        shown = runtime if isinstance(runtime, str) else type(runtime).__name__
        errors["runtime"] = f"Unknown runtime {_printable(shown)[:40]!r}; choose python or nodejs."
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        errors["code"] = "Write a handler function to run."
    elif len(code) > MAX_CODE_CHARS:
        errors["code"] = f"Code is limited to {MAX_CODE_CHARS // 1024} KB here."
    elif _SURROGATE.search(code):
        errors["code"] = (
            "The code holds a lone UTF-16 surrogate (such as \\ud800), which is not a "
            "character; Lambda takes code as UTF-8 text."
        )
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


def _printable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def event_size(event: object) -> int:
    return len(json.dumps(event, ensure_ascii=False, allow_nan=False).encode())


def execute(user, data: Mapping[str, object]) -> Outcome:
    """Validate, apply the limits, run. Every learner-caused failure is a 200 with the run.

    ``data`` comes from parse_json (API) or form_data (page), so its event is standard JSON."""
    request, errors = validate(data)
    if errors:
        return Outcome(400, {"errors": errors}, errors=errors)
    try:
        size = event_size(request.event)
    except (RecursionError, ValueError):  # only for data that did not come through parse_json
        message = "The event must be standard JSON, nested under 200 levels."
        return Outcome(400, {"errors": {"event": message}}, errors={"event": message})
    if size > MAX_EVENT_BYTES:
        return Outcome(
            413,
            {"errorType": "RequestEntityTooLargeException", "errorMessage": EVENT_TOO_LARGE},
            errors={"event": EVENT_TOO_LARGE},
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
    except (ValueError, RecursionError) as invalid:
        # The runner's own checks (validate() should have caught it first): still the
        # learner's input, so a 400 that says what, never a 500.
        message = f"The request cannot be run: {_printable(str(invalid))[:200]}"
        return Outcome(400, {"errors": {"request": message}}, errors={"request": message})
    cost = pricing.invocation_cost(request.memory_mb, invocation.report["billed_duration_ms"])
    # Everything but the result, which json_bytes() splices in as the raw text it is.
    body: dict = {"cost_usd": float(cost)}
    if invocation.hint:
        body["hint"] = invocation.hint
    return Outcome(200, body, invocation=invocation)


def json_outcome(outcome: Outcome) -> HttpResponse:
    response = HttpResponse(
        outcome.json_bytes(), status=outcome.status, content_type="application/json"
    )
    if outcome.status == 429:
        response["Retry-After"] = str(max(1, round(outcome.body["retryAfterSeconds"])))
    return response


def read_body(request: HttpRequest) -> bytes | None:
    """The body, up to MAX_BODY_BYTES; None when it is larger."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    try:
        # Middleware may have read it already (a form-encoded body, for the CSRF token); then
        # Django's own limit applied to it.
        return request.body if hasattr(request, "_body") else request.read(MAX_BODY_BYTES + 1)
    except RequestDataTooBig:
        return None


@require_POST
def invoke_api(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse(
            {"errorType": "Unauthorized", "errors": {"auth": "Log in to run functions."}},
            status=401,
        )
    raw = read_body(request)
    if raw is None or len(raw) > MAX_BODY_BYTES:
        return JsonResponse(
            {"errorType": "RequestEntityTooLargeException", "errorMessage": BODY_TOO_LARGE},
            status=413,
        )
    try:
        data = parse_json(raw, "The request body")
    except BadJSON as bad:
        return JsonResponse({"errors": {"body": str(bad)}}, status=400)
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
        data["event"] = parse_json(text, "The event")
    except BadJSON as bad:
        return data, {"event": str(bad)}
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
