"""The function runner on the web: validate, throttle, hand over to course.runner, report.

Three entry points share one path: the JSON API (POST /api/runner/invoke), the page's form
(htmx swaps the result panel; without JS the page re-renders with it) and the lesson embed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from course import pricing, runner
from course.runner.web.forms import (
    MAX_BODY_BYTES,
    MAX_CODE_CHARS,
    MAX_EVENT_BYTES,
    BadJSON,
    RunForm,
    form_data,
    form_values,
    parse_json,
    printable,
)
from course.runner.web.limits import limiters, sandbox_limits
from course.runner.web.samples import SAMPLE_EVENTS, STARTERS

# The page shows this much of a result or error; the API always returns all of it.
SHOWN_BYTES = 64 * 1024
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
            return self.invocation.to_json(**json_numbers(self.body))
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


def unavailable(reason: str, how_to_fix: str) -> Outcome:
    """503: the sandbox (or the runtime asked for) cannot run code here, and how to fix that."""
    return Outcome(
        503,
        {"errorType": "ServiceUnavailable", "reason": reason, "how_to_fix": how_to_fix},
        errors={"sandbox": f"{reason} {how_to_fix}".strip()},
    )


def json_numbers(body: dict) -> dict:
    """The body as the API sends it: the run's cost stays an exact Decimal up to here, and goes
    out as a JSON number."""
    return {key: float(v) if isinstance(v, Decimal) else v for key, v in body.items()}


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


def event_size(event: object) -> int:
    return len(json.dumps(event, ensure_ascii=False, allow_nan=False).encode())


def execute(user, data: Mapping[str, object]) -> Outcome:
    """Validate, apply the limits, run. Every learner-caused failure is a 200 with the run.

    ``data`` comes from parse_json (API) or form_data (page), so its event is standard JSON."""
    form = RunForm(data)
    if not form.is_valid():
        errors = form.messages_by_field()
        return Outcome(400, {"errors": errors}, errors=errors)
    request = form.invocation_request
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
    return run_outcome(request, lambda: run_cold(user, request, limits), limits)


def run_cold(user, request: runner.InvocationRequest, limits: runner.SandboxLimits):
    """One cold run under the web limits: the user's rate, then a concurrency slot. Raises
    runner.Throttled (429), runner.SandboxUnavailable (503) or ValueError (400); run_outcome
    turns them into answers. course/functions/execution.py goes through here too."""
    slots, rate = limiters()
    rate.hit(str(user.pk))
    with slots.acquire():
        return runner.invoke(request, limits=limits)


def run_outcome(
    request: runner.InvocationRequest,
    run: Callable[[], runner.Invocation],
    limits: runner.SandboxLimits | None = None,
) -> Outcome:
    """Check the sandbox and runtime can run ``request``, call ``run``, and turn what happens
    into an Outcome: the run (200), or a 429, 503 or 400 that says why."""
    limits = limits or sandbox_limits()
    status = runner.sandbox_status(limits)
    info = runner.runtimes(limits)[request.runtime]
    if not status.ok or not info.available:
        reason = status.reason if not status.ok else info.reason
        fix = status.how_to_fix if not status.ok else "Install it on the server (see README)."
        return unavailable(reason, fix)
    try:
        invocation = run()
    except runner.Throttled as throttled:  # the Redis limits raise the same
        body = {
            "errorType": "TooManyRequestsException",
            "errorMessage": str(throttled),
            "reason": "ConcurrentInvocationLimitExceeded"
            if throttled.kind == "concurrency"
            else "CallerRateLimitExceeded",
            "retryAfterSeconds": round(throttled.retry_after_s, 1),
        }
        return Outcome(429, body, errors={"throttled": str(throttled)})
    except runner.SandboxUnavailable as sandbox_down:
        return unavailable(sandbox_down.reason, sandbox_down.how_to_fix)
    except (ValueError, RecursionError) as invalid:
        # The runner's own checks (validate() should have caught it first): still the
        # learner's input, so a 400 that says what, never a 500.
        message = f"The request cannot be run: {printable(str(invalid))[:200]}"
        return Outcome(400, {"errors": {"request": message}}, errors={"request": message})
    cost = pricing.invocation_cost(request.memory_mb, invocation.report["billed_duration_ms"])
    # Everything but the result, which json_bytes() splices in as the raw text it is.
    body: dict = {"cost_usd": cost}
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
            "lambda_runtimes": lambda_runtimes(runner.runtimes(limits).values()),
        },
        "outcome": outcome,
        "request": request,
        "user": request.user,
    }


# Lambda's newest managed runtimes, as the Lambda lesson's sources give them (November 2025).
NEWEST_LAMBDA_RUNTIMES = {"python": "python3.14", "nodejs": "nodejs24.x"}
# When Lambda deprecated the runtimes a Debian host may have (AWS's runtime table; the lesson
# cites the same dates): code still runs, but new functions can no longer choose them.
LAMBDA_DEPRECATED = {
    "nodejs18.x": "1 September 2025",
    "nodejs20.x": "30 April 2026",
    "python3.11": "30 June 2026",
}


def lambda_runtimes(infos) -> list[dict[str, str]]:
    """Each runtime here beside the Lambda managed runtime it corresponds to (same major version;
    for Python, same minor), Lambda's newest of that language, and where this one stands."""
    rows = []
    for info in infos:
        version = info.label.split(" ", 1)[1] if " " in info.label else ""
        parts = version.split(".")
        language = "nodejs" if info.name.startswith("nodejs") else info.name
        if language == "python" and len(parts) >= 2:
            lambda_name = f"python{parts[0]}.{parts[1]}"
        elif language == "nodejs" and parts and parts[0].lstrip("v").isdigit():
            lambda_name = f"nodejs{parts[0].lstrip('v')}.x"
        else:
            lambda_name = ""
        newest = NEWEST_LAMBDA_RUNTIMES.get(language, "")
        if lambda_name and lambda_name == newest:
            standing = "This is Lambda's newest runtime for the language."
        elif lambda_name in LAMBDA_DEPRECATED:
            standing = (
                f"Lambda deprecated {lambda_name} on {LAMBDA_DEPRECATED[lambda_name]}; its "
                f"newest is {newest}. Code written for this version runs there too, unless it "
                "relies on something the newer version removed."
            )
        else:
            standing = (
                f"Lambda's newest is {newest}: code written for this version runs there too, "
                "unless it relies on something the newer version removed."
            )
        rows.append(
            {
                "name": info.name,
                "label": info.label,
                "available": info.available,
                "lambda": lambda_name,
                "newest": newest,
                "standing": standing,
            }
        )
    return rows


def page_context(request: HttpRequest, params: Mapping[str, str], outcome=None) -> dict:
    """The runner page's context: the runner's, plus saved functions and drafts."""
    from course.functions import workspace  # late: saved functions are built on the runner

    context = runner_context(request, params, outcome)
    context["saved"] = workspace.runner_page(
        request, params, context["runner"]["values"], posted=request.method == "POST"
    )
    return context


@require_GET
def function_runner_page(request: HttpRequest) -> HttpResponse:
    return render(request, "runner/function_runner.html", page_context(request, request.GET))


@require_POST
@vary_on_headers("HX-Request")
def run_form(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.htmx:
            outcome = Outcome(401, {}, errors={"auth": "Log in to run functions."})
            return render(
                request, "runner/_runner_result.html", runner_context(request, {}, outcome)
            )
        return redirect_to_login(request.get_full_path())
    data, errors = form_data(request.POST)
    outcome = Outcome(400, {"errors": errors}, errors=errors) if errors else None
    outcome = outcome or execute(request.user, data)
    context = page_context(request, request.POST, outcome)
    if request.htmx:
        return render(request, "runner/_runner_result.html", context)
    return render(request, "runner/function_runner.html", context, status=outcome.status)
