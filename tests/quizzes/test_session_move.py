"""Anonymous attempts move to the account on sign-up or sign-in; nothing is lost."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from quizzes import attempts
from quizzes.models import Answer, Attempt, AttemptStatus, Quiz
from tests.helpers import PASSWORD, right_and_wrong, start


def anonymous_history(client):
    """A submitted Docker attempt (4 right) and an open ECS attempt with 2 answers."""
    docker = start(client, "docker")
    client.post(f"/quizzes/attempts/{docker.pk}/review/", right_and_wrong(docker, 4))
    client.post(f"/quizzes/attempts/{docker.pk}/submit/")
    ecs = start(client, "ecs")
    data = right_and_wrong(ecs, 2)
    partial = dict(list(data.items())[:2])
    client.post(f"/quizzes/attempts/{ecs.pk}/review/", partial)
    return Attempt.objects.get(pk=docker.pk), Attempt.objects.get(pk=ecs.pk)


def test_signing_up_keeps_the_attempts(client, db):
    docker, ecs = anonymous_history(client)
    response = client.post(
        "/accounts/signup/",
        {"username": "dora", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    dora = User.objects.get(username="dora")
    for attempt in (docker, ecs):
        attempt.refresh_from_db()
        assert attempt.user == dora
        assert attempt.session_key == ""
    assert docker.score == 4 and docker.status == AttemptStatus.SUBMITTED
    assert ecs.status == AttemptStatus.IN_PROGRESS
    assert Answer.objects.filter(attempt=ecs).count() == 2
    # The open attempt resumes, and the submitted one is on the progress page.
    assert start(client, "ecs").pk == ecs.pk
    html = client.get("/progress/").content.decode()
    assert f'href="/quizzes/attempts/{docker.pk}/result/"' in html
    assert client.get(f"/quizzes/attempts/{docker.pk}/result/").status_code == 200


def test_logging_in_keeps_the_attempts(client, alice):
    docker, ecs = anonymous_history(client)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert set(Attempt.objects.filter(user=alice).values_list("pk", flat=True)) == {
        docker.pk,
        ecs.pk,
    }
    assert client.get(f"/quizzes/attempts/{ecs.pk}/").status_code == 200


def test_the_old_session_cannot_reach_moved_attempts(client, alice):
    docker, _ = anonymous_history(client)
    old_cookie = client.cookies["sessionid"].value
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    stale = Client()
    stale.cookies["sessionid"] = old_cookie
    assert stale.get(f"/quizzes/attempts/{docker.pk}/result/").status_code == 404


def test_moved_attempts_do_not_follow_the_next_login(client, alice, bob):
    docker, _ = anonymous_history(client)
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert Attempt.objects.get(pk=docker.pk).user == alice
    assert not Attempt.objects.filter(user=bob).exists()


def test_two_open_attempts_keep_the_one_with_more_answers(client, alice):
    signed_in = Client()
    signed_in.force_login(alice)
    mine = start(signed_in, "docker")
    signed_in.post(f"/quizzes/attempts/{mine.pk}/review/", right_and_wrong(mine, 1))  # all
    theirs = start(client, "docker")
    data = right_and_wrong(theirs, 1)
    client.post(f"/quizzes/attempts/{theirs.pk}/review/", dict(list(data.items())[:1]))

    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == AttemptStatus.IN_PROGRESS
    assert theirs.status == AttemptStatus.ABANDONED and theirs.user == alice
    assert Answer.objects.filter(attempt=theirs).count() == 1  # abandoned, not deleted
    assert start(client, "docker").pk == mine.pk
    # An abandoned attempt's pages lead back to the quiz.
    assert client.get(f"/quizzes/attempts/{theirs.pk}/")["Location"] == "/lessons/docker/quiz/"


def test_two_open_attempts_keep_the_anonymous_one_when_it_has_more(client, alice):
    signed_in = Client()
    signed_in.force_login(alice)
    mine = start(signed_in, "docker")
    theirs = start(client, "docker")
    client.post(f"/quizzes/attempts/{theirs.pk}/review/", right_and_wrong(theirs, 2))
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (AttemptStatus.ABANDONED, AttemptStatus.IN_PROGRESS)
    assert Attempt.objects.filter(user=alice, status=AttemptStatus.IN_PROGRESS).count() == 1


def test_attempt_numbers_follow_the_order_they_were_started(db, alice):
    quiz = Quiz.objects.get(lesson__slug="docker")
    user = alice
    anonymous = "s" * 32
    early, _ = attempts.start_attempt(quiz, anonymous)
    attempts.submit_attempt(early)
    mine, _ = attempts.start_attempt(quiz, user)
    attempts.submit_attempt(mine)
    late, _ = attempts.start_attempt(quiz, anonymous)
    Attempt.objects.filter(pk=early.pk).update(started_at=timezone.now() - timedelta(days=2))
    Attempt.objects.filter(pk=late.pk).update(started_at=timezone.now() + timedelta(minutes=1))
    assert attempts.move_to_user([early.pk, late.pk], alice) == 2
    numbers = dict(Attempt.objects.filter(user=alice).values_list("pk", "number"))
    assert numbers == {early.pk: 1, mine.pk: 2, late.pk: 3}


def test_move_ignores_attempts_that_already_have_an_owner(db, alice, bob):
    quiz = Quiz.objects.get(lesson__slug="docker")
    bobs, _ = attempts.start_attempt(quiz, bob)
    assert attempts.move_to_user([bobs.pk, "x", None, True], alice) == 0
    assert Attempt.objects.get(pk=bobs.pk).user == bob
