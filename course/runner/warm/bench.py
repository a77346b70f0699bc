"""Warm and cold starts and power tuning, timed side by side (``make bench`` runs it).

    python -m course.runner.warm.bench [--runs 30]

Starts its own warm daemon on a temporary socket and measures, alternating so that background
load hits each alike:
- a warm ``invoke_warm`` round trip of an empty handler against the handler's own Duration;
- a cold ``invoke()`` against ``python3 -I -S -c pass``;
- a saved function's cold start through the daemon (``force_cold``), likewise;
- one power tuning of the empty handler at 7 sizes x 5 runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import InvocationRequest, SandboxLimits, invoke, launcher, sandbox, sandbox_status
from .client import invoke_warm
from .pool import WarmKey
from .power import tune

EMPTY_HANDLER = "def lambda_handler(e, c):\n    return None\n"
# The goals: over the handler's own Duration; over `python3 -I -S -c pass`; wall time.
WARM_GOAL_MS = 2.0
COLD_GOAL_MS = 10.0
TUNING_GOAL_S = 3.0


def _p(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _row(label: str, values: list[float]) -> str:
    return f"{label:44} {statistics.median(values):8.2f}ms {_p(values, 0.9):8.2f}ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    limits = SandboxLimits()
    if not sandbox_status(limits).ok:
        print("sandbox unavailable", file=sys.stderr)
        return 1
    request = InvocationRequest(
        runtime="python", code=EMPTY_HANDLER, event={}, memory_mb=128, timeout_s=3
    )
    root = Path(__file__).resolve().parents[3]
    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "warm" / "warm.sock"
        daemon = subprocess.Popen(
            [sys.executable, "-m", "course.runner.warm.daemon", "--socket", str(sock)],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        try:
            while not sock.exists():
                if daemon.poll() is not None:
                    print("the warm daemon did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            key, cold_key = WarmKey(1, 1, 1), WarmKey(3, 1, 1)
            invoke_warm(key, request, socket_path=sock)
            invoke(request, limits=limits)
            warm, handler, overhead, cold, plain, daemon_cold = [], [], [], [], [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                inv, was_cold = invoke_warm(key, request, socket_path=sock)
                elapsed = (time.perf_counter() - start) * 1000
                if was_cold or inv.status != "succeeded":
                    print(f"unexpected cold or failed warm run: {inv.error}", file=sys.stderr)
                    return 1
                warm.append(elapsed)
                handler.append(inv.report["duration_ms"])
                overhead.append(elapsed - inv.report["duration_ms"])
                start = time.perf_counter()
                invoke(request, limits=limits)
                cold.append((time.perf_counter() - start) * 1000)
                # What the cold run left to the background (its teardown, the next spare
                # launcher) must not run during the baseline: finished first, untimed.
                sandbox.settle()
                launcher.settle()
                start = time.perf_counter()
                subprocess.run([limits.python_path, "-I", "-S", "-c", "pass"], check=True)
                plain.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                inv, was_cold = invoke_warm(cold_key, request, force_cold=True, socket_path=sock)
                daemon_cold.append((time.perf_counter() - start) * 1000)
                if not was_cold or inv.status != "succeeded":
                    print(f"unexpected warm or failed cold start: {inv.error}", file=sys.stderr)
                    return 1
                # The daemon's own background work (its next spare, made once it has been quiet
                # for 0.1 s) must not overlap the next measurements: waited for, untimed.
                time.sleep(0.4)
            started = time.perf_counter()
            result = tune(
                request,
                WarmKey(2, 1, 1),
                max_memory_mb=3008,
                lock_dir=Path(tmp) / "locks",
                invoker=lambda k, r, force_cold: invoke_warm(
                    k, r, force_cold=force_cold, socket_path=sock
                ),
            )
            tuning_s = time.perf_counter() - started
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
    print(f"{'':44} {'median':>10} {'p90':>10}   ({args.runs} runs each)")
    print(_row("warm invoke_warm(), empty handler, round trip", warm))
    print(_row("  its handler's own Duration", handler))
    print(_row("  what warm adds (round trip - Duration)", overhead))
    print(_row("cold invoke(), empty handler", cold))
    print(_row(f"{limits.python_path} -I -S -c pass", plain))
    added = statistics.median(cold) - statistics.median(plain)
    print(f"{'  what cold adds (median difference)':44} {added:8.2f}ms")
    print(_row("saved function, cold start via the daemon", daemon_cold))
    via_daemon = statistics.median(daemon_cold) - statistics.median(plain)
    print(f"{'  what it adds (median difference)':44} {via_daemon:8.2f}ms")
    sizes = len(result.results)
    print(f"power tuning, empty handler, {sizes} sizes x 5 runs: {tuning_s:.2f} s")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average {load} on {os.cpu_count()} CPUs)")
    warm_added = statistics.median(overhead)
    goals = [
        ("a warm invoke adds at most 2 ms at the median", warm_added <= WARM_GOAL_MS),
        ("a cold invoke adds at most 10 ms at the median", added <= COLD_GOAL_MS),
        ("tuning 7 sizes x 5 runs takes under 3 s", tuning_s < TUNING_GOAL_S),
    ]
    for goal, met in goals:
        print(f"goal: {goal}: {'met' if met else 'NOT met'}")
    return 0 if all(met for _, met in goals) else 1


if __name__ == "__main__":
    raise SystemExit(main())
