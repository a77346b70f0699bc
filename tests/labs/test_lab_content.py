"""Every lab, graded for real: its model solution passes every test, its starter does not, and
each typical wrong answer it lists is caught by exactly the tests it names (code labs run in the
function runner's sandbox; artefact labs through their validators)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings

from course.labs import grading
from course.labs.content import load_labs
from course.runner import sandbox_status
from tests.conftest import require_tool

pytestmark = pytest.mark.sandbox

LESSONS = {
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
}
SOURCES = load_labs(settings.LAB_CONTENT_DIR, LESSONS)


def _lab(source):
    """A Lab as grading sees it, without the database."""
    return SimpleNamespace(
        key=source.key,
        kind=source.kind,
        spec=source.spec(),
        is_code=source.kind == "code",
        tests=source.spec()["tests"],
        visible_tests=[t for t in source.spec()["tests"] if t["visible"]],
    )


@pytest.fixture(autouse=True)
def _sandbox_or_skip():
    status = sandbox_status()
    require_tool(status.ok, f"the sandbox is unavailable: {status.reason}")


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.key)
def test_the_model_solution_passes_every_test(source, db):
    grade = grading.grade(_lab(source), source.solution, all_tests=True)
    assert grade.passed, [t for t in grade.tests if not t.passed]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.key)
def test_the_starter_does_not_pass(source, db):
    grade = grading.grade(_lab(source), source.starter, all_tests=True)
    assert not grade.passed
    failed = [t for t in grade.tests if not t.passed]
    assert all(t.message for t in failed)  # every failure says something


WRONG = [(s, i, w) for s in SOURCES for i, w in enumerate(s.wrong_answers)]


@pytest.mark.parametrize("source,index,wrong", WRONG, ids=lambda v: getattr(v, "key", str(v)))
def test_typical_wrong_answers_are_caught_with_a_useful_message(source, index, wrong, db):
    grade = grading.grade(_lab(source), wrong["answer"], all_tests=True)
    failed = {t.name for t in grade.tests if not t.passed}
    assert set(wrong["fails"]) <= failed, (wrong["fails"], failed)
    for test in grade.tests:
        if test.name in wrong["fails"] and test.visible:
            assert test.message not in ("", "Passed.")


def test_every_required_lab_exists_and_each_lesson_has_one():
    keys = {s.key for s in SOURCES}
    assert {
        "docker-dockerfile",
        "fargate-task-definition",
        "ecr-lifecycle-policy",
        "lambda-first-handler",
        "api-gateway-proxy-response",
        "eventbridge-schedule",
        "batch-array-job",
        "serverless-thumbnail-event",
    } <= keys
    lessons = {s.lesson for s in SOURCES}
    assert {
        "docker",
        "ecs",
        "fargate",
        "ecr",
        "lambda",
        "batch",
        "lightsail",
        "serverless",
        "api-gateway",
    } <= lessons
    assert len(SOURCES) >= 12
    for source in SOURCES:
        assert any(not t.visible for t in source.tests), f"{source.key} has no hidden test"
        assert source.hints, f"{source.key} has no hints"
