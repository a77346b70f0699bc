"""The monitor's chart geometry (pure: no database)."""

from __future__ import annotations

import pytest

from course.common.axis import nice_step
from course.functions.monitoring import chart
from course.functions.monitoring.stats import Minute

BASE = 29_000_000  # a minute index (Unix time // 60)


def quiet(at: int) -> Minute:
    return Minute(at, 0, 0, 0, None, None, None)


def busy(at: int, p50: float, p99: float, invocations: int = 2) -> Minute:
    return Minute(at, invocations, 1, 0, p50, p99, 64)


@pytest.mark.parametrize("top,step", [(1, 0.5), (3, 1), (7, 2), (10, 5), (130, 50), (0.4, 0.1)])
def test_nice_steps(top, step):
    assert nice_step(top, chart.Y_STEPS) == pytest.approx(step)


@pytest.mark.parametrize("count", [15, 60, 180, 1440])
def test_at_most_six_time_ticks_inside_the_plot(count):
    minutes = [quiet(BASE + i) for i in range(count)]
    for drawn in chart.monitor_charts(minutes):
        assert 1 <= len(drawn.x_ticks) <= 6
        assert all(drawn.plot_left <= t.position <= drawn.plot_right for t in drawn.x_ticks)
        assert drawn.rows == ()
        assert "none" in drawn.summary


def test_gaps_break_the_line_and_lone_points_are_dots():
    minutes = [busy(BASE, 10, 40), busy(BASE + 1, 20, 80), quiet(BASE + 2), busy(BASE + 3, 5, 5)]
    _, duration, _ = chart.monitor_charts(minutes)
    p50, p99 = duration.series
    assert len(p50.lines) == 1 and len(p50.dots) == 1
    assert p50.lines[0].count(",") == 2
    # The value axis is fitted to the highest figure (80 ms): ticks 0, 20, ..., 80.
    assert [t.label for t in duration.y_ticks] == ["0", "20", "40", "60", "80"]
    top = min(t.position for t in duration.y_ticks)
    assert (
        f"{duration.plot_left + 1 / 3 * (duration.plot_right - duration.plot_left):.1f},{top}"
        in p99.lines[0]
    )
    assert [row[0] for row in duration.rows] == [chart.clock(m) for m in (BASE, BASE + 1, BASE + 3)]
    assert duration.rows[0][1:] == ("10", "40")
    assert "p99: highest 80 ms at" in duration.summary


def test_count_axis_has_whole_steps():
    minutes = [busy(BASE, 1, 1, invocations=1), quiet(BASE + 1)]
    counts, _, memory = chart.monitor_charts(minutes)
    assert [t.label for t in counts.y_ticks] == ["0", "1"]
    assert counts.columns == ("Invocations", "Errors", "Throttles")
    assert counts.rows == ((chart.clock(BASE), "1", "1", "0"),)
    assert memory.rows == ((chart.clock(BASE), "64"),)
