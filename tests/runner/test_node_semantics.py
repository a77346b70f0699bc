"""Lambda semantics of the Node.js runtime: module kinds, handler styles, context, errors."""

from __future__ import annotations

import re
import textwrap

import pytest

from tests.helpers import between_start_and_end, parse_report

from .test_python_semantics import ALLOWED_ENV, TIMESTAMP

pytestmark = [pytest.mark.sandbox, pytest.mark.usefixtures("node")]


def js(src: str) -> str:
    return textwrap.dedent(src).lstrip()


@pytest.mark.parametrize(
    "source",
    [
        "exports.handler = async (event) => ({ doubled: event.n * 2 });",
        "module.exports.handler = async function (event) { return { doubled: event.n * 2 }; };",
        "module.exports = { handler: (event) => Promise.resolve({ doubled: event.n * 2 }) };",
        "export const handler = async (event, context) => ({ doubled: event.n * 2 });",
        "export async function handler(event) {\n  return { doubled: event.n * 2 };\n}",
        "const handler = async (event) => ({ doubled: event.n * 2 });\nexport { handler };",
        "import { setTimeout as wait } from 'node:timers/promises';\n"
        "export const handler = async (event) => {\n"
        "  await wait(5);\n  return { doubled: event.n * 2 };\n};",
    ],
    ids=[
        "cjs-exports",
        "cjs-module-exports",
        "cjs-promise",
        "esm-const",
        "esm-function",
        "esm-export-list",
        "esm-import",
    ],
)
def test_module_kinds_and_async_handlers(run, source):
    inv = run(source, runtime="nodejs", event={"n": 21})
    assert inv.status == "succeeded", inv.logs
    assert inv.result == {"doubled": 42}
    parse_report(inv)


def test_callback_handler_waits_for_empty_event_loop(run):
    inv = run(
        js("""
            exports.handler = (event, context, callback) => {
              setTimeout(() => console.log('timer ran'), 50);
              callback(null, { via: 'callback', waits: context.callbackWaitsForEmptyEventLoop });
            };
        """),
        runtime="nodejs",
    )
    assert inv.result == {"via": "callback", "waits": True}
    assert "timer ran" in between_start_and_end(inv)


def test_callback_without_waiting_for_event_loop(run):
    inv = run(
        js("""
            exports.handler = (event, context, callback) => {
              context.callbackWaitsForEmptyEventLoop = false;
              setTimeout(() => console.log('never printed'), 5000);
              callback(null, 'fast');
            };
        """),
        runtime="nodejs",
        timeout=3,
    )
    assert inv.status == "succeeded"
    assert inv.result == "fast"
    assert inv.report["duration_ms"] < 2000
    assert "never printed" not in inv.logs


def test_callback_error(run):
    inv = run(
        "exports.handler = (e, c, cb) => cb(new RangeError('out of range'));", runtime="nodejs"
    )
    assert inv.error["errorType"] == "RangeError"
    assert inv.error["errorMessage"] == "out of range"
    assert inv.error["stackTrace"][0] == "RangeError: out of range"


def test_sync_handler_returns_null_like_lambda(run):
    # Lambda ignores a plain return value: a non-async handler must use the callback.
    inv = run("exports.handler = (event) => 42;", runtime="nodejs")
    assert inv.status == "succeeded"
    assert inv.result is None


