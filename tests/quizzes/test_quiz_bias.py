"""Quizzes must not be answerable from the shape of their options.

A learner who always picks the longest (or the shortest) option, always ticks the same number of
boxes, or always picks the option in one authoring position should score no better than
chance. The quiz files are read through the project's own loader (quizzes/content.py), and
each lesson's `##` sections must each be tested by at least one question.

Run with `-s` to see the per-quiz report even when everything passes.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

import pytest
from django.conf import settings

from course.lessons.content import load_lessons
from quizzes import grading
from quizzes.content import QuestionSource, QuizSource, load_quizzes

# How far above chance a "pick the longest" learner may score before the quiz fails. With
# seven four-option questions, chance is 25% and the limit 37%: two lucky "longest" answers
# pass, a third fails.
MARGIN = 0.12
# Closing sections summarise or cite; they are not taught material to test.
UNTESTED_SECTIONS = {"key-takeaways", "sources"}


def plain_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def extreme_score(question: QuestionSource, pick) -> float:
    """Expected score of a learner who picks the longest (or shortest) option, at random
    among ties."""
    lengths = [len(plain_text(choice.text_html)) for choice in question.choices]
    target = pick(lengths)
    tied = [i for i, length in enumerate(lengths) if length == target]
    return sum(question.choices[i].is_correct for i in tied) / len(tied)


@dataclass
class Bias:
    quiz: str
    singles: int
    chance: float
    longest: float
    shortest: float
    positions: Counter
    select_counts: Counter
    truefalse: Counter

    def __str__(self) -> str:
        return (
            f"{self.quiz:12} single={self.singles:2} chance={self.chance:.2f} "
            f"longest={self.longest:.2f} shortest={self.shortest:.2f} "
            f"correct-position={dict(sorted(self.positions.items()))} "
            f"select-all-correct-counts={dict(sorted(self.select_counts.items()))} "
            f"true/false={dict(self.truefalse)}"
        )


def measure(quiz: QuizSource) -> Bias:
    singles = [q for q in quiz.questions if q.type == grading.SINGLE]
    multiples = [q for q in quiz.questions if q.type == grading.MULTIPLE]
    n = len(singles) or 1
    return Bias(
        quiz=quiz.lesson,
        singles=len(singles),
        chance=sum(1 / len(q.choices) for q in singles) / n,
        longest=sum(extreme_score(q, max) for q in singles) / n,
        shortest=sum(extreme_score(q, min) for q in singles) / n,
        positions=Counter(
            next(i for i, c in enumerate(q.choices) if c.is_correct) + 1 for q in singles
        ),
        select_counts=Counter(sum(c.is_correct for c in q.choices) for q in multiples),
        truefalse=Counter(
            "true" if q.choices[0].is_correct else "false"
            for q in quiz.questions
            if q.type == grading.TRUEFALSE
        ),
    )


@pytest.fixture(scope="module")
def lessons():
    return load_lessons(settings.COURSE_CONTENT_DIR)


@pytest.fixture(scope="module")
def quizzes(lessons):
    headings = {
        lesson.slug: {heading["id"] for heading in lesson.rendered.headings} for lesson in lessons
    }
    return load_quizzes(settings.QUIZ_CONTENT_DIR, headings)


@pytest.fixture(scope="module")
def biases(quizzes):
    found = [measure(quiz) for quiz in quizzes]
    print("\nQuiz answer-shape report")
    for bias in found:
        print(bias)
    return found


def test_every_quiz_is_measured(biases, quizzes):
    assert len(biases) == len(quizzes) >= 10


def test_the_longest_option_is_not_a_winning_strategy(biases):
    failing = [str(b) for b in biases if b.singles and b.longest > b.chance + MARGIN]
    assert not failing, "picking the longest option beats chance:\n" + "\n".join(failing)


def test_the_shortest_option_is_not_a_winning_strategy(biases):
    failing = [str(b) for b in biases if b.singles and b.shortest > b.chance + MARGIN]
    assert not failing, "picking the shortest option beats chance:\n" + "\n".join(failing)


def test_select_all_questions_have_no_dominant_number_of_correct_options(biases):
    failing = []
    for bias in biases:
        total = sum(bias.select_counts.values())
        if total >= 2 and max(bias.select_counts.values()) > total / 2:
            failing.append(str(bias))
    assert not failing, "most select-all questions share one correct count:\n" + "\n".join(failing)


def test_the_correct_option_is_not_always_in_one_position(biases):
    failing = []
    for bias in biases:
        if (
            bias.singles >= 2
            and len(bias.positions) == 1
            or bias.singles >= 4
            and max(bias.positions.values()) > bias.singles / 2
        ):
            failing.append(str(bias))
    assert not failing, "the correct option sits in one position:\n" + "\n".join(failing)


def test_every_lesson_section_is_tested(lessons, quizzes):
    tested = {quiz.lesson: {q.section for q in quiz.questions} for quiz in quizzes}
    untested = []
    for lesson in lessons:
        parent = None
        covered: dict[str, bool] = {}
        for heading in lesson.rendered.headings:
            if heading["level"] == 2:
                parent = heading["id"]
                covered.setdefault(parent, False)
            # A question on a `###` subsection tests its `##` section.
            if parent and heading["id"] in tested.get(lesson.slug, set()):
                covered[parent] = True
        untested += [
            f"{lesson.slug}#{section}"
            for section, done in covered.items()
            if not done and section not in UNTESTED_SECTIONS
        ]
    assert not untested, "sections no question tests: " + ", ".join(untested)
