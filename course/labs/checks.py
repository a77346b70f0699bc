"""A lab test's expectations, judged on the host against what the sandbox or validator returned.

Pure: no Django. Nothing here runs inside the learner's process: a code lab's handler ran in the
runner's sandbox, and these functions only look at the outcome it reported (the result as JSON,
the logs, the error type, the REPORT figures). An artefact lab's text went through a validator in
``course.labs.validators``; its expectations look at that validator's answer.

Expectations are a mapping, every key optional, all of which must hold:

Code labs (``outcome`` is the invocation as the API returns it):
- ``result``: the result equals this JSON value exactly.
- ``result_contains``: for an object, every key given has this value (recursively, so nested
  objects may be partial); for a string, this substring; for a list, these items.
- ``result_shape``: a JSON shape: ``"string" | "number" | "integer" | "boolean" | "null" |
  "object" | "array"``, or ``{"key": shape, ...}`` (those keys at least), or ``[shape]`` (every
  item).
- ``logs_contain``: this text appears in the function's own output (between START and END).
- ``error_type``: the run failed with this errorType (absent or ``null``: it must succeed).
- ``max_duration_ms`` / ``max_memory_mb``: from the REPORT.

Artefact labs (``outcome`` is the validator's ``as_dict()``):
- ``valid``: true or false.
- ``info_contains``: like ``result_contains``, on the validator's ``info``.
- ``no_warnings``: true: AWS would accept it and there is no advice either.
- ``warning_contains``/``error_contains``: a warning / error message contains this text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHAPES = ("string", "number", "integer", "boolean", "null", "object", "array")
CODE_KEYS = {
    "result",
    "result_contains",
    "result_shape",
    "logs_contain",
    "error_type",
    "max_duration_ms",
    "max_memory_mb",
}
ARTEFACT_KEYS = {"valid", "info_contains", "no_warnings", "warning_contains", "error_contains"}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


def _short(value: Any, limit: int = 120) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def contains(actual: Any, expected: Any) -> bool:
    """Partial match: objects by the keys given, lists by the items given, strings by substring."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return all(any(contains(item, want) for item in actual) for want in expected)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected in actual
    return _same(actual, expected)


def _same(a: Any, b: Any) -> bool:
    # JSON equality: 1 == 1.0, but true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b or _numbers(a, b)


def _numbers(a: Any, b: Any) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and a == b


def matches_shape(value: Any, shape: Any) -> str | None:
    """None if ``value`` has ``shape``, else where and why not."""
    if isinstance(shape, str):
        ok = {
            "string": isinstance(value, str),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "null": value is None,
            "object": isinstance(value, dict),
            "array": isinstance(value, list),
        }[shape]
        return None if ok else f"expected {shape}, got {_short(value, 40)}"
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"expected an object, got {_short(value, 40)}"
        for key, sub in shape.items():
            if key not in value:
                return f'missing key "{key}"'
            problem = matches_shape(value[key], sub)
            if problem:
                return f'"{key}": {problem}'
        return None
    if not isinstance(value, list):
        return f"expected an array, got {_short(value, 40)}"
    for index, item in enumerate(value):
        problem = matches_shape(item, shape[0])
        if problem:
            return f"[{index}]: {problem}"
    return None


def check_shape_spec(shape: Any) -> str | None:
    """For content validation: None if ``shape`` is a well-formed shape."""
    if isinstance(shape, str):
        return None if shape in SHAPES else f"unknown shape {shape!r} (one of {SHAPES})"
    if isinstance(shape, dict):
        for sub in shape.values():
            problem = check_shape_spec(sub)
            if problem:
                return problem
        return None
    if isinstance(shape, list) and len(shape) == 1:
        return check_shape_spec(shape[0])
    return "a shape is a name, an object of shapes, or a one-item list"


def function_output(logs: str) -> str:
    """The function's own output: what lies between START and END (not INIT's, not REPORT)."""
    start = logs.find("START RequestId:")
    end = logs.rfind("END RequestId:")
    if start < 0 or end < start:
        return logs
    return logs[logs.find("\n", start) + 1 : end]


def judge_code(expect: dict, outcome: dict) -> Verdict:
    """Every expectation of a code lab's test, against one invocation (the API's JSON body)."""
    error = outcome.get("error") or None
    error_type = error.get("errorType") if isinstance(error, dict) else None
    result = outcome.get("result")
    report = outcome.get("report") or {}
    wants_error = expect.get("error_type")
    if wants_error is None:  # not given, or null: the run must succeed
        if error_type is not None:
            message = error.get("errorMessage", "") if isinstance(error, dict) else ""
            return Verdict(False, f"The function failed: {error_type}: {message}"[:300])
    elif error_type != wants_error:
        got = error_type or "no error"
        return Verdict(False, f"Expected the run to fail with {wants_error}, got {got}.")
    if "result" in expect and not _same(result, expect["result"]):
        return Verdict(
            False, f"Expected {_short(expect['result'])}, the handler returned {_short(result)}."
        )
    if "result_contains" in expect and not contains(result, expect["result_contains"]):
        return Verdict(
            False,
            f"Expected the result to contain {_short(expect['result_contains'])}, "
            f"got {_short(result)}.",
        )
    if "result_shape" in expect:
        problem = matches_shape(result, expect["result_shape"])
        if problem:
            return Verdict(False, f"The result does not have the expected shape: {problem}.")
    if "logs_contain" in expect and expect["logs_contain"] not in function_output(
        outcome.get("logs", "")
    ):
        return Verdict(False, f"Expected the logs to contain {_short(expect['logs_contain'])}.")
    if "max_duration_ms" in expect and report.get("duration_ms", 0) > expect["max_duration_ms"]:
        return Verdict(
            False,
            f"Took {report.get('duration_ms')} ms; it must finish within "
            f"{expect['max_duration_ms']} ms.",
        )
    if "max_memory_mb" in expect and report.get("max_memory_used_mb", 0) > expect["max_memory_mb"]:
        return Verdict(
            False,
            f"Used {report.get('max_memory_used_mb')} MB; it must stay within "
            f"{expect['max_memory_mb']} MB.",
        )
    return Verdict(True, "Passed.")


def judge_artefact(expect: dict, outcome: dict) -> Verdict:
    """Every expectation of an artefact lab's test, against a validator's answer."""
    errors = outcome.get("errors", [])
    warnings = outcome.get("warnings", [])
    if "valid" in expect and bool(outcome.get("valid")) != expect["valid"]:
        if expect["valid"]:
            first = errors[0] if errors else {}
            where = f" (line {first.get('line')}, column {first.get('column')})" if first else ""
            return Verdict(False, f"AWS would refuse it: {first.get('message', '')}{where}")
        return Verdict(False, "AWS would accept this, but the task asks for one it refuses.")
    if "info_contains" in expect and not contains(outcome.get("info", {}), expect["info_contains"]):
        return Verdict(
            False,
            f"Expected {_short(expect['info_contains'])}, found "
            f"{_short({k: outcome.get('info', {}).get(k) for k in expect['info_contains']})}.",
        )
    if expect.get("no_warnings") and warnings:
        return Verdict(False, f"Advice to follow: {warnings[0]['message']}")
    for key, issues in (("warning_contains", warnings), ("error_contains", errors)):
        if key in expect and not any(expect[key] in issue["message"] for issue in issues):
            kind = "a warning" if key == "warning_contains" else "an error"
            return Verdict(False, f"Expected {kind} about {_short(expect[key])}.")
    return Verdict(True, "Passed.")
