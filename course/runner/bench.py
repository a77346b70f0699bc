"""End-to-end latency of an empty Python handler vs. plain ``python3 -I -S -c pass``.

    python -m course.runner.bench [--runs 30]

Runs both alternately (so background load hits both alike) and prints median and p90 of each
and the difference, which is what the sandbox adds: bwrap and its namespaces, the bootstrap and
the supervisor. What a run leaves to the background (its sandbox's teardown, the next spare
launcher) is finished, untimed, before the baseline runs, so it cannot slow the baseline.
Exits 1 if the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from . import InvocationRequest, SandboxLimits, invoke, launcher, sandbox, sandbox_status

GOAL_MS = 10.0
EMPTY_HANDLER = "def lambda_handler(e, c):\n    return None\n"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(runs: int, limits: SandboxLimits) -> tuple[list[float], list[float]]:
    request = InvocationRequest(
        runtime="python", code=EMPTY_HANDLER, event={}, memory_mb=128, timeout_s=3
    )
    sandboxed: list[float] = []
    plain: list[float] = []
    invoke(request, limits=limits)  # warm the page cache and the probe
    for _ in range(runs):
        start = time.perf_counter()
        result = invoke(request, limits=limits)
        sandboxed.append((time.perf_counter() - start) * 1000)
        if result.status != "succeeded":
            raise SystemExit(f"benchmark invocation failed: {result.error}")
        sandbox.settle()
        launcher.settle()
        start = time.perf_counter()
        # The baseline the issue names: the interpreter alone, isolated and without site, as the
        # sandbox starts it.
        subprocess.run([limits.python_path, "-I", "-S", "-c", "pass"], check=True)
        plain.append((time.perf_counter() - start) * 1000)
    return sandboxed, plain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    limits = SandboxLimits()
    status = sandbox_status(limits)
    if not status.ok:
        print(f"sandbox unavailable: {status.reason}\n{status.how_to_fix}", file=sys.stderr)
        return 1
    sandboxed, plain = measure(args.runs, limits)
    rows = [("invoke(), empty handler", sandboxed), (f"{limits.python_path} -I -S -c pass", plain)]
    print(f"{'':28} {'median':>9} {'p90':>9}   ({args.runs} runs each)")
    for label, values in rows:
        med, p90 = statistics.median(values), _percentile(values, 0.9)
        print(f"{label:28} {med:7.1f}ms {p90:7.1f}ms")
    diff_med = statistics.median(sandboxed) - statistics.median(plain)
    diff_p90 = _percentile(sandboxed, 0.9) - _percentile(plain, 0.9)
    print(f"{'sandbox adds':28} {diff_med:7.1f}ms {diff_p90:7.1f}ms")
    verdict = "met" if diff_med <= GOAL_MS else "NOT met"
    print(f"goal: a cold invoke adds at most {GOAL_MS:.0f} ms at the median: {verdict}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average {load} on {os.cpu_count()} CPUs; background load inflates both rows)")
    return 0 if diff_med <= GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
