"""The claim query stays indexed with 10,000 schedules (the issue's speed goal; `make bench`
prints the same plan)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from course.functions.schedules.scheduler import claim_plan
from tests.schedules.conftest import on_postgres
from tests.schedules.seed import seed

pytestmark = pytest.mark.django_db


def test_the_claim_query_uses_the_partial_index_with_10000_schedules():
    now = timezone.now()
    seed(10_000, now, due=20)
    plan = claim_plan(now)
    if connection.vendor == "sqlite":
        assert "USING INDEX schedule_due" in plan, plan
        assert "SCAN schedules_schedule" not in plan, plan
    else:
        assert "schedule_due" in plan and "Seq Scan" not in plan, plan


@on_postgres
def test_postgres_plan_has_no_seq_scan():
    now = timezone.now()
    seed(10_000, now, due=20)
    plan = claim_plan(now)
    assert "Seq Scan" not in plan and "schedule_due" in plan, plan
    assert "LockRows" in plan  # FOR UPDATE SKIP LOCKED
