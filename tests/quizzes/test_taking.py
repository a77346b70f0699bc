"""Taking a quiz: start, autosave, resume, review, submit, result, retake."""

import random
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from quizzes import attempts
from quizzes.models import Answer, Attempt, AttemptStatus, Question, QuestionType, Quiz
from tests.helpers import answer_values, form_data, right_and_wrong, start

HTMX = {"HTTP_HX_REQUEST": "true"}


def answer_url(attempt: Attempt, question: Question | int) -> str:
    question_id = question if isinstance(question, int) else question.pk
    return reverse("quizzes:answer", kwargs={"pk": attempt.pk, "question_id": question_id})


def first_of_type(attempt: Attempt, kind: str) -> Question:
    return next(
        q
        for q in Question.objects.filter(pk__in=attempt.question_ids).order_by("order")
        if q.type == kind
    )


# --- Lesson page and quiz page ---------------------------------------------------------------


def test_each_lesson_page_links_to_its_quiz(client, db):
    html = client.get("/lessons/docker/").content.decode()
    assert '<a class="button" href="/lessons/docker/quiz/">Take the Docker quiz</a>' in html


def test_quiz_page_shows_the_start_button_and_changes_nothing(client, db):
    response = client.get("/lessons/docker/quiz/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Docker quiz</h1>" in html
    assert 'action="/lessons/docker/quiz/start/"' in html
    assert "Start quiz</button>" in html
    assert not Attempt.objects.exists()
    assert client.cookies.get("sessionid") is None  # no session created by a GET


def test_quiz_page_htmx_gets_the_fragment(client, db):
    full = client.get("/lessons/docker/quiz/")
    fragment = client.get("/lessons/docker/quiz/", **HTMX)
    assert "<!doctype html>" in full.content.decode()
    assert "<!doctype html>" not in fragment.content.decode()
    assert "Start quiz" in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]


def test_unknown_lesson_or_lesson_without_quiz_is_404(client, db):
    assert client.get("/lessons/kubernetes/quiz/").status_code == 404
    Quiz.objects.filter(lesson__slug="ecr").update(is_active=False)
    assert client.get("/lessons/ecr/quiz/").status_code == 404
    assert client.post("/lessons/ecr/quiz/start/").status_code == 404


def test_wrong_methods(client, db):
    assert client.post("/lessons/docker/quiz/").status_code == 405
    assert client.get("/lessons/docker/quiz/start/").status_code == 405
    attempt = start(client)
    question = attempt.question_ids[0]
    assert client.get(answer_url(attempt, question)).status_code == 405
    assert client.get(f"/quizzes/attempts/{attempt.pk}/submit/").status_code == 405
    assert client.put(f"/quizzes/attempts/{attempt.pk}/review/").status_code == 405
    assert client.post(f"/quizzes/attempts/{attempt.pk}/").status_code == 405
    assert client.post(f"/quizzes/attempts/{attempt.pk}/result/").status_code == 405


# --- Starting and the attempt page -----------------------------------------------------------


def test_start_opens_one_attempt_and_start_again_resumes_it(client, db):
    first = start(client)
    again = start(client)
    assert again.pk == first.pk
    assert Attempt.objects.count() == 1
    assert first.number == 1 and first.status == AttemptStatus.IN_PROGRESS
    quiz = Quiz.objects.get(lesson__slug="docker")
    assert first.question_ids == list(quiz.questions.asked().values_list("pk", flat=True))
    assert first.max_score == len(first.question_ids)


def test_every_question_is_a_fieldset_with_labelled_inputs(client, db):
    attempt = start(client, "lambda")
    html = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    assert html.count("<fieldset") == len(attempt.question_ids)
    assert html.count("<legend>") == len(attempt.question_ids)
    prompt = Question.objects.get(pk=attempt.question_ids[0]).prompt_html
    assert f'<span class="question-prompt">{prompt}</span></legend>' in html
    input_ids = re.findall(r'<input type="(?:radio|checkbox|text)"[^>]* id="([^"]+)"', html)
    assert len(input_ids) == sum(len(ids) or 1 for ids in attempt.choice_order.values())
    for input_id in input_ids:
        assert f'<label for="{input_id}">' in html
    assert 'type="radio"' in html and 'type="checkbox"' in html
    assert "Select all that apply." in html


