"""Lessons read signed out count once the reader signs up or logs in (as quiz attempts do)."""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from course.lessons import reads
from course.lessons.models import LessonRead
from tests.helpers import PASSWORD


def read_slugs(user) -> set[str]:
    return set(LessonRead.objects.filter(user=user).values_list("lesson__slug", flat=True))


def test_reads_before_signing_up_show_on_the_progress_page(client, db):
    Client().get("/lessons/docker/")  # someone else warms the shared page cache
    client.get("/lessons/docker/")  # served from the cache: the view does not run
    client.get("/lessons/ecs/")
    response = client.post(
        reverse("signup"),
        {"username": "dana", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    html = client.get(reverse("quizzes:progress")).content.decode()
    assert read_slugs(User.objects.get(username="dana")) == {"docker", "ecs"}
    assert html.count("✓ Read") == 2
    # The cookie went with the sign-up: whoever signs in next here does not inherit the reads.
    assert response.cookies[reads.COOKIE_NAME].value == ""


def test_reads_before_logging_in_move_to_the_account(client, alice):
    client.get("/lessons/lambda/")
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert read_slugs(alice) == {"lambda"}


def test_a_cached_page_still_notes_the_read_without_a_query(client, db, django_assert_num_queries):
    Client().get("/lessons/batch/")
    with django_assert_num_queries(0):
        response = client.get("/lessons/batch/")
    assert response.cookies[reads.COOKIE_NAME].value == "batch"
    response = client.get("/lessons/docker/")
    assert response.cookies[reads.COOKIE_NAME].value == "batch.docker"
    assert reads.COOKIE_NAME not in client.get("/lessons/docker/").cookies  # nothing new


def test_junk_in_the_cookie_is_ignored(client, alice):
    client.cookies[reads.COOKIE_NAME] = "docker.<script>.no-such-lesson..ECS." + "x" * 5000
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert read_slugs(alice) == {"docker"}


def test_signed_in_readers_and_missing_lessons_set_no_cookie(client, alice):
    assert reads.COOKIE_NAME not in client.get("/lessons/not-a-lesson/").cookies
    client.force_login(alice)
    assert reads.COOKIE_NAME not in client.get("/lessons/docker/").cookies
    assert read_slugs(alice) == {"docker"}
