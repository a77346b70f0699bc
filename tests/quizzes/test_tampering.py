"""Tampered or broken posts: a clear message or a 4xx, never a 500, never a changed score."""

from html import unescape

import pytest
from django.test import Client

from quizzes.models import Answer, Attempt, Question, QuestionType
from tests.helpers import right_and_wrong, start

HTMX = {"HTTP_HX_REQUEST": "true"}
TEN_MB = "1" * (10 * 1024 * 1024)


def question_of(attempt: Attempt, kind: str) -> Question:
    return next(
        q
        for q in Question.objects.filter(pk__in=attempt.question_ids).order_by("order")
        if q.type == kind
    )


def answer_url(attempt, question) -> str:
    return f"/quizzes/attempts/{attempt.pk}/answers/{question.pk}/"


@pytest.fixture
def attempt(client, db):
    return start(client, "lambda")


def other_question_choice(attempt, question) -> int:
    other = next(
        int(key) for key, ids in attempt.choice_order.items() if int(key) != question.pk and ids
    )
    return attempt.choice_order[str(other)][0]


def bad_values(attempt):
    single = question_of(attempt, QuestionType.SINGLE)
    multiple = question_of(attempt, QuestionType.MULTIPLE)
    numeric = question_of(attempt, QuestionType.NUMERIC)
    own = attempt.choice_order[str(single.pk)]
    return [
        (single, [other_question_choice(attempt, single)], "not one of this question's options"),
        (single, ["abc"], "not one of this question's options"),
        (single, ["-1"], "not one of this question's options"),
        (single, ["9" * 5000], "not one of this question's options"),
        (single, ["999999999"], "not one of this question's options"),
        (single, [own[0], own[1]], "Choose only one answer"),
        (single, [], "Choose an answer"),
        (multiple, [attempt.choice_order[str(multiple.pk)][0], "7e2"], "not one of this"),
        (numeric, ["lots"], "isn't a number we can read"),
        (numeric, ["NaN"], "isn't a number we can read"),
        (numeric, ["inf"], "isn't a number we can read"),
        (numeric, ["2,47"], "isn't a number we can read"),
        (numeric, ["3x"], "M for million"),
        (numeric, ["1e99"], "too large"),
        (numeric, ["1" * 65], "at most 40 characters"),
        (numeric, ["1", "2"], "Send one number"),
    ]


def test_bad_answers_get_a_message_and_change_nothing(client, attempt):
    for question, values, message in bad_values(attempt):
        response = client.post(answer_url(attempt, question), {f"q{question.pk}": values})
        assert response.status_code == 400, (question.type, values)
        html = unescape(response.content.decode())
        assert message in html
        assert 'role="alert"' in html
    assert not Answer.objects.filter(attempt=attempt).exists()


def test_bad_answers_over_htmx_show_the_message_in_the_status(client, attempt):
    for question, values, message in bad_values(attempt):
        response = client.post(answer_url(attempt, question), {f"q{question.pk}": values}, **HTMX)
        html = unescape(response.content.decode())
        assert response.status_code == 200  # so htmx swaps the message in
        assert 'role="alert">⚠︎ Not saved: ' in html and message in html
        assert "<!doctype" not in html
    assert not Answer.objects.filter(attempt=attempt).exists()


def test_a_bad_answer_leaves_the_saved_one_alone(client, attempt):
    question = question_of(attempt, QuestionType.NUMERIC)
    client.post(answer_url(attempt, question), {f"q{question.pk}": "42"})
    client.post(answer_url(attempt, question), {f"q{question.pk}": "forty-two"})
    assert Answer.objects.get(attempt=attempt, question=question).raw_value == "42"


def test_a_question_that_is_not_in_the_attempt_is_404(client, attempt):
    foreign = Question.objects.exclude(pk__in=attempt.question_ids).first()
    response = client.post(answer_url(attempt, foreign), {f"q{foreign.pk}": "1"})
    assert response.status_code == 404


