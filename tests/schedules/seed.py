"""Many learners with one schedule each, spread over the next hour (few due at any moment, as
in real use): for the claim-query plan tests and `make bench`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import connection

from course.functions.models import Function
from course.functions.schedules.models import LIFETIME, Schedule

CODE = "def lambda_handler(event, context):\n    return 'ok'\n"


def seed(count: int, now: datetime, prefix: str = "seed", due: int = 0) -> list[Schedule]:
    """``count`` active schedules, the first ``due`` of them due at ``now``."""
    users = User.objects.bulk_create(
        User(username=f"{prefix}{i}", password="!") for i in range(count)
    )
    functions = Function.objects.bulk_create(
        Function(owner=user, name="tick", runtime="python", code=CODE) for user in users
    )
    schedules = Schedule.objects.bulk_create(
        Schedule(
            function=function,
            owner=function.owner,
            expression="rate(1 minute)",
            anchor_at=now - timedelta(minutes=1),
            next_run_at=now if i < due else now + timedelta(seconds=1 + i * 3600 // count),
            expires_at=now + LIFETIME,
        )
        for i, function in enumerate(functions)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum would gather
    return schedules
