"""50 learners submitting at the same moment against the live server, on SQLite.

Each thread is a separate browser (its own cookie jar): it logs in, starts the Lambda quiz,
autosaves one answer the htmx way, posts the whole form, waits at a barrier with the others,
then submits. Every attempt must be recorded and graded exactly once, with the right score,
and nothing may fail with "database is locked". (The test database is a file for this: see
tests/helpers.py.)
"""

import html as html_lib
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management import call_command

from course.lessons.models import Lesson
from quizzes.attempts import choice_token
from quizzes.models import Attempt, AttemptStatus, Choice, QuestionType, Quiz
from tests.helpers import PASSWORD

LEARNERS = 50
TIMEOUT = 120
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
INPUT_RE = re.compile(r'name="q(\d+)" value="([^"]*)"')
ATTEMPT_RE = re.compile(r"/quizzes/attempts/(\d+)/")


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf_cookie(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=TIMEOUT) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, data, headers=None) -> tuple[str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers=headers or {}, method="POST"
        )
        with self.opener.open(request, timeout=TIMEOUT) as response:
            return response.geturl(), response.read().decode()


def expected_answers(html: str, correct: set[str], numeric: dict[int, str], right: int):
    """Form data from the attempt page: the first `right` questions right, the rest wrong.
    `correct` holds the values the right choices post in this attempt."""
    shown: dict[int, list[str]] = {}
    for question_id, value in INPUT_RE.findall(html):
        shown.setdefault(int(question_id), []).append(value)
    data = []
    for index, (question_id, values) in enumerate(shown.items()):
        if question_id in numeric:
            data.append((f"q{question_id}", numeric[question_id] if index < right else "1"))
            continue
        good = [v for v in values if v in correct]
        bad = [v for v in values if v not in correct][:1]
        for value in good if index < right else bad:
            data.append((f"q{question_id}", value))
    return data


@pytest.mark.django_db(transaction=True)
def test_fifty_learners_submit_at_the_same_moment(live_server, caplog):
    caplog.set_level(logging.WARNING)
    if not Lesson.objects.exists():  # an earlier transactional test flushed the database
        call_command("sync_content", verbosity=0)
    quiz = Quiz.objects.get(lesson__slug="lambda")
    questions = list(quiz.questions.asked())
    total = len(questions)
    correct_ids = set(
        Choice.objects.filter(question__quiz=quiz, is_correct=True).values_list("pk", flat=True)
    )
    numeric = {
        q.pk: f"{q.answer_number.normalize():f}"
        for q in questions
        if q.type == QuestionType.NUMERIC
    }
    hashed = make_password(PASSWORD)
    User.objects.bulk_create(
        [User(username=f"learner{i:02}", password=hashed) for i in range(LEARNERS)]
    )

    barrier = threading.Barrier(LEARNERS, timeout=TIMEOUT)
    failures: list[str] = []
    results: dict[int, str] = {}

    def learner(number: int) -> None:
        browser = Browser(live_server.url)
        try:
            _, page = browser.get("/accounts/login/")
            token = CSRF_RE.search(page).group(1)
            browser.post(
                "/accounts/login/",
                {
                    "csrfmiddlewaretoken": token,
                    "username": f"learner{number:02}",
                    "password": PASSWORD,
                },
            )
            _, page = browser.get("/lessons/lambda/quiz/")
            token = CSRF_RE.search(page).group(1)
            url, page = browser.post("/lessons/lambda/quiz/start/", {"csrfmiddlewaretoken": token})
            attempt_id = int(ATTEMPT_RE.search(url).group(1))
            correct = {choice_token(Attempt(pk=attempt_id), pk) for pk in correct_ids}
            data = expected_answers(page, correct, numeric, number % (total + 1))
            if data:  # autosave one answer as htmx does: header CSRF token, HX-Request
                name, value = data[0]
                _, status = browser.post(
                    f"/quizzes/attempts/{attempt_id}/answers/{name[1:]}/",
                    [(name, value)],
                    {"HX-Request": "true", "X-CSRFToken": browser.csrf_cookie()},
                )
                assert "Saved" in status, status
            token = CSRF_RE.search(page).group(1)
            url, _ = browser.post(
                f"/quizzes/attempts/{attempt_id}/review/",
                [("csrfmiddlewaretoken", token), *data],
            )
            assert url.endswith(f"/quizzes/attempts/{attempt_id}/review/"), url
            barrier.wait()
            url, page = browser.post(
                f"/quizzes/attempts/{attempt_id}/submit/", {"csrfmiddlewaretoken": token}
            )
            assert url.endswith(f"/quizzes/attempts/{attempt_id}/result/"), url
            results[number] = html_lib.unescape(page)
        except urllib.error.HTTPError as error:
            failures.append(f"learner {number}: HTTP {error.code} {error.read()[:500]!r}")
            barrier.abort()
        except Exception as error:  # collected and reported below, with the learner's number
            failures.append(f"learner {number}: {error!r}")
            barrier.abort()

    threads = [threading.Thread(target=learner, args=(i,)) for i in range(LEARNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []

    attempts = Attempt.objects.filter(quiz=quiz, user__username__startswith="learner")
    assert attempts.count() == LEARNERS
    for attempt in attempts.select_related("user"):
        number = int(attempt.user.username.removeprefix("learner"))
        right = number % (total + 1)
        assert attempt.status == AttemptStatus.SUBMITTED
        assert (attempt.score, attempt.max_score) == (right, total)
        assert attempt.answers.count() == total
        assert f"{right} / {total}" in results[number]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "database is locked" not in logged
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
