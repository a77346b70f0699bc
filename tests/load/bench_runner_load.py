"""Does the site stay responsive while learners' functions run? (`make bench`, second part)

Starts the production server (gunicorn, debug off) on a free loopback port with its own
throwaway database, fires 20 concurrent CPU-busy invocations through the API, and meanwhile
requests lesson pages one after another, reporting their p50/p99 latency. Goal: p99 < 200 ms.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
INVOCATIONS = 20
BUSY_HANDLER = (
    "import time\n"
    "def lambda_handler(event, context):\n"
    "    end = time.time() + 2.5\n"
    "    n = 0\n"
    "    while time.time() < end:\n"
    "        n += 1\n"
    "    return n\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(var_dir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_VAR_DIR": str(var_dir),
        "RUNNER_MAX_CONCURRENCY": str(INVOCATIONS),
        "RUNNER_RATE_PER_MINUTE": str(INVOCATIONS * 2),
        "RUNNER_STATE_DIR": str(var_dir / "runner"),
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def login(base: str, username: str, password: str):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/")
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    )
    opener.open(
        urllib.request.Request(
            f"{base}/accounts/login/", data.encode(), {"Referer": f"{base}/accounts/login/"}
        )
    )
    token = next(c.value for c in jar if c.name == "csrftoken")
    return opener, token


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ccc-bench-") as tmp:
        var_dir = Path(tmp)
        env = server_env(var_dir)
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "createcachetable")
        manage(env, "sync_content")
        static_root = var_dir / "static"
        env["DJANGO_STATIC_ROOT"] = str(static_root)
        manage(env, "collectstatic", "--noinput", "-v0")
        password = secrets.token_urlsafe(16)
        create_user = (
            "from django.contrib.auth.models import User; "
            f"User.objects.create_user('bench0', password='{password}')"
        )
        subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", create_user], cwd=ROOT, env=env, check=True
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "course.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
                "--threads",
                "8",
                "--worker-class",
                "gthread",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            return measure(base, password)
        finally:
            server.terminate()
            server.wait(timeout=20)


def measure(base: str, password: str) -> int:
    opener, token = login(base, "bench0", password)
    body = json.dumps(
        {"runtime": "python", "code": BUSY_HANDLER, "event": {}, "memory_mb": 128, "timeout_s": 5}
    ).encode()
    statuses: list[int] = []

    def invoke() -> None:
        request = urllib.request.Request(
            f"{base}/api/runner/invoke",
            body,
            {"Content-Type": "application/json", "X-CSRFToken": token, "Referer": base + "/"},
        )
        try:
            statuses.append(opener.open(request, timeout=60).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    # Warm up the lesson pages (first requests load templates in each worker).
    for _ in range(10):
        urllib.request.urlopen(f"{base}/lessons/lambda/").read()
    threads = [threading.Thread(target=invoke) for _ in range(INVOCATIONS)]
    for thread in threads:
        thread.start()
    t0 = time.perf_counter()
    time.sleep(0.3)
    latencies = []
    lessons = ["docker", "lambda", "fargate", "batch", "ecs"]
    while any(thread.is_alive() for thread in threads):
        started = time.perf_counter()
        urllib.request.urlopen(f"{base}/lessons/{lessons[len(latencies) % 5]}/").read()
        latencies.append((time.perf_counter() - started) * 1000)
        if os.environ.get("BENCH_TRACE"):
            print(f"  t={time.perf_counter() - t0:5.2f}s  {latencies[-1]:7.1f} ms")
    for thread in threads:
        thread.join()
    p50 = statistics.median(latencies)
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98]
    print(
        f"{INVOCATIONS} concurrent CPU-busy invocations: statuses {sorted(set(statuses))}, "
        f"{statuses.count(200)} ran"
    )
    print(
        f"Lesson pages meanwhile: {len(latencies)} requests, p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms (goal: p99 < 200 ms) -> {'met' if p99 < 200 else 'NOT met'}"
    )
    return 0 if p99 < 200 and statuses.count(200) == INVOCATIONS else 1


if __name__ == "__main__":
    sys.exit(main())
