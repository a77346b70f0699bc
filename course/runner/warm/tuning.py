"""Power tuning's maths (pure: no sandbox, no Django), after AWS Lambda Power Tuning.

For each memory size: the warm durations' trimmed mean (the fastest and slowest 20% dropped, as
Power Tuning's ``discardTopBottom`` default does), p50 and p90, the billed duration of that mean
(rounded up to a whole millisecond, as Lambda bills a warm invocation) and its cost from the
course's pricing model, per invocation and per million. The recommendation, per strategy:

* ``cheapest``: the lowest cost per invocation (ties: the faster);
* ``fastest``: the lowest duration (ties: the cheaper);
* ``balanced``: the lowest ``w * cost / max cost + (1 - w) * duration / max duration``, Power
  Tuning's weighted score, with its default weight w = 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ... import pricing

DEFAULT_MEMORY_SIZES = (128, 256, 512, 1024, 1536, 1769, 3008)
DEFAULT_RUNS = 5
TRIM_FRACTION = 0.2
BALANCED_WEIGHT = 0.5


def trimmed_mean(values: Sequence[float], trim: float = TRIM_FRACTION) -> float:
    """The mean once ``int(n * trim)`` values are dropped from each end."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    drop = int(len(ordered) * trim)
    kept = ordered[drop : len(ordered) - drop] or ordered
    return sum(kept) / len(kept)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class SizeResult:
    memory_mb: int
    duration_ms: float
    p50_ms: float
    p90_ms: float
    billed_ms: int
    cost_per_invocation: Decimal
    # Reported apart: each size's first run starts a new environment (a cold start).
    cold_duration_ms: float | None = None
    cold_init_ms: float | None = None
    runs: int = 0

    def as_dict(self) -> dict:
        return {
            "memory_mb": self.memory_mb,
            "duration_ms": round(self.duration_ms, 2),
            "p50_ms": round(self.p50_ms, 2),
            "p90_ms": round(self.p90_ms, 2),
            "billed_ms": self.billed_ms,
            "cost_per_invocation": float(self.cost_per_invocation),
            "cost_per_million": float(self.cost_per_invocation * 1_000_000),
        }


def summarise(
    memory_mb: int,
    durations_ms: Sequence[float],
    *,
    cold_duration_ms: float | None = None,
    cold_init_ms: float | None = None,
    arch: str = "x86_64",
) -> SizeResult:
    mean = trimmed_mean(durations_ms)
    billed = max(1, math.ceil(round(mean, 2)))
    return SizeResult(
        memory_mb=memory_mb,
        duration_ms=mean,
        p50_ms=percentile(durations_ms, 50),
        p90_ms=percentile(durations_ms, 90),
        billed_ms=billed,
        cost_per_invocation=pricing.invocation_cost(memory_mb, billed, arch),
        cold_duration_ms=cold_duration_ms,
        cold_init_ms=cold_init_ms,
        runs=len(durations_ms),
    )


def recommend(results: Sequence[SizeResult], weight: float = BALANCED_WEIGHT) -> dict[str, int]:
    if not results:
        raise ValueError("no results to recommend from")
    weight = min(max(weight, 0.0), 1.0)
    cheapest = min(results, key=lambda r: (r.cost_per_invocation, r.duration_ms, r.memory_mb))
    fastest = min(results, key=lambda r: (r.duration_ms, r.cost_per_invocation, r.memory_mb))
    max_cost = max(float(r.cost_per_invocation) for r in results) or 1.0
    max_duration = max(r.duration_ms for r in results) or 1.0

    def score(r: SizeResult) -> float:
        return (
            weight * float(r.cost_per_invocation) / max_cost
            + (1 - weight) * r.duration_ms / max_duration
        )

    balanced = min(results, key=lambda r: (score(r), r.memory_mb))
    return {
        "cheapest": cheapest.memory_mb,
        "fastest": fastest.memory_mb,
        "balanced": balanced.memory_mb,
    }


@dataclass(frozen=True)
class TuningResult:
    results: tuple[SizeResult, ...]
    recommendation: dict[str, int]
    # Sizes skipped because every run failed (error, timeout, out of memory), with the reason.
    failures: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "results": [r.as_dict() for r in self.results],
            "recommendation": dict(self.recommendation),
        }


def memory_sizes(sizes: Sequence[int] | None, max_memory_mb: int) -> tuple[int, ...]:
    """The sizes to try: the defaults (or ``sizes``) up to the site's maximum, deduplicated."""
    chosen = DEFAULT_MEMORY_SIZES if sizes is None else tuple(sizes)
    out = sorted({s for s in chosen if pricing.MEMORY_MIN_MB <= s <= max_memory_mb})
    if not out:
        raise ValueError(f"no memory size between 128 and {max_memory_mb} MB to try")
    return tuple(out)
