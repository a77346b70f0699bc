"""A class of 500 students with submitted attempts at 7 quizzes: the class page and the analysis
page each render in under a second (the issue's budget), with the same queries as a small class.

A timing budget, so it runs in `make bench` (marker "bench"), not in `make test`; on its own:
pytest -m bench -s tests/teach/test_benchmark.py. The query counts it relies on are checked for
every run by tests/teach/test_queries.py.
"""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes.models import Answer, Attempt, Enrollment
from tests.teach.builders import build_class

pytestmark = pytest.mark.bench

STUDENTS = 500
QUIZZES = 7
BUDGET_S = 1.0


@pytest.fixture
def big_class(teacher):
    started = time.perf_counter()
    classroom = build_class(teacher, STUDENTS, quiz_count=QUIZZES, seed=500)
    print(
        f"\nbuilt a class of {Enrollment.objects.filter(classroom=classroom).count()} students, "
        f"{Attempt.objects.count()} attempts, {Answer.objects.count()} answers "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return classroom


def timed_get(client, url: str) -> tuple[list[float], int, bytes]:
    """Two requests: the first also pays for compiling templates; both must fit the budget."""
    timings = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings, len(queries), response.content


def test_a_class_of_500_renders_in_under_a_second(client, teacher, big_class):
    client.force_login(teacher)
    client.get("/teach/")
    for page in ["", "analysis/"]:
        url = f"/teach/classes/{big_class.pk}/{page}"
        timings, queries, content = timed_get(client, url)
        shown = ", ".join(f"{t * 1000:.0f} ms" for t in timings)
        print(f"{url}: {shown}; {queries} queries, {len(content) // 1024} KB of HTML")
        if page == "":
            assert content.decode().count('<th scope="row">') == STUDENTS
        assert max(timings) < BUDGET_S, f"{url} took {max(timings):.2f} s for {STUDENTS} students"
