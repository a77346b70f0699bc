"""What a huge result costs the web process: bounded, because it is never parsed whole.

No sandbox here: the sandbox's side is a SandboxRun as it would come back (the frame bytes a
handler returning ``[{}] * 2_090_000`` sends), interpreted by the real runner code, so these
tests check the web side's mechanism on any machine. Speed figures live in ``make bench``.
"""

from __future__ import annotations

import json
import tracemalloc
from unittest import mock

import pytest

from course import runner
from course.runner import InvocationRequest, SandboxLimits
from course.runner.invocation import _interpret
from course.runner.sandbox import SandboxRun
from course.runner.web.views import MAX_BODY_BYTES, MAX_EVENT_BYTES, SHOWN_BYTES

API = "/api/runner/invoke"
HUGE = json.dumps([{}] * 2_090_000, separators=(",", ":")).encode()  # 6,270,001 bytes
CODE = "def lambda_handler(event, context):\n    return [{}] * 2_090_000\n"


def fake_invoke(frame: bytes, kind: bytes = b"J"):
    def invoke(request, limits=None):
        run = SandboxRun(
            booted=True, ready=True, init_s=0.05, invoke_s=0.1, frame_kind=kind,
            frame_payload=frame, max_memory_bytes=40 << 20,
        )  # fmt: skip
        return _interpret(request, "6f1c1bd2-3c39-4b8e-9f1e-0d2f3a4b5c6d", run, SandboxLimits())

    return invoke


@pytest.fixture
def runs(settings, tmp_path):
    """runner.invoke answers with ``frame``; the sandbox looks available."""
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    ok = runner.SandboxStatus(True, "", "")
    available = {
        "python": runner.RuntimeInfo("python", "Python 3", True),
        "nodejs": runner.RuntimeInfo("nodejs", "Node.js", True),
    }

    def _runs(frame: bytes, kind: bytes = b"J"):
        return [
            mock.patch("course.runner.web.views.runner.sandbox_status", return_value=ok),
            mock.patch("course.runner.web.views.runner.runtimes", return_value=available),
            mock.patch("course.runner.web.views.runner.invoke", fake_invoke(frame, kind)),
        ]

    return _runs


def call(client, patches, fn):
    for patch in patches:
        patch.start()
    try:
        tracemalloc.start()
        response = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        for patch in patches:
            patch.stop()
    return response, peak


def payload(**overrides):
    return {"runtime": "python", "code": CODE, "event": {}, "memory_mb": 128, "timeout_s": 3,
            **overrides}  # fmt: skip


def test_api_splices_a_6_mb_result_without_parsing_it(client, alice, runs):
    client.force_login(alice)
    body = json.dumps(payload())
    real_loads = json.loads
    parsed_sizes = []

    def loads(text, *args, **kwargs):
        # Only the checker may read the whole text, and only with its object-free hooks.
        if not kwargs.get("object_hook"):
            parsed_sizes.append(len(text))
        return real_loads(text, *args, **kwargs)

    with mock.patch("json.loads", loads):
        response, peak = call(
            client, runs(HUGE), lambda: client.post(API, body, content_type="application/json")
        )
    assert max(parsed_sizes, default=0) < 100_000  # the session and the request, not the result
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    raw = response.content
    # The handler's bytes, exactly as the runtime sent them, between the other fields.
    assert b'"result":' + HUGE + b',"error":null,' in raw
    data = json.loads(raw)
    assert list(data) == [
        "request_id", "status", "result", "error", "logs", "report", "logs_truncated", "cost_usd",
    ]  # fmt: skip
    assert data["status"] == "succeeded" and len(data["result"]) == 2_090_000
    # Parsing and re-serialising took about 300 MB; now a few copies of the 6 MB text.
    assert peak < 80 * 1024 * 1024, peak


def test_page_shows_only_the_start_of_a_huge_result_with_a_note(client, alice, runs):
    client.force_login(alice)
    form = {"runtime": "python", "code": CODE, "event": "{}", "memory_mb": "128", "timeout_s": "3"}
    response, peak = call(
        client,
        runs(HUGE),
        lambda: client.post("/tools/function-runner/run", form, headers={"HX-Request": "true"}),
    )
    html = response.content.decode()
    assert response.status_code == 200 and "✓ succeeded" in html
    assert "Only the first 64 KB of 6,270,001 bytes are shown" in html
    assert len(html) < SHOWN_BYTES + 32 * 1024  # not 12 MB of pretty-printed dicts
    assert peak < 80 * 1024 * 1024, peak


