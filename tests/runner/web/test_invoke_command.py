"""The ``invoke`` management command, for lesson authors."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from course.runner.web.management.commands.invoke import Command, build_request, parse_event

pytestmark = pytest.mark.sandbox


@pytest.fixture(autouse=True)
def django_settings():
    # Under `-p no:django` nothing configures Django; the command only needs two settings.
    if not settings.configured:
        settings.configure(RUNNER_MAX_MEMORY_MB=1024, RUNNER_MAX_TIMEOUT_S=10)


def invoke_command(*args) -> str:
    out = io.StringIO()
    call_command(Command(), *args, stdout=out, no_color=True)
    return out.getvalue()


def test_prints_logs_then_result(limits, tmp_path):
    handler = tmp_path / "handler.py"
    handler.write_text("def lambda_handler(event, context):\n    print('hi')\n    return event\n")
    output = invoke_command(str(handler), "--event", '{"a": 1}', "--memory", "256")
    logs, result = output.split("Result:\n")
    assert logs.startswith("START RequestId: ")
    assert "\thi\n" not in logs and "\nhi\n" in logs
    assert "Memory Size: 256 MB" in logs
    assert json.loads(result) == {"a": 1}


def test_function_error_exits_with_3(limits, tmp_path):
    handler = tmp_path / "handler.py"
    handler.write_text("def lambda_handler(event, context):\n    raise ValueError('bad')\n")
    out = io.StringIO()
    with pytest.raises(SystemExit) as info:
        call_command(Command(), str(handler), stdout=out, no_color=True)
    assert info.value.code == 3
    error = json.loads(out.getvalue().split("Error:\n")[1])
    assert error["errorType"] == "ValueError"


def test_runtime_from_extension(tmp_path):
    handler = tmp_path / "index.mjs"
    handler.write_text("export const handler = async () => 1;")
    request = build_request(
        str(handler),
        event={},
        memory=128,
        timeout=3,
        runtime=None,
        function_name="f",
        max_memory=1024,
        max_timeout=10,
    )
    assert request.runtime == "nodejs"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"memory": 99_999}, "--memory must be from 128 to 1024"),
        ({"timeout": 60}, "--timeout must be from 1 to 10"),
        ({"runtime": None, "name": "handler.txt"}, "Cannot tell the runtime"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    handler = tmp_path / kwargs.pop("name", "handler.py")
    handler.write_text("def lambda_handler(e, c): pass\n")
    options = {
        "event": {},
        "memory": 128,
        "timeout": 3,
        "runtime": "python",
        "function_name": "f",
        "max_memory": 1024,
        "max_timeout": 10,
        **kwargs,
    }
    with pytest.raises(CommandError, match=message):
        build_request(str(handler), **options)


def test_bad_event_and_missing_file(tmp_path):
    with pytest.raises(CommandError, match="not valid JSON"):
        parse_event("{nope", None)
    with pytest.raises(CommandError, match="not both"):
        parse_event("{}", "x.json")
    assert parse_event(None, None) == {}
    with pytest.raises(CommandError, match="Cannot read"):
        invoke_command(str(tmp_path / "missing.py"))
