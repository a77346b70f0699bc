"""Grade an answer to a lab: run its tests, judge each on the host, count the score.

A code lab's handler runs once per test in a fresh sandbox of the function runner (an array
lab: once per child, with AWS_BATCH_JOB_ARRAY_INDEX and _SIZE set, as AWS Batch runs an array
job), under the same concurrency slots as the runner page; instead of answering 429 when they
are all busy, a lab check waits its turn for a short while (coursework, not a Lambda
invocation). An artefact lab goes through its pure validator once. Hidden tests say only
whether they passed: their events, results and logs never leave this module.
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass

from course import runner
from course.labs import checks
from course.labs.validators import validate
from course.runner.web.limits import limiters, sandbox_limits

# How long a check may wait for a sandbox slot before giving up (a class of 30 pressing Check
# together on a 2-core host is served well within this).
SLOT_WAIT_S = 20.0
HIDDEN_PASSED = "Hidden test: passed."
HIDDEN_FAILED = "Hidden test: failed. Its event and expected outcome are not shown."


@dataclass
class TestOutcome:
    name: str
    visible: bool
    passed: bool
    message: str
    # The run's errorType (code labs), kept for the teacher's lab analysis; not in the API.
    error_type: str | None = None

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "visible": self.visible,
            "passed": self.passed,
            "message": self.message,
        }

    def stored(self) -> dict:
        return {**self.as_dict(), "error_type": self.error_type}


@dataclass
class Grade:
    tests: list[TestOutcome]

    @property
    def score(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def max_score(self) -> int:
        return len(self.tests)

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(t.passed for t in self.tests)

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "score": self.score,
            "max": self.max_score,
            "tests": [t.as_dict() for t in self.tests],
        }


def sandbox_runs(lab, *, all_tests: bool) -> int:
    """How many sandboxes grading this lab starts: one per test (per child for an array job)."""
    if not lab.is_code:
        return 0
    tests = lab.tests if all_tests else lab.visible_tests
    return len(tests) * max(1, lab.spec.get("array_size") or 0)


def grade(lab, answer: str, *, all_tests: bool) -> Grade:
    """Run the lab's visible tests (a check) or all of them (a submission).

    Raises runner.SandboxUnavailable when code cannot run here, runner.Throttled when no sandbox
    slot freed up in time.
    """
    tests = lab.tests if all_tests else lab.visible_tests
    if not lab.is_code:
        verdict_of = _artefact_verdicts(lab, answer)
        return Grade([_outcome(test, verdict_of(test)) for test in tests])
    return Grade([_outcome(test, *_run_code_test(lab, answer, test)) for test in tests])


def _no_nul(text: str | None) -> str | None:
    # Messages quote what the learner's code returned; PostgreSQL's JSON refuses U+0000.
    return None if text is None else text.replace("\x00", "\\u0000")


def _outcome(test: dict, verdict: checks.Verdict, error_type: str | None = None) -> TestOutcome:
    visible = bool(test.get("visible"))
    hidden_message = HIDDEN_PASSED if verdict.passed else HIDDEN_FAILED
    message = _no_nul(verdict.message) if visible else hidden_message
    error_type = _no_nul(error_type)[:200] if error_type else None
    return TestOutcome(test["name"], visible, verdict.passed, message, error_type)


def _artefact_verdicts(lab, answer: str):
    options = dict(lab.spec.get("options") or {})
    if "now" in options:
        from datetime import datetime

        options["now"] = datetime.fromisoformat(options["now"].replace("Z", "+00:00"))
    outcome = validate(lab.kind, answer, **options).as_dict()
    return lambda test: checks.judge_artefact(test["expect"], outcome)


def _run_code_test(lab, answer: str, test: dict) -> tuple[checks.Verdict, str | None]:
    spec = lab.spec
    size = spec.get("array_size") or 0
    children = range(size) if size else [None]
    runs = []
    for index in children:
        # What AWS Batch sets in each child of an array job.
        environment = (
            ()
            if index is None
            else (
                ("AWS_BATCH_JOB_ARRAY_INDEX", str(index)),
                ("AWS_BATCH_JOB_ARRAY_SIZE", str(size)),
            )
        )
        request = runner.InvocationRequest(
            runtime=spec["runtime"],
            code=answer,
            event=test.get("event", {}),
            memory_mb=spec.get("memory_mb", 128),
            timeout_s=spec.get("timeout_s", 3),
            function_name=lab.key[:64],
            environment=environment,
        )
        # A slot per run, not per check: a long check (an array job's many children) takes its
        # turn run by run, so the runner page and other learners' checks get slots in between.
        slots, _ = limiters()
        with _slot(slots):
            runs.append(runner.invoke(request, limits=sandbox_limits()).as_dict())
    outcome = runs[0] if not size else _combine(runs)
    error = outcome.get("error") or {}
    return checks.judge_code(test["expect"], outcome), error.get("errorType")


def _combine(runs: list[dict]) -> dict:
    """An array job's children as one outcome: their results in index order, the first error."""
    failed = [run for run in runs if run.get("error")]
    return {
        "result": [run.get("result") for run in runs],
        "error": failed[0]["error"] if failed else None,
        "logs": "".join(run.get("logs", "") for run in runs),
        "report": {
            "duration_ms": max(run["report"]["duration_ms"] for run in runs),
            "max_memory_used_mb": max(run["report"]["max_memory_used_mb"] for run in runs),
        },
    }


@contextlib.contextmanager
def _slot(slots):
    """Hold a sandbox slot, waiting for one (in small random steps) rather than refusing."""
    deadline = time.monotonic() + SLOT_WAIT_S
    with contextlib.ExitStack() as stack:
        while True:
            try:
                stack.enter_context(slots.acquire())
                break
            except runner.Throttled as throttled:
                if throttled.kind != "concurrency" or time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(0.005, 0.03))
        yield
