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

from django import forms

from course import pricing
from course.calculator.chart import Chart, build_chart

DEFAULTS = {
    "requests": "3,000,000",
    "duration_ms": "120",
    "memory_mb": "128",
    "arch": "x86_64",
    "storage_mb": "512",
    "free_tier": "1",
}
FIELDS = tuple(DEFAULTS)
MAX_ECHO_CHARS = 60  # what we echo back into a field; the validator rejects anything this long


class LambdaPricingForm(forms.Form):
    """The calculator's typed inputs, rendered by the site's one field template (_field.html).

    Validation stays in pricing.validate_lambda_params (shared with the JSON API and cached in
    calculate()); clean() only attaches its messages to the fields. The inputs name both their
    help and their error list in aria-describedby even when there is no error yet, because
    htmx fills the error lists in out of band while the learner types, without re-rendering
    (and so without unfocusing) the input.
    """

    use_required_attribute = False  # a live form: errors are shown as people type

    requests = forms.CharField(
        label="Requests per month",
        required=False,
        help_text="e.g. 3000000, 3,000,000 or 3M",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    duration_ms = forms.CharField(
        label="Average duration (ms)",
        required=False,
        help_text="Per invocation; billed rounded up to 1 ms",
        widget=forms.NumberInput(attrs={"min": "0", "max": "900000", "step": "any"}),
    )
    memory_mb = forms.CharField(
        label="Memory (MB)",
        required=False,
        help_text="128–10,240 MB; common: 128, 512, 1024, 1536, 2048",
        widget=forms.NumberInput(
            attrs={"min": "128", "max": "10240", "step": "1", "list": "calc-memory-presets"}
        ),
    )
    storage_mb = forms.CharField(
        label="Ephemeral storage /tmp (MB)",
        required=False,
        help_text="512 MB is included; more is billed",
        widget=forms.NumberInput(attrs={"min": "512", "max": "10240", "step": "1"}),
    )

    def __init__(self, calculation: Calculation):
        super().__init__(data=calculation.values, auto_id=AUTO_ID)
        self.calculation = calculation
        for name, form_field in self.fields.items():  # copies: safe to change per form
            form_field.widget.attrs["aria-describedby"] = (
                f"{self[name].auto_id}_helptext {self[name].auto_id}_error"
            )

    def clean(self):
        for name, message in self.calculation.errors.items():
            if name in self.fields:
                self.add_error(name, message)
        return self.cleaned_data


AUTO_ID = "calc-%s"


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
        return LambdaPricingForm(self)

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


def form_values(params: Mapping[str, str]) -> dict[str, str]:
    """What the form shows: the learner's input as typed, or the defaults on a first visit."""
    if not any(name in params for name in FIELDS):
        return dict(DEFAULTS)
    values = {}
    for name in FIELDS:
        raw = params.get(name)
        if raw is None:
            raw = DEFAULTS[name] if name in {"arch", "storage_mb", "free_tier"} else ""
        values[name] = str(raw)[:MAX_ECHO_CHARS]
    return values


def calculate(params: Mapping[str, str], *, with_chart: bool = True) -> Calculation:
    """The result for these inputs; the same inputs (most visits, every repeated keystroke)
    come from a small per-process cache, since the model is pure. Callers must not mutate it."""
    return _calculate(tuple(form_values(params).items()), with_chart)


@lru_cache(maxsize=512)
def _calculate(items: tuple[tuple[str, str], ...], with_chart: bool) -> Calculation:
    values = dict(items)
    inputs, errors = pricing.validate_lambda_params(values)
    calculation = Calculation(values=values, errors=errors)
    if inputs is None:
        return calculation
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
