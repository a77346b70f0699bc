"""Lambda semantics on top of the sandbox: one cold invocation, its result, logs and REPORT."""

from __future__ import annotations

import json
import math
import re
import signal
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from . import sandbox
from .config import (
    ACCOUNT_ID,
    MAX_CODE_BYTES,
    MAX_MEMORY_MB,
    MAX_RESPONSE_BYTES,
    MAX_TIMEOUT_S,
    MIN_MEMORY_MB,
    MIN_TIMEOUT_S,
    REGION,
    SandboxLimits,
)
from .errors import SandboxUnavailable
from .interpreters import (
    RUNTIME_NAMES,
    check_event,
    node_launch,
    python_launch,
    runtime_info,
)
from .payload import NotStandardJSON, Unreturnable, check

_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A runtime's error document has an object and a stackTrace array; thousands of containers
# mean something else wrote to the control pipe, and parsing them would cost the web process.
_MAX_ERROR_CONTAINERS = 100

# Go's names for signals, as Lambda's "Runtime exited with error: signal: ..." prints them.
_SIGNAL_NAMES = {
    signal.SIGHUP: "hangup",
    signal.SIGINT: "interrupt",
    signal.SIGQUIT: "quit",
    signal.SIGILL: "illegal instruction",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGKILL: "killed",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGUSR2: "user defined signal 2",
    signal.SIGPIPE: "broken pipe",
    signal.SIGALRM: "alarm clock",
    signal.SIGTERM: "terminated",
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
    signal.SIGVTALRM: "virtual timer expired",
    signal.SIGPROF: "profiling timer expired",
    signal.SIGSYS: "bad system call",
}


@dataclass(frozen=True)
class InvocationRequest:
    runtime: str  # "python" | "nodejs" | "nodejs24"
    code: str
    event: object  # a JSON-compatible value
    memory_mb: int
    timeout_s: int
    function_name: str = "learner-function"
    # Extra variables, e.g. AWS_BATCH_JOB_ARRAY_INDEX for a Batch array child; Lambda's own win.
    environment: tuple[tuple[str, str], ...] = ()


@dataclass
class Invocation:
    """One run's outcome. The result stays the raw JSON text the runtime sent (checked to be
    standard JSON): a 6 MB result costs the web process a copy of 6 MB, not millions of Python
    objects. ``result`` parses it on demand for callers that want the value."""

    request_id: str
    status: str  # "succeeded" | "failed"
    result_json: bytes  # standard JSON text of the handler's result; b"null" when it has none
    error: dict | None
    logs: str
    report: dict
    logs_truncated: bool
    # Plain words for a learner when Lambda's own message is terse (out of memory, timeout).
    hint: str | None = None
    _parsed: list = field(default_factory=list, repr=False, compare=False)

    @property
    def result(self) -> object:
        if not self._parsed:
            self._parsed.append(json.loads(self.result_json))
        return self._parsed[0]

    def as_dict(self) -> dict:
        """The API's fields as Python values (parses the result; ``to_json`` does not)."""
        return {
            "request_id": self.request_id,
            "status": self.status,
            "result": self.result,
            "error": self.error,
            "logs": self.logs,
            "report": self.report,
            "logs_truncated": self.logs_truncated,
        }

    def to_json(self, **extra: object) -> bytes:
        """The API's JSON body, with the result's raw text spliced in as it is: no parsing,
        no re-serialising. ``extra`` keys (cost_usd, hint...) follow the standard ones."""
        fields = {
            "request_id": self.request_id,
            "status": self.status,
            "result": None,
            "error": self.error,
            "logs": self.logs,
            "report": self.report,
            "logs_truncated": self.logs_truncated,
            **extra,
        }
        parts = []
        for key, value in fields.items():
            encoded = self.result_json if key == "result" else _standard_json(value)
            parts.append(_standard_json(key) + b":" + encoded)
        return b"{" + b",".join(parts) + b"}"


