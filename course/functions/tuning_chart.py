"""Geometry and words for a power tuning's chart, table and recommendation, drawn as SVG by a
template (templates/functions/_tuning_chart.html).

Pure: takes the engine's TuningResult (course/runner/warm/tuning.py), returns coordinates, tick
labels, table rows and sentences. Like AWS Lambda Power Tuning's visualisation: memory sizes
along the bottom, evenly spaced (the sizes tried are a handful of points, not a continuum, and
128 next to 3,008 on a linear axis would crowd the small sizes together), with two lines over
them: the duration (trimmed mean, left axis) and the cost (right axis). Both value axes start at
zero, so a line's height compares honestly across sizes.

The cost axis is labelled per million invocations: per invocation the numbers have six or more
leading zeros and no room on a phone; per million is the same line, scaled, in the units Lambda's
price list uses. The table gives both.

Sizes are SVG user units, as in course/calculator/chart.py: 400 wide with 15-unit text, so on a
390 px phone the text still renders at about 12 CSS px.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from course import pricing
from course.common.axis import nice_step
from course.runner.warm.tuning import SizeResult, TuningResult

WIDTH, HEIGHT = 400, 290
LEFT, RIGHT, TOP, BOTTOM = 50, 58, 30, 62
CHAR_WIDTH = 0.62 * 15  # generous average glyph width at the 15-unit font
STAGGER = 17  # how far every other memory label drops when side by side they would touch
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
FONT = 15
MILLION = 1_000_000

STRATEGIES = ("cheapest", "fastest", "balanced")
STRATEGY_NAMES = {"cheapest": "Cheapest", "fastest": "Fastest", "balanced": "Balanced"}


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    offset: int = 0  # extra distance from the axis (staggered memory labels)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the value, for the point's own <title> (a tooltip; screen readers use the table)


@dataclass(frozen=True)
class Series:
    key: str  # duration | cost — also the CSS class
    label: str
    points: tuple[Point, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class Row:
    memory_mb: int
    duration_ms: str
    p50_ms: str
    p90_ms: str
    billed_ms: str
    cost_per_invocation: str
    cost_per_million: str
    cold: str  # the size's first run, a cold start: its duration and Init Duration
    runs: int
    strategies: tuple[str, ...]  # the strategies that recommend this size


@dataclass(frozen=True)
class Recommendation:
    strategy: str  # cheapest | fastest | balanced
    name: str
    memory_mb: int
    size: str  # "1,769 MB"
    sentence: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_right: int
    plot_bottom: int
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    duration_ticks: tuple[Tick, ...]
    cost_ticks: tuple[Tick, ...]
    rows: tuple[Row, ...]
    recommendations: tuple[Recommendation, ...]
    failures: tuple[str, ...]
    summary: str


def axis(top: float, most: int = 5) -> tuple[float, list[float]]:
    """The axis's upper end (a whole number of steps at or above ``top``) and its tick values."""
    step = nice_step(top, most)
    count = max(1, math.ceil(top / step - 1e-9))
    return step * count, [step * i for i in range(count + 1)]


def number(value: float) -> str:
    """A tick or table number without noise: 1,500; 12.5; 0.25; 0.002."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")


def ms(value: float) -> str:
    return f"{value:,.2f} ms"


def usd(value: Decimal) -> str:
    return pricing.format_usd(value)


def describe_size(result: SizeResult) -> str:
    return f"{result.memory_mb:,} MB"


def cold_text(result: SizeResult) -> str:
    if result.cold_duration_ms is None:
        return "not measured"
    text = ms(result.cold_duration_ms)
    if result.cold_init_ms is not None:
        text += f" + Init {ms(result.cold_init_ms)}"
    return text


def sentences(results: tuple[SizeResult, ...], recommendation: dict[str, int]) -> list[str]:
    """Why each strategy chose its size, in the learner's numbers."""
    by_size = {r.memory_mb: r for r in results}
    slowest = max(results, key=lambda r: r.duration_ms)
    dearest = max(results, key=lambda r: r.cost_per_invocation)
    out = []
    cheap = by_size[recommendation["cheapest"]]
    out.append(
        f"{describe_size(cheap)} costs the least per invocation, "
        f"{usd(cheap.cost_per_invocation)} ({usd(cheap.cost_per_invocation * MILLION)} per "
        f"million). Lambda bills memory × billed duration, so more memory only pays for itself "
        f"when it cuts the duration by at least as much."
    )
    fast = by_size[recommendation["fastest"]]
    speedup = slowest.duration_ms / fast.duration_ms if fast.duration_ms else 1.0
    fast_sentence = f"{describe_size(fast)} has the lowest warm duration, {ms(fast.duration_ms)}"
    if speedup >= 1.05 and slowest is not fast:
        fast_sentence += f", {speedup:.1f} times faster than {describe_size(slowest)}"
    out.append(
        fast_sentence + ". Memory buys CPU (1,769 MB is one full vCPU), so CPU-bound code "
        "speeds up with memory until it has a whole core; code that waits gains nothing."
    )
    balanced = by_size[recommendation["balanced"]]
    out.append(
        f"{describe_size(balanced)} has the best mix of the two, scoring each size "
        f"half on its cost (as a share of the dearest, {usd(dearest.cost_per_invocation)}) and "
        f"half on its duration (as a share of the slowest, {ms(slowest.duration_ms)}), as "
        f"AWS Lambda Power Tuning's balanced strategy does by default."
    )
    return out


