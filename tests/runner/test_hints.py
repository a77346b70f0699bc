"""Out of memory and timeouts: Lambda's own terse error, plus a plain hint for a learner."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.sandbox

PYTHON_OOM = (
    "def lambda_handler(event, context):\n"
    "    data = bytearray(300 * 1024 * 1024)\n"
    "    return len(data)\n"
)
NODE_OOM = (
    "exports.handler = async () => {\n"
    "  const keep = [];\n"
    "  for (;;) keep.push(Buffer.alloc(16 * 1024 * 1024, 1));\n"
    "};\n"
)
SPIN = {
    "python": "def lambda_handler(event, context):\n    while True:\n        pass\n",
    "nodejs": "exports.handler = async () => { for (;;) {} };\n",
}


@pytest.fixture
def api(client, alice, limits, settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    client.force_login(alice)

    def _post(runtime, code, timeout_s=3):
        payload = {"runtime": runtime, "code": code, "event": {}, "memory_mb": 128,
                   "timeout_s": timeout_s}  # fmt: skip
        response = client.post(
            "/api/runner/invoke", json.dumps(payload), content_type="application/json"
        )
        assert response.status_code == 200
        return response.json()

    return _post


@pytest.mark.parametrize(("runtime", "code"), [("python", PYTHON_OOM), ("nodejs", NODE_OOM)])
def test_out_of_memory_shows_lambdas_error_and_a_hint(api, node, runtime, code):
    # At 128 MB the handler has 7% of a CPU (CPU follows memory): touching 128 MB takes a while.
    answer = api(runtime, code, timeout_s=10)
    assert answer["status"] == "failed"
    assert answer["error"]["errorType"] == "Runtime.ExitError"
    assert answer["error"]["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert answer["report"]["max_memory_used_mb"] == 128
    assert "ran out of memory" in answer["hint"]
    assert "128 MB memory size" in answer["hint"]


def test_the_page_shows_the_hint(client, alice, limits, settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    client.force_login(alice)
    data = {"runtime": "python", "code": PYTHON_OOM, "event": "{}", "memory_mb": "128",
            "timeout_s": "10"}  # fmt: skip
    html = client.post(
        "/tools/function-runner/run", data, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Runtime.ExitError" in html and "signal: killed" in html
    assert "ran out of memory: Max Memory Used reached its 128 MB memory size" in html


@pytest.mark.parametrize("runtime", ["python", "nodejs"])
def test_a_timeout_has_a_hint(api, node, runtime):
    answer = api(runtime, SPIN[runtime], timeout_s=1)
    assert answer["error"]["errorType"] == "Sandbox.Timedout"
    assert "did not finish within the function's 1-second timeout" in answer["hint"]


def test_a_successful_run_has_no_hint(api):
    answer = api("python", "def lambda_handler(event, context):\n    return 1\n")
    assert answer["status"] == "succeeded" and "hint" not in answer


def test_killing_itself_is_not_called_out_of_memory(api):
    code = (
        "import os, signal\ndef lambda_handler(e, c):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    answer = api("python", code)
    assert answer["error"]["errorMessage"].endswith("signal: killed")
    assert "hint" not in answer
