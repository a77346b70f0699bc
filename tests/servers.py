"""Real server processes for tests: gunicorn with production settings, and a small HTTP client.

Used by the scale-out and fault tests, which need what pytest-django's in-process live server
cannot give: several independent servers, and processes that can be killed and restarted.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(var_dir: Path, static_root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="course.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="shared-by-every-server-" + "k" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_VAR_DIR=str(var_dir),
        DJANGO_STATIC_ROOT=str(static_root),
        RUNNER_STATE_DIR=str(var_dir / "runner"),
    )
    env.update(extra)
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def collect_static(static_root: Path) -> Path:
    """Hashed, compressed static files, as `make serve` builds them; once per test session."""
    env = production_env(static_root.parent, static_root)
    manage(env, "collectstatic", "--noinput", "-v0")
    return static_root


def prepare(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "createcachetable")
    manage(env, "sync_content", "-v0")


def create_user(env: dict, username: str, password: str) -> None:
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user({username!r}, password={password!r})",
    )


class Server:
    """One gunicorn instance; `stop()` is a clean shutdown, `kill()` a crash."""

    def __init__(self, env: dict, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env, self.workers, self.threads = env, workers, threads
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen(
            [
                GUNICORN, "course.wsgi", "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers), "--threads", str(self.threads),
                # As make serve: a worker whose threads are all busy stops accepting, so a
                # page request goes to a worker with a free thread (course/server/worker.py).
                "--worker-class", "course.server.worker.ThreadWorker", "--graceful-timeout", "5",
            ],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"server on {self.port} did not start")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)


class Browser:
    """Cookies, the CSRF token and redirects: what a person's browser does for them."""

    def __init__(self, base: str, timings: list[float] | None = None):
        self.base = base
        self.timings = timings  # when given, every request's latency in ms is appended
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def use(self, base: str) -> Browser:
        """Send the next requests to another server with the same cookies, as a load balancer
        does. Cookies belong to the host, not the port, so both servers receive them."""
        self.base = base
        return self

    @property
    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def get(self, path: str) -> tuple[int, str, str]:
        return self._send(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict | list | None = None, **headers) -> tuple[int, str, str]:
        pairs = list((data or {}).items()) if isinstance(data, dict | None) else list(data)
        pairs.append(("csrfmiddlewaretoken", self.csrf))
        body = urllib.parse.urlencode(pairs).encode()
        request = urllib.request.Request(
            self.base + path, body, {"Referer": self.base + path, **headers}
        )
        return self._send(request)

    def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf, "Referer": self.base},
        )
        status, body, _ = self._send(request)
        return status, json.loads(body)

    def login(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        status, _, url = self.post("/accounts/login/", {"username": username, "password": password})
        assert status == 200 and not url.endswith("/accounts/login/"), "log-in failed"

    def _send(self, request) -> tuple[int, str, str]:
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.geturl()
        finally:
            if self.timings is not None:
                self.timings.append((time.perf_counter() - started) * 1000)


def quiz_form(html: str) -> list[tuple[str, str]]:
    """The first choice of every question (1 for numeric ones), as the attempt form posts it."""
    answers: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]+>", html):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or not kind or name.group(1) == "csrfmiddlewaretoken":
            continue
        if kind.group(1) in {"radio", "checkbox"} and value:
            answers.setdefault(name.group(1), value.group(1))
        elif kind.group(1) == "text":
            answers.setdefault(name.group(1), "1")
    return list(answers.items())


def new_database(postgres_url: str) -> str:
    """A fresh database on the test PostgreSQL server; returns its URL."""
    import psycopg

    name = f"course_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + "/" + name
