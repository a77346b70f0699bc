"""Quizzes, questions and attempts in the admin: lists, filters, search; all read-only."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from quizzes.models import Attempt, Question, Quiz
from tests.helpers import right_and_wrong, start


@pytest.fixture
def admin_client(client, db):
    admin = User.objects.create_superuser("root", "root@example.com", "correct horse battery")
    client.force_login(admin)
    return client


@pytest.fixture
def submitted(alice):
    learner = Client()
    learner.force_login(alice)
    attempt = start(learner)
    learner.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, 4))
    learner.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    return Attempt.objects.get(pk=attempt.pk)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/quizzes/quiz/",
        "/admin/quizzes/quiz/?is_active__exact=1&q=docker",
        "/admin/quizzes/question/",
        "/admin/quizzes/question/?type__exact=numeric&is_retired__exact=0&q=lambda",
        "/admin/quizzes/attempt/",
        "/admin/quizzes/attempt/?status__exact=submitted&q=alice",
        "/admin/quizzes/attempt/?user__isempty=1",
    ],
)
def test_changelists_load(admin_client, submitted, url):
    response = admin_client.get(url)
    assert response.status_code == 200


def test_attempt_list_shows_learner_and_score(admin_client, submitted):
    html = admin_client.get("/admin/quizzes/attempt/?q=alice").content.decode()
    assert "alice" in html
    assert f"4 / {submitted.max_score} (" in html


def test_attempts_are_read_only(admin_client, submitted):
    change = admin_client.get(f"/admin/quizzes/attempt/{submitted.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert 'name="_save"' not in html
    assert 'class="deletelink"' not in html
    assert admin_client.get("/admin/quizzes/attempt/add/").status_code == 403
    assert admin_client.get(f"/admin/quizzes/attempt/{submitted.pk}/delete/").status_code == 403
    response = admin_client.post(
        f"/admin/quizzes/attempt/{submitted.pk}/change/", {"score": 99, "status": "submitted"}
    )
    assert response.status_code == 403
    assert Attempt.objects.get(pk=submitted.pk).score == 4


def test_question_and_quiz_pages_load(admin_client, db):
    question = Question.objects.get(quiz__lesson__slug="lambda", key="monthly-cost")
    assert admin_client.get(f"/admin/quizzes/question/{question.pk}/change/").status_code == 200
    quiz = Quiz.objects.get(lesson__slug="docker")
    assert admin_client.get(f"/admin/quizzes/quiz/{quiz.pk}/change/").status_code == 200


def test_admin_needs_staff(client, alice):
    client.force_login(alice)
    response = client.get("/admin/quizzes/attempt/")
    assert response.status_code == 302
