"""Teacher pages run a fixed number of queries, whatever the size of the class."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from course.lessons.models import Lesson
from quizzes.models import Assignment, Extension
from tests.teach.builders import build_class, submit_lab

# session, user, Teachers check, the class, then the page's own queries (quizzes/teach/queries.py)
# The matrix: students, lessons, labs, assignments, reads, quiz attempts, lab attempts, extensions.
EXPECTED = {
    "class": 12,  # + teachers + the matrix
    # + class size, lessons, questions, wrong choices, item sums, picks, wrong numbers, attempts;
    # labs: class size, lessons, labs, lab submissions
    "analysis": 15,
    # + the student, lessons, labs, reads, attempts, correct choices, answers, picks, lab
    # submissions, assignments, extensions, the note
    "student": 15,  # (the Teachers check rides on the user query)
    "matrix.csv": 11,  # + the matrix
    "analysis.csv": 11,
    "labs.csv": 7,
    "moodle": 11,
    "canvas": 11,
    "assignments": 8,  # + students, assignments with extensions (2), the lessons to choose from
}


def urls(classroom) -> dict[str, str]:
    base = f"/teach/classes/{classroom.pk}"
    student = classroom.enrollments.order_by("pk").first().student_id
    return {
        "class": f"{base}/?sort=-completion",
        "analysis": f"{base}/analysis/",
        "student": f"{base}/students/{student}/",
        "matrix.csv": f"{base}/matrix.csv",
        "analysis.csv": f"{base}/analysis.csv",
        "labs.csv": f"{base}/labs.csv",
        "moodle": f"{base}/gradebook-moodle.csv",
        "canvas": f"{base}/gradebook-canvas.csv",
        "assignments": f"{base}/assignments/",
    }


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.fixture
def small_and_large(teacher):
    small = build_class(teacher, 3, quiz_count=3, seed=1, name="Small", username_prefix="s")
    large = build_class(teacher, 30, quiz_count=7, seed=2, name="Large", username_prefix="l")
    due = timezone.now() - timedelta(days=1)
    for classroom in (small, large):
        students = [e.student for e in classroom.enrollments.order_by("pk")]
        for lesson in Lesson.objects.published().order_by("order")[:3]:
            assignment = Assignment.objects.create(classroom=classroom, lesson=lesson, due_at=due)
            Extension.objects.create(assignment=assignment, student=students[0], due_at=due)
        for student in students:
            submit_lab(student, "docker-dockerfile", passed=student.pk % 2 == 0)
    return small, large


def test_query_counts_do_not_grow_with_the_class(client, teacher, small_and_large):
    small, large = small_and_large
    client.force_login(teacher)
    client.get("/teach/")  # the first teacher page may correct the session's teacher note
    small_counts = {name: count(client, url) for name, url in urls(small).items()}
    large_counts = {name: count(client, url) for name, url in urls(large).items()}
    print("queries per page:", small_counts)
    assert small_counts == large_counts
    # At most the expected numbers: with REDIS_URL the session lives in Redis, one query fewer.
    assert all(small_counts[name] <= EXPECTED[name] for name in EXPECTED), small_counts


def test_teach_home_queries_do_not_grow_with_classes(client, teacher):
    client.force_login(teacher)
    build_class(teacher, 2, quiz_count=1, name="One", username_prefix="a")
    one = count(client, "/teach/")
    for index in range(4):
        build_class(teacher, 3, quiz_count=1, name=f"More {index}", username_prefix=f"m{index}")
    assert count(client, "/teach/") == one <= 5  # session, user, Teachers, classes with counts
