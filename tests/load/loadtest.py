"""Load test for a running server (`make loadtest`); see the README's performance section.

Phases, all on loopback, after a 3-second warm-up that is printed but is not a goal: a freshly
started worker renders each lesson once for its page cache and loads the rest of Django lazily,
and the first seconds have a slow tail (p99 345-572 ms measured) that a running site does not.
1. /healthz with wrk: Django's floor for this server (a database round trip, no templates).
2. Lesson pages with wrk, rotating through every lesson.
3. A mix with wrk (lesson pages and calculator API calls) while learners, in Python threads,
   sign up, take a quiz and submit it; afterwards every submission is checked on /progress/.
4. A class of 30 signs up and presses "Submit" on the same 5-test code lab at once, while a
   reader loads lesson pages (tests/load/bench_labs.py): all graded within 10 s, pages < 100 ms.

Prints requests per second, p50/p99 latency and errors, and whether the goals were met.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.load.bench_labs import CLASS_SIZE, class_presses_submit
from tests.servers import Browser, quiz_form

LESSONS = [
    "docker",
    "ecs",
    "fargate",
    "ecr",
    "serverless",
    "lambda",
    "api-gateway",
    "batch",
    "lightsail",
    "summary",
]
CALCULATOR_QUERIES = [
    "requests=3000000&duration_ms=120&memory_mb=1536",
    "requests=6M&duration_ms=280&memory_mb=4096&storage_mb=2048",
    "requests=60000000&duration_ms=28&memory_mb=1024&free_tier=0",
    "requests=250k&duration_ms=1500&memory_mb=512&arch=arm64",
]
ROTATE = Path(__file__).with_name("rotate.lua")


@dataclass
class WrkResult:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rps:>9.1f} req/s   p50 {self.p50_ms:>7.2f} ms   "
            f"p99 {self.p99_ms:>7.2f} ms   errors {self.errors}   ({self.requests} requests)"
        )


def to_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(name: str, base: str, paths: list[str], connections: int, seconds: int) -> WrkResult:
    env = {**os.environ, "WRK_PATHS": ",".join(paths)}
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(ROTATE),
        base,
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    p50 = to_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    p99 = to_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return WrkResult(name, rps, p50, p99, errors, requests)


# --- Quiz learners ------------------------------------------------------------------------------


@dataclass
class LearnerStats:
    latencies_ms: list[float] = field(default_factory=list)
    submitted: int = 0
    errors: list[str] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    browsers: list = field(default_factory=list)
    submitted_by: dict = field(default_factory=dict)


def take_quizzes(base: str, stats: LearnerStats, stop_at: float, lock: threading.Lock) -> None:
    browser = Browser(base, timings=stats.latencies_ms)
    username = f"load-{uuid.uuid4().hex[:10]}"

    def ok(response: tuple[int, str, str]) -> tuple[str, str]:
        status, html, url = response
        if status != 200:
            raise RuntimeError(f"HTTP {status} at {url}")
        return url, html

    try:
        ok(browser.get("/accounts/signup/"))
        password = f"load test {uuid.uuid4().hex}"
        ok(
            browser.post(
                "/accounts/signup/",
                {"username": username, "password1": password, "password2": password},
            )
        )
        with lock:
            stats.usernames.append(username)
            stats.browsers.append((username, browser))
            stats.submitted_by[username] = 0
        lesson = 0
        while time.time() < stop_at:
            slug = LESSONS[lesson % len(LESSONS)]
            lesson += 1
            ok(browser.get(f"/lessons/{slug}/quiz/"))
            url, html = ok(browser.post(f"/lessons/{slug}/quiz/start/"))
            path = urllib.parse.urlsplit(url).path.rstrip("/")
            ok(browser.post(path + "/review/", quiz_form(html)))
            _, result = ok(browser.post(path + "/submit/"))
            if "score-figure" not in result:
                raise RuntimeError(f"no score on the result page for {slug}")
            with lock:
                stats.submitted += 1
                stats.submitted_by[username] += 1
    except (urllib.error.URLError, RuntimeError, OSError) as error:
        with lock:
            stats.errors.append(f"{username}: {error}")


ATTEMPTS_CELL = re.compile(
    r'<th scope="row">.*?</th>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>(\d+)', re.S
)


def count_recorded(stats: LearnerStats) -> int:
    """What the server says each learner submitted: the Attempts column of their /progress/."""
    recorded = 0
    for username, browser in stats.browsers:
        _, html, _ = browser.get("/progress/")
        seen = sum(int(n) for n in ATTEMPTS_CELL.findall(html))
        if seen != stats.submitted_by[username]:
            stats.errors.append(
                f"{username}: submitted {stats.submitted_by[username]}, progress shows {seen}"
            )
        recorded += seen
    return recorded


def signed_up(base: str) -> Browser:
    browser = Browser(base)
    username, password = f"class-{uuid.uuid4().hex[:10]}", f"load test {uuid.uuid4().hex}"
    browser.get("/accounts/signup/")
    browser.post(
        "/accounts/signup/", {"username": username, "password1": password, "password2": password}
    )
    return browser


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured warm-up")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    lesson_paths = [f"/lessons/{slug}/" for slug in LESSONS]

    print(f"Load test against {base}: {args.connections} connections, {args.seconds} s a phase\n")
    if args.warmup > 0:
        warm_paths = [*lesson_paths, "/healthz"]
        warm = run_wrk("warm-up (not a goal)", base, warm_paths, args.connections, args.warmup)
        print(warm.line())
    health = run_wrk("/healthz", base, ["/healthz"], args.connections, args.seconds)
    print(health.line())
    lessons = run_wrk("lesson pages", base, lesson_paths, args.connections, args.seconds)
    print(lessons.line())

    stats = LearnerStats()
    lock = threading.Lock()
    stop_at = time.time() + args.seconds
    learners = [
        threading.Thread(target=take_quizzes, args=(base, stats, stop_at, lock))
        for _ in range(args.learners)
    ]
    for learner in learners:
        learner.start()
    mix_paths = lesson_paths + [f"/api/pricing/lambda?{q}" for q in CALCULATOR_QUERIES]
    mix = run_wrk("mix: lessons + calculator API", base, mix_paths, args.connections, args.seconds)
    for learner in learners:
        learner.join()
    print(mix.line())
    quiz_line = (
        f"{'mix: quiz learners (' + str(args.learners) + ')':<34} {stats.submitted:>9} submitted"
        f"   p50 {percentile(stats.latencies_ms, 50):>7.2f} ms   "
        f"p99 {percentile(stats.latencies_ms, 99):>7.2f} ms   errors {len(stats.errors)}"
    )
    print(quiz_line)
    recorded = count_recorded(stats)
    print(f"{'quiz submissions recorded':<34} {recorded} of {stats.submitted}")

    learners = [signed_up(base) for _ in range(CLASS_SIZE)]
    class_goals = class_presses_submit(base, learners, signed_up(base))

    ratio = lessons.rps / health.rps if health.rps else 0
    goals = [
        (f"lesson pages >= 70% of /healthz throughput ({ratio:.0%})", ratio >= 0.70),
        (f"lesson p99 < 100 ms ({lessons.p99_ms:.1f} ms)", lessons.p99_ms < 100),
        (f"mix p99 < 100 ms ({mix.p99_ms:.1f} ms)", mix.p99_ms < 100),
        ("zero errors", not (health.errors or lessons.errors or mix.errors or stats.errors)),
        ("every quiz submission recorded", recorded == stats.submitted and stats.submitted > 0),
        *class_goals,
    ]
    print("\nGoals:")
    for text, met in goals:
        print(f"  [{'x' if met else ' '}] {text}")
    for error in stats.errors[:5]:
        print("  error:", error)
    return 0 if all(met for _, met in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
