"""Node.js 24 (the ``nodejs24`` runtime, Lambda's ``nodejs24.x``), installed from PyPI by
``make node24`` into a fixed read-only path: handlers run on it, cold and warm, and the sandbox
holds as it does for the other runtimes (the interpreter cannot be changed from inside)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from course.runner import InvocationRequest, SandboxLimits, runtimes
from course.runner.install_node import NODE24_DIR, NODE24_VERSION
from course.runner.interpreters import node_binary
from course.runner.warm import WarmKey, WarmPool
from course.runner.warm.pool import PoolSettings
from tests.helpers import Unavailable, unavailable


@pytest.fixture(scope="session")
def node24(limits) -> Unavailable | None:
    if isinstance(limits, Unavailable):
        return limits
    info = runtimes(limits)["nodejs24"]
    if not info.available:
        return unavailable(f"Node.js 24 is unavailable: {info.reason}")
    return None


def test_the_fixed_path_is_under_usr_and_the_default():
    # Only /usr is mounted in the sandbox (read-only), so the interpreter must live there.
    assert str(NODE24_DIR).startswith("/usr/")
    assert SandboxLimits().node24_path == str(NODE24_DIR / "bin" / "node")
    assert node_binary("nodejs24", SandboxLimits()) == SandboxLimits().node24_path
    assert node_binary("nodejs", SandboxLimits()) == SandboxLimits().node_path


def test_missing_node24_is_reported_with_how_to_install(tmp_path):
    limits = SandboxLimits(node24_path=str(tmp_path / "node"))
    info = runtimes(limits)["nodejs24"]
    assert not info.available and info.label == "Node.js 24"
    assert "make node24" in info.reason


@pytest.mark.sandbox
@pytest.mark.parametrize(
    "source",
    [
        "exports.handler = async (event) => ({ v: process.version, n: event.n * 2 });",
        "export const handler = async (event) => ({ v: process.version, n: event.n * 2 });",
    ],
    ids=["cjs", "esm"],
)
def test_a_handler_runs_on_node24(run, node24, source):
    inv = run(source, runtime="nodejs24", event={"n": 21})
    assert inv.status == "succeeded", inv.logs
    assert inv.result == {"v": f"v{NODE24_VERSION}", "n": 42}
    assert "Init Duration" in inv.logs


@pytest.mark.sandbox
def test_node24_is_read_only_inside_the_sandbox(run, node24, limits):
    binary = limits.node24_path
    probe = f"""
const fs = require('fs');
const tries = {{}};
for (const [name, act] of Object.entries({{
  write: () => fs.writeFileSync({json.dumps(binary)}, 'x'),
  append: () => fs.appendFileSync({json.dumps(binary)}, 'x'),
  chmod: () => fs.chmodSync({json.dumps(binary)}, 0o777),
  unlink: () => fs.unlinkSync({json.dumps(binary)}),
  create: () => fs.writeFileSync({json.dumps(str(NODE24_DIR / "evil"))}, 'x'),
  writable: () => fs.accessSync({json.dumps(binary)}, fs.constants.W_OK),
}})) {{
  try {{ act(); tries[name] = 'allowed'; }} catch (e) {{ tries[name] = e.code; }}
}}
exports.handler = async () => tries;
"""
    inv = run(probe, runtime="nodejs24")
    assert inv.status == "succeeded", inv.logs
    assert set(inv.result) == {"write", "append", "chmod", "unlink", "create", "writable"}
    for name, outcome in inv.result.items():
        assert outcome in {"EROFS", "EACCES", "EPERM"}, (name, outcome)
    # And the host's copy is untouched.
    assert not (NODE24_DIR / "evil").exists()
    assert run("exports.handler = async () => process.version;", runtime="nodejs24").result == (
        f"v{NODE24_VERSION}"
    )


@pytest.mark.sandbox
def test_node24_keeps_state_warm(limits, node24):
    pool = WarmPool(PoolSettings(), limits)
    try:
        request = InvocationRequest(
            runtime="nodejs24",
            code="let n = 0;\nexports.handler = async () => ({ n: ++n, v: process.version });\n",
            event={},
            memory_mb=128,
            timeout_s=10,
        )
        key = WarmKey(1, 1, 1)
        first, cold = pool.invoke(key, request)
        assert cold and first.result == {"n": 1, "v": f"v{NODE24_VERSION}"}, first.logs
        second, cold = pool.invoke(key, replace(request))
        assert not cold and second.result["n"] == 2, second.logs
    finally:
        pool.close()
