"""Helpers tests import (conftest.py files hold fixtures only).

Django is imported inside the helpers, so conftest.py can import this module before setup.

- require_tool: skip when a system tool is missing, fail under CI=true.
- Quiz helpers: start an attempt through the site and build answers, right or wrong.
"""

from __future__ import annotations

import os
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