def test_a_small_result_is_pretty_printed_and_escaped(client, alice, runs):
    client.force_login(alice)
    frame = json.dumps({"html": "<script>alert(1)</script>", "n": [1, 2]}).encode()
    form = {"runtime": "python", "code": CODE, "event": "{}", "memory_mb": "128", "timeout_s": "3"}
    response, _ = call(
        client,
        runs(frame),
        lambda: client.post("/tools/function-runner/run", form, headers={"HX-Request": "true"}),
    )
    html = response.content.decode()
    q = "&quot;"
    assert f"{q}html{q}: {q}&lt;script&gt;alert(1)&lt;/script&gt;{q},\n  {q}n{q}: [\n    1," in html
    assert "<script>alert" not in html
    assert "Only the first" not in html


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (b"[1, NaN]", "NaN is not a JSON value"),
        (b'{"x": Infinity}', "Infinity is not a JSON value"),
        (b'"\\ud800"', "lone UTF-16 surrogate"),
        (b"[" * 3000 + b"]" * 3000, "nested too deeply"),
        (b"[1e400]", "too large for a double"),
    ],
)
def test_a_result_that_is_not_standard_json_is_a_lambda_style_error(
    client, alice, runs, frame, why
):
    client.force_login(alice)
    response, _ = call(
        client,
        runs(frame),
        lambda: client.post(API, json.dumps(payload()), content_type="application/json"),
    )
    assert response.status_code == 200
    data = json.loads(response.content, parse_constant=pytest.fail)
    assert data["status"] == "failed" and data["result"] is None
    assert data["error"]["errorType"] == "Runtime.MarshalError"
    assert why in data["error"]["errorMessage"]


def test_an_error_with_a_lone_surrogate_is_sent_as_valid_unicode(client, alice, runs):
    client.force_login(alice)
    frame = b'{"errorType": "ValueError", "errorMessage": "bad \\ud800", "stackTrace": []}'
    response, _ = call(
        client,
        runs(frame, b"E"),
        lambda: client.post(API, json.dumps(payload()), content_type="application/json"),
    )
    assert b"\\ud800" not in response.content
    assert json.loads(response.content.decode("utf-8"))["error"]["errorMessage"] == "bad \ufffd"


def test_a_huge_error_document_of_many_objects_is_not_parsed(client, alice, runs):
    client.force_login(alice)
    frame = b'{"errorType":"X","errorMessage":"m","junk":' + HUGE[: -len(b"]")] + b"]}"
    response, peak = call(
        client,
        runs(frame, b"E"),
        lambda: client.post(API, json.dumps(payload()), content_type="application/json"),
    )
    assert json.loads(response.content)["error"]["errorType"] == "Runtime.InvalidResponse"
    assert peak < 80 * 1024 * 1024, peak


# --- Part 5: the size limits and the messages that quote them ---------------------------------


def test_an_event_between_2_5_mb_and_6_mb_is_accepted(client, alice, runs):
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) used to refuse it quoting 6,291,456."""
    client.force_login(alice)
    event = {"blob": "x" * (4 * 1024 * 1024)}
    response, _ = call(
        client,
        runs(b"1"),
        lambda: client.post(API, json.dumps(payload(event=event)), content_type="application/json"),
    )
    assert response.status_code == 200, response.content[:300]
    assert json.loads(response.content)["result"] == 1


def test_an_event_over_lambdas_limit_gets_lambdas_message(client, alice, runs):
    client.force_login(alice)
    event = {"blob": "x" * MAX_EVENT_BYTES}
    response, _ = call(
        client,
        runs(b"1"),
        lambda: client.post(API, json.dumps(payload(event=event)), content_type="application/json"),
    )
    assert response.status_code == 413
    assert response.json() == {
        "errorType": "RequestEntityTooLargeException",
        "errorMessage": "Request must be smaller than 6291456 bytes for the InvokeFunction "
        "operation",
    }


def test_a_body_over_the_body_limit_says_which_limit(client, alice):
    client.force_login(alice)
    body = json.dumps(payload(event={"blob": "x" * MAX_BODY_BYTES}))
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 413
    message = response.json()["errorMessage"]
    assert f"at most {MAX_BODY_BYTES:,} bytes" in message
    assert "Lambda's 6,291,456-byte synchronous payload limit for the event" in message


def test_response_limit_is_the_one_aws_prints():
    """AWS: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."."""
    from course.runner.config import MAX_RESPONSE_BYTES

    assert MAX_RESPONSE_BYTES == 6_291_556
    request = InvocationRequest("python", CODE, {}, 128, 3)
    run = SandboxRun(booted=True, ready=True, frame_kind=b"J", frame_problem="too_large")
    inv = _interpret(request, "6f1c1bd2-3c39-4b8e-9f1e-0d2f3a4b5c6d", run, SandboxLimits())
    assert inv.error["errorMessage"] == (
        "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    )
