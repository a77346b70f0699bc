import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from course.lessons.models import Lesson, LessonRead

REQUIRED_SLUGS = ["docker", "ecs", "fargate", "ecr", "lambda", "batch", "lightsail"]


def test_home_lists_every_lesson_in_order_with_summaries(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "lessons/home.html" in [t.name for t in response.templates]
    html = response.content.decode()
    lessons = list(Lesson.objects.published())
    positions = [html.index(lesson.get_absolute_url()) for lesson in lessons]
    assert positions == sorted(positions)
    for lesson in lessons:
        assert escape(lesson.summary) in html
    assert "Sign up" in html


def test_home_shows_what_a_signed_in_user_has_read(client, alice):
    docker = Lesson.objects.get(slug="docker")
    LessonRead.objects.create(user=alice, lesson=docker, last_read_at=docker.updated_at)
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert f"You have read <strong>1 of {Lesson.objects.published().count()}</strong>" in html
    assert html.count("✓ Read") == 1


@pytest.mark.parametrize("slug", REQUIRED_SLUGS)
def test_each_required_lesson_renders(client, db, slug):
    response = client.get(f"/lessons/{slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    lesson = Lesson.objects.get(slug=slug)
    assert f'<h1 id="lesson-title">{lesson.title}</h1>' in html
    assert 'aria-label="On this page"' in html
    assert "min read" in html
    assert '<figure class="diagram">' in html or slug in {"lightsail"}


def test_lesson_page_has_outline_previous_and_next(client, db):
    html = client.get("/lessons/ecs/").content.decode()
    assert 'rel="prev"' in html and "/lessons/docker/" in html
    assert 'rel="next"' in html and "/lessons/fargate/" in html
    assert '<a href="/lessons/ecs/" aria-current="page">' in html
    first = client.get("/lessons/docker/").content.decode()
    assert 'rel="prev"' not in first


def test_page_landmarks_and_skip_link(client, db):
    html = client.get("/lessons/docker/").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    for landmark in ["<header", "<nav", '<main id="main"', "<footer"]:
        assert landmark in html


def test_unknown_lesson_is_the_site_404(client, db):
    response = client.get("/lessons/kubernetes/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_unpublished_lesson_is_404(client, db):
    Lesson.objects.filter(slug="batch").update(is_published=False)
    assert client.get("/lessons/batch/").status_code == 404


def test_a_signed_in_visit_marks_the_lesson_read_once(client, alice):
    client.force_login(alice)
    client.get("/lessons/docker/")
    client.get("/lessons/docker/")
    reads = LessonRead.objects.filter(user=alice)
    assert [read.lesson.slug for read in reads] == ["docker"]


def test_an_anonymous_visit_records_nothing(client, db):
    client.get("/lessons/docker/")
    assert not LessonRead.objects.exists()


def test_post_is_not_allowed(client, db):
    assert client.post("/lessons/docker/").status_code == 405
    assert client.post("/").status_code == 405


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_query_counts_are_fixed(client, alice):
    anonymous_home = count_queries(client, "/")
    anonymous_lesson = count_queries(client, "/lessons/lambda/")
    assert anonymous_home <= 1
    assert anonymous_lesson <= 3  # the lesson, the outline, its labs
    client.force_login(alice)
    for lesson in Lesson.objects.all()[:3]:
        LessonRead.objects.create(user=alice, lesson=lesson, last_read_at=lesson.updated_at)
    # session + user + outline + reads + quiz scores (one query, quizzes.templatetags); the
    # lesson adds the lesson itself, the upsert and its labs (course.labs.templatetags). The home
    # page adds the labs' standing (course.labs.progress), the classes with due dates
    # (quizzes.templatetags.teach_tags) and the spaced review's due count.
    assert count_queries(client, "/") <= 8
    assert count_queries(client, "/lessons/docker/") <= 8


def test_reverse_names():
    assert reverse("lesson", kwargs={"slug": "lambda"}) == "/lessons/lambda/"
