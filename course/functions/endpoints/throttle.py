"""An endpoint's usage plan, enforced: a token bucket and a daily quota per bucket (an API key,
or the whole endpoint when it needs no key).

API Gateway throttles "using the token bucket algorithm, where a token counts for a request":
the bucket holds at most ``burst`` tokens and refills at ``rate`` tokens a second; a request
without a token is refused with 429 (https://docs.aws.amazon.com/apigateway/latest/
developerguide/api-gateway-request-throttling.html). A usage plan's quota is a number of
requests per day (here the UTC day), also answered with 429 (https://docs.aws.amazon.com/
apigateway/latest/developerguide/api-gateway-api-usage-plans.html).

The state lives in Redis when REDIS_URL is set (one Lua script: atomic, and shared by every
server), otherwise in the database under a row lock (SELECT ... FOR UPDATE; SQLite's IMMEDIATE
transactions serialise writers the same way). A refused request spends nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction

from course.functions.endpoints.models import Endpoint, UsageCounter


class Refused(Exception):
    def __init__(self, kind: str, retry_after_s: float):
        super().__init__(kind)
        self.kind = kind  # "rate" or "quota"
        self.retry_after_s = retry_after_s


def seconds_to_midnight(now: float) -> float:
    return 86400 - (now % 86400)


def decide(
    tokens: float, stamp: float, day: str, count: int, *, now: float, today: str,
    rate: int, burst: int, quota: int,
) -> tuple[float, int]:  # fmt: skip
    """The bucket after one request at ``now``: (tokens, count), or Refused."""
    if day != today:
        count = 0
    tokens = min(float(burst), tokens + max(0.0, now - stamp) * rate)
    if count >= quota:
        raise Refused("quota", seconds_to_midnight(now))
    if tokens < 1.0:
        raise Refused("rate", (1.0 - tokens) / rate)
    return tokens - 1.0, count + 1


def spend(endpoint: Endpoint, bucket: str, now: float | None = None) -> None:
    """Take one request from ``bucket``'s plan, or raise Refused."""
    now = time.time() if now is None else now
    if settings.REDIS_URL:
        _spend_redis(endpoint, bucket, now)
    else:
        _spend_db(endpoint, bucket, now)


def _today(now: float) -> dt.date:
    return dt.datetime.fromtimestamp(now, dt.UTC).date()


def _spend_db(endpoint: Endpoint, bucket: str, now: float) -> None:
    today = _today(now)
    with transaction.atomic():
        locked = UsageCounter.objects.select_for_update().filter(endpoint=endpoint, bucket=bucket)
        counter = locked.first()
        if counter is None:
            try:
                with transaction.atomic():
                    counter = UsageCounter.objects.create(
                        endpoint=endpoint, bucket=bucket, tokens=endpoint.burst, stamp=now,
                        day=today, count=0,
                    )  # fmt: skip
            except IntegrityError:  # a parallel first request created it: wait for its lock
                counter = locked.get()
        tokens, count = decide(
            counter.tokens, counter.stamp, counter.day.isoformat(), counter.count,
            now=now, today=today.isoformat(), rate=endpoint.rate, burst=endpoint.burst,
            quota=endpoint.daily_quota,
        )  # fmt: skip
        UsageCounter.objects.filter(pk=counter.pk).update(
            tokens=tokens, stamp=max(now, counter.stamp), day=today, count=count
        )


# The same decision as decide(), in one atomic step on the Redis server.
BUCKET_SCRIPT = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local quota = tonumber(ARGV[4])
local today = ARGV[5]
local state = redis.call('hmget', KEYS[1], 'tokens', 'stamp', 'day', 'count')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
local count = tonumber(state[4]) or 0
if state[3] ~= today then count = 0 end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
if count >= quota then return {2, '0'} end
if tokens < 1 then return {1, tostring((1 - tokens) / rate)} end
redis.call('hset', KEYS[1], 'tokens', tostring(tokens - 1), 'stamp', tostring(math.max(now, stamp)),
           'day', today, 'count', tostring(count + 1))
redis.call('expire', KEYS[1], 172800)
return {0, '0'}
"""


@cache
def _script(redis_url: str):
    import redis

    return redis.Redis.from_url(redis_url).register_script(BUCKET_SCRIPT)


def _spend_redis(endpoint: Endpoint, bucket: str, now: float) -> None:
    verdict, wait = _script(settings.REDIS_URL)(
        keys=[f"course:endpoint:plan:{endpoint.pk}:{bucket}"],
        args=[now, endpoint.rate, endpoint.burst, endpoint.daily_quota,
              _today(now).isoformat()],
    )  # fmt: skip
    if int(verdict) == 2:
        raise Refused("quota", seconds_to_midnight(now))
    if int(verdict) == 1:
        raise Refused("rate", float(wait))