def test_numeric_inputs_are_decimal_and_show_their_unit(client, db):
    attempt = start(client, "lambda")
    question = first_of_type(attempt, QuestionType.NUMERIC)
    html = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    tag = re.search(rf'<input[^>]*name="q{question.pk}"[^>]*>', html).group(0)
    assert 'inputmode="decimal"' in tag
    assert f'hx-post="{answer_url(attempt, question)}"' in tag
    assert "input changed delay:500ms" in tag
    assert f"Your answer, in {question.unit}</label>" in html


def test_choices_are_shuffled_per_attempt_and_shown_in_the_stored_order(client, db):
    quiz = Quiz.objects.get(lesson__slug="lambda")
    learner = "x" * 32
    a, _ = attempts.start_attempt(quiz, learner, random.Random(1))
    a.status = AttemptStatus.ABANDONED
    a.save()
    b, _ = attempts.start_attempt(quiz, learner, random.Random(2))
    assert a.choice_order != b.choice_order
    for key, ids in a.choice_order.items():
        assert sorted(ids) == sorted(b.choice_order[key])
    truefalse = first_of_type(a, QuestionType.TRUEFALSE)
    assert a.choice_order[str(truefalse.pk)] == list(
        truefalse.choices.order_by("order").values_list("pk", flat=True)
    )

    attempt = start(client, "lambda")
    html = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    for question_id, ids in attempt.choice_order.items():
        shown = re.findall(rf'name="q{question_id}" value="([^"]+)"', html)
        assert shown == [attempts.choice_token(attempt, choice_id) for choice_id in ids]


# --- Autosave and resume ---------------------------------------------------------------------


def test_autosave_by_htmx_returns_the_saved_status(client, db):
    attempt = start(client)
    question = first_of_type(attempt, QuestionType.SINGLE)
    choice = attempt.choice_order[str(question.pk)][0]
    response = client.post(answer_url(attempt, question), {f"q{question.pk}": choice}, **HTMX)
    assert response.status_code == 200
    assert "✓ Saved" in response.content.decode()
    assert "<!doctype" not in response.content.decode()
    answer = Answer.objects.get(attempt=attempt, question=question)
    assert list(answer.choices.values_list("pk", flat=True)) == [choice]
    assert answer.is_correct is None  # graded only at submission

    other = attempt.choice_order[str(question.pk)][1]
    client.post(answer_url(attempt, question), {f"q{question.pk}": other}, **HTMX)
    assert list(answer.choices.values_list("pk", flat=True)) == [other]
    assert Answer.objects.filter(attempt=attempt).count() == 1


def test_autosave_without_htmx_redirects_back_to_the_question(client, db):
    attempt = start(client)
    question = first_of_type(attempt, QuestionType.SINGLE)
    choice = attempt.choice_order[str(question.pk)][0]
    response = client.post(answer_url(attempt, question), {f"q{question.pk}": choice})
    assert response.status_code == 302
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/#q-{question.pk}"
    assert Answer.objects.filter(attempt=attempt, question=question).exists()


def test_autosave_multiple_select_and_clearing_it(client, db):
    attempt = start(client)
    question = first_of_type(attempt, QuestionType.MULTIPLE)
    ids = attempt.choice_order[str(question.pk)][:2]
    client.post(answer_url(attempt, question), {f"q{question.pk}": ids}, **HTMX)
    answer = Answer.objects.get(attempt=attempt, question=question)
    assert set(answer.choices.values_list("pk", flat=True)) == set(ids)
    client.post(answer_url(attempt, question), {f"q{question.pk}": ids[1:]}, **HTMX)
    assert set(answer.choices.values_list("pk", flat=True)) == set(ids[1:])
    client.post(answer_url(attempt, question), {}, **HTMX)  # every box unticked
    assert not Answer.objects.filter(attempt=attempt, question=question).exists()


