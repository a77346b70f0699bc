"""The runner's limits as the settings choose them: the sandbox's, and how many run at once.

On one machine course.runner's lock files are enough (runner/throttle.py); across machines
(REDIS_URL) the state must live in a shared store. The Redis classes here keep the same
interface (`acquire()` context manager, `hit(key)`) and raise the same `Throttled`, so the view
does not care which store is behind them.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from django.conf import settings

from course import runner
from course.runner import Throttled

# Release a slot only if we still own it: a slot whose lease expired may belong to another.
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# Sliding window: drop stamps older than the window, then admit if under the limit.
# Admits ARGV[5] hits at once or none (a power tuning or a lab check spends one per run).
RATE_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local wanted = tonumber(ARGV[5])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
local count = redis.call('zcard', KEYS[1])
if count + wanted > limit then
  local index = count + wanted - limit - 1
  if index < 0 then index = 0 end
  local oldest = redis.call('zrange', KEYS[1], index, index, 'WITHSCORES')
  local wait = window
  if oldest[2] then wait = tonumber(oldest[2]) + window - now end
  return {0, tostring(wait)}
end
for i = 1, wanted do
  redis.call('zadd', KEYS[1], now, ARGV[4] .. ':' .. i)
end
redis.call('pexpire', KEYS[1], math.ceil(window * 1000))
return {1, '0'}
"""


class RedisConcurrencySlots:
    """At most `n` invocations at once across every server sharing the Redis database.

    Each slot is a key set with NX and a lease a little longer than the longest invocation, so a
    server that dies mid-run frees its slot when the lease ends.
    """

    def __init__(self, client, n: int, lease_s: float, prefix: str = "course:runner:slot"):
        if n < 1:
            raise ValueError("need at least one slot")
        self.client, self.n, self.lease_ms, self.prefix = client, n, int(lease_s * 1000), prefix
        self._release = client.register_script(RELEASE_SCRIPT)

    @contextlib.contextmanager
    def acquire(self) -> Iterator[int]:
        token = uuid.uuid4().hex
        for index in range(self.n):
            key = f"{self.prefix}:{index}"
            if self.client.set(key, token, nx=True, px=self.lease_ms):
                try:
                    yield index
                finally:
                    self._release(keys=[key], args=[token])
                return
        raise Throttled("concurrency", retry_after_s=1.0)


class RedisRateLimiter:
    """`per_minute` invocations per user in any sliding 60 s, across every server."""

    WINDOW_S = 60.0

    def __init__(self, client, per_minute: int, prefix: str = "course:runner:rate"):
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.client, self.per_minute, self.prefix = client, per_minute, prefix
        self._script = client.register_script(RATE_SCRIPT)

    def hit(self, user_key: str, count: int = 1) -> None:
        """Record ``count`` invocations (all or none), as the file-based RateLimiter does."""
        if count < 1 or count > self.per_minute:
            raise Throttled("rate", retry_after_s=self.WINDOW_S)
        admitted, wait = self._script(
            keys=[f"{self.prefix}:{user_key}"],
            args=[time.time(), self.WINDOW_S, self.per_minute, uuid.uuid4().hex, count],
        )
        if not int(admitted):
            raise Throttled("rate", retry_after_s=max(1.0, float(wait)))


def sandbox_limits() -> runner.SandboxLimits:
    return runner.SandboxLimits(state_dir=settings.RUNNER_STATE_DIR / "work")


@cache
def _limiters(state_dir: str, redis_url: str, concurrency: int, per_minute: int, timeout: int):
    if redis_url:
        # Several machines: the limits must live where all of them can see them.
        import redis

        from course.runner.web.limits import RedisConcurrencySlots, RedisRateLimiter

        client = redis.Redis.from_url(redis_url)
        lease_s = timeout + 30  # longer than any run, short enough to recover from a crash
        return RedisConcurrencySlots(client, concurrency, lease_s), RedisRateLimiter(
            client, per_minute
        )
    return (
        runner.ConcurrencySlots(Path(state_dir) / "slots", concurrency),
        runner.RateLimiter(Path(state_dir) / "rate", per_minute),
    )


def limiters():
    """The concurrency slots and rate limiter shared by every worker (and machine)."""
    return _limiters(
        str(settings.RUNNER_STATE_DIR),
        settings.REDIS_URL,
        settings.RUNNER_MAX_CONCURRENCY,
        settings.RUNNER_RATE_PER_MINUTE,
        settings.RUNNER_MAX_TIMEOUT_S,
    )


@cache
def _endpoint_limiters(state_dir: str, redis_url: str, per_endpoint: int, per_address: int):
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        return (
            RedisRateLimiter(client, per_endpoint, prefix="course:endpoint:rate"),
            RedisRateLimiter(client, per_address, prefix="course:endpoint:address"),
        )
    return (
        runner.RateLimiter(Path(state_dir) / "endpoint-rate", per_endpoint),
        runner.RateLimiter(Path(state_dir) / "endpoint-address", per_address),
    )


def endpoint_limiters():
    """The site-wide limits on HTTP endpoints, on top of each endpoint's usage plan: requests a
    minute per endpoint, and per client address (across endpoints). Same limiter, new keys."""
    return _endpoint_limiters(
        str(settings.RUNNER_STATE_DIR),
        settings.REDIS_URL,
        settings.ENDPOINT_RATE_PER_MINUTE,
        settings.ENDPOINT_ADDRESS_RATE_PER_MINUTE,
    )
