"""Nobody sees or changes anyone else's attempts: every such URL answers 404."""

import pytest
from django.test import Client

from quizzes.models import Answer, Attempt, AttemptStatus
from tests.helpers import right_and_wrong, start


@pytest.fixture
def alices_attempt(client, alice):
    client.force_login(alice)
    attempt = start(client)
    client.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, 3))
    return attempt


def urls(attempt):
    base = f"/quizzes/attempts/{attempt.pk}"
    question = attempt.question_ids[0]
    return {
        "get": [f"{base}/", f"{base}/review/", f"{base}/result/"],
        "post": [f"{base}/answers/{question}/", f"{base}/review/", f"{base}/submit/"],
    }


def other_clients(bob, charlie):
    anonymous = Client()
    as_bob = Client()
    as_bob.force_login(bob)
    as_charlie = Client()
    as_charlie.force_login(charlie)
    return {"anonymous": anonymous, "bob": as_bob, "charlie": as_charlie}


def test_another_users_open_attempt_is_404(alices_attempt, bob, charlie):
    attempt = alices_attempt
    question = attempt.question_ids[0]
    choice = attempt.choice_order[str(question)][0]
    for name, other in other_clients(bob, charlie).items():
        for url in urls(attempt)["get"]:
            assert other.get(url).status_code == 404, (name, url)
        for url in urls(attempt)["post"]:
            assert other.post(url, {f"q{question}": choice}).status_code == 404, (name, url)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert Answer.objects.filter(attempt=attempt).count() == len(attempt.question_ids)


def test_another_users_submitted_attempt_is_404(client, alices_attempt, bob, charlie):
    client.post(f"/quizzes/attempts/{alices_attempt.pk}/submit/")
    alices_attempt.refresh_from_db()
    score = alices_attempt.score
    for name, other in other_clients(bob, charlie).items():
        for url in urls(alices_attempt)["get"]:
            assert other.get(url).status_code == 404, (name, url)
        assert other.post(f"/quizzes/attempts/{alices_attempt.pk}/submit/").status_code == 404
    assert Attempt.objects.get(pk=alices_attempt.pk).score == score
    assert client.get(f"/quizzes/attempts/{alices_attempt.pk}/result/").status_code == 200


def test_another_browsers_anonymous_attempt_is_404(client, db, alice):
    attempt = start(client)
    stranger = Client()
    start(stranger)  # has a session of its own
    signed_in = Client()
    signed_in.force_login(alice)
    for other in (stranger, signed_in):
        for url in urls(attempt)["get"]:
            assert other.get(url).status_code == 404
        assert other.post(f"/quizzes/attempts/{attempt.pk}/submit/").status_code == 404
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS


def test_a_users_attempt_is_not_visible_after_logging_out(client, alices_attempt):
    client.post("/accounts/logout/")
    assert client.get(f"/quizzes/attempts/{alices_attempt.pk}/").status_code == 404


def test_other_learners_attempts_are_not_listed(alices_attempt, bob):
    as_bob = Client()
    as_bob.force_login(bob)
    html = as_bob.get("/lessons/docker/quiz/").content.decode()
    assert "Start quiz</button>" in html
    assert f"/quizzes/attempts/{alices_attempt.pk}/" not in html
    assert "Your attempts" not in html
