"""Lambda semantics of the Python runtime: context, environment, logs, REPORT, every error kind."""

from __future__ import annotations

import re
import textwrap
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from course.runner import SandboxLimits, interpreters
from tests.helpers import between_start_and_end, parse_report

pytestmark = pytest.mark.sandbox

ALLOWED_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "LAMBDA_TASK_ROOT",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "TZ",
    "LANG",
    "PATH",
    "HOME",
}
TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"


def code(src: str) -> str:
    return textwrap.dedent(src).lstrip()


def test_result_print_output_and_log_shape(run):
    inv = run(
        code("""
            def lambda_handler(event, context):
                print("hello from the handler", event["name"])
                return {"greeting": "hi " + event["name"]}
        """),
        event={"name": "Ada"},
    )
    assert inv.status == "succeeded", inv.logs
    assert inv.result == {"greeting": "hi Ada"}
    assert inv.error is None
    assert uuid.UUID(inv.request_id).version == 4
    lines = inv.logs.splitlines()
    assert lines[0] == f"START RequestId: {inv.request_id} Version: $LATEST"
    assert lines[-2] == f"END RequestId: {inv.request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {inv.request_id}\tDuration: ")
    assert between_start_and_end(inv) == "hello from the handler Ada\n"
    report = parse_report(inv)
    assert report["memory"] == 128
    assert report["init"] > 0
    assert inv.logs_truncated is False
    as_dict = inv.as_dict()
    assert set(as_dict) == {
        "request_id",
        "status",
        "result",
        "error",
        "logs",
        "report",
        "logs_truncated",
    }
    assert set(inv.report) == {
        "duration_ms",
        "billed_duration_ms",
        "memory_size_mb",
        "max_memory_used_mb",
        "init_duration_ms",
    }


def test_context_object(run):
    inv = run(
        code("""
            import time
            def lambda_handler(event, context):
                first = context.get_remaining_time_in_millis()
                time.sleep(0.2)
                second = context.get_remaining_time_in_millis()
                return {
                    "function_name": context.function_name,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "memory_limit_in_mb": context.memory_limit_in_mb,
                    "aws_request_id": context.aws_request_id,
                    "log_group_name": context.log_group_name,
                    "log_stream_name": context.log_stream_name,
                    "identity": [context.identity.cognito_identity_id,
                                 context.identity.cognito_identity_pool_id],
                    "client_context": context.client_context,
                    "remaining": [first, second],
                }
        """),
        memory=256,
        timeout=4,
        function_name="orders-api",
    )
    assert inv.status == "succeeded", inv.logs
    ctx = inv.result
    assert ctx["function_name"] == "orders-api"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:orders-api"
    )
    assert ctx["memory_limit_in_mb"] == "256"  # a string, as in Lambda
    assert ctx["aws_request_id"] == inv.request_id
    assert ctx["log_group_name"] == "/aws/lambda/orders-api"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert ctx["identity"] == [None, None]
    assert ctx["client_context"] is None
    first, second = ctx["remaining"]
    assert 3000 < first <= 4000
    assert 150 <= first - second <= 1000


def test_remaining_time_never_negative(run):
    inv = run(
        code("""
            import time
            def lambda_handler(event, context):
                context._epoch_deadline_time_in_ms -= 10_000
                return context.get_remaining_time_in_millis()
        """)
    )
    assert inv.result == 0


def test_environment_has_only_lambda_variables(run, monkeypatch):
    monkeypatch.setenv("SECRET_CANARY", "canary-3c1f")
    inv = run(
        code("""
            import os
            def lambda_handler(event, context):
                return dict(os.environ)
        """),
        memory=512,
        function_name="env-check",
    )
    env = inv.result
    assert set(env) == ALLOWED_ENV
    assert "SECRET_CANARY" not in env
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "env-check"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/env-check"
    assert env["TZ"] == ":UTC"
    assert env["LANG"] == "C.UTF-8"
    assert env["PATH"] == "/usr/bin:/bin"
    assert env["HOME"] == "/tmp"


def test_event_round_trip(run):
    event = {
        "text": "héllo ✓ \u2028",
        "numbers": [0, -1, 2.5, 10**20],
        "nested": {"a": [True, False, None], "b": {}},
        "empty": [],
    }
    inv = run("def lambda_handler(event, context):\n    return event\n", event=event)
    assert inv.result == event


def test_handler_exception(run):
    inv = run(
        code("""
            def helper():
                raise ValueError("boom")

            def lambda_handler(event, context):
                helper()
        """)
    )
    assert inv.status == "failed"
    assert inv.result is None
    assert inv.error["errorType"] == "ValueError"
    assert inv.error["errorMessage"] == "boom"
    trace = inv.error["stackTrace"]
    assert trace[0].startswith('  File "/var/task/lambda_function.py", line 5, in lambda_handler')
    assert 'line 2, in helper\n    raise ValueError("boom")' in trace[1]
    assert "bootstrap" not in "".join(trace)
    body = between_start_and_end(inv)
    assert body.startswith("[ERROR] ValueError: boom\nTraceback (most recent call last):\n")
    assert '    raise ValueError("boom")' in body
    parse_report(inv)


