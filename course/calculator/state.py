"""The Lambda pricing calculator's state: what the learner typed, its errors, and the result.

Shared by the tool page, its htmx fragment, the lesson embed and the JSON API, so all four show
the same numbers for the same query string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from urllib.parse import urlencode

from course import pricing
from course.calculator.chart import Chart, build_chart
from course.calculator.forms import AUTO_ID, FIELDS, LambdaPricingForm, form_values


@dataclass
class Calculation:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    breakdown: pricing.LambdaBreakdown | None = None
    fargate: pricing.FargateEstimate | None = None
    ec2: pricing.Ec2Estimate | None = None
    chart: Chart | None = None

    @property
    def free_tier_on(self) -> bool:
        return self.values.get("free_tier", "1").strip().lower() in {"1", "true", "on", "yes"}

    @property
    def error_lists(self) -> dict[str, list[str]]:
        return {name: [self.errors[name]] if name in self.errors else [] for name in FIELDS}

    @property
    def field_errors(self) -> list[tuple[str, list[str]]]:
        """(id of the field's error list, messages) for every field, for out-of-band updates."""
        return [(f"{AUTO_ID % name}_error", errors) for name, errors in self.error_lists.items()]

    @property
    def form(self) -> LambdaPricingForm:
        """A fresh form per use: the Calculation itself is cached and shared between requests."""
        return LambdaPricingForm(self.values)

    @property
    def query_string(self) -> str:
        return urlencode(self.values)

    @property
    def memory_presets(self) -> tuple[int, ...]:
        return pricing.MEMORY_PRESETS_MB

    @property
    def prices(self) -> pricing.PriceTable:
        return pricing.PRICES

    @property
    def assumptions(self) -> tuple[str, ...]:
        return pricing.COMPARISON_ASSUMPTIONS


def calculate(params: Mapping[str, str], *, with_chart: bool = True) -> Calculation:
    """The result for these inputs; the same inputs (most visits, every repeated keystroke)
    come from a small per-process cache, since the model is pure. Callers must not mutate it."""
    return _calculate(tuple(form_values(params).items()), with_chart)


@lru_cache(maxsize=512)
def _calculate(items: tuple[tuple[str, str], ...], with_chart: bool) -> Calculation:
    values = dict(items)
    form = LambdaPricingForm(values)
    if not form.is_valid():
        return Calculation(values=values, errors=form.messages_by_field())
    inputs = form.inputs
    calculation = Calculation(values=values)
    calculation.breakdown = pricing.lambda_cost(inputs)
    calculation.fargate = pricing.fargate_monthly_cost(inputs)
    calculation.ec2 = pricing.ec2_monthly_cost(inputs)
    if with_chart:
        calculation.chart = build_chart(inputs)
    return calculation


def usd_number(amount: Decimal) -> float:
    """Money for JSON: a plain number rounded to the cent (exact values go out as strings)."""
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def number(value: Decimal | int) -> float | int:
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


def breakdown_json(breakdown: pricing.LambdaBreakdown) -> dict:
    inputs = breakdown.inputs
    prices = breakdown.prices
    return {
        "inputs": {
            "requests": inputs.requests,
            "duration_ms": number(inputs.duration_ms),
            "memory_mb": inputs.memory_mb,
            "arch": inputs.arch,
            "storage_mb": inputs.storage_mb,
            "free_tier": inputs.free_tier,
        },
        "billed_duration_ms": breakdown.billed_duration_ms,
        "memory_gb": number(breakdown.memory_gb),
        "total_gb_seconds": number(breakdown.total_gb_seconds),
        "free_gb_seconds": number(breakdown.free_gb_seconds),
        "billable_gb_seconds": number(breakdown.billable_gb_seconds),
        "tiers": [
            {
                "label": tier.label,
                "gb_seconds": number(tier.gb_seconds),
                "price_per_gb_second": str(tier.price_per_gb_second),
                "cost_usd": usd_number(tier.cost_usd),
            }
            for tier in breakdown.tiers
        ],
        "compute_usd": usd_number(breakdown.compute_usd),
        "free_requests": breakdown.free_requests,
        "billable_requests": breakdown.billable_requests,
        "request_usd": usd_number(breakdown.request_usd),
        "storage_gb_seconds": number(breakdown.storage_gb_seconds),
        "storage_usd": usd_number(breakdown.storage_usd),
        "total_usd": usd_number(breakdown.total_usd),
        "exact_usd": {
            "compute": str(breakdown.compute_usd),
            "requests": str(breakdown.request_usd),
            "storage": str(breakdown.storage_usd),
            "total": str(breakdown.total_usd),
        },
        "steps": breakdown.steps(),
        "region": prices.region,
        "prices_as_of": prices.as_of.isoformat(),
        "source": prices.lambda_source.url,
    }