def test_autosave_numeric_keeps_what_was_typed(client, db):
    attempt = start(client, "lambda")
    question = first_of_type(attempt, QuestionType.NUMERIC)
    client.post(answer_url(attempt, question), {f"q{question.pk}": "3,200,000"}, **HTMX)
    answer = Answer.objects.get(attempt=attempt, question=question)
    assert answer.number_value == Decimal(3_200_000)
    assert answer.raw_value == "3,200,000"
    html = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    assert 'value="3,200,000"' in html
    client.post(answer_url(attempt, question), {f"q{question.pk}": ""}, **HTMX)
    assert not Answer.objects.filter(attempt=attempt, question=question).exists()


def test_closing_the_tab_loses_nothing_anonymous(client, db):
    attempt = start(client)
    question = first_of_type(attempt, QuestionType.SINGLE)
    choice = attempt.choice_order[str(question.pk)][2]
    client.post(answer_url(attempt, question), {f"q{question.pk}": choice}, **HTMX)

    # A new browser tab (or the same browser after a restart): only the session cookie survives.
    later = Client()
    later.cookies["sessionid"] = client.cookies["sessionid"].value
    page = later.get("/lessons/docker/quiz/").content.decode()
    assert "Resume quiz</button>" in page
    assert start(later).pk == attempt.pk
    html = later.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    token = attempts.choice_token(attempt, choice)
    assert f'name="q{question.pk}" value="{token}" checked' in html


def test_closing_the_tab_loses_nothing_signed_in(client, alice):
    client.force_login(alice)
    attempt = start(client)
    question = first_of_type(attempt, QuestionType.MULTIPLE)
    ids = attempt.choice_order[str(question.pk)][:2]
    client.post(answer_url(attempt, question), {f"q{question.pk}": ids}, **HTMX)

    other_device = Client()
    other_device.force_login(alice)
    assert start(other_device).pk == attempt.pk
    html = other_device.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    for choice in ids:
        token = attempts.choice_token(attempt, choice)
        assert f'name="q{question.pk}" value="{token}" checked' in html


def test_attempt_page_htmx_fragment(client, db):
    attempt = start(client)
    response = client.get(f"/quizzes/attempts/{attempt.pk}/", **HTMX)
    html = response.content.decode()
    assert "<!doctype html>" not in html and "<fieldset" in html
    assert "HX-Request" in response["Vary"]


# --- Review ----------------------------------------------------------------------------------


def test_posting_the_whole_form_saves_every_answer_and_shows_the_review(client, db):
    attempt = start(client, "lambda")
    data = form_data(answer_values(attempt))
    response = client.post(f"/quizzes/attempts/{attempt.pk}/review/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/review/"
    assert Answer.objects.filter(attempt=attempt).count() == len(attempt.question_ids)
    html = client.get(response["Location"]).content.decode()
    assert f"All {len(attempt.question_ids)} questions answered." in html
    assert "Not answered" not in html
    assert f'action="/quizzes/attempts/{attempt.pk}/submit/"' in html
    assert "Submit answers</button>" in html
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS  # nothing final until submitted


def test_review_lists_every_question_and_flags_the_unanswered(client, db):
    attempt = start(client)
    answered = attempt.question_ids[0]
    values = answer_values(attempt)
    question = Question.objects.get(pk=answered)
    client.post(answer_url(attempt, question), {f"q{answered}": values[question]}, **HTMX)
    response = client.get(f"/quizzes/attempts/{attempt.pk}/review/")
    html = response.content.decode()
    total = len(attempt.question_ids)
    assert html.count('class="review-item') == total
    assert html.count("⚠︎ Not answered") == total - 1
    assert f"{total - 1} of {total} questions not answered" in html
    assert f'href="/quizzes/attempts/{attempt.pk}/">Change answers</a>' in html
    for question_id in attempt.question_ids[1:]:
        assert f'href="/quizzes/attempts/{attempt.pk}/#q-{question_id}">Answer question' in html


def test_review_htmx_fragment(client, db):
    attempt = start(client)
    response = client.get(f"/quizzes/attempts/{attempt.pk}/review/", **HTMX)
    assert "<!doctype html>" not in response.content.decode()
    assert "Review your answers" in response.content.decode()


# --- Submit, result, double submission, retake ---------------------------------------------


def submit(client, attempt):
    return client.post(f"/quizzes/attempts/{attempt.pk}/submit/")


def test_submit_grades_and_the_result_explains_every_question(client, db):
    attempt = start(client, "lambda")
    total = len(attempt.question_ids)
    client.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, 12))
    response = submit(client, attempt)
    assert response.status_code == 302
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert (attempt.score, attempt.max_score) == (12, total)
    assert attempt.submitted_at is not None

    html = client.get(response["Location"]).content.decode()
    assert f"{12} / {total}" in html
    assert f"{round(100 * 12 / total)}%" in html
    assert html.count("Right</span></h2>") == 12
    assert html.count("Wrong</span></h2>") == total - 12
    assert html.count('<span class="mark" aria-hidden="true">✓</span>') == 12
    for question in Question.objects.filter(pk__in=attempt.question_ids):
        assert question.explanation_html in html
        assert f'href="/lessons/lambda/#{question.section}">Read more in the lesson' in html
    monthly = Question.objects.get(quiz__lesson__slug="lambda", key="monthly-cost")
    if monthly.pk in attempt.question_ids[12:]:
        assert "2.47 USD (answers within 0.01 count)" in html


