"""Geometry for the monitor's per-minute charts, drawn as SVG by a template. Pure: no Django.

Drawn in the style of course/calculator/chart.py: 400 user units wide with 15-unit text, so the
labels stay readable on a phone; a linear value axis from 0 with "nice" steps, and a time axis
(UTC) with a tick every few minutes or hours so no more than six are labelled. A series is broken
where it has no value (a minute without invocations has no duration), and a lone point is drawn
as a dot. Every chart has a one-paragraph description and a data table of its active minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from course.common.axis import nice_step
from course.functions.monitoring.stats import SECONDS, Minute

Y_STEPS = 4  # at most four steps up the y axis: a small chart

WIDTH, HEIGHT = 400, 220
LEFT, RIGHT, TOP, BOTTOM = 54, 16, 14, 46
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720)  # minutes
MOST_X_TICKS = 6


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Series:
    key: str  # the CSS class
    label: str
    lines: tuple[str, ...]  # SVG polyline points, one per unbroken run
    dots: tuple[tuple[float, float], ...]  # lone points


@dataclass(frozen=True)
class Chart:
    key: str  # for element ids
    title: str
    unit: str
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_right: int
    plot_bottom: int
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    summary: str
    columns: tuple[str, ...]  # the data table's headings after "Minute (UTC)"
    rows: tuple[tuple[str, ...], ...]  # minute, then one cell per column


def clock(minute: int) -> str:
    return datetime.fromtimestamp(minute * SECONDS, tz=UTC).strftime("%H:%M")


def figure(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _y_axis(values: Sequence[float], whole: bool) -> tuple[float, list[float]]:
    top = max(values, default=0.0)
    step = nice_step(top if top > 0 else 1, Y_STEPS)
    if whole:
        step = max(1.0, math.ceil(step))
    high = max(step, math.ceil(top / step) * step)
    count = round(high / step)
    return high, [i * step for i in range(count + 1)]


def build(
    key: str,
    title: str,
    unit: str,
    minutes: Sequence[Minute],
    lines: Sequence[tuple[str, str, Callable[[Minute], float | None]]],
    *,
    whole: bool = False,
) -> Chart:
    """A chart of ``lines`` (css key, label, value of a minute) over ``minutes`` (consecutive)."""
    first = minutes[0].minute if minutes else 0
    span = max(len(minutes) - 1, 1)
    values = [[pick(m) for m in minutes] for _, _, pick in lines]
    high, y_values = _y_axis([v for row in values for v in row if v is not None], whole)

    def x_of(minute: int) -> float:
        return round(LEFT + (minute - first) / span * PLOT_W, 1)

    def y_of(value: float) -> float:
        return round(TOP + PLOT_H - value / high * PLOT_H, 1)

    series = []
    for (css, label, _), row in zip(lines, values, strict=True):
        runs: list[list[tuple[float, float]]] = [[]]
        for m, value in zip(minutes, row, strict=True):
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((x_of(m.minute), y_of(value)))
        polylines = tuple(" ".join(f"{x},{y}" for x, y in run) for run in runs if len(run) > 1)
        dots = tuple(run[0] for run in runs if len(run) == 1)
        series.append(Series(css, label, polylines, dots))

    step = next((s for s in TICK_STEPS if len(minutes) / s <= MOST_X_TICKS), TICK_STEPS[-1])
    x_ticks = tuple(Tick(x_of(m.minute), clock(m.minute)) for m in minutes if m.minute % step == 0)
    y_ticks = tuple(Tick(y_of(v), figure(v)) for v in y_values)
    active = [(m, [pick(m) for _, _, pick in lines]) for m in minutes if m.active]
    rows = tuple((clock(m.minute), *(figure(v) for v in cells)) for m, cells in active)
    return Chart(
        key=key,
        title=title,
        unit=unit,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_top=TOP,
        plot_right=LEFT + PLOT_W,
        plot_bottom=TOP + PLOT_H,
        series=tuple(series),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        summary=describe(title, unit, minutes, lines),
        columns=tuple(label for _, label, _ in lines),
        rows=rows,
    )


def describe(
    title: str,
    unit: str,
    minutes: Sequence[Minute],
    lines: Sequence[tuple[str, str, Callable[[Minute], float | None]]],
) -> str:
    """The chart's message in a sentence or two, for its description and screen readers."""
    if not minutes:
        return f"{title}: no data."
    window = f"from {clock(minutes[0].minute)} to {clock(minutes[-1].minute)} UTC"
    parts = []
    for _, label, pick in lines:
        found = [(pick(m), m.minute) for m in minutes if pick(m) is not None]
        peak = max(found, default=None, key=lambda pair: pair[0])
        if peak is None or not peak[0]:
            parts.append(f"{label}: none")
        else:
            parts.append(f"{label}: highest {figure(peak[0])} {unit} at {clock(peak[1])}")
    return f"{title} per minute {window}. " + "; ".join(parts) + "."


def monitor_charts(minutes: Sequence[Minute]) -> tuple[Chart, ...]:
    return (
        build(
            "counts",
            "Invocations, errors and throttles",
            "per minute",
            minutes,
            (
                ("invocations", "Invocations", lambda m: m.invocations),
                ("errors", "Errors", lambda m: m.errors),
                ("throttles", "Throttles", lambda m: m.throttles),
            ),
            whole=True,
        ),
        build(
            "duration",
            "Duration",
            "ms",
            minutes,
            (
                ("p50", "p50", lambda m: m.duration_p50_ms),
                ("p99", "p99", lambda m: m.duration_p99_ms),
            ),
        ),
        build(
            "memory",
            "Max memory used",
            "MB",
            minutes,
            (("memory", "Max memory", lambda m: m.max_memory_mb),),
            whole=True,
        ),
    )