def test_the_whole_form_keeps_valid_answers_and_reports_the_rest(client, attempt):
    data = right_and_wrong(attempt, len(attempt.question_ids))
    numeric = question_of(attempt, QuestionType.NUMERIC)
    single = question_of(attempt, QuestionType.SINGLE)
    data[f"q{numeric.pk}"] = ["twelve"]
    data[f"q{single.pk}"] = [str(other_question_choice(attempt, single))]
    response = client.post(f"/quizzes/attempts/{attempt.pk}/review/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert '<div class="form-errors" role="alert">' in html
    assert "2 answers were not saved" in html
    assert f'href="#q-{numeric.pk}"' in html and f'href="#q-{single.pk}"' in html
    assert 'value="twelve"' in html  # what was typed is kept for correcting
    assert 'aria-invalid="true"' in html
    saved = set(Answer.objects.filter(attempt=attempt).values_list("question_id", flat=True))
    assert saved == set(attempt.question_ids) - {numeric.pk, single.pk}


def test_missing_fields_in_the_whole_form_are_just_unanswered(client, attempt):
    response = client.post(f"/quizzes/attempts/{attempt.pk}/review/", {})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert html.count("⚠︎ Not answered") == len(attempt.question_ids)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_ten_megabyte_field_is_a_clear_400(client, attempt, htmx):
    question = question_of(attempt, QuestionType.NUMERIC)
    headers = HTMX if htmx else {}
    for url in [answer_url(attempt, question), f"/quizzes/attempts/{attempt.pk}/review/"]:
        response = client.post(url, {f"q{question.pk}": TEN_MB}, **headers)
        assert response.status_code == (200 if htmx else 400)
        assert "far too long" in response.content.decode()
    assert not Answer.objects.filter(attempt=attempt).exists()


def test_a_ten_megabyte_field_with_csrf_checks_is_a_400_not_a_500(db):
    client = Client(enforce_csrf_checks=True)
    client.get("/lessons/docker/quiz/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/lessons/docker/quiz/start/", {"csrfmiddlewaretoken": token, "x": TEN_MB}
    )
    assert response.status_code == 400


def test_a_submitted_attempt_cannot_be_changed(client, attempt):
    client.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, 3))
    client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    score = attempt.score
    right = right_and_wrong(attempt, len(attempt.question_ids))
    question = Question.objects.get(pk=attempt.question_ids[-1])
    values = {f"q{question.pk}": right[f"q{question.pk}"]}
    response = client.post(answer_url(attempt, question), values)
    assert response.status_code == 409
    assert "its answers are final" in response.content.decode()
    htmx = client.post(answer_url(attempt, question), values, **HTMX)
    assert "its answers are final" in htmx.content.decode()
    review = client.post(f"/quizzes/attempts/{attempt.pk}/review/", right)
    assert review["Location"] == f"/quizzes/attempts/{attempt.pk}/result/"
    client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert attempt.score == score == 3
    assert not Answer.objects.filter(attempt=attempt, question=question, is_correct=True).exists()


def test_answers_saved_race_with_submit_cannot_change_a_score(attempt, client):
    """An autosave that arrives after the submit (a slow request) finds the attempt closed."""
    from quizzes import attempts

    question = question_of(attempt, QuestionType.SINGLE)
    attempts.submit_attempt(attempt)
    parsed = attempts.parse_answer(
        attempt, question, [str(attempt.choice_order[str(question.pk)][0])]
    )
    with pytest.raises(attempts.AttemptClosed):
        attempts.save_answer(attempt, question, parsed)
    assert Attempt.objects.get(pk=attempt.pk).score == 0


def test_nonsense_urls_are_404(client, attempt):
    assert client.get("/quizzes/attempts/999999/").status_code == 404
    assert client.post("/quizzes/attempts/999999/submit/").status_code == 404
    assert client.post(f"/quizzes/attempts/{attempt.pk}/answers/999999/").status_code == 404