def test_result_marks_unanswered_questions(client, db):
    attempt = start(client)
    submit(client, attempt)
    attempt.refresh_from_db()
    assert attempt.score == 0
    assert Answer.objects.filter(attempt=attempt, is_correct=False).count() == attempt.max_score
    html = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert html.count("Not answered</span></h2>") == attempt.max_score


def test_double_submission_grades_once(client, db):
    attempt = start(client)
    client.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, 5))
    first = submit(client, attempt)
    attempt.refresh_from_db()
    graded_at, score = attempt.submitted_at, attempt.score
    second = submit(client, attempt)
    assert first["Location"] == second["Location"]
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score) == (graded_at, score) == (graded_at, 5)
    assert Attempt.objects.count() == 1
    assert Answer.objects.filter(attempt=attempt).count() == attempt.max_score


def test_submit_attempt_wins_exactly_once(db):
    quiz = Quiz.objects.get(lesson__slug="docker")
    attempt, _ = attempts.start_attempt(quiz, "k" * 32)
    assert attempts.submit_attempt(attempt) is True
    assert attempts.submit_attempt(attempt) is False
    assert Answer.objects.filter(attempt=attempt).count() == attempt.max_score


def test_a_submitted_attempt_goes_to_its_result(client, db):
    attempt = start(client)
    submit(client, attempt)
    result = f"/quizzes/attempts/{attempt.pk}/result/"
    assert client.get(f"/quizzes/attempts/{attempt.pk}/")["Location"] == result
    assert client.get(f"/quizzes/attempts/{attempt.pk}/review/")["Location"] == result


def test_result_of_an_open_attempt_goes_to_the_review(client, db):
    attempt = start(client)
    response = client.get(f"/quizzes/attempts/{attempt.pk}/result/")
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/review/"


def test_result_htmx_fragment(client, db):
    attempt = start(client)
    submit(client, attempt)
    response = client.get(f"/quizzes/attempts/{attempt.pk}/result/", **HTMX)
    html = response.content.decode()
    assert "<!doctype html>" not in html and "Your result" in html


def test_retakes_are_unlimited_and_numbered(client, db):
    numbers = []
    for _ in range(3):
        attempt = start(client)
        submit(client, attempt)
        numbers.append(Attempt.objects.get(pk=attempt.pk).number)
    assert numbers == [1, 2, 3]
    html = client.get("/lessons/docker/quiz/").content.decode()
    assert "Retake quiz</button>" in html
    assert html.count("Attempt ") >= 3


