"""Spaced review: the Leitner rule, seeding from quiz submissions, answering, ownership."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizzes.models import Attempt, Choice, Question, ReviewAnswer, ReviewItem
from quizzes.review import schedule
from tests.helpers import right_and_wrong, start

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("box", "correct", "new_box", "days"),
    [(1, True, 2, 3), (2, True, 3, 7), (3, True, 4, 14), (4, True, 5, 30), (5, True, 5, 30),
     (4, False, 1, 1), (1, False, 1, 1)],
)  # fmt: skip
def test_leitner_rule(box, correct, new_box, days):
    assert schedule.after_review(box, correct, NOW) == (new_box, NOW + timedelta(days=days))


def take_quiz(client, slug="docker", right=2) -> Attempt:
    attempt = start(client, slug)
    client.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, right))
    client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    return attempt


def test_submitting_a_quiz_seeds_review_wrong_due_now_right_later(client, alice):
    client.force_login(alice)
    attempt = take_quiz(client, right=2)
    items = {item.question_id: item for item in ReviewItem.objects.filter(user=alice)}
    assert set(items) == set(attempt.question_ids)
    right_ids = attempt.question_ids[:2]
    now = timezone.now()
    for question_id, item in items.items():
        if question_id in right_ids:
            assert item.box == 2 and item.due_at > now + timedelta(days=2)
        else:
            assert item.box == 1 and item.due_at <= now
    assert attempt.score == 2  # seeding changes no score


def test_anonymous_quiz_seeds_nothing_and_review_needs_login(client, db):
    take_quiz(client)
    assert not ReviewItem.objects.exists()
    response = client.get("/review/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/review/1/").status_code == 302


def wrong_choice(question: Question) -> str:
    return str(question.choices.filter(is_correct=False, is_retired=False).first().pk)


def right_choices(question: Question) -> list[str]:
    return [str(pk) for pk in question.choices.filter(is_correct=True).values_list("pk", flat=True)]


def answer_data(item: ReviewItem, right: bool) -> dict:
    question = item.question
    data = {"version": item.version}
    if question.is_numeric:
        data["number"] = str(question.answer_number if right else question.answer_number + 10**6)
    else:
        data["choice"] = right_choices(question) if right else [wrong_choice(question)]
    return data


def test_review_shows_a_due_question_and_a_right_answer_moves_it_up(client, alice):
    client.force_login(alice)
    take_quiz(client, right=0)
    due_before = ReviewItem.objects.due(alice, timezone.now()).count()
    html = client.get("/review/").content.decode()
    assert f"{due_before} questions due" in html
    item = ReviewItem.objects.due(alice, timezone.now()).first()
    assert f'action="/review/{item.pk}/"' in html and "csrfmiddlewaretoken" in html
    attempt_scores = list(Attempt.objects.values_list("score", flat=True))
    response = client.post(f"/review/{item.pk}/", answer_data(item, right=True))
    assert response.status_code == 302
    answer = ReviewAnswer.objects.get()
    assert response["Location"] == f"/review/?answered={answer.pk}"
    item.refresh_from_db()
    assert (item.box, answer.is_correct, answer.box_before, answer.box_after) == (2, True, 1, 2)
    assert item.due_at > timezone.now() + timedelta(days=2)
    feedback = client.get(response["Location"]).content.decode()
    assert "✓ Right" in feedback and "Moved up to box 2" in feedback
    assert f"{due_before - 1} question" in feedback
    assert list(Attempt.objects.values_list("score", flat=True)) == attempt_scores


def test_a_wrong_answer_goes_back_to_box_1(client, alice):
    client.force_login(alice)
    take_quiz(client, right=0)
    item = ReviewItem.objects.due(alice, timezone.now()).first()
    ReviewItem.objects.filter(pk=item.pk).update(box=4)
    item.refresh_from_db()
    client.post(f"/review/{item.pk}/", answer_data(item, right=False))
    item.refresh_from_db()
    assert item.box == 1 and ReviewAnswer.objects.get().is_correct is False


def test_double_submit_records_one_answer(client, alice):
    client.force_login(alice)
    take_quiz(client, right=0)
    item = ReviewItem.objects.due(alice, timezone.now()).first()
    data = answer_data(item, right=True)
    client.post(f"/review/{item.pk}/", data)
    second = client.post(f"/review/{item.pk}/", data)
    assert second.status_code == 302 and second["Location"] == "/review/"
    assert ReviewAnswer.objects.count() == 1
    item.refresh_from_db()
    assert item.box == 2


def test_someone_elses_item_is_404_and_unchanged(client, alice, bob):
    client.force_login(alice)
    take_quiz(client, right=0)
    item = ReviewItem.objects.filter(user=alice).first()
    client.force_login(bob)
    assert client.post(f"/review/{item.pk}/", answer_data(item, right=True)).status_code == 404
    assert not ReviewAnswer.objects.exists()
    html = client.get("/review/").content.decode()
    assert "Nothing is due" in html


def test_someone_elses_feedback_is_not_shown(client, alice, bob):
    client.force_login(alice)
    take_quiz(client, right=0)
    item = ReviewItem.objects.due(alice, timezone.now()).first()
    response = client.post(f"/review/{item.pk}/", answer_data(item, right=True))
    client.force_login(bob)
    assert "✓ Right" not in client.get(response["Location"]).content.decode()


def test_invalid_answers_get_a_message_and_change_nothing(client, alice):
    client.force_login(alice)
    take_quiz(client, right=0)
    item = ReviewItem.objects.due(alice, timezone.now()).first()
    bad = {"version": item.version}
    if item.question.is_numeric:
        bad["number"] = "lots"
    else:
        bad["choice"] = str(Choice.objects.exclude(question=item.question).first().pk)
    response = client.post(f"/review/{item.pk}/", bad)
    assert response.status_code == 400
    assert "⚠︎" in response.content.decode()
    empty = client.post(f"/review/{item.pk}/", {"version": item.version})
    assert empty.status_code == 400
    assert not ReviewAnswer.objects.exists()


def test_wrong_methods(client, alice):
    client.force_login(alice)
    assert client.post("/review/").status_code == 405
    assert client.get("/review/1/").status_code == 405


def test_htmx_gets_the_fragment(client, alice):
    client.force_login(alice)
    html = client.get("/review/", headers={"HX-Request": "true"}).content.decode()
    assert '<div id="review"' in html and "<html" not in html


def test_review_page_queries_do_not_grow_with_items(client, alice):
    client.force_login(alice)
    take_quiz(client, "docker", right=0)
    with CaptureQueriesContext(connection) as few:
        client.get("/review/")
    take_quiz(client, "lambda", right=0)
    with CaptureQueriesContext(connection) as many:
        client.get("/review/")
    assert len(few) == len(many)


def test_home_and_progress_say_how_many_are_due(client, alice):
    client.force_login(alice)
    take_quiz(client, right=0)
    due = ReviewItem.objects.due(alice, timezone.now()).count()
    for url in ("/", "/progress/"):
        html = client.get(url).content.decode()
        assert f"{due} questions due" in html, url
        assert 'href="/review/"' in html