def _standard_json(value: object) -> bytes:
    # allow_nan=False: an API answer with NaN or Infinity would not be standard JSON.
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode()


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(req: InvocationRequest) -> None:
    if req.runtime not in RUNTIME_NAMES:
        raise ValueError(f"unknown runtime {req.runtime!r}; choose one of {RUNTIME_NAMES}")
    if not isinstance(req.code, str):
        raise ValueError("code must be a string")
    if len(req.code.encode("utf-8", "surrogateescape")) > MAX_CODE_BYTES:
        raise ValueError(f"code is larger than {MAX_CODE_BYTES} bytes")
    if not _whole(req.memory_mb) or not MIN_MEMORY_MB <= req.memory_mb <= MAX_MEMORY_MB:
        raise ValueError(f"memory_mb must be an integer from {MIN_MEMORY_MB} to {MAX_MEMORY_MB}")
    if not _whole(req.timeout_s) or not MIN_TIMEOUT_S <= req.timeout_s <= MAX_TIMEOUT_S:
        raise ValueError(f"timeout_s must be an integer from {MIN_TIMEOUT_S} to {MAX_TIMEOUT_S}")
    for name, value in req.environment:
        if (
            not _ENV_NAME.match(name)
            or name.startswith("AWS_LAMBDA_")
            or not isinstance(value, str)
        ):
            raise ValueError(f"environment variable {name!r} is not allowed")
    if not _FUNCTION_NAME.match(req.function_name or ""):
        raise ValueError("function_name must be 1-64 letters, digits, hyphens or underscores")
    check_event(req.event)


