"""Fuzz POST /api/runner/invoke: whatever the body, no 500, and the answer is standard JSON.

Real HTTP requests through Django's test client. Most examples are refused before any run; the
few valid ones reach a stand-in for runner.invoke (launching a sandbox per example would make
the suite slow), which answers with a result frame the fuzzer also chose, interpreted by the
real runner code.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course import runner
from course.runner import SandboxLimits
from course.runner.invocation import _interpret
from course.runner.sandbox import SandboxRun


def _no_constants(name):
    raise AssertionError(f"non-standard JSON constant {name} in the answer")


def assert_standard(raw: bytes) -> None:
    value = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
field_values = json_values | st.sampled_from(
    ["python", "nodejs", "cobol", "\ud800", 128, 3, "128", 1e400, -1, True, []]
)
bodies = st.one_of(
    # Objects with the API's field names, values of any JSON type.
    st.fixed_dictionaries(
        {},
        optional={
            "runtime": field_values,
            "code": field_values | st.just("def lambda_handler(e, c):\n    return e\n"),
            "event": json_values,
            "memory_mb": field_values,
            "timeout_s": field_values,
        },
    ).map(lambda d: json.dumps(d).encode()),
    # Any JSON at all, deep nesting, and raw bytes.
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.binary(max_size=40),
)
frames = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=30),
    st.sampled_from([b"[1, NaN]", b'"\\ud800"', b"[" * 2000 + b"]" * 2000, b"1e999"]),
)


@pytest.fixture
def fuzz_client(alice, settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    settings.RUNNER_RATE_PER_MINUTE = 100_000
    client = Client()
    client.force_login(alice)
    return client


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, frame=frames)
def test_invoke_never_answers_500_and_always_standard_json(fuzz_client, body, frame):
    def invoke(request, limits=None):
        run = SandboxRun(booted=True, ready=True, frame_kind=b"J", frame_payload=frame)
        return _interpret(request, "6f1c1bd2-3c39-4b8e-9f1e-0d2f3a4b5c6d", run, SandboxLimits())

    ok = runner.SandboxStatus(True, "", "")
    available = {
        "python": runner.RuntimeInfo("python", "Python 3", True),
        "nodejs": runner.RuntimeInfo("nodejs", "Node.js", True),
    }
    with (
        mock.patch("course.runner.web.views.runner.sandbox_status", return_value=ok),
        mock.patch("course.runner.web.views.runner.runtimes", return_value=available),
        mock.patch("course.runner.web.views.runner.invoke", invoke),
    ):
        response = fuzz_client.post("/api/runner/invoke", body, content_type="application/json")
    assert response.status_code in (200, 400, 413), response.content[:300]
    assert_standard(response.content)
    if response.status_code == 400:
        assert all(isinstance(m, str) and m for m in response.json()["errors"].values())
