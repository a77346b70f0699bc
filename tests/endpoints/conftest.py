"""Endpoint tests run the real view, limits and throttling, with a stand-in for the warm client:
each invocation records its event and returns what the test set as the function's result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from unittest import mock

import pytest

from course import runner
from course.functions.endpoints.models import ApiKey, Endpoint, key_hash
from course.functions.models import Function

HELLO = 'def lambda_handler(event, context):\n    return {"statusCode": 200, "body": "hi"}\n'


@dataclass
class FakeLambda:
    result: object = field(default_factory=lambda: {"statusCode": 200, "body": "ok"})
    status: str = "succeeded"
    error: dict | None = None
    raises: Exception | None = None
    events: list = field(default_factory=list)
    users: list = field(default_factory=list)

    def __call__(self, key, request, force_cold=False, limits=None):
        self.events.append(request.event)
        self.users.append(key.user_id)
        if self.raises is not None:
            raise self.raises
        invocation = runner.Invocation(
            request_id="6f1c1bd2-3c39-4b8e-9f1e-0d2f3a4b5c6d",
            status=self.status,
            result_json=json.dumps(self.result).encode(),
            error=self.error,
            logs="START\nEND\nREPORT\n",
            report={"duration_ms": 1.0, "billed_duration_ms": 1, "memory_size_mb": 128,
                    "max_memory_used_mb": 30},
            logs_truncated=False,
        )  # fmt: skip
        return invocation, False

    @property
    def event(self) -> dict:
        return self.events[-1]


@pytest.fixture
def fake_lambda(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    settings.REDIS_URL = ""
    fake = FakeLambda()
    with mock.patch("course.functions.execution.invoke_warm", side_effect=fake):
        yield fake


@pytest.fixture
def alice_fn(alice):
    return Function.objects.create(
        owner=alice, name="todo", runtime="python", code=HELLO, memory_mb=128, timeout_s=3
    )


@pytest.fixture
def bob_fn(bob):
    return Function.objects.create(
        owner=bob, name="bobs", runtime="python", code=HELLO, memory_mb=128, timeout_s=3
    )


@pytest.fixture
def endpoint(alice_fn):
    return Endpoint.objects.create(function=alice_fn, enabled=True)


def make_key(endpoint: Endpoint, name: str = "k") -> tuple[ApiKey, str]:
    value = ApiKey.new_value()
    return ApiKey.objects.create(endpoint=endpoint, name=name, hash=key_hash(value)), value