def test_context_object(run):
    inv = run(
        js("""
            exports.handler = async (event, context) => {
              const first = context.getRemainingTimeInMillis();
              await new Promise((r) => setTimeout(r, 200));
              return {
                functionName: context.functionName,
                functionVersion: context.functionVersion,
                invokedFunctionArn: context.invokedFunctionArn,
                memoryLimitInMB: context.memoryLimitInMB,
                awsRequestId: context.awsRequestId,
                logGroupName: context.logGroupName,
                logStreamName: context.logStreamName,
                identity: context.identity === undefined,
                clientContext: context.clientContext === undefined,
                waits: context.callbackWaitsForEmptyEventLoop,
                remaining: [first, context.getRemainingTimeInMillis()],
              };
            };
        """),
        runtime="nodejs",
        memory=256,
        timeout=4,
        function_name="node-fn",
    )
    ctx = inv.result
    assert ctx["functionName"] == "node-fn"
    assert ctx["functionVersion"] == "$LATEST"
    assert ctx["invokedFunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:node-fn"
    assert ctx["memoryLimitInMB"] == "256"
    assert ctx["awsRequestId"] == inv.request_id
    assert ctx["logGroupName"] == "/aws/lambda/node-fn"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", ctx["logStreamName"])
    assert ctx["identity"] is True and ctx["clientContext"] is True
    assert ctx["waits"] is True
    first, second = ctx["remaining"]
    assert 3000 < first <= 4000
    assert 150 <= first - second <= 1000


def test_environment(run, monkeypatch):
    monkeypatch.setenv("SECRET_CANARY", "canary-node")
    inv = run("exports.handler = async () => process.env;", runtime="nodejs")
    assert set(inv.result) == ALLOWED_ENV


def test_console_log_format(run):
    inv = run(
        js("""
            console.log('during init');
            exports.handler = async (event) => {
              console.log('hello', { a: 1 });
              console.error('oops');
              return null;
            };
        """),
        runtime="nodejs",
    )
    assert re.match(rf"{TIMESTAMP}\tundefined\tINFO\tduring init\nSTART ", inv.logs)
    body = between_start_and_end(inv)
    assert re.fullmatch(
        rf"{TIMESTAMP}\t{inv.request_id}\tINFO\thello {{ a: 1 }}\n"
        rf"{TIMESTAMP}\t{inv.request_id}\tERROR\toops\n",
        body,
    )


def test_thrown_error(run):
    inv = run("exports.handler = async () => { null.x; };", runtime="nodejs")
    assert inv.status == "failed"
    assert inv.error["errorType"] == "TypeError"
    assert "null" in inv.error["errorMessage"]
    assert inv.error["stackTrace"][0].startswith("TypeError: ")
    assert any("/var/task/index.js" in line for line in inv.error["stackTrace"])
    assert f"\t{inv.request_id}\tERROR\tInvoke Error \t" in inv.logs


def test_plain_error_name(run):
    inv = run("export const handler = async () => { throw new Error('nope'); };", runtime="nodejs")
    assert inv.error["errorType"] == "Error"
    assert inv.error["errorMessage"] == "nope"


def test_syntax_error(run):
    inv = run("exports.handler = async () => { return 1;", runtime="nodejs")
    assert inv.error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert inv.error["errorMessage"].startswith("SyntaxError: ")


def test_missing_module(run):
    inv = run("const x = require('left-pad');\nexports.handler = async () => 1;", runtime="nodejs")
    assert inv.error["errorType"] == "Runtime.ImportModuleError"
    assert "Cannot find module 'left-pad'" in inv.error["errorMessage"]


def test_handler_not_exported(run):
    inv = run("exports.main = async () => 1;", runtime="nodejs")
    assert inv.error["errorType"] == "Runtime.HandlerNotFound"
    assert inv.error["errorMessage"] == "index.handler is undefined or not exported"


def test_unstringifiable_result(run):
    inv = run(
        "exports.handler = async () => { const a = {}; a.a = a; return a; };", runtime="nodejs"
    )
    assert inv.status == "failed"
    assert inv.error["errorMessage"] == "Unable to stringify response body"


def test_unhandled_rejection(run):
    inv = run(
        "exports.handler = async () => { Promise.reject(new Error('lost')); "
        "await new Promise((r) => setTimeout(r, 100)); return 1; };",
        runtime="nodejs",
    )
    assert inv.error["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert inv.error["errorMessage"] == "Error: lost"


def test_timeout(run):
    inv = run(
        "exports.handler = () => new Promise(() => setInterval(() => {}, 1000));",
        runtime="nodejs",
        timeout=1,
    )
    assert inv.error["errorType"] == "Sandbox.Timedout"
    assert inv.error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert inv.report["duration_ms"] == 1000.0


@pytest.mark.parametrize(
    "source",
    [
        # Off-heap memory: only the memory limit (cgroup or watchdog) can stop this.
        "exports.handler = async () => { const a = []; "
        "for (let i = 0; i < 400; i++) a.push(Buffer.alloc(1 << 20, 1)); return a.length; };",
        # JavaScript heap, in 1 MB arrays: at 128 MB the handler has 7% of a CPU (CPU follows
        # memory), too little for millions of small objects' garbage collection within 10 s.
        "exports.handler = async () => { const a = []; "
        "for (let i = 0; i < 1e6; i++) a.push(new Array(1 << 17).fill(i)); return a.length; };",
    ],
    ids=["buffers", "heap"],
)
def test_memory_limit(run, source):
    inv = run(source, runtime="nodejs", memory=128, timeout=10)
    assert inv.status == "failed"
    assert inv.error["errorType"] == "Runtime.ExitError"
    assert inv.error["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert inv.report["max_memory_used_mb"] == 128


def test_process_exit(run):
    inv = run("exports.handler = async () => { process.exit(2); };", runtime="nodejs")
    assert inv.error["errorType"] == "Runtime.ExitError"
    assert inv.error["errorMessage"].endswith("Runtime exited with error: exit status 2")
