"""What a run request may hold: checked alike for the page's form and the JSON API's body.

The API's body and the page's fields become the same mapping (the page's event text is parsed
as strictly as the API's body), and RunForm checks it: every bad field gets a message that also
says what Lambda allows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from django import forms
from django.conf import settings

from course import runner
from course.runner.payload import NotStandardJSON, TooDeep, Unreturnable
from course.runner.payload import check as check_standard_json
from course.runner.web.limits import sandbox_limits
from course.runner.web.samples import DEFAULT_STARTER, SAMPLE_EVENTS, STARTERS

# Lambda's synchronous invocation payload limit, for the request (the event) and the response:
# 6 MB, exactly 6,291,456 bytes; over it, Invoke fails with RequestEntityTooLargeException.
MAX_EVENT_BYTES = 6_291_456
MAX_CODE_CHARS = 256 * 1024
# The API's body carries the code and the settings beside the event, so it may be larger than
# the event alone: room for the largest event, the largest code written as \uXXXX escapes
# (6 bytes a character) and the other fields. Read by this view itself, not through Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which would refuse events Lambda accepts.
MAX_BODY_BYTES = MAX_EVENT_BYTES + 6 * MAX_CODE_CHARS + 64 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
REAL_LAMBDA_MEMORY = "real Lambda allows 128-10,240 MB"
REAL_LAMBDA_TIMEOUT = "real Lambda allows 1-900 s"


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


# What a request that leaves a setting out gets (the page's editor starts from these too).
DEFAULTS: dict[str, object] = {"runtime": "python", "memory_mb": 128, "timeout_s": 3, "event": {}}
_MISSING = object()


class AsSent(forms.Widget):
    """Hands its field the value as sent: a JSON body's numbers, lists and objects stay what they
    are, and a field left out is told apart from one sent empty (only the first gets DEFAULTS)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name, _MISSING)


class RunForm(forms.Form):
    """One run request, from the page's form (see form_data) or the JSON API's body.

    Valid, it holds ``invocation_request``; invalid, ``messages_by_field()`` gives one message per
    field, each also saying what real Lambda allows.
    """

    runtime = forms.Field(required=False, widget=AsSent)
    code = forms.Field(required=False, widget=AsSent)
    memory_mb = forms.Field(required=False, widget=AsSent)
    timeout_s = forms.Field(required=False, widget=AsSent)
    event = forms.Field(required=False, widget=AsSent)

    def _sent(self, name: str) -> object:
        value = self.cleaned_data.get(name)
        return DEFAULTS.get(name) if value is _MISSING else value

    def clean_runtime(self) -> str:
        runtime = self._sent("runtime")
        if not isinstance(runtime, str) or runtime not in runner.runtimes(sandbox_limits()):
            shown = runtime if isinstance(runtime, str) else type(runtime).__name__
            raise forms.ValidationError(
                f"Unknown runtime {printable(shown)[:40]!r}; choose one of "
                f"{', '.join(runner.RUNTIME_NAMES)}."
            )
        return runtime

    def clean_code(self) -> str:
        code = self._sent("code")
        if not isinstance(code, str) or not code.strip():
            raise forms.ValidationError("Write a handler function to run.")
        if len(code) > MAX_CODE_CHARS:
            raise forms.ValidationError(f"Code is limited to {MAX_CODE_CHARS // 1024} KB here.")
        if _SURROGATE.search(code):
            raise forms.ValidationError(
                "The code holds a lone UTF-16 surrogate (such as \\ud800), which is not a "
                "character; Lambda takes code as UTF-8 text."
            )
        return code

    def clean_memory_mb(self) -> int:
        memory = whole_number(self._sent("memory_mb"))
        if memory is None or not 128 <= memory <= settings.RUNNER_MAX_MEMORY_MB:
            raise forms.ValidationError(
                f"Memory must be a whole number of MB from 128 to "
                f"{settings.RUNNER_MAX_MEMORY_MB:,} here ({REAL_LAMBDA_MEMORY})."
            )
        return memory

    def clean_timeout_s(self) -> int:
        timeout = whole_number(self._sent("timeout_s"))
        if timeout is None or not 1 <= timeout <= settings.RUNNER_MAX_TIMEOUT_S:
            raise forms.ValidationError(
                f"Timeout must be a whole number of seconds from 1 to "
                f"{settings.RUNNER_MAX_TIMEOUT_S} here ({REAL_LAMBDA_TIMEOUT})."
            )
        return timeout

    def clean_event(self) -> object:
        return self._sent("event")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.invocation_request = runner.InvocationRequest(
                runtime=cleaned["runtime"],
                code=cleaned["code"],
                event=cleaned["event"],
                memory_mb=cleaned["memory_mb"],
                timeout_s=cleaned["timeout_s"],
            )
        return cleaned

    def messages_by_field(self) -> dict[str, str]:
        return {name: errors[0] for name, errors in self.errors.items()}


def printable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def form_values(params: Mapping[str, str]) -> dict[str, str]:
    """What the editor shows: a chosen starter, the learner's last submission, or the default."""
    starter = STARTERS.get(params.get("starter", ""), STARTERS[DEFAULT_STARTER])
    values = {
        "starter": starter.key,
        "runtime": starter.runtime,
        "code": starter.code,
        "event": SAMPLE_EVENTS[starter.event_key].json,
        "event_sample": starter.event_key,
        "memory_mb": str(DEFAULTS["memory_mb"]),
        "timeout_s": str(DEFAULTS["timeout_s"]),
    }
    for name in ("runtime", "code", "event", "memory_mb", "timeout_s"):
        if name in params and "starter" not in params:
            values[name] = params[name]
    return values


def form_data(post: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """The form sends the event as JSON text; parse it like the API's body would be."""
    data = {name: post.get(name, "") for name in ("runtime", "code", "memory_mb", "timeout_s")}
    text = post.get("event", "").strip() or "{}"
    try:
        data["event"] = parse_json(text, "The event")
    except BadJSON as bad:
        return data, {"event": str(bad)}
    return data, {}
