"""The submit views' queries with the score outbox: a fixed number, the same however many LMS
placements of the activity the learner launched, and only one more than before the outbox for a
learner who never came from an LMS (the lookup of their placements)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from course.labs.models import Lab
from quizzes import attempts
from quizzes.models import Classroom, Quiz
from quizzes.teach.lti.models import LtiContext, LtiUser, PendingScore, Platform, ResourceLink
from tests.helpers import session_queries

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LAB = "docker-dockerfile"

# Measured: the lab submit (htmx) and the quiz submit (redirect to the result), each with its
# session query (none when sessions live in Redis).
LAB_SUBMIT_QUERIES = 16
QUIZ_SUBMIT_QUERIES = 14
# A learner from an LMS: the outbox upsert in its savepoint (SAVEPOINT, INSERT ... ON
# CONFLICT, RELEASE), one statement for all their placements.
OUTBOX_WRITE_QUERIES = 3


@pytest.fixture
def fresh_limits(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"


def placements(user, kind: str, target: str, count: int) -> None:
    """``count`` LMS placements of the activity, each launched by ``user`` (made directly)."""
    for i in range(count):
        platform = Platform.objects.create(
            issuer=f"https://lms{i}.example.test",
            client_id="tool",
            auth_url="https://lms.example.test/auth",
            token_url="https://lms.example.test/token",
            keyset_url="https://lms.example.test/jwks",
        )
        context = LtiContext.objects.create(
            platform=platform, context_id="course", classroom=Classroom.objects.create(name="c")
        )
        link = ResourceLink.objects.create(
            context=context,
            resource_link_id=f"link-{i}",
            kind=kind,
            target=target,
            ags_endpoint={"scope": [SCORE_SCOPE], "lineitem": "https://lms.example.test/li/1"},
        )
        link.learners.add(LtiUser.objects.create(platform=platform, sub=f"sub-{i}", user=user))


def count_lab_submit(client, user) -> int:
    lab = Lab.objects.get(key=LAB)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/lessons/docker/labs/{LAB}/check",
            {"answer": lab.solution, "action": "submit"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    return len(queries)


def count_quiz_submit(client, user) -> int:
    attempt, _ = attempts.start_attempt(Quiz.objects.get(lesson__slug="docker"), user)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    assert response.status_code == 302
    return len(queries)


@pytest.mark.parametrize("launched", [0, 1, 3])
def test_the_lab_submit_runs_a_fixed_number_of_queries(
    client, django_user_model, fresh_limits, launched
):
    user = django_user_model.objects.create_user("learner")
    placements(user, "lab", LAB, launched)
    extra = OUTBOX_WRITE_QUERIES if launched else 0
    assert count_lab_submit(client, user) == session_queries() + LAB_SUBMIT_QUERIES + extra
    assert PendingScore.objects.count() == launched


@pytest.mark.parametrize("launched", [0, 1, 3])
def test_the_quiz_submit_runs_a_fixed_number_of_queries(client, django_user_model, launched):
    user = django_user_model.objects.create_user("learner")
    placements(user, "quiz", "docker", launched)
    extra = OUTBOX_WRITE_QUERIES if launched else 0
    assert count_quiz_submit(client, user) == session_queries() + QUIZ_SUBMIT_QUERIES + extra
    assert PendingScore.objects.count() == launched
