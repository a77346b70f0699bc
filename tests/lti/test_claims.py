"""Two deliverers on threads of their own (own connections) claiming from one outbox, on
whatever database the suite runs on: on SQLite the conditional UPDATE lease alone decides, on
PostgreSQL the row locks too (tests/lti/test_postgres.py has more)."""

from __future__ import annotations

from collections import Counter

import pytest

from quizzes.teach.lti import outbox
from quizzes.teach.lti.models import PendingScore, Platform
from tests.lti.test_postgres import waiting_scores
from tests.schedules.test_postgres import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_deliverers_on_threads_claim_each_score_once(lms, django_user_model):
    waiting_scores(Platform.objects.get(), lms.url("/lineitems/9"), 30, django_user_model)

    def deliverer(_i: int) -> list[int]:
        mine = []
        while row := outbox.claim():
            mine.append(row.pk)
        return mine

    claimed = in_threads(2, deliverer)
    counts = Counter(pk for mine in claimed for pk in mine)
    assert set(counts) == set(PendingScore.objects.values_list("pk", flat=True))
    assert set(counts.values()) == {1}
