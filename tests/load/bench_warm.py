"""A warm invoke against a trivial JSON API call on the production server (`make bench`).

Starts gunicorn (debug off, its own throwaway database) and the warm daemon, then alternates a
GET of `/api/pricing/lambda` (a trivial JSON API answer) with a warm `invoke_warm` of an empty
handler, and prints both medians and the difference. Goal: a warm invoke adds at most 5 ms.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course.runner import InvocationRequest
from course.runner.warm import WarmKey
from course.runner.warm.client import invoke_warm
from tests.servers import Browser, Server, collect_static, prepare, production_env

RUNS = 50
ROOT = Path(__file__).resolve().parents[2]
EMPTY = "def lambda_handler(e, c):\n    return None\n"
API = "/api/pricing/lambda?requests=1000000&duration_ms=100&memory_mb=128"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ccc-bench-warm-") as tmp:
        var_dir = Path(tmp)
        env = production_env(var_dir, collect_static(var_dir / "static"))
        prepare(env)
        sock = var_dir / "warm" / "warm.sock"
        daemon = subprocess.Popen(
            [sys.executable, "-m", "course.runner.warm.daemon", "--socket", str(sock)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        server = Server(env, workers=2, threads=4).start()
        try:
            while not sock.exists():
                time.sleep(0.05)
            browser = Browser(server.url)
            req = InvocationRequest(
                runtime="python", code=EMPTY, event={}, memory_mb=128, timeout_s=3
            )
            key = WarmKey(1, 1, 1)
            invoke_warm(key, req, socket_path=sock)
            browser.get(API)
            api, warm = [], []
            for _ in range(RUNS):
                start = time.perf_counter()
                status, _, _ = browser.get(API)
                api.append((time.perf_counter() - start) * 1000)
                assert status == 200, status
                start = time.perf_counter()
                inv, cold = invoke_warm(key, req, socket_path=sock)
                warm.append((time.perf_counter() - start) * 1000)
                assert not cold and inv.status == "succeeded"
        finally:
            server.stop()
            daemon.terminate()
            daemon.wait(timeout=30)
    api_med, warm_med = statistics.median(api), statistics.median(warm)
    print(f"GET /api/pricing/lambda (production server): median {api_med:.2f} ms")
    print(f"warm invoke_warm(), empty handler:            median {warm_med:.2f} ms")
    print(f"warm minus API call: {warm_med - api_med:+.2f} ms (goal: at most +5 ms; {RUNS} each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
