"""Power tuning's pure maths and its bounds (no sandbox: a stand-in invoker)."""

from __future__ import annotations

import pytest

from course import pricing
from course.runner import InvocationRequest, RateLimiter, Throttled
from course.runner.invocation import Invocation
from course.runner.warm import WarmKey, tuning
from course.runner.warm.power import TuningBusy, TuningCancelled, _one_at_a_time, tune

REQ = InvocationRequest(runtime="python", code="x", event={}, memory_mb=128, timeout_s=1)
KEY = WarmKey(7, 3, 1)


def test_trimmed_mean_drops_a_fifth_from_each_end():
    assert tuning.trimmed_mean([1, 2, 3, 4, 100]) == 3  # 1 and 100 dropped
    assert tuning.trimmed_mean([5, 7]) == 6  # too few to drop any
    with pytest.raises(ValueError):
        tuning.trimmed_mean([])


def test_percentiles_interpolate_between_ranks():
    values = [10, 20, 30, 40, 50]
    assert tuning.percentile(values, 50) == 30
    assert tuning.percentile(values, 90) == pytest.approx(46)
    assert tuning.percentile([3], 90) == 3


def test_summary_bills_whole_milliseconds_and_prices_through_pricing():
    r = tuning.summarise(512, [10.2, 10.4, 10.3, 50.0, 1.0])
    assert r.duration_ms == pytest.approx(10.3)
    assert r.billed_ms == 11
    assert r.cost_per_invocation == pricing.invocation_cost(512, 11)
    d = r.as_dict()
    assert set(d) == {
        "memory_mb",
        "duration_ms",
        "p50_ms",
        "p90_ms",
        "billed_ms",
        "cost_per_invocation",
        "cost_per_million",
    }
    assert d["cost_per_million"] == pytest.approx(float(r.cost_per_invocation) * 1e6)


def test_strategies_follow_power_tuning():
    # A CPU-bound function: twice the memory, half the time, until it stops scaling.
    results = [
        tuning.summarise(m, [d] * 5) for m, d in [(128, 100), (256, 50), (512, 26), (1024, 25)]
    ]
    rec = tuning.recommend(results)
    assert rec["cheapest"] == 256  # same GB-s as 128 MB, faster (the tie-break)
    assert rec["fastest"] == 1024
    # 0.5 * cost / max cost + 0.5 * duration / max duration is lowest at 512 MB.
    assert rec["balanced"] == 512
    # Cost alone: 128 and 256 MB tie; like Power Tuning's stable sort, the first listed wins.
    assert tuning.recommend(results, weight=1.0)["balanced"] == 128
    assert tuning.recommend(results, weight=0.0)["balanced"] == 1024


def test_result_contract_is_exact():
    results = (tuning.summarise(128, [1.0, 1.0]),)
    out = tuning.TuningResult(results, tuning.recommend(results)).as_dict()
    assert set(out) == {"results", "recommendation"}
    assert out["recommendation"] == {"cheapest": 128, "fastest": 128, "balanced": 128}


def test_sizes_are_capped_by_the_site_maximum():
    assert tuning.memory_sizes(None, 1024) == (128, 256, 512, 1024)
    assert tuning.memory_sizes(None, 10240) == tuning.DEFAULT_MEMORY_SIZES
    assert tuning.memory_sizes([512, 128, 512, 64], 1024) == (128, 512)
    with pytest.raises(ValueError):
        tuning.memory_sizes([4096], 1024)


def _fake(durations: dict[int, float], calls: list):
    def invoker(key, req, *, force_cold):
        calls.append((req.memory_mb, force_cold))
        report = {
            "duration_ms": durations[req.memory_mb],
            "billed_duration_ms": 1,
            "memory_size_mb": req.memory_mb,
            "max_memory_used_mb": 10,
            "init_duration_ms": 30.0 if force_cold else None,
        }
        inv = Invocation("id", "succeeded", b"null", None, "", report, False)
        return inv, force_cold

    return invoker


def test_tune_runs_each_size_cold_once_then_warm(tmp_path):
    calls: list = []
    result = tune(
        REQ,
        KEY,
        max_memory_mb=512,
        lock_dir=tmp_path,
        runs=3,
        invoker=_fake({128: 8.0, 256: 4.0, 512: 2.5}, calls),
    )
    assert calls == [(m, n == 0) for m in (128, 256, 512) for n in range(3)]
    assert [r.memory_mb for r in result.results] == [128, 256, 512]
    assert result.results[0].cold_init_ms == 30.0
    assert result.results[0].runs == 2  # the cold run is reported apart
    assert result.as_dict()["recommendation"]["fastest"] == 512


def test_tune_is_charged_as_its_runs_to_the_rate_limit(tmp_path):
    limiter = RateLimiter(tmp_path / "rate", per_minute=10)
    calls: list = []
    with pytest.raises(Throttled):  # 3 sizes x 5 runs > 10
        tune(
            REQ,
            KEY,
            max_memory_mb=512,
            lock_dir=tmp_path,
            rate_limiter=limiter,
            invoker=_fake({128: 1, 256: 1, 512: 1}, calls),
        )
    assert calls == []
    tune(
        REQ,
        KEY,
        max_memory_mb=256,
        lock_dir=tmp_path,
        rate_limiter=limiter,
        runs=4,
        invoker=_fake({128: 1, 256: 1}, calls),
    )
    with pytest.raises(Throttled):  # 8 of 10 spent
        limiter.hit("7", count=3)
    limiter.hit("7", count=2)


def test_one_tuning_at_a_time_per_user(tmp_path):
    with _one_at_a_time(tmp_path, KEY.user_id):
        with pytest.raises(TuningBusy):
            tune(REQ, KEY, max_memory_mb=128, lock_dir=tmp_path, invoker=_fake({128: 1}, []))
        # Another user is not held up.
        tune(
            REQ, WarmKey(8, 3, 1), max_memory_mb=128, lock_dir=tmp_path, invoker=_fake({128: 1}, [])
        )


def test_tune_is_cancelled_past_its_budget(tmp_path):
    now = [0.0]

    def clock():
        now[0] += 5.0
        return now[0]

    with pytest.raises(TuningCancelled):
        tune(
            REQ,
            KEY,
            max_memory_mb=1024,
            lock_dir=tmp_path,
            invoker=_fake({128: 1, 256: 1, 512: 1, 1024: 1}, []),
            clock=clock,
        )


def test_failing_sizes_are_reported_not_recommended(tmp_path):
    def invoker(key, req, *, force_cold):
        if req.memory_mb == 128:
            error = {"errorType": "Runtime.ExitError", "errorMessage": "", "stackTrace": []}
            return Invocation("id", "failed", b"null", error, "", {}, False), True
        return _fake({256: 2.0}, [])(key, req, force_cold=force_cold)

    result = tune(REQ, KEY, max_memory_mb=256, lock_dir=tmp_path, invoker=invoker)
    assert result.failures == {128: "Runtime.ExitError"}
    assert result.recommendation == {"cheapest": 256, "fastest": 256, "balanced": 256}


def test_bad_runs_are_refused(tmp_path):
    with pytest.raises(ValueError):
        tune(REQ, KEY, max_memory_mb=128, lock_dir=tmp_path, runs=1, invoker=_fake({}, []))
