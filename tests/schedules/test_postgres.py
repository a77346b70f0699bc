"""Several schedulers on one PostgreSQL database (`make test-postgres`): each due window is
claimed by exactly one of them, and two learners' racing requests cannot both hold an active
schedule."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from course.functions.models import Function
from course.functions.schedules import scheduler
from course.functions.schedules.models import AlreadyScheduled, Schedule, set_schedule
from tests.functions.conftest import HELLO
from tests.schedules.conftest import T0, on_postgres
from tests.schedules.seed import seed

pytestmark = [on_postgres, pytest.mark.django_db(transaction=True)]


def in_threads(count: int, work) -> list:
    """Run ``work(i)`` on ``count`` threads, each with its own connection, started together."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_many_due_windows_are_each_claimed_exactly_once_by_several_schedulers():
    schedules = seed(300, T0, due=300)
    at = T0 + timedelta(seconds=5)

    def scheduler_loop(_i: int) -> list[int]:
        mine = []
        while claims := scheduler.claim_due(at, limit=7):
            mine.extend(claim.schedule_id for claim in claims)
        return mine

    claimed = in_threads(4, scheduler_loop)
    counts = Counter(pk for mine in claimed for pk in mine)
    assert set(counts) == {s.pk for s in schedules}
    assert set(counts.values()) == {1}
    assert sum(1 for mine in claimed if mine) >= 2  # the work was shared, not serialised
    assert set(Schedule.objects.values_list("run_count", flat=True)) == {1}


def test_racing_requests_leave_one_active_schedule(django_user_model):
    alice = django_user_model.objects.create_user("alice")
    functions = [
        Function.objects.create(owner=alice, name=f"fn{i}", runtime="python", code=HELLO)
        for i in range(4)
    ]

    def attempt(i: int) -> str:
        try:
            set_schedule(functions[i], "rate(5 minutes)", now=T0)
        except AlreadyScheduled:
            return "refused"
        return "set"

    outcomes = in_threads(4, attempt)
    assert outcomes.count("set") == 1 and outcomes.count("refused") == 3
    assert Schedule.objects.filter(owner=alice, active=True).count() == 1
