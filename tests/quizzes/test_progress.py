"""/progress/, the home outline and the lesson page's quiz box: figures and query counts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from course.labs.models import Lab, LabAttempt
from course.lessons.models import Lesson, LessonRead
from quizzes.models import Attempt, Question
from tests.helpers import right_and_wrong, start


def take(client, slug: str, right: int, submit: bool = True) -> Attempt:
    attempt = start(client, slug)
    client.post(f"/quizzes/attempts/{attempt.pk}/review/", right_and_wrong(attempt, right))
    if submit:
        client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    return Attempt.objects.get(pk=attempt.pk)


def read(user, slug: str) -> None:
    lesson = Lesson.objects.get(slug=slug)
    LessonRead.objects.create(user=user, lesson=lesson, last_read_at=timezone.now())


def row(html: str, title: str) -> str:
    match = re.search(
        rf'<tr[^>]*>\s*<th scope="row"><a [^>]*>{title}</a></th>(.*?)</tr>', html, re.S
    )
    assert match, title
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def pass_labs(user, slug: str) -> None:
    for lab in Lab.objects.active().filter(lesson__slug=slug):
        LabAttempt.objects.create(
            lab=lab,
            user=user,
            answer="ok",
            answer_digest=f"{lab.pk}",
            score=1,
            max_score=1,
            passed=True,
            outcomes=[],
        )


@pytest.fixture
def history(client, alice):
    """Alice: read Docker and Lambda; Docker 12/12 then 6/12 and its lab passed; Lambda 5 right;
    ECS open."""
    client.force_login(alice)
    pass_labs(alice, "docker")
    read(alice, "docker")
    read(alice, "lambda")
    take(client, "docker", 12)
    docker_last = take(client, "docker", 6)
    lambda_last = take(client, "lambda", 5)
    take(client, "ecs", 3, submit=False)
    return {"docker": docker_last, "lambda": lambda_last}


def test_progress_needs_an_account(client, db):
    response = client.get("/progress/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/progress/")


def test_progress_wrong_method(client, alice):
    client.force_login(alice)
    assert client.post("/progress/").status_code == 405


def test_progress_figures(client, history):
    html = client.get("/progress/").content.decode()
    total = Lesson.objects.published().count()
    docker_labs = Lab.objects.active().filter(lesson__slug="docker").count()
    assert row(html, "Docker").split(" ")[:9] == [
        "✓",
        "Read",
        "100%",
        "50%",
        "2",
        str(docker_labs),
        "of",
        str(docker_labs),
        history["docker"].submitted_at.strftime("%-d"),
    ]
    assert "✓ Complete" in row(html, "Docker")
    lambda_total = history["lambda"].max_score
    percent = f"{round(100 * 5 / lambda_total)}%"
    assert row(html, "AWS Lambda").startswith(f"✓ Read {percent} {percent} 1 ")
    assert "Retake quiz" in row(html, "AWS Lambda")
    assert row(html, "Amazon ECS").startswith("Not yet — — 0 (one in progress) 0 of 1 labs")
    assert row(html, "AWS Batch").startswith("Not yet — — 0 0 of 2 labs")
    # Complete: Docker only (Lambda is read but below the pass mark, its labs not passed).
    assert f"<strong>1 of {total}</strong> lessons complete</label> ({round(100 / total)}%)" in html
    assert f'<progress id="course-progress" max="{total}" value="1">' in html


def test_review_your_mistakes_lists_the_latest_attempts_misses(client, history):
    html = client.get("/progress/").content.decode()
    section = html.split('id="mistakes-title"')[1]
    for slug, attempt in history.items():
        missed = Question.objects.filter(answers__attempt=attempt, answers__is_correct=False)
        assert missed.count() == attempt.max_score - attempt.score
        for question in missed:
            assert question.prompt_html in section
            assert f'href="/lessons/{slug}/#{question.section}">Review: ' in section
    assert "attempt 2, 50%" in section


def test_a_perfect_latest_attempt_leaves_nothing_to_review(client, alice):
    client.force_login(alice)
    take(client, "docker", 3)
    take(client, "docker", 12)
    html = client.get("/progress/").content.decode()
    assert "Nothing to review" in html


def test_last_activity_is_the_latest_of_reading_and_quizzing(client, alice):
    client.force_login(alice)
    lesson = Lesson.objects.get(slug="batch")
    LessonRead.objects.create(
        user=alice, lesson=lesson, last_read_at=timezone.now() - timedelta(days=400)
    )
    html = client.get("/progress/").content.decode()
    assert (timezone.now() - timedelta(days=400)).strftime("%Y") in row(html, "AWS Batch")


def test_progress_htmx_fragment(client, history):
    response = client.get("/progress/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<!doctype html>" not in html and "Your progress" in html
    assert "HX-Request" in response["Vary"]


def test_progress_shows_only_my_attempts(history, bob):
    as_bob = Client()
    as_bob.force_login(bob)
    html = as_bob.get("/progress/").content.decode()
    assert row(html, "Docker").startswith("Not yet — — 0 0 of 1 labs of Docker —")
    assert "Nothing to review" in html


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_progress_queries_do_not_grow_with_attempts(client, alice, django_assert_num_queries):
    client.force_login(alice)
    read(alice, "docker")
    take(client, "docker", 3)
    few = count_queries(client, "/progress/")
    # session, user, lessons, reads, quizzes with my attempts, labs with mine, missed answers;
    # the calendar feed's profile, the classes with due dates, the review counts
    assert few <= 10
    for slug in ["docker", "docker", "lambda", "ecs", "ecr", "fargate", "lambda"]:
        take(client, slug, 2)
    take(client, "batch", 1, submit=False)
    with django_assert_num_queries(few):
        assert client.get("/progress/").status_code == 200


def test_pass_mark_setting_changes_completion(client, history, settings, alice):
    pass_labs(alice, "lambda")
    # Alice's Lambda score (5 right) as the mark, whatever the quiz's length: just enough.
    settings.QUIZ_PASS_MARK = 100 * 5 // history["lambda"].max_score
    html = client.get("/progress/").content.decode()
    assert "✓ Complete" in row(html, "AWS Lambda")
    settings.QUIZ_PASS_MARK = 100
    html = client.get("/progress/").content.decode()
    assert "✓ Complete" in row(html, "Docker")  # 12 of 12 is its best


# --- Home outline and lesson page ------------------------------------------------------------


def test_home_outline_shows_completion(client, history):
    html = client.get("/").content.decode()
    docker = html.split('href="/lessons/docker/"')[1].split("</li>")[0]
    assert "✓ Complete" in docker and "Quiz 100%" in docker
    lambda_ = html.split('href="/lessons/lambda/"')[1].split("</li>")[0]
    assert "✓ Read" in lambda_ and "Complete" not in lambda_
    ecs = html.split('href="/lessons/ecs/"')[1].split("</li>")[0]
    assert "Read" not in ecs and "Quiz" not in ecs
    assert "completed <strong>1</strong>" in html
    assert '<a href="/progress/">Progress</a>' in html


def test_home_for_anonymous_has_no_progress(client, db):
    html = client.get("/").content.decode()
    assert "Complete" not in html and 'href="/progress/"' not in html


def test_lesson_page_shows_the_best_score(client, history):
    html = client.get("/lessons/docker/").content.decode()
    assert "Your best score: <strong>12 / 12 (100%)</strong>" in html
    assert "Retake the Docker quiz</a>" in html
    assert "Resume the Amazon ECS quiz</a>" in client.get("/lessons/ecs/").content.decode()


def test_lesson_page_shows_an_anonymous_learners_best_score(client, db):
    take(client, "docker", 9)
    html = client.get("/lessons/docker/").content.decode()
    assert "Your best score: <strong>9 / 12 (75%)</strong>" in html


def test_home_and_lesson_query_budgets(client, history):
    # Each gains one query for the lessons' labs (course.labs.progress), whatever their number;
    # "/" and "/progress/": + the classes with due dates and the spaced review's due count;
    # "/progress/": + the calendar profile
    for url, budget in [("/", 8), ("/lessons/docker/", 8), ("/progress/", 10)]:
        assert count_queries(client, url) <= budget, url


def test_a_lesson_is_complete_only_with_its_labs_passed(client, alice):
    client.force_login(alice)
    read(alice, "docker")
    take(client, "docker", 12)
    html = client.get("/progress/").content.decode()
    assert "✓ Complete" not in row(html, "Docker")  # read, quiz passed, lab not yet
    assert "0 of 1 labs" in row(html, "Docker")
    home = client.get("/").content.decode()
    assert "Labs 0/1" in home
    pass_labs(alice, "docker")
    html = client.get("/progress/").content.decode()
    assert "✓ Complete" in row(html, "Docker")
    assert "Labs 1/1" in client.get("/").content.decode()


def test_lab_progress_is_one_query_however_many_attempts(alice, django_assert_num_queries):
    from course.labs.progress import lab_progress

    pass_labs(alice, "batch")
    ids = list(Lesson.objects.values_list("pk", flat=True))
    with django_assert_num_queries(1):
        progress = lab_progress(alice, ids)
    batch = Lesson.objects.get(slug="batch").pk
    assert progress[batch].passed == progress[batch].total == 2
