"""The usage plan's token bucket and daily quota: the decision, and its storage under
concurrent requests (database row lock; Redis script)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from course.functions.endpoints import throttle
from course.functions.endpoints.models import Endpoint, UsageCounter

DAY = "1970-01-02"


def test_the_bucket_refills_at_the_rate_up_to_the_burst():
    state = {"tokens": 2.0, "stamp": 0.0, "day": DAY, "count": 0}
    plan = {"rate": 2, "burst": 2, "quota": 100, "today": DAY}
    tokens, count = throttle.decide(**state, now=0.0, **plan)
    assert (tokens, count) == (1.0, 1)
    tokens, count = throttle.decide(tokens, 0.0, DAY, count, now=0.0, **plan)
    with pytest.raises(throttle.Refused) as refused:
        throttle.decide(tokens, 0.0, DAY, count, now=0.0, **plan)
    assert refused.value.kind == "rate" and refused.value.retry_after_s == 0.5
    # Half a second later: one token; an hour later, still only the burst.
    assert throttle.decide(tokens, 0.0, DAY, count, now=0.5, **plan)[0] == 0.0
    assert throttle.decide(tokens, 0.0, DAY, count, now=3600.0, **plan)[0] == 1.0


def test_the_quota_resets_with_the_utc_day():
    plan = {"rate": 10, "burst": 10, "quota": 1}
    with pytest.raises(throttle.Refused) as refused:
        throttle.decide(5.0, 0.0, DAY, 1, now=86400.0 + 10, today=DAY, **plan)
    assert refused.value.kind == "quota" and refused.value.retry_after_s == 86390.0
    assert throttle.decide(5.0, 0.0, DAY, 1, now=2 * 86400.0, today="1970-01-03", **plan)[1] == 1


def test_database_counter(endpoint, settings):
    settings.REDIS_URL = ""
    endpoint.rate, endpoint.burst, endpoint.daily_quota = 1, 2, 3
    throttle.spend(endpoint, "endpoint", now=86400.0)
    throttle.spend(endpoint, "endpoint", now=86400.0)
    with pytest.raises(throttle.Refused):
        throttle.spend(endpoint, "endpoint", now=86400.0)
    throttle.spend(endpoint, "endpoint", now=86401.0)
    with pytest.raises(throttle.Refused) as refused:
        throttle.spend(endpoint, "endpoint", now=86500.0)
    assert refused.value.kind == "quota"
    assert UsageCounter.objects.get().count == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_overspend(alice, settings):
    """Twelve threads at once against a burst of 5: exactly 5 get through. The row lock is
    what makes it hold; SQLite serialises writers anyway, PostgreSQL needs FOR UPDATE."""
    if connection.vendor != "postgresql":
        pytest.skip("run with DATABASE_URL=postgres://... to test the row lock")
    from course.functions.models import Function

    settings.REDIS_URL = ""
    function = Function.objects.create(owner=alice, name="f", runtime="python", code="x")
    endpoint = Endpoint.objects.create(function=function, rate=1, burst=5, daily_quota=1000)
    admitted, barrier = [], threading.Barrier(12)

    def call():
        barrier.wait()
        try:
            throttle.spend(endpoint, "endpoint", now=1000.0)
            admitted.append(1)
        except throttle.Refused:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 5
    assert UsageCounter.objects.get().count == 5


@pytest.mark.server
def test_redis_bucket_under_concurrency(endpoint, settings, redis_url):
    import redis

    settings.REDIS_URL = redis_url.rsplit("/", 1)[0] + "/6"
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    endpoint.rate, endpoint.burst, endpoint.daily_quota = 1, 5, 7
    admitted, barrier = [], threading.Barrier(12)

    def call():
        barrier.wait()
        try:
            throttle.spend(endpoint, "endpoint", now=1000.0)
            admitted.append(1)
        except throttle.Refused:
            pass

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 5
    throttle.spend(endpoint, "endpoint", now=1001.0)
    throttle.spend(endpoint, "endpoint", now=1002.0)
    with pytest.raises(throttle.Refused) as refused:
        throttle.spend(endpoint, "endpoint", now=1100.0)
    assert refused.value.kind == "quota"
    assert not UsageCounter.objects.exists()
    client.flushdb()
