"""Geometry for the "Lambda vs Fargate vs EC2" cost chart, drawn as SVG by a template.

Pure: takes LambdaInputs, returns coordinates, tick labels and the data table. The x axis is
logarithmic (requests per month span four or more orders of magnitude); the y axis is linear in
dollars and clipped, so the always-on options stay readable next to Lambda's rising line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from course import pricing

WIDTH, HEIGHT = 560, 340
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 20, 52
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    key: str  # lambda | fargate | ec2 — also the CSS class
    label: str
    points: str  # SVG polyline "x,y x,y ..."
    label_x: float
    label_y: float


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
    label_y: float = 0.0


@dataclass(frozen=True)
class Row:
    requests: str
    lambda_usd: str
    fargate_usd: str
    ec2_usd: str
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


def short_count(value: int) -> str:
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if value >= size:
            scaled = value / size
            text = f"{scaled:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return str(value)


def nice_ceiling(value: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def money(value: Decimal) -> str:
    return pricing.format_usd(value)


def build_chart(inputs: pricing.LambdaInputs) -> Chart:
    request_points = pricing.default_request_points(inputs.requests)
    curves = pricing.cost_curves(inputs, request_points)
    x_min, x_max = math.log10(request_points[0]), math.log10(request_points[-1])

    def x_of(requests: float) -> float:
        ratio = (math.log10(max(requests, 1)) - x_min) / (x_max - x_min)
        return round(LEFT + ratio * PLOT_W, 1)

    ec2_usd = float(curves[-1].ec2_usd)
    current = next((p for p in curves if p.requests == inputs.requests), None)
    anchors = [ec2_usd, float(curves[0].fargate_usd)]
    if current:
        anchors += [float(current.lambda_usd), float(current.fargate_usd)]
    y_max = nice_ceiling(max(anchors) * 1.6)

    def y_of(usd: float) -> float:
        return round(TOP + PLOT_H - min(usd, y_max) / y_max * PLOT_H, 1)

    def polyline(values: list[float]) -> str:
        return " ".join(
            f"{x_of(p.requests)},{y_of(v)}" for p, v in zip(curves, values, strict=True)
        )

    lambda_values = [float(p.lambda_usd) for p in curves]
    fargate_values = [float(p.fargate_usd) for p in curves]
    series = (
        Series(
            "lambda",
            "Lambda",
            polyline(lambda_values),
            *label_spot(curves, lambda_values, x_of, y_of),
        ),
        Series(
            "fargate",
            "Fargate",
            polyline(fargate_values),
            *label_spot(curves, fargate_values, x_of, y_of, 0.15),
        ),
        Series(
            "ec2",
            f"EC2 {pricing.ec2_monthly_cost(inputs).fleet}",
            polyline([ec2_usd] * len(curves)),
            LEFT + PLOT_W - 4,
            y_of(ec2_usd) - 6,
        ),
    )

    x_ticks = tuple(
        Tick(x_of(10**power), short_count(10**power))
        for power in range(math.ceil(x_min), math.floor(x_max) + 1)
    )
    y_ticks = tuple(Tick(y_of(y_max * i / 5), money(Decimal(str(y_max * i / 5)))) for i in range(6))

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

    # Stagger the marker labels so neighbouring lines never write over each other.
    markers = [
        Marker(m.key, m.x, m.label, m.requests, TOP + 12 + 15 * index)
        for index, m in enumerate(markers)
    ]
    rows = tuple(
        Row(
            pricing.format_number(p.requests),
            money(p.lambda_usd),
            money(p.fargate_usd),
            money(p.ec2_usd),
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
        summary=describe(inputs, markers),
    )


def label_spot(curves, values, x_of, y_of, along: float = 0.55) -> tuple[float, float]:
    """Where to write a line's name: part-way along it, just above the line."""
    index = min(len(curves) - 1, int(len(curves) * along))
    return x_of(curves[index].requests), y_of(values[index]) - 8


def describe(inputs: pricing.LambdaInputs, markers: list[Marker]) -> str:
    """The chart's message in one or two sentences, for its description and screen readers."""
    memory = pricing.format_number(inputs.memory_mb)
    duration = pricing.format_number(inputs.duration_ms)
    parts = [
        f"Monthly cost against requests per month for a {memory} MB, "
        f"{duration} ms {inputs.arch} function on Lambda, "
        f"compared with Fargate tasks running all month and one always-on EC2 instance."
    ]
    crossings = [m for m in markers if m.key in {"ec2", "fargate"}]
    for marker in crossings:
        name = "an EC2 instance" if marker.key == "ec2" else "Fargate"
        parts.append(
            f"Lambda becomes as expensive as {name} at about "
            f"{pricing.format_number(marker.requests)} requests a month."
        )
    if not crossings:
        parts.append("Within the range shown, Lambda stays cheaper than both always-on options.")
    return " ".join(parts)
