"""A warm endpoint call against the same warm invoke through the JSON API (`make bench`).

Starts gunicorn (debug off, its own throwaway database) and the warm daemon, saves one function
through the API and turns its endpoint on, then alternates POST /api/functions/<id>/invoke with
GET /fn/<endpoint-id>/ (both run the same warm environment: same user, function and version)
and prints both medians and the difference. Goal: the endpoint adds at most 5 ms.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.servers import Browser, Server, collect_static, create_user, prepare, production_env

RUNS = 50
ROOT = Path(__file__).resolve().parents[2]
CODE = 'def lambda_handler(event, context):\n    return {"statusCode": 200, "body": "ok"}\n'
PASSWORD = "a long unusual passphrase"


def timed_get(url: str) -> tuple[float, int, bytes]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
        return (time.perf_counter() - start) * 1000, response.status, body


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ccc-bench-endpoints-") as tmp:
        var_dir = Path(tmp)
        sock = var_dir / "warm" / "warm.sock"
        env = production_env(
            var_dir, collect_static(var_dir / "static"),
            RUNNER_WARM_SOCKET=str(sock), RUNNER_RATE_PER_MINUTE="100000",
            ENDPOINT_RATE_PER_MINUTE="100000", ENDPOINT_ADDRESS_RATE_PER_MINUTE="100000",
        )  # fmt: skip
        prepare(env)
        create_user(env, "bench", PASSWORD)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "course.runner.warm.daemon", "--socket", str(sock)],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
        )
        server = Server(env, workers=2, threads=4).start()
        try:
            while not sock.exists():
                time.sleep(0.05)
            browser = Browser(server.url)
            browser.login("bench", PASSWORD)
            status, fn = browser.post_json("/api/functions/", {
                "name": "bench", "runtime": "python", "code": CODE, "memory_mb": 128,
                "timeout_s": 3})  # fmt: skip
            assert status == 201, fn
            status, endpoint = browser.post_json(
                f"/api/functions/{fn['id']}/endpoint",
                {"enabled": True, "api_key_required": False, "rate": 100, "burst": 200,
                 "daily_quota": 100000},
            )  # fmt: skip
            assert status == 200, endpoint
            invoke_path = f"/api/functions/{fn['id']}/invoke"
            for _ in range(3):  # warm both paths (and the environment) first
                assert browser.post_json(invoke_path, {"event": {}})[0] == 200
                assert timed_get(endpoint["url"])[1] == 200
            api, fn_calls = [], []
            for _ in range(RUNS):
                start = time.perf_counter()
                status, body = browser.post_json(invoke_path, {"event": {}})
                api.append((time.perf_counter() - start) * 1000)
                assert status == 200 and body["cold"] is False, body
                elapsed, status, content = timed_get(endpoint["url"])
                fn_calls.append(elapsed)
                assert status == 200 and content == b"ok", (status, content)
        finally:
            server.stop()
            daemon.terminate()
            daemon.wait(timeout=30)
    api_med, fn_med = statistics.median(api), statistics.median(fn_calls)
    print(f"POST /api/functions/<id>/invoke, warm (production server): median {api_med:.2f} ms")
    print(f"GET /fn/<endpoint-id>/, warm (production server):         median {fn_med:.2f} ms")
    print(
        f"endpoint minus invoke API: {fn_med - api_med:+.2f} ms (goal: at most +5 ms; {RUNS} each)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
