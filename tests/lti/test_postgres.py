"""Several score deliverers on one PostgreSQL database (`make test-postgres`): each waiting
score is claimed, and posted to the LMS, by exactly one of them."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizzes.models import Classroom
from quizzes.teach.lti import grades, outbox
from quizzes.teach.lti.models import LtiContext, PendingScore, Platform, ResourceLink
from tests.schedules.conftest import on_postgres
from tests.schedules.test_postgres import in_threads

pytestmark = [on_postgres, pytest.mark.django_db(transaction=True)]
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def waiting_scores(platform: Platform, lineitem: str, count: int, django_user_model) -> None:
    context = LtiContext.objects.create(
        platform=platform, context_id="course", classroom=Classroom.objects.create(name="c")
    )
    link = ResourceLink.objects.create(
        context=context,
        resource_link_id="link",
        kind="lab",
        target="docker-dockerfile",
        ags_endpoint={"scope": [SCORE_SCOPE], "lineitem": lineitem},
    )
    for i in range(count):
        user = django_user_model.objects.create_user(f"learner{i}")
        learner = platform.users.create(sub=f"sub-{i}", user=user)
        link.learners.add(learner)
        grades.queue_score([(link.pk, learner.pk, link.ags_endpoint)], i, 100, timezone.now())


def test_each_waiting_score_is_claimed_by_exactly_one_deliverer(lms, django_user_model):
    waiting_scores(Platform.objects.get(), lms.url("/lineitems/9"), 60, django_user_model)

    def deliverer(_i: int) -> list[int]:
        mine = []
        while row := outbox.claim():
            mine.append(row.pk)
        return mine

    claimed = in_threads(4, deliverer)
    counts = Counter(pk for mine in claimed for pk in mine)
    assert set(counts) == set(PendingScore.objects.values_list("pk", flat=True))
    assert set(counts.values()) == {1}
    assert sum(1 for mine in claimed if mine) >= 2  # shared, not serialised
    assert not PendingScore.objects.filter(leased_until__isnull=True).exists()


def test_racing_deliverers_post_each_score_once(lms, django_user_model):
    waiting_scores(Platform.objects.get(), lms.url("/lineitems/9"), 24, django_user_model)
    outcomes = in_threads(3, lambda _i: outbox.deliver_due())
    assert sum(o.sent for o in outcomes) == 24 and sum(o.failed for o in outcomes) == 0
    posted = Counter(
        json.loads(r["body"])["userId"] for r in lms.requests_to("/lineitems/9/scores")
    )
    assert posted == Counter({f"sub-{i}": 1 for i in range(24)})
    assert not PendingScore.objects.exists()


def test_the_claim_skips_rows_another_deliverer_has_locked(lms, django_user_model):
    waiting_scores(Platform.objects.get(), lms.url("/lineitems/9"), 1, django_user_model)
    with CaptureQueriesContext(connection) as queries:
        assert outbox.claim() is not None
    assert any("FOR UPDATE OF" in q["sql"] and "SKIP LOCKED" in q["sql"] for q in queries)
