"""Helpers tests import (conftest.py files hold fixtures only).

Django is imported inside the helpers, so conftest.py can import this module before setup.

- require_tool: skip when a system tool is missing, fail under CI=true.
- Quiz helpers: start an attempt through the site and build answers, right or wrong.
- Runner helpers: a fixture's stand-in for a missing tool under CI, and the REPORT line's checks.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from quizzes.models import Attempt, Question

IN_CI = os.environ.get("CI") == "true"
PASSWORD = "correct horse battery"


def require_tool(available: bool, reason: str) -> None:
    """Skip locally when a system tool is missing; under CI=true that is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true and a required tool is missing: {reason}")
    pytest.skip(reason)


def start(client, slug: str = "docker", **extra) -> Attempt:
    """POST "Start quiz" and return the attempt it opened (or resumed)."""
    from django.urls import reverse

    from quizzes.models import Attempt

    response = client.post(reverse("quizzes:start", kwargs={"slug": slug}), **extra)
    assert response.status_code == 302, response
    pk = int(response["Location"].rstrip("/").split("/")[-1])
    return Attempt.objects.get(pk=pk)


def answer_values(attempt: Attempt, right: bool = True) -> dict[Question, list[str]]:
    """Posted values answering every question of the attempt right (or wrong)."""
    from quizzes.models import Choice, Question, QuestionType

    questions = Question.objects.in_bulk(attempt.question_ids)
    choices = Choice.objects.in_bulk([c for ids in attempt.choice_order.values() for c in ids])
    values = {}
    for question_id in attempt.question_ids:
        question = questions[question_id]
        if question.type == QuestionType.NUMERIC:
            number = question.answer_number if right else question.answer_number + 1000
            values[question] = [f"{number.normalize():f}"]
            continue
        shown = [choices[c] for c in attempt.choice_order[str(question_id)]]
        correct = [str(c.pk) for c in shown if c.is_correct]
        wrong = [str(c.pk) for c in shown if not c.is_correct][:1]
        values[question] = correct if right else wrong
    return values


def form_data(values: dict[Question, list[str]]) -> dict[str, list[str]]:
    return {f"q{question.pk}": posted for question, posted in values.items()}


def right_and_wrong(attempt: Attempt, right_count: int) -> dict[str, list[str]]:
    """Form data with the first `right_count` questions right and the rest wrong."""
    right = answer_values(attempt, True)
    wrong = answer_values(attempt, False)
    data = {}
    for index, question in enumerate(right):
        data[f"q{question.pk}"] = right[question] if index < right_count else wrong[question]
    return data


# --- The runner -----------------------------------------------------------------------------

REPORT_RE = re.compile(
    r"^REPORT RequestId: (?P<id>[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
    r"-[0-9a-f]{12})"
    r"\tDuration: (?P<duration>\d+\.\d{2}) ms"
    r"\tBilled Duration: (?P<billed>\d+) ms"
    r"\tMemory Size: (?P<memory>\d+) MB"
    r"\tMax Memory Used: (?P<used>\d+) MB"
    r"\tInit Duration: (?P<init>\d+\.\d{2}) ms$",
    re.MULTILINE,
)


class Unavailable:
    """Stands in for a fixture whose tool is missing under CI, so the test itself fails."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def unavailable(reason: str) -> Unavailable:
    if os.environ.get("CI") == "true":
        return Unavailable(f"CI=true but {reason}")
    pytest.skip(reason)


def parse_report(inv) -> dict:
    """The REPORT line, checked against Lambda's shape and against ``inv.report``."""
    lines = inv.logs.splitlines()
    matches = [m for m in (REPORT_RE.match(line) for line in lines) if m]
    assert len(matches) == 1, inv.logs
    m = matches[0]
    assert m["id"] == inv.request_id
    duration, init = Decimal(m["duration"]), Decimal(m["init"])
    assert int(m["billed"]) == max(1, math.ceil(duration + init))
    assert float(duration) == inv.report["duration_ms"]
    assert float(init) == inv.report["init_duration_ms"]
    assert int(m["billed"]) == inv.report["billed_duration_ms"]
    assert int(m["memory"]) == inv.report["memory_size_mb"]
    assert int(m["used"]) == inv.report["max_memory_used_mb"]
    assert 1 <= int(m["used"]) <= int(m["memory"])
    return {
        "duration": float(duration),
        "init": float(init),
        "billed": int(m["billed"]),
        "memory": int(m["memory"]),
        "used": int(m["used"]),
    }


def between_start_and_end(inv) -> str:
    start = f"START RequestId: {inv.request_id} Version: $LATEST\n"
    end = f"END RequestId: {inv.request_id}\n"
    assert inv.logs.count(start) == 1 and inv.logs.count(end) == 1, inv.logs
    return inv.logs.split(start, 1)[1].split(end, 1)[0]


@contextlib.contextmanager
def warm_daemon(sock: Path, idle_s: int = 60) -> Iterator[subprocess.Popen]:
    """Run ``python -m course.runner.warm.daemon`` on ``sock`` (as `make run` does) until the
    block ends: a separate process, as it is beside gunicorn's workers."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "RUNNER_WARM_IDLE_S": str(idle_s)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "course.runner.warm.daemon", "--socket", str(sock)],
        env=env,
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert proc.poll() is None, "the daemon exited"
            assert time.monotonic() < deadline, "the daemon did not start"
            time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def session_queries() -> int:
    """The queries a signed-in request spends loading its session: one with database sessions,
    none when sessions live in the cache (with REDIS_URL, as `make test-postgres` runs)."""
    from django.conf import settings

    return 1 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" else 0