def test_retake_button_on_the_result_page(client, db):
    attempt = start(client)
    submit(client, attempt)
    html = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert 'action="/lessons/docker/quiz/start/"' in html and "Retake quiz</button>" in html
    assert start(client).number == 2


@pytest.mark.parametrize("mark", [0, 100])
def test_the_pass_mark_is_a_setting(client, db, settings, mark):
    settings.QUIZ_PASS_MARK = mark
    attempt = start(client)
    client.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, 1))
    submit(client, attempt)
    html = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert ("✓ You reached the pass mark of 0%" in html) is (mark == 0)
    assert ("The pass mark is 100%" in html) is (mark == 100)


def test_two_simultaneous_starts_open_one_attempt(db, monkeypatch):
    """Two tabs pressing Start at once: the second insert hits the one-open-attempt constraint
    and resumes the first tab's attempt instead."""
    quiz = Quiz.objects.get(lesson__slug="docker")
    learner = "t" * 32
    first, created = attempts.start_attempt(quiz, learner)
    assert created
    real = attempts.open_attempt
    calls = []

    def blind_once(quiz, learner):
        calls.append(1)
        return None if len(calls) == 1 else real(quiz, learner)

    monkeypatch.setattr(attempts, "open_attempt", blind_once)
    second, created = attempts.start_attempt(quiz, learner)
    assert (second.pk, created) == (first.pk, False)
    assert Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS).count() == 1


@pytest.mark.parametrize("typed", ["3.2M", "3.2e6", "3 200 000", "3200k"])
def test_a_numeric_answer_can_be_typed_as_the_calculator_takes_it(client, db, typed):
    attempt = start(client, "lambda")
    question = first_of_type(attempt, QuestionType.NUMERIC)
    response = client.post(answer_url(attempt, question), {f"q{question.pk}": typed}, **HTMX)
    assert "✓ Saved" in response.content.decode()
    answer = Answer.objects.get(attempt=attempt, question=question)
    assert answer.number_value == Decimal(3_200_000)
    assert answer.raw_value == typed


def test_select_all_is_said_once_per_question(client, db):
    for slug in ["docker", "lambda", "ecs"]:
        attempt = start(client, slug)
        html = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
        for fieldset in re.findall(r"<fieldset.*?</fieldset>", html, re.S):
            if 'type="checkbox"' in fieldset:
                assert fieldset.lower().count("select all that apply") == 1, fieldset[:300]


def test_a_prompt_without_select_all_gets_the_hint(client, db):
    attempt = start(client, "docker")
    question = first_of_type(attempt, QuestionType.MULTIPLE)
    Question.objects.filter(pk=question.pk).update(prompt_html="<p>Which are true?</p>")
    html = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    assert f'<p class="help" id="hint-{question.pk}">Select all that apply.</p>' in html
    assert f'aria-describedby="hint-{question.pk}"' in html


def test_result_page_links_to_the_next_lesson_and_explains_partly_right(client, db):
    attempt = start(client, "docker")
    question = first_of_type(attempt, QuestionType.MULTIPLE)
    shown = attempt.choice_order[str(question.pk)]
    right = [pk for pk in shown if question.choices.get(pk=pk).is_correct]
    wrong = [pk for pk in shown if pk not in right]
    client.post(answer_url(attempt, question), {f"q{question.pk}": [right[0], wrong[0]]}, **HTMX)
    client.post(reverse("quizzes:submit", kwargs={"pk": attempt.pk}))
    html = client.get(reverse("quizzes:result", kwargs={"pk": attempt.pk})).content.decode()
    assert 'href="/lessons/ecs/">Next lesson: Amazon ECS</a>' in html
    assert "Partly right, no mark" in html
    assert html.count('class="option-missed"') == len(right) - 1
    assert html.count('class="option-wrong"') == 1
    assert html.count('class="option-picked"') == 1
    # The last lesson has no next one.
    summary = start(client, "summary")
    client.post(reverse("quizzes:submit", kwargs={"pk": summary.pk}))
    html = client.get(reverse("quizzes:result", kwargs={"pk": summary.pk})).content.decode()
    assert "Next lesson" not in html