def build_chart(tuning: TuningResult) -> Chart:
    results = tuple(sorted(tuning.results, key=lambda r: r.memory_mb))
    if not results:
        raise ValueError("no results to chart")
    count = len(results)

    def x_of(index: int) -> float:
        # Evenly spaced, half a slot in from each edge; a single size sits in the middle.
        return round(LEFT + PLOT_W * (index + 0.5) / count, 1)

    duration_top, duration_values = axis(max(r.duration_ms for r in results))
    costs = [float(r.cost_per_invocation * MILLION) for r in results]
    cost_top, cost_values = axis(max(costs))

    def y_of(value: float, top: float) -> float:
        return round(TOP + PLOT_H - value / top * PLOT_H, 1)

    duration = Series(
        "duration",
        "Duration (trimmed mean, ms, left axis)",
        tuple(
            Point(
                x_of(i), y_of(r.duration_ms, duration_top), f"{r.memory_mb} MB: {ms(r.duration_ms)}"
            )
            for i, r in enumerate(results)
        ),
    )
    cost = Series(
        "cost",
        "Cost per million invocations ($, right axis)",
        tuple(
            Point(
                x_of(i),
                y_of(c, cost_top),
                f"{r.memory_mb} MB: {usd(r.cost_per_invocation * MILLION)} per million",
            )
            for i, (r, c) in enumerate(zip(results, costs, strict=True))
        ),
    )
    chosen: dict[int, list[str]] = {}
    for strategy in STRATEGIES:
        chosen.setdefault(tuning.recommendation[strategy], []).append(STRATEGY_NAMES[strategy])
    rows = tuple(
        Row(
            memory_mb=r.memory_mb,
            duration_ms=ms(r.duration_ms),
            p50_ms=ms(r.p50_ms),
            p90_ms=ms(r.p90_ms),
            billed_ms=f"{r.billed_ms:,} ms",
            cost_per_invocation=usd(r.cost_per_invocation),
            cost_per_million=usd(r.cost_per_invocation * MILLION),
            cold=cold_text(r),
            runs=r.runs,
            strategies=tuple(chosen.get(r.memory_mb, ())),
        )
        for r in results
    )
    words = sentences(results, tuning.recommendation)
    recommendations = tuple(
        Recommendation(
            s,
            STRATEGY_NAMES[s],
            tuning.recommendation[s],
            f"{tuning.recommendation[s]:,} MB",
            sentence,
        )
        for s, sentence in zip(STRATEGIES, words, strict=True)
    )
    failures = tuple(
        f"{memory:,} MB: not measured, every run failed ({reason})."
        for memory, reason in sorted(tuning.failures.items())
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_top=TOP,
        plot_right=LEFT + PLOT_W,
        plot_bottom=TOP + PLOT_H,
        series=(duration, cost),
        x_ticks=memory_ticks(results, x_of),
        duration_ticks=tuple(Tick(y_of(v, duration_top), number(v)) for v in duration_values),
        cost_ticks=tuple(Tick(y_of(v, cost_top), "$" + number(v)) for v in cost_values),
        rows=rows,
        recommendations=recommendations,
        failures=failures,
        summary=describe(results, tuning.recommendation),
    )


def memory_ticks(results: tuple[SizeResult, ...], x_of) -> tuple[Tick, ...]:
    """One label per size under its point; every other one a line lower when the widest would
    not fit its slot with a gap, as 1536 and 1769 side by side on a phone would not."""
    slot = PLOT_W / len(results)
    widest = max(len(str(r.memory_mb)) for r in results) * CHAR_WIDTH
    stagger = widest + 6 > slot
    return tuple(
        Tick(x_of(i), str(r.memory_mb), STAGGER if stagger and i % 2 else 0)
        for i, r in enumerate(results)
    )


def describe(results: tuple[SizeResult, ...], recommendation: dict[str, int]) -> str:
    """The chart's message in a few sentences, for its description and screen readers."""
    first, last = results[0], results[-1]
    parts = [
        f"Warm duration and cost per million invocations at {len(results)} memory sizes "
        f"from {first.memory_mb:,} to {last.memory_mb:,} MB.",
        f"Duration goes from {ms(first.duration_ms)} at {first.memory_mb:,} MB to "
        f"{ms(last.duration_ms)} at {last.memory_mb:,} MB; cost per million from "
        f"{usd(first.cost_per_invocation * MILLION)} to {usd(last.cost_per_invocation * MILLION)}.",
        f"Cheapest at {recommendation['cheapest']:,} MB, fastest at "
        f"{recommendation['fastest']:,} MB, balanced at {recommendation['balanced']:,} MB.",
    ]
    return " ".join(parts)
