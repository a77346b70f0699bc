"""Geometry for the "Lambda vs Fargate vs EC2" cost chart, drawn as SVG by a template.

Pure: takes LambdaInputs, returns coordinates, tick labels and the data table. Both axes are
logarithmic and fitted to the data: requests span four or more orders of magnitude, and so do the
costs (Lambda from cents to thousands of dollars, the always-on options stepping up with the
load), so on a linear axis the lines either overlap at a cap or hug the bottom.

Sizes are in SVG user units. The drawing is small (400 wide) and its text large (15 units), so that
on a 390 px phone, where the chart is about 330 px wide, text still renders at 12 CSS px or more;
the stylesheet caps the chart's width on wide screens so the text does not grow past ~17 px. Every
label's width is estimated conservatively and kept inside the drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from course import pricing

WIDTH, HEIGHT = 400, 290
LEFT, RIGHT, TOP, BOTTOM = 54, 20, 14, 46
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
FONT = 15  # user units; the CSS uses the same size
CHAR_WIDTH = 0.62 * FONT  # generous average glyph width, for keeping labels inside
LINE = 19  # vertical distance between stacked marker labels
MIN_USD = 0.01  # the bottom of the cost axis at its lowest: $0 is drawn on the bottom edge


@dataclass(frozen=True)
class Series:
    key: str  # lambda | fargate | ec2 — also the CSS class
    label: str  # for the legend
    points: str  # SVG polyline "x,y x,y ..."


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Marker:
    key: str
    x: float
    label: str
    requests: int
    label_x: float = 0.0
    label_y: float = 0.0


@dataclass(frozen=True)
class Row:
    requests: str
    lambda_usd: str
    fargate_usd: str
    ec2_usd: str
    ec2_fleet: str
    is_current: bool


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
    y_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    rows: tuple[Row, ...]
    summary: str
    ec2_fleet: str  # the EC2 fleet at the learner's request count, named in the legend


def short_count(value: int) -> str:
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if value >= size:
            scaled = value / size
            text = f"{scaled:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return str(value)


def short_usd(value: float) -> str:
    """Axis labels, short enough for a phone: $0.01, $0.10, $1, $100, $10K, $1M."""
    if value < 1:
        return f"${value:.2f}"
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if value >= size:
            return f"${value / size:g}{suffix}"
    return f"${value:g}"


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def money(value: Decimal) -> str:
    return pricing.format_usd(value)


def decade_ticks(low: int, high: int, most: int) -> list[int]:
    """Powers of ten from low to high, every one or every few so at most `most` are labelled."""
    step = max(1, math.ceil((high - low + 1) / most))
    return list(range(low, high + 1, step))


def build_chart(inputs: pricing.LambdaInputs) -> Chart:
    request_points = pricing.default_request_points(inputs.requests)
    curves = pricing.cost_curves(inputs, request_points)
    x_min, x_max = math.log10(request_points[0]), math.log10(request_points[-1])

    def x_of(requests: float) -> float:
        ratio = (math.log10(max(requests, 1)) - x_min) / (x_max - x_min)
        return round(LEFT + ratio * PLOT_W, 1)

    lambda_values = [float(p.lambda_usd) for p in curves]
    fargate_values = [float(p.fargate_usd) for p in curves]
    ec2_values = [float(p.ec2_usd) for p in curves]
    positive = [v for v in lambda_values + fargate_values + ec2_values if v > 0]
    y_low = max(math.floor(math.log10(max(min(positive), MIN_USD))), math.log10(MIN_USD))
    y_low = int(round(y_low))
    y_high = max(math.ceil(math.log10(max(positive))), y_low + 1)

    def y_of(usd: float) -> float:
        # Below the axis's floor (Lambda's $0 inside the free tier) sits on the bottom edge.
        level = math.log10(usd) if usd > 0 else y_low
        ratio = (min(max(level, y_low), y_high) - y_low) / (y_high - y_low)
        return round(TOP + PLOT_H - ratio * PLOT_H, 1)

    def polyline(values: list[float]) -> str:
        return " ".join(
            f"{x_of(p.requests)},{y_of(v)}" for p, v in zip(curves, values, strict=True)
        )

    ec2_here = pricing.ec2_monthly_cost(inputs)
    series = (
        Series("lambda", "Lambda", polyline(lambda_values)),
        Series("fargate", "Fargate", polyline(fargate_values)),
        Series("ec2", f"EC2 ({ec2_here.fleet} at your load)", polyline(ec2_values)),
    )

    x_ticks = tuple(
        Tick(x_of(10**power), short_count(10**power))
        for power in decade_ticks(math.ceil(x_min), math.floor(x_max), most=6)
    )
    y_ticks = tuple(
        Tick(y_of(10.0**power), short_usd(10.0**power))
        for power in decade_ticks(y_low, y_high, most=7)
    )

    markers = []
    if inputs.requests > 0:
        markers.append(
            Marker(
                "current",
                x_of(inputs.requests),
                f"You: {short_count(inputs.requests)}",
                inputs.requests,
            )
        )
    for against, name in (("ec2", "EC2"), ("fargate", "Fargate")):
        at = pricing.break_even_requests(inputs, against)
        if at is not None and request_points[0] <= at <= request_points[-1]:
            markers.append(Marker(against, x_of(at), f"= {name} at {short_count(at)}", at))
    # Stacked top to bottom in the order they stand left to right, so each label sits by its line.
    markers.sort(key=lambda marker: marker.x)
    markers = [place_label(marker, index) for index, marker in enumerate(markers)]

    rows = tuple(
        Row(
            pricing.format_number(p.requests),
            money(p.lambda_usd),
            money(p.fargate_usd),
            money(p.ec2_usd),
            p.ec2_fleet,
            p.requests == inputs.requests,
        )
        for p in curves
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_top=TOP,
        plot_right=LEFT + PLOT_W,
        plot_bottom=TOP + PLOT_H,
        series=series,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        markers=tuple(markers),
        rows=rows,
        summary=describe(inputs, markers, ec2_here.fleet),
        ec2_fleet=ec2_here.fleet,
    )


def place_label(marker: Marker, index: int) -> Marker:
    """Write a marker's label just right of its line, or as far right as fits inside the plot,
    stacked one line per marker so neighbouring labels never write over each other."""
    right = LEFT + PLOT_W - 2
    x = min(marker.x + 4, right - text_width(marker.label))
    x = max(x, LEFT + 2)
    y = TOP + FONT + 2 + LINE * index
    return Marker(marker.key, marker.x, marker.label, marker.requests, round(x, 1), y)


def describe(inputs: pricing.LambdaInputs, markers: list[Marker], ec2_fleet: str) -> str:
    """The chart's message in a few sentences, for its description and screen readers."""
    memory = pricing.format_number(inputs.memory_mb)
    duration = pricing.format_number(inputs.duration_ms)
    parts = [
        f"Monthly cost against requests per month, both on log scales, for a {memory} MB, "
        f"{duration} ms {inputs.arch} function on Lambda, compared with enough Fargate tasks and "
        f"EC2 instances, running all month, for the average load ({ec2_fleet} at yours)."
    ]
    crossings = [m for m in markers if m.key in {"ec2", "fargate"}]
    for marker in crossings:
        name = "EC2" if marker.key == "ec2" else "Fargate"
        parts.append(
            f"Lambda becomes as expensive as {name} at about "
            f"{pricing.format_number(marker.requests)} requests a month."
        )
    if not crossings:
        parts.append("Within the range shown, Lambda stays cheaper than both always-on options.")
    return " ".join(parts)
