"""The percentile and per-minute maths (pure: no database)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.functions.monitoring.stats import Minute, Sample, nearest_rank, per_minute


@pytest.mark.parametrize(
    "values,percent,expected",
    [
        (list(range(1, 101)), 50, 50),
        (list(range(1, 101)), 99, 99),
        (list(range(1, 101)), 100, 100),
        ([10, 20, 30], 50, 20),
        ([10, 20, 30], 99, 30),
        ([10, 20, 30, 40], 50, 20),  # rank ceil(0.5 * 4) = 2: nearest rank never interpolates
        ([15, 20, 35, 40, 50], 30, 20),  # Wikipedia's worked example: rank ceil(1.5) = 2
        ([15, 20, 35, 40, 50], 40, 20),
        ([15, 20, 35, 40, 50], 50, 35),
        ([7.5], 99, 7.5),
        ([], 50, None),
    ],
)
def test_nearest_rank_known_values(values, percent, expected):
    assert nearest_rank(values, percent) == expected


def test_percent_out_of_range_is_refused():
    with pytest.raises(ValueError):
        nearest_rank([1], 0)
    with pytest.raises(ValueError):
        nearest_rank([1], 101)


finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=1, max_size=300), st.integers(min_value=1, max_value=100))
def test_nearest_rank_is_the_definition(values, percent):
    ordered = sorted(values)
    value = nearest_rank(ordered, percent)
    assert value in ordered
    n = len(ordered)
    at_most = sum(1 for v in ordered if v <= value)
    below = sum(1 for v in ordered if v < value)
    # At least P% of the values are <= it, and fewer than P% are below it.
    assert at_most * 100 >= percent * n
    assert below * 100 < percent * n
    assert value == ordered[math.ceil(percent * n / 100) - 1]


@given(st.lists(finite, min_size=1, max_size=100))
def test_p50_never_exceeds_p99(values):
    ordered = sorted(values)
    assert nearest_rank(ordered, 50) <= nearest_rank(ordered, 99)


def test_per_minute_counts_and_figures():
    samples = [
        Sample(minute=100, duration_ms=d, max_memory_mb=m)
        for d, m in ((5.0, 30), (1.0, 31), (3.0, 29), (100.0, 45))
    ]
    samples += [
        Sample(minute=100, error=True, duration_ms=2.0, max_memory_mb=50),
        Sample(minute=100, throttled=True),
        Sample(minute=101, throttled=True),
        Sample(minute=99, duration_ms=9.0, max_memory_mb=99),  # before the window
        Sample(minute=103, duration_ms=9.0, max_memory_mb=99),  # after it
    ]
    first, second, third = per_minute(samples, 100, 3)
    assert first == Minute(100, 5, 1, 1, 3.0, 100.0, 50)  # durations 1 2 3 5 100
    assert second == Minute(101, 0, 0, 1, None, None, None)
    assert third == Minute(102, 0, 0, 0, None, None, None)
    assert first.active and second.active and not third.active


@given(st.lists(st.tuples(st.integers(0, 4), st.booleans(), st.booleans(), finite), max_size=60))
def test_per_minute_counts_every_sample_in_the_window_once(raw):
    samples = [
        Sample(minute=m, throttled=t, error=e and not t, duration_ms=None if t else d)
        for m, t, e, d in raw
    ]
    minutes = per_minute(samples, 1, 3)
    inside = [s for s in samples if 1 <= s.minute <= 3]
    assert [m.minute for m in minutes] == [1, 2, 3]
    assert sum(m.throttles for m in minutes) == sum(s.throttled for s in inside)
    assert sum(m.invocations for m in minutes) == sum(not s.throttled for s in inside)
    assert sum(m.errors for m in minutes) == sum(s.error for s in inside)
