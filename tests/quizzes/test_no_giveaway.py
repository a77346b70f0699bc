"""The quiz page must not give the answers away to someone who reads its HTML.

Choices are written (and so numbered) with the right one first; nothing on the page may follow
that order: not the values posted, not the input ids, not the order in the source.
"""

import math
import re
from html import unescape

from django.test import Client
from django.urls import reverse

from quizzes import attempts
from quizzes.models import Attempt, Choice, Question, QuestionType, Quiz
from tests.helpers import start

INPUT_RE = re.compile(
    r'<input type="(?:radio|checkbox)" id="([^"]+)" name="(q\d+)" value="([^"]+)"'
)


def shown_inputs(html: str) -> dict[str, list[tuple[str, str]]]:
    """{field name: [(input id, value), ...]} in source order."""
    fields: dict[str, list[tuple[str, str]]] = {}
    for input_id, name, value in INPUT_RE.findall(html):
        fields.setdefault(name, []).append((unescape(input_id), unescape(value)))
    return fields


def lowest_value(options: list[tuple[str, str]], count: int) -> list[str]:
    """What a sly learner ticks: the options with the smallest values (as numbers if they are)."""

    def key(value: str):
        return (0, int(value), "") if value.isdigit() else (1, 0, value)

    return sorted((value for _, value in options), key=key)[:count]


def first_in_source(options: list[tuple[str, str]], count: int) -> list[str]:
    return [value for _, value in options[:count]]


def guess_count(question: Question, shown: int) -> int:
    """How many a guesser ticks: one, or for select-all the usual number of right options."""
    if question.type != QuestionType.MULTIPLE:
        return 1
    return 3 if shown == 5 else 2


def play_every_quiz(strategy) -> tuple[int, float, float]:
    """Take every quiz once with `strategy`; (points, points expected by chance, their sd)."""
    points, mean, variance = 0, 0.0, 0.0
    for quiz in Quiz.objects.active().select_related("lesson"):
        client = Client()
        attempt = start(client, quiz.lesson.slug)
        html = client.get(reverse("quizzes:attempt", kwargs={"pk": attempt.pk})).content.decode()
        fields = shown_inputs(html)
        questions = Question.objects.in_bulk(attempt.question_ids)
        data = {}
        for question_id in attempt.question_ids:
            question = questions[question_id]
            if question.type == QuestionType.NUMERIC:
                continue
            options = fields[f"q{question_id}"]
            count = guess_count(question, len(options))
            data[f"q{question_id}"] = strategy(options, count)
            right = Choice.objects.filter(question=question, is_correct=True).count()
            chance = 1 / math.comb(len(options), count) if count == right else 0.0
            mean += chance
            variance += chance * (1 - chance)
        review = client.post(reverse("quizzes:review", kwargs={"pk": attempt.pk}), data)
        assert review.status_code == 302, review.content.decode()[:500]
        client.post(reverse("quizzes:submit", kwargs={"pk": attempt.pk}))
        attempt.refresh_from_db()
        points += attempt.score
    return points, mean, math.sqrt(variance)


def test_picking_the_lowest_value_scores_no_better_than_chance(db):
    points, mean, sd = play_every_quiz(lowest_value)
    # Five standard deviations: a fair page fails this about once in three million runs; the
    # page that posted choice ids scored every single-choice question with it.
    assert points <= mean + 5 * sd, (points, mean, sd)


def test_picking_the_first_choice_in_the_source_scores_no_better_than_chance(db):
    points, mean, sd = play_every_quiz(first_in_source)
    assert points <= mean + 5 * sd, (points, mean, sd)


def test_the_page_shows_no_choice_ids_and_values_change_with_every_attempt(client, db):
    attempt = start(client, "docker")
    html = client.get(reverse("quizzes:attempt", kwargs={"pk": attempt.pk})).content.decode()
    fields = shown_inputs(html)
    first_values = {value for options in fields.values() for _, value in options}
    for question_id, choice_ids in attempt.choice_order.items():
        options = fields[f"q{question_id}"]
        assert len(options) == len(choice_ids)
        for choice_id in choice_ids:
            assert f'value="{choice_id}"' not in html
            assert f'-c{choice_id}"' not in html
        for input_id, value in options:
            assert not value.isdigit()
            assert input_id == f"q{question_id}-{value}"  # the id says no more than the value

    other = Client()
    second = start(other, "docker")
    html = other.get(reverse("quizzes:attempt", kwargs={"pk": second.pk})).content.decode()
    second_values = {value for options in shown_inputs(html).values() for _, value in options}
    assert not first_values & second_values


def test_posted_tokens_map_back_to_the_choices_shown(client, db):
    attempt = start(client, "docker")
    question_id = next(int(k) for k, ids in attempt.choice_order.items() if len(ids) > 2)
    choice_ids = attempt.choice_order[str(question_id)]
    for choice_id in choice_ids:
        token = attempts.choice_token(attempt, choice_id)
        assert attempts.resolve_choice(attempt, question_id, token) == choice_id
    # Another attempt's token for the same choice is not an answer here.
    later = Attempt.objects.create(
        quiz=attempt.quiz, number=99, session_key="y" * 32, choice_order=attempt.choice_order
    )
    assert attempts.resolve_choice(attempt, question_id, attempts.choice_token(later, 1)) is None
    assert attempts.resolve_choice(attempt, question_id, "c" + "0" * 12) is None


def test_a_page_rendered_before_tokens_still_saves_its_answer(client, db):
    """A tab left open across the deploy posts a plain choice id; it is still saved."""
    attempt = start(client, "docker")
    question_id, choice_ids = next(iter(attempt.choice_order.items()))
    url = reverse("quizzes:answer", kwargs={"pk": attempt.pk, "question_id": int(question_id)})
    response = client.post(url, {f"q{question_id}": str(choice_ids[1])}, HTTP_HX_REQUEST="true")
    assert "Saved" in response.content.decode()
    html = client.get(reverse("quizzes:attempt", kwargs={"pk": attempt.pk})).content.decode()
    token = attempts.choice_token(attempt, choice_ids[1])
    assert f'value="{token}" checked' in html
