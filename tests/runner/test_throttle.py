"""ConcurrencySlots and RateLimiter hold across processes and never hang."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import signal
import time

import pytest

from course.runner import ConcurrencySlots, RateLimiter, Throttled
from course.runner import throttle as throttle_module

pytestmark = pytest.mark.sandbox

# spawn, not fork: the test process may have threads (the runner's cgroup reaper).
ctx = multiprocessing.get_context("spawn")


def _hold_slot(directory, n, results, release):
    slots = ConcurrencySlots(directory, n)
    try:
        with slots.acquire():
            results.put("acquired")
            release.wait(30)
    except Throttled as exc:
        results.put(f"throttled:{exc.kind}")


def _hold_forever(directory, ready):
    with ConcurrencySlots(directory, 1).acquire():
        ready.set()
        time.sleep(60)


def _hit(directory, per_minute, key, results):
    try:
        RateLimiter(directory, per_minute).hit(key)
        results.put("ok")
    except Throttled as exc:
        results.put(f"throttled:{exc.kind}:{exc.retry_after_s}")


def _lock_file(path, ready, release):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    ready.set()
    release.wait(30)


def _collect(results, count, timeout=30):
    return sorted(results.get(timeout=timeout) for _ in range(count))


def test_n_slots_n_holders_and_one_more_is_throttled(tmp_path):
    n = 3
    results, release = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_hold_slot, args=(tmp_path, n, results, release)) for _ in range(n + 1)
    ]
    for proc in procs:
        proc.start()
    try:
        outcomes = _collect(results, n + 1)
        assert outcomes == ["acquired"] * n + ["throttled:concurrency"]
        with pytest.raises(Throttled) as info, ConcurrencySlots(tmp_path, n).acquire():
            pass
        assert info.value.kind == "concurrency"
        assert info.value.retry_after_s > 0
    finally:
        release.set()
        for proc in procs:
            proc.join(30)
    with ConcurrencySlots(tmp_path, n).acquire() as index:
        assert 0 <= index < n


def test_slot_of_a_killed_holder_is_freed(tmp_path):
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_forever, args=(tmp_path, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(Throttled), ConcurrencySlots(tmp_path, 1).acquire():
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(30)
    with ConcurrencySlots(tmp_path, 1).acquire():
        pass


def test_slots_within_one_process(tmp_path):
    slots = ConcurrencySlots(tmp_path, 2)
    with slots.acquire() as first, slots.acquire() as second:
        assert {first, second} == {0, 1}
        with pytest.raises(Throttled), slots.acquire():
            pass
    with slots.acquire():
        pass


def test_rate_limit_across_processes(tmp_path):
    results = ctx.Queue()
    procs = [ctx.Process(target=_hit, args=(tmp_path, 3, "alice", results)) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    assert _collect(results, 3) == ["ok"] * 3
    with pytest.raises(Throttled) as info:
        RateLimiter(tmp_path, 3).hit("alice")
    assert info.value.kind == "rate"
    assert 0 < info.value.retry_after_s <= 60
    RateLimiter(tmp_path, 3).hit("bob")  # other users are unaffected


def test_rate_limit_under_concurrent_hits(tmp_path):
    results = ctx.Queue()
    procs = [ctx.Process(target=_hit, args=(tmp_path, 3, "carol", results)) for _ in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    outcomes = [results.get(timeout=30) for _ in range(8)]
    assert outcomes.count("ok") == 3
    assert all(o.startswith("throttled:rate:") for o in outcomes if o != "ok")


def test_rate_window_slides(tmp_path, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle_module.time, "time", lambda: now[0])
    limiter = RateLimiter(tmp_path, 2)
    limiter.hit("dave")
    now[0] += 30
    limiter.hit("dave")
    now[0] += 10
    with pytest.raises(Throttled) as info:
        limiter.hit("dave")
    assert info.value.retry_after_s == pytest.approx(20)
    now[0] += 20.5  # the first hit has left the window
    limiter.hit("dave")
    with pytest.raises(Throttled):
        limiter.hit("dave")


def test_user_keys_cannot_escape_the_directory(tmp_path):
    directory = tmp_path / "rate"
    limiter = RateLimiter(directory, 5)
    keys = ["../../etc/passwd", "a/b", "/abs", "..", "nul\x00byte", "ü" * 5000, ""]
    for key in keys:
        limiter.hit(key)
    names = sorted(os.listdir(directory))
    assert len(names) == len(keys)
    assert all(len(name) == len("user-") + 64 and name.startswith("user-") for name in names)
    assert sorted(os.listdir(tmp_path)) == ["rate"]


def test_symlinked_state_file_is_refused(tmp_path):
    limiter = RateLimiter(tmp_path / "rate", 5)
    target = tmp_path / "elsewhere"
    target.write_text("keep me")
    os.symlink(target, limiter._path("eve"))
    with pytest.raises(OSError):
        limiter.hit("eve")
    assert target.read_text() == "keep me"


def test_rate_limiter_never_blocks_forever(tmp_path):
    limiter = RateLimiter(tmp_path, 5)
    ready, release = ctx.Event(), ctx.Event()
    locker = ctx.Process(target=_lock_file, args=(limiter._path("frank"), ready, release))
    locker.start()
    try:
        assert ready.wait(30)
        started = time.monotonic()
        with pytest.raises(Throttled) as info:
            limiter.hit("frank")
        assert info.value.kind == "rate"
        assert time.monotonic() - started < 5
    finally:
        release.set()
        locker.join(30)
    limiter.hit("frank")


def test_throttled_validates_kind():
    with pytest.raises(ValueError):
        Throttled("other")
    assert Throttled("rate", retry_after_s=-3).retry_after_s == 0