def test_syntax_error(run):
    inv = run("def lambda_handler(event, context)\n    return 1\n")
    assert inv.status == "failed"
    assert inv.error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert inv.error["errorMessage"].startswith("Syntax error in module 'lambda_function': ")
    assert "line 1" in inv.error["errorMessage"]
    assert inv.error["stackTrace"][0].startswith('  File "/var/task/lambda_function.py" Line 1')
    assert "[ERROR] Runtime.UserCodeSyntaxError" in inv.logs
    assert inv.report["duration_ms"] == 0.0
    parse_report(inv)


def test_import_error(run):
    inv = run("import no_such_module_here\n\ndef lambda_handler(e, c):\n    return 1\n")
    assert inv.error == {
        "errorMessage": "Unable to import module 'lambda_function': "
        "No module named 'no_such_module_here'",
        "errorType": "Runtime.ImportModuleError",
        "stackTrace": [],
    }


def test_handler_missing(run):
    inv = run("def handler(event, context):\n    return 1\n")
    assert inv.error == {
        "errorMessage": "Handler 'lambda_handler' missing on module 'lambda_function'",
        "errorType": "Runtime.HandlerNotFound",
        "stackTrace": [],
    }


def test_exception_during_init(run):
    inv = run("raise KeyError('config')\n\ndef lambda_handler(e, c):\n    return 1\n")
    assert inv.status == "failed"
    assert inv.error["errorType"] == "KeyError"
    assert "lambda_function.py" in inv.error["stackTrace"][0]


def test_init_output_comes_before_start(run):
    inv = run(
        code("""
            print("loading config")
            def lambda_handler(event, context):
                print("handling")
        """)
    )
    assert inv.logs.startswith(f"loading config\nSTART RequestId: {inv.request_id} ")
    assert between_start_and_end(inv) == "handling\n"
    assert inv.result is None


def test_stdout_and_stderr_keep_their_order(run):
    inv = run(
        code("""
            import sys
            def lambda_handler(event, context):
                for i in range(5):
                    print("out", i)
                    print("err", i, file=sys.stderr)
        """)
    )
    expected = "".join(f"out {i}\nerr {i}\n" for i in range(5))
    assert between_start_and_end(inv) == expected


def test_logging_uses_lambda_format(run):
    inv = run(
        code("""
            import logging
            logger = logging.getLogger()
            logger.setLevel(logging.INFO)
            def lambda_handler(event, context):
                logger.info("processing %s", 42)
                logging.getLogger("child").debug("hidden")
        """)
    )
    body = between_start_and_end(inv)
    assert re.fullmatch(rf"\[INFO\]\t{TIMESTAMP}\t{inv.request_id}\tprocessing 42\n", body)


def test_marshal_error(run):
    inv = run("def lambda_handler(event, context):\n    return {1, 2}\n")
    assert inv.status == "failed"
    assert inv.error == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "stackTrace": [],
    }
    assert "[ERROR] Runtime.MarshalError: Unable to marshal response" in inv.logs


def test_response_just_under_the_limit(run):
    inv = run("def lambda_handler(event, context):\n    return 'x' * 6_000_000\n")
    assert inv.status == "succeeded"
    assert len(inv.result) == 6_000_000


def test_response_too_large(run):
    inv = run("def lambda_handler(event, context):\n    return 'x' * (7 * 1024 * 1024)\n")
    assert inv.status == "failed"
    assert inv.result is None
    assert inv.error == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
        "stackTrace": [],
    }


def test_bytes_response(run):
    inv = run("def lambda_handler(event, context):\n    return b'{\"a\": 1}'\n")
    assert inv.result == {"a": 1}


def test_timeout(run):
    started = time.monotonic()
    inv = run(
        code("""
            import time
            def lambda_handler(event, context):
                print("about to sleep")
                time.sleep(30)
        """),
        timeout=1,
    )
    assert time.monotonic() - started < 6
    assert inv.status == "failed"
    assert inv.error == {
        "errorMessage": f"RequestId: {inv.request_id} Error: Task timed out after 1.00 seconds",
        "errorType": "Sandbox.Timedout",
        "stackTrace": [],
    }
    assert inv.report["duration_ms"] == 1000.0
    report = parse_report(inv)
    assert report["duration"] == 1000.0
    assert "about to sleep\n" in between_start_and_end(inv)
    last = inv.logs.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(rf"{TIMESTAMP} {inv.request_id} Task timed out after 1\.00 seconds", last)


