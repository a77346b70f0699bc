"""The runner's limits in Redis hold across servers (two instances = two machines)."""

import threading
import time
import uuid

import pytest
import redis

from course.runner import Throttled
from course.runner.web.limits import RedisConcurrencySlots, RedisRateLimiter


@pytest.fixture
def client(redis_url):
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def prefix():
    return f"test:{uuid.uuid4().hex}"


def test_slots_are_shared_between_servers(client, prefix):
    machine_a = RedisConcurrencySlots(client, 2, lease_s=30, prefix=prefix)
    machine_b = RedisConcurrencySlots(client, 2, lease_s=30, prefix=prefix)
    with machine_a.acquire(), machine_b.acquire():
        with pytest.raises(Throttled) as throttled, machine_a.acquire():
            pass
        assert throttled.value.kind == "concurrency"
    with machine_b.acquire() as index:
        assert index == 0  # released slots are free again


def test_n_plus_one_simultaneous_acquires_give_exactly_one_throttle(client, prefix):
    slots = [RedisConcurrencySlots(client, 3, lease_s=30, prefix=prefix) for _ in range(4)]
    barrier = threading.Barrier(4)
    outcomes = []

    def hold(limiter):
        barrier.wait()
        try:
            with limiter.acquire():
                outcomes.append("ran")
                time.sleep(0.5)
        except Throttled:
            outcomes.append("throttled")

    threads = [threading.Thread(target=hold, args=(s,)) for s in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ran", "ran", "ran", "throttled"]


def test_a_crashed_holder_frees_its_slot_when_the_lease_ends(client, prefix):
    slots = RedisConcurrencySlots(client, 1, lease_s=0.3, prefix=prefix)
    client.set(f"{prefix}:0", "a server that died", px=300)
    with pytest.raises(Throttled), slots.acquire():
        pass
    time.sleep(0.4)
    with slots.acquire() as index:
        assert index == 0


def test_an_expired_lease_is_not_released_by_its_old_owner(client, prefix):
    slots = RedisConcurrencySlots(client, 1, lease_s=0.2, prefix=prefix)
    with slots.acquire():
        time.sleep(0.3)
        client.set(f"{prefix}:0", "someone else", px=30000)
    assert client.get(f"{prefix}:0") == b"someone else"


def test_rate_limit_is_shared_between_servers(client, prefix):
    machine_a = RedisRateLimiter(client, 3, prefix=prefix)
    machine_b = RedisRateLimiter(client, 3, prefix=prefix)
    machine_a.hit("alice")
    machine_b.hit("alice")
    machine_a.hit("alice")
    with pytest.raises(Throttled) as throttled:
        machine_b.hit("alice")
    assert throttled.value.kind == "rate"
    assert 1 <= throttled.value.retry_after_s <= 60
    machine_b.hit("bob")  # other users have their own budget


def test_a_rate_limit_hit_can_count_several_runs_all_or_nothing(client, prefix):
    limiter = RedisRateLimiter(client, 5, prefix=prefix)
    limiter.hit("alice", count=3)
    with pytest.raises(Throttled):
        limiter.hit("alice", count=3)  # 6 > 5: refused whole, nothing recorded
    limiter.hit("alice", count=2)  # exactly the 5
    with pytest.raises(Throttled):
        limiter.hit("alice")
    with pytest.raises(Throttled):
        limiter.hit("bob", count=6)  # more than a minute's worth can never be admitted