def lambda_environment(req: InvocationRequest, log_stream: str) -> dict[str, str]:
    """Exactly the variables a Lambda function sees here; nothing of the server's."""
    return dict(req.environment) | {
        "AWS_LAMBDA_FUNCTION_NAME": req.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(req.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAMBDA_TASK_ROOT": "/var/task",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{req.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "TZ": ":UTC",
        "LANG": "C.UTF-8",
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
    }


def function_arn(function_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"


def billed_ms(duration_ms: float, init_ms: float) -> int:
    """Cold start, managed runtime, since August 2025: ceil(Duration + Init Duration)."""
    total = Decimal(f"{duration_ms:.2f}") + Decimal(f"{init_ms:.2f}")
    return max(1, math.ceil(total))


def report_line(request_id: str, report: dict) -> str:
    line = (
        f"REPORT RequestId: {request_id}\t"
        f"Duration: {report['duration_ms']:.2f} ms\t"
        f"Billed Duration: {report['billed_duration_ms']} ms\t"
        f"Memory Size: {report['memory_size_mb']} MB\t"
        f"Max Memory Used: {report['max_memory_used_mb']} MB"
    )
    # A warm invocation ran no INIT: Lambda's REPORT then has no Init Duration at all.
    if report.get("init_duration_ms") is not None:
        line += f"\tInit Duration: {report['init_duration_ms']:.2f} ms"
    return line


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _text(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return text if not text or text.endswith("\n") else text + "\n"


def _exit_error(request_id: str, run: sandbox.SandboxRun) -> tuple[dict, str]:
    if run.oom or run.exit_signal == signal.SIGKILL:
        reason = "Runtime exited with error: signal: killed"
    elif run.exit_signal is not None:
        name = _SIGNAL_NAMES.get(run.exit_signal, f"signal {run.exit_signal}")
        reason = f"Runtime exited with error: signal: {name}"
    elif run.exit_code:
        reason = f"Runtime exited with error: exit status {run.exit_code}"
    else:
        reason = "Runtime exited without providing a reason"
    message = f"RequestId: {request_id} Error: {reason}"
    return _error(message, "Runtime.ExitError"), message


def _error(message: str, error_type: str, stack: list | None = None) -> dict:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}


def _error_document(raw: bytes) -> dict | None:
    try:
        # Lone surrogates are allowed here (a message may hold one) and replaced below.
        if check(raw, allow_lone_surrogates=True) > _MAX_ERROR_CONTAINERS:
            return None
    except NotStandardJSON:
        return None
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        return None
    error_type, message = doc.get("errorType"), doc.get("errorMessage")
    stack = doc.get("stackTrace")
    if not isinstance(error_type, str) or not isinstance(message, str):
        return None
    if not isinstance(stack, list) or not all(isinstance(x, str) for x in stack):
        stack = []
    # The API answers standard JSON, so "\ud800" in a message becomes U+FFFD, as a UTF-8
    # decoder would make of it.
    return _error(_valid_text(message), _valid_text(error_type), [_valid_text(x) for x in stack])


def _valid_text(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _checked_result(raw: bytes) -> tuple[bytes | None, str | None]:
    """(the raw result, None) if it is standard JSON, else (None, why not)."""
    try:
        check(raw)
    except Unreturnable as exc:
        return None, str(exc)
    except NotStandardJSON:
        return None, ""
    return raw, None


def _marshal_error(why: str) -> dict:
    # What Lambda's Python runtime says when json.dumps refuses a result; here the reason is
    # that the API and the page only ever hand out standard JSON.
    return _error(
        f"Unable to marshal response: {why}; return standard JSON values only",
        "Runtime.MarshalError",
    )


def _hint(req: InvocationRequest, run: sandbox.SandboxRun, report: dict, error) -> str | None:
    if run.timed_out == "init":
        return (
            "Your module took too long to load: the code outside the handler (imports and "
            "setup) must finish within Lambda's 10-second INIT phase."
        )
    if run.timed_out:
        return (
            f"The handler did not finish within the function's {req.timeout_s}-second timeout. "
            "Look for a loop that never ends or a call that waits forever; if the work is just "
            "slow, raise the timeout (Lambda allows up to 900 seconds)."
        )
    if error is not None and report["max_memory_used_mb"] >= report["memory_size_mb"]:
        return (
            f"The function ran out of memory: Max Memory Used reached its "
            f"{report['memory_size_mb']} MB memory size, so the runtime was stopped. Give the "
            "function more memory, or make it use less (process the data in pieces, drop "
            "references to what you no longer need)."
        )
    return None


def _launch_for(req: InvocationRequest, request_id: str, limits: SandboxLimits):
    if req.runtime == "python":
        return python_launch(req.code, req.event, request_id, req.memory_mb, req.timeout_s, limits)
    return node_launch(
        req.code, req.event, request_id, req.memory_mb, req.timeout_s, limits, req.runtime
    )


def _check_ready(req: InvocationRequest, limits: SandboxLimits) -> None:
    _validate(req)
    status = sandbox.sandbox_status(limits)
    if not status.ok:
        raise SandboxUnavailable(status.reason, status.how_to_fix)
    info = runtime_info(req.runtime, limits)
    if not info.available:
        raise SandboxUnavailable(
            info.reason, "Install the runtime, or point SandboxLimits at its binary."
        )


def _spec(req: InvocationRequest, request_id: str, limits: SandboxLimits) -> sandbox.LaunchSpec:
    log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    launch = _launch_for(req, request_id, limits)
    return sandbox.LaunchSpec(
        files=launch.files,
        command=launch.argv,
        env=lambda_environment(req, log_stream),
        memory_mb=req.memory_mb,
        timeout_s=req.timeout_s,
    )


def invoke(req: InvocationRequest, *, limits: SandboxLimits | None = None) -> Invocation:
    """Run the handler once, cold, in a fresh sandbox. Raises SandboxUnavailable, never runs
    code outside the sandbox. ValueError for an invalid request."""
    limits = limits or SandboxLimits()
    _check_ready(req, limits)
    request_id = str(uuid.uuid4())
    spec = _spec(req, request_id, limits)
    try:
        run = sandbox.run(spec, limits)
    except OSError as exc:
        raise SandboxUnavailable(
            f"the sandbox could not be started: {exc}", "Check sandbox_status()."
        ) from exc
    if run.setup_error is not None:
        # The host changed since the last probe (or never matched it): probe again next time.
        sandbox.forget_status()
        raise SandboxUnavailable(
            f"the sandbox failed to start: {run.setup_error}", "See sandbox_status()."
        )
    return _interpret(req, request_id, run, limits)


def start_environment(
    req: InvocationRequest, *, limits: SandboxLimits | None = None
) -> tuple[sandbox.Environment, Invocation]:
    """A warm-able environment for ``req``'s function, and its first (cold) invocation.

    The environment is ``alive`` afterwards unless that invocation ended it (timeout, out of
    memory, a crash, INIT failing); ``invoke_in`` then runs more events in it, warm.
    """
    limits = limits or SandboxLimits()
    _check_ready(req, limits)
    request_id = str(uuid.uuid4())
    env = sandbox.Environment(_spec(req, request_id, limits), limits)
    try:
        run = env.start()
    except OSError as exc:
        raise SandboxUnavailable(
            f"the sandbox could not be started: {exc}", "Check sandbox_status()."
        ) from exc
    if run.setup_error is not None:
        sandbox.forget_status()
        raise SandboxUnavailable(
            f"the sandbox failed to start: {run.setup_error}", "See sandbox_status()."
        )
    if run.frame_kind == b"E" and not run.ready:
        env.close()  # INIT failed: Lambda starts the next invocation from scratch too
    return env, _interpret(req, request_id, run, limits)


def warm_event(req: InvocationRequest) -> bytes:
    """The event as the runtime's bootstrap reads it from GO (marshal for Python, JSON for Node)."""
    check_event(req.event)
    if req.runtime == "python":
        import marshal

        try:
            return marshal.dumps(req.event, 4)
        except ValueError as exc:
            raise ValueError(f"event is not JSON-compatible: {exc}") from exc
    try:
        return json.dumps(req.event).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"event is not JSON-compatible: {exc}") from exc


def invoke_in(
    env: sandbox.Environment, req: InvocationRequest, *, limits: SandboxLimits | None = None
) -> Invocation:
    """Run ``req``'s event in a live environment of the same function (warm: no INIT).

    The caller keeps environments keyed so that ``req`` is the function the environment was
    started for; only the event differs.
    """
    limits = limits or SandboxLimits()
    event = warm_event(req)
    request_id = str(uuid.uuid4())
    run = env.invoke(request_id, req.timeout_s, event)
    return _interpret(req, request_id, run, limits, warm=True)


def _interpret(
    req: InvocationRequest,
    request_id: str,
    run: sandbox.SandboxRun,
    limits: SandboxLimits,
    *,
    warm: bool = False,
) -> Invocation:
    result: bytes | None = None
    error: dict | None = None
    tail: str | None = None  # Lambda's platform line after REPORT
    init_ms = run.init_s * 1000
    duration_ms = run.invoke_s * 1000 if run.ready else 0.0
    memory_used = run.max_memory_bytes

    if run.timed_out:
        seconds = req.timeout_s if run.timed_out == "invoke" else limits.init_timeout_s
        if run.timed_out == "invoke":
            duration_ms = req.timeout_s * 1000.0
        else:
            init_ms = limits.init_timeout_s * 1000.0
        message = f"Task timed out after {seconds:.2f} seconds"
        error = _error(f"RequestId: {request_id} Error: {message}", "Sandbox.Timedout")
        tail = f"{_timestamp()} {request_id} {message}"
    elif run.frame_problem == "too_large":
        error = _error(
            "Response payload size exceeded maximum allowed payload size "
            f"({MAX_RESPONSE_BYTES} bytes).",
            "Function.ResponseSizeTooLarge",
        )
    elif run.frame_kind == b"J":
        result, why = _checked_result(run.frame_payload)
        if why:
            error = _marshal_error(why)
        elif result is None:
            error = _invalid_response(request_id)
    elif run.frame_kind == b"A":
        # The handler returned bytes: Lambda passes them on as they are; shown as JSON if they
        # are standard JSON, else as a string.
        result, _ = _checked_result(run.frame_payload)
        if result is None:
            text = run.frame_payload.decode("utf-8", "replace")
            result = json.dumps(text, ensure_ascii=False).encode()
    elif run.frame_kind == b"E":
        error = _error_document(run.frame_payload) or _invalid_response(request_id)
    elif run.frame_problem == "malformed":
        error = _invalid_response(request_id)
    else:
        error, tail = _exit_error(request_id, run)

    if run.oom and run.frame_kind is None and not run.timed_out:
        memory_used = req.memory_mb * 1024 * 1024
    report = {
        "duration_ms": round(duration_ms, 2),
        # Warm: no INIT to bill, ceil(Duration) alone.
        "billed_duration_ms": billed_ms(duration_ms, 0.0 if warm else init_ms),
        "memory_size_mb": req.memory_mb,
        "max_memory_used_mb": min(req.memory_mb, max(1, round(memory_used / (1024 * 1024)))),
        "init_duration_ms": None if warm else round(init_ms, 2),
    }
    parts = [_text(run.init_output), f"START RequestId: {request_id} Version: $LATEST\n"]
    parts.append(_text(run.invoke_output))
    if run.truncated:
        parts.append(
            f"[runner] Log output truncated: only the first {limits.max_output_bytes} bytes "
            "are shown.\n"
        )
    parts.append(f"END RequestId: {request_id}\n")
    parts.append(report_line(request_id, report) + "\n")
    if tail:
        parts.append(tail + "\n")
    return Invocation(
        request_id=request_id,
        status="failed" if error is not None else "succeeded",
        result_json=b"null" if error is not None or result is None else result,
        error=error,
        logs="".join(parts),
        report=report,
        logs_truncated=run.truncated,
        hint=_hint(req, run, report, error),
    )


def _invalid_response(request_id: str) -> dict:
    return _error(
        f"RequestId: {request_id} Error: the runtime sent a malformed response",
        "Runtime.InvalidResponse",
    )