def test_memory_limit(run):
    inv = run(
        code("""
            def lambda_handler(event, context):
                data = bytearray(300 * 1024 * 1024)
                return len(data)
        """),
        memory=128,
        timeout=10,  # at 128 MB the handler has 7% of a CPU: touching 128 MB takes a while
    )
    assert inv.status == "failed"
    message = f"RequestId: {inv.request_id} Error: Runtime exited with error: signal: killed"
    assert inv.error == {
        "errorMessage": message,
        "errorType": "Runtime.ExitError",
        "stackTrace": [],
    }
    assert inv.logs.rstrip("\n").endswith("Runtime exited with error: signal: killed")
    assert inv.report["max_memory_used_mb"] == 128
    assert parse_report(inv)["used"] == 128


def test_memory_within_limit_is_fine(run):
    inv = run(
        "def lambda_handler(event, context):\n    return len(bytearray(200 * 1024 * 1024))\n",
        memory=512,
        timeout=10,
    )
    assert inv.status == "succeeded", inv.logs
    assert inv.result == 200 * 1024 * 1024
    assert 200 <= inv.report["max_memory_used_mb"] <= 512


def test_sys_exit(run):
    inv = run("import sys\n\ndef lambda_handler(event, context):\n    sys.exit(3)\n")
    assert inv.error["errorType"] == "Runtime.ExitError"
    assert inv.error["errorMessage"] == (
        f"RequestId: {inv.request_id} Error: Runtime exited with error: exit status 3"
    )
    assert inv.logs.rstrip("\n").endswith("Runtime exited with error: exit status 3")
    parse_report(inv)


def test_killed_by_own_signal_is_not_a_memory_error(run):
    inv = run("import os\n\ndef lambda_handler(event, context):\n    os.kill(os.getpid(), 9)\n")
    assert inv.error["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert inv.report["max_memory_used_mb"] < 128


def test_abort_leaves_no_core_dump(run):
    inv = run("import os\n\ndef lambda_handler(event, context):\n    os.abort()\n")
    assert inv.error["errorType"] == "Runtime.ExitError"
    assert inv.error["errorMessage"].endswith("Runtime exited with error: signal: aborted")
    # A child aborts; the parent then looks for any core file where one could be written.
    inv = run(
        code("""
            import os, glob
            def lambda_handler(event, context):
                pid = os.fork()
                if pid == 0:
                    os.chdir("/tmp")
                    os.abort()
                _, status = os.waitpid(pid, 0)
                limits = [line for line in open("/proc/self/limits") if "core" in line]
                return {
                    "signal": os.WTERMSIG(status),
                    "core_dumped": os.WCOREDUMP(status),
                    "cores": glob.glob("/tmp/core*") + glob.glob("/var/task/core*"),
                    "limit": limits[0].split()[-3:-1],
                }
        """)
    )
    assert inv.result == {"signal": 6, "core_dumped": False, "cores": [], "limit": ["0", "0"]}


def test_init_has_its_own_time_limit(run):
    limits = SandboxLimits(init_timeout_s=1.0)
    inv = run(
        "import time\ntime.sleep(30)\n\ndef lambda_handler(e, c):\n    return 1\n",
        limits=limits,
        timeout=5,
    )
    assert inv.error["errorType"] == "Sandbox.Timedout"
    assert inv.error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert inv.report["init_duration_ms"] == 1000.0
    assert inv.report["duration_ms"] == 0.0


def test_slow_init_does_not_eat_the_handler_timeout(run):
    inv = run(
        "import time\ntime.sleep(1.5)\n\ndef lambda_handler(e, c):\n    return 'ok'\n", timeout=1
    )
    assert inv.status == "succeeded", inv.logs
    assert inv.report["init_duration_ms"] >= 1500


def test_large_event(run):
    event = {"blob": "e" * (5 * 1024 * 1024)}
    inv = run(
        "def lambda_handler(event, context):\n    return len(event['blob'])\n",
        event=event,
        memory=256,
    )
    assert inv.result == 5 * 1024 * 1024


def test_concurrent_invocations_stay_apart(run):
    source = code("""
        import os, time
        def lambda_handler(event, context):
            with open("/tmp/mine", "w") as fh:
                fh.write(event["who"])
            time.sleep(0.3)
            return [event["who"], open("/tmp/mine").read(), context.aws_request_id]
    """)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda who: run(source, event={"who": who}), "abcd"))
    assert [inv.result[:2] for inv in results] == [[w, w] for w in "abcd"]
    assert len({inv.request_id for inv in results}) == 4
    assert all(inv.result[2] == inv.request_id for inv in results)


def test_bootstrap_source_fallback(run, monkeypatch):
    # Without a precompiled bootstrap the source is shipped; behaviour is the same.
    monkeypatch.setattr(interpreters, "_python_bootstrap_pyc", lambda path: None)
    inv = run("def lambda_handler(event, context):\n    raise ValueError('boom')\n")
    assert inv.error["errorType"] == "ValueError"
    assert len(inv.error["stackTrace"]) == 1
    assert "lambda_function.py" in inv.error["stackTrace"][0]
