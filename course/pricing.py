"""The Lambda, Fargate and EC2 price model behind the calculator, pricing API, quizzes and chart.

Pure Python, no Django. Every price lives in one dated table, `PRICES`; the functions take the table
as an argument so a future price list is a new table, not an edit scattered through the code. All
money and GB-second arithmetic is exact `Decimal`; rounding happens only in `format_usd` and
`format_number`, when something is shown to a person.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from types import MappingProxyType

from course.common import numbers

# --- AWS limits (facts about the services, not prices) ------------------------------------------

ARCHITECTURES = ("x86_64", "arm64")
MEMORY_MIN_MB, MEMORY_MAX_MB = 128, 10240
STORAGE_MIN_MB, STORAGE_MAX_MB = 512, 10240
MEMORY_PRESETS_MB = (128, 256, 512, 1024, 1536, 2048, 3008, 4096, 10240)
DURATION_MAX_MS = 900_000  # Lambda's longest timeout, 15 minutes
REQUESTS_MAX = 10**13  # the calculator's ceiling; far beyond any real account
BREAK_EVEN_LIMIT = 10**12  # break_even_requests() looks no further than this
LAMBDA_MB_PER_VCPU = 1769  # Lambda gives a function one vCPU per 1,769 MB of memory
EC2_OS_RESERVE_MB = 512  # memory an instance keeps for its operating system and runtime
MB_PER_GB = 1024
MS_PER_SECOND = 1000
SECONDS_PER_HOUR = 3600
AGAINST_OPTIONS = ("fargate", "ec2")


def _gb(*values: str | int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def _gb_steps(first: int, last: int, step: int) -> tuple[Decimal, ...]:
    return _gb(*range(first, last + 1, step))


# Fargate's valid task sizes: vCPU -> the memory (GB) it can be paired with.
FARGATE_TASK_SIZES: tuple[tuple[Decimal, tuple[Decimal, ...]], ...] = (
    (Decimal("0.25"), _gb("0.5", 1, 2)),
    (Decimal("0.5"), _gb_steps(1, 4, 1)),
    (Decimal(1), _gb_steps(2, 8, 1)),
    (Decimal(2), _gb_steps(4, 16, 1)),
    (Decimal(4), _gb_steps(8, 30, 1)),
    (Decimal(8), _gb_steps(16, 60, 4)),
    (Decimal(16), _gb_steps(32, 120, 8)),
)

# Exact arithmetic: 10^13 requests x 900 s x 10 GB x a 10-digit price needs more than the default
# 28 significant digits, and a silently rounded bill would be wrong to the cent.
_EXACT = Context(prec=80)
_CENT = Decimal("0.01")


# --- The price table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceSource:
    name: str
    url: str
    effective: str  # what the prices are "as of", in words a page can show


@dataclass(frozen=True)
class DurationTier:
    label: str
    up_to_gb_seconds: Decimal | None  # cumulative upper bound of the tier; None = no bound
    price_per_gb_second: Decimal


@dataclass(frozen=True)
class FargatePrice:
    per_vcpu_hour: Decimal
    per_gb_hour: Decimal


@dataclass(frozen=True)
class Ec2Price:
    instance_type: str
    per_hour: Decimal
    vcpu: int
    memory_gib: Decimal
    # Burstable (t3, t4g) instances sustain only this share of each vCPU without paying for CPU
    # credits; None for fixed-performance instances, which sustain all of it.
    baseline: Decimal | None = None

    @property
    def usable_mb(self) -> Decimal:
        return self.memory_gib * MB_PER_GB - EC2_OS_RESERVE_MB

    @property
    def sustained_vcpu(self) -> Decimal:
        return self.vcpu * (self.baseline if self.baseline is not None else Decimal(1))

    def describe(self) -> str:
        memory = format_number(self.memory_gib)
        return f"{self.instance_type} ({self.vcpu} vCPU, {memory} GiB)"


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: date
    lambda_source: PriceSource
    fargate_source: PriceSource
    ec2_source: PriceSource
    lambda_request: Decimal  # per request
    lambda_duration_tiers: Mapping[str, tuple[DurationTier, ...]]  # by architecture
    lambda_storage_per_gb_second: Decimal  # ephemeral storage above the free amount
    lambda_storage_free_mb: int
    free_requests: int  # per month
    free_gb_seconds: Decimal  # per month, deducted before the duration tiers
    fargate: Mapping[str, FargatePrice]  # by architecture
    ec2: Mapping[str, tuple[Ec2Price, ...]]  # by architecture, the smallest first
    hours_per_month: int

    def duration_tiers(self, arch: str) -> tuple[DurationTier, ...]:
        _check_arch(arch)
        return self.lambda_duration_tiers[arch]


PRICES = PriceTable(
    region="us-east-1",
    as_of=date(2025, 10, 1),
    lambda_source=PriceSource(
        name="AWS Lambda pricing",
        url="https://aws.amazon.com/lambda/pricing/",
        effective="AWS Price List, effective 1 October 2025",
    ),
    fargate_source=PriceSource(
        name="AWS Fargate pricing",
        url="https://aws.amazon.com/fargate/pricing/",
        effective="published on-demand price list, late 2025",
    ),
    ec2_source=PriceSource(
        name="Amazon EC2 On-Demand pricing",
        url="https://aws.amazon.com/ec2/pricing/on-demand/",
        effective="published on-demand price list, late 2025",
    ),
    lambda_request=Decimal("0.0000002"),
    lambda_duration_tiers=MappingProxyType(
        {
            "x86_64": (
                DurationTier(
                    "First 6 billion GB-s", Decimal(6_000_000_000), Decimal("0.0000166667")
                ),
                DurationTier(
                    "Next 9 billion GB-s", Decimal(15_000_000_000), Decimal("0.0000150000")
                ),
                DurationTier("Over 15 billion GB-s", None, Decimal("0.0000133334")),
            ),
            "arm64": (
                DurationTier(
                    "First 7.5 billion GB-s", Decimal(7_500_000_000), Decimal("0.0000133334")
                ),
                DurationTier(
                    "Next 11.25 billion GB-s", Decimal(18_750_000_000), Decimal("0.0000120001")
                ),
                DurationTier("Over 18.75 billion GB-s", None, Decimal("0.0000106667")),
            ),
        }
    ),
    lambda_storage_per_gb_second=Decimal("0.0000000309"),
    lambda_storage_free_mb=512,
    free_requests=1_000_000,
    free_gb_seconds=Decimal(400_000),
    fargate=MappingProxyType(
        {
            "x86_64": FargatePrice(Decimal("0.04048"), Decimal("0.004445")),
            "arm64": FargatePrice(Decimal("0.03238"), Decimal("0.00356")),
        }
    ),
    # The smallest instance of each architecture is the one in the course's fact sheet
    # (../shared/reference/aws-facts.md: t3.micro $0.0104, t4g.small $0.0168 an hour). The larger,
    # fixed-performance general-purpose sizes the EC2 line grows into when the load needs them
    # are not in the fact sheet; they are AWS's published us-east-1 Linux on-demand prices
    # (ec2_source). Baselines: AWS's burstable-instance CPU credit table (t3.micro 10% of each
    # vCPU, t4g.small 20%).
    ec2=MappingProxyType(
        {
            "x86_64": (
                Ec2Price("t3.micro", Decimal("0.0104"), 2, Decimal(1), Decimal("0.10")),
                Ec2Price("m5.large", Decimal("0.096"), 2, Decimal(8)),
                Ec2Price("m5.xlarge", Decimal("0.192"), 4, Decimal(16)),
                Ec2Price("m5.2xlarge", Decimal("0.384"), 8, Decimal(32)),
                Ec2Price("m5.4xlarge", Decimal("0.768"), 16, Decimal(64)),
            ),
            "arm64": (
                Ec2Price("t4g.small", Decimal("0.0168"), 2, Decimal(2), Decimal("0.20")),
                Ec2Price("m6g.large", Decimal("0.077"), 2, Decimal(8)),
                Ec2Price("m6g.xlarge", Decimal("0.154"), 4, Decimal(16)),
                Ec2Price("m6g.2xlarge", Decimal("0.308"), 8, Decimal(32)),
                Ec2Price("m6g.4xlarge", Decimal("0.616"), 16, Decimal(64)),
            ),
        }
    ),
    hours_per_month=730,
)


def _check_arch(arch: str) -> None:
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, not {arch!r}")


def _comparison_assumptions(prices: PriceTable) -> tuple[str, ...]:
    hours = prices.hours_per_month
    smallest = " and ".join(
        f"{prices.ec2[arch][0].instance_type} for {arch}" for arch in ARCHITECTURES
    )
    larger = " and ".join(
        ", ".join(price.instance_type for price in prices.ec2[arch][1:]) for arch in ARCHITECTURES
    )
    return (
        f"Prices are AWS on-demand prices in {prices.region}: Lambda from the "
        f"{prices.lambda_source.effective}; Fargate and EC2 from the "
        f"{prices.fargate_source.effective}.",
        "Lambda: on-demand invocations with the same free-tier setting as the calculator, no "
        "provisioned concurrency; cold-start (INIT) time is not included.",
        "Fargate: each task is sized like the function. Its memory is the function's memory "
        "rounded up to a valid Fargate size (at least 0.5 GB); its vCPU is the smallest Fargate "
        "option that allows that memory and is at least the function's CPU share (Lambda gives "
        "one vCPU per "
        f"{LAMBDA_MB_PER_VCPU:,} MB). If that vCPU needs more memory, the task gets the smallest "
        "memory it allows.",
        "Fargate: enough tasks for the average load (requests × average duration ÷ the seconds in "
        f"a month, rounded up, at least one), each running all month ({hours} hours). Peaks above "
        "the average are not covered.",
        f"EC2: enough always-on instances of one type, running {hours} hours a month, for the "
        "average load: memory for every request in flight (the average concurrency rounded up, "
        "at least one, each request whole on one instance, with "
        f"{EC2_OS_RESERVE_MB} MB of each instance kept for the system) and CPU for the average "
        "concurrency times the function's CPU share. Burstable instances count only their "
        f"baseline CPU. The cheapest such fleet of {smallest} or, when the load needs more, "
        f"{larger}. Peaks above the average, a second instance for redundancy, storage and "
        "data transfer are not included; no free tier.",
    )


COMPARISON_ASSUMPTIONS = _comparison_assumptions(PRICES)


# --- Lambda ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LambdaInputs:
    requests: int  # invocations per month, >= 0
    duration_ms: Decimal  # average duration per invocation, > 0
    memory_mb: int
    arch: str = "x86_64"
    storage_mb: int = 512
    free_tier: bool = True

    def __post_init__(self) -> None:
        # Checked here as well as in validate_lambda_params so a quiz or a test that builds inputs
        # by hand cannot get a price for a function Lambda would refuse to create.
        if not _is_int(self.requests) or self.requests < 0:
            raise ValueError(f"requests must be a whole number >= 0, not {self.requests!r}")
        duration = self.duration_ms
        if isinstance(duration, bool) or not isinstance(duration, int | float | Decimal):
            raise ValueError(f"duration_ms must be a number, not {duration!r}")
        if not isinstance(duration, Decimal):
            duration = Decimal(str(duration))
            object.__setattr__(self, "duration_ms", duration)
        if not duration.is_finite() or not 0 < duration <= DURATION_MAX_MS:
            raise ValueError(f"duration_ms must be in (0, {DURATION_MAX_MS}], not {duration}")
        if not _is_int(self.memory_mb) or not MEMORY_MIN_MB <= self.memory_mb <= MEMORY_MAX_MB:
            raise ValueError(f"memory_mb must be {MEMORY_MIN_MB}-{MEMORY_MAX_MB}")
        if not _is_int(self.storage_mb) or not STORAGE_MIN_MB <= self.storage_mb <= STORAGE_MAX_MB:
            raise ValueError(f"storage_mb must be {STORAGE_MIN_MB}-{STORAGE_MAX_MB}")
        _check_arch(self.arch)
        if not isinstance(self.free_tier, bool):
            raise ValueError(f"free_tier must be True or False, not {self.free_tier!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class TierCharge:
    label: str  # e.g. "First 6 billion GB-s"
    gb_seconds: Decimal
    price_per_gb_second: Decimal
    cost_usd: Decimal


@dataclass(frozen=True)
class LambdaBreakdown:
    inputs: LambdaInputs
    billed_duration_ms: int  # per invocation, rounded up to a whole ms
    memory_gb: Decimal
    total_gb_seconds: Decimal
    free_gb_seconds: Decimal
    billable_gb_seconds: Decimal
    tiers: tuple[TierCharge, ...]  # only the tiers actually used
    compute_usd: Decimal
    free_requests: int
    billable_requests: int
    request_usd: Decimal
    storage_gb_seconds: Decimal  # of storage above the free 512 MB
    storage_usd: Decimal
    total_usd: Decimal
    prices: PriceTable = field(default=PRICES, repr=False, compare=False)

    def steps(self) -> list[str]:
        """The arithmetic as a teacher writes it on the board, one plain-text line per step."""
        inputs, prices = self.inputs, self.prices
        lines: list[str] = []
        if Decimal(self.billed_duration_ms) != inputs.duration_ms:
            lines.append(
                f"{format_number(inputs.duration_ms)} ms is billed as "
                f"{format_number(self.billed_duration_ms)} ms (rounded up to the next whole ms)"
            )
        seconds = format_number(Decimal(self.billed_duration_ms) / MS_PER_SECOND, places=3)
        requests = format_number(inputs.requests)
        lines.append(
            f"{requests} × {seconds} s × {format_number(self.memory_gb)} GB = "
            f"{_gbs(self.total_gb_seconds)} GB-s"
        )
        if inputs.free_tier:
            line = (
                f"{_gbs(self.total_gb_seconds)} − {_gbs(self.free_gb_seconds)} free = "
                f"{_gbs(self.billable_gb_seconds)} GB-s"
            )
            if not self.billable_gb_seconds:
                line += f" (within the {_gbs(prices.free_gb_seconds)} GB-s monthly free tier)"
            lines.append(line)
        else:
            lines.append(f"No free tier: all {_gbs(self.total_gb_seconds)} GB-s are billable")

        if not self.tiers:
            first_price = prices.duration_tiers(inputs.arch)[0].price_per_gb_second
            lines.append(f"0 GB-s × {format_price(first_price)} = {format_usd(Decimal(0))}")
        elif len(self.tiers) == 1:
            tier = self.tiers[0]
            lines.append(
                f"{_gbs(tier.gb_seconds)} GB-s × {format_price(tier.price_per_gb_second)} = "
                f"{format_usd(tier.cost_usd)}"
            )
        else:
            for tier in self.tiers:
                lines.append(
                    f"{tier.label}: {_gbs(tier.gb_seconds)} GB-s × "
                    f"{format_price(tier.price_per_gb_second)} = {format_usd(tier.cost_usd)}"
                )
            parts = " + ".join(format_usd(tier.cost_usd) for tier in self.tiers)
            lines.append(f"Compute: {parts} = {format_usd(self.compute_usd)}")

        per_million = format_usd(prices.lambda_request * 1_000_000, places=2)
        if inputs.free_tier:
            lines.append(
                f"{requests} − {format_number(self.free_requests)} free = "
                f"{format_number(self.billable_requests)} requests × {per_million} per million = "
                f"{format_usd(self.request_usd)}"
            )
        else:
            lines.append(
                f"{requests} requests × {per_million} per million = {format_usd(self.request_usd)}"
            )

        shown = [self.compute_usd, self.request_usd]
        if inputs.storage_mb > prices.lambda_storage_free_mb:
            extra_gb = Decimal(inputs.storage_mb - prices.lambda_storage_free_mb) / MB_PER_GB
            lines.append(
                f"Storage above {format_number(prices.lambda_storage_free_mb)} MB: {requests} × "
                f"{seconds} s × {format_number(extra_gb)} GB = "
                f"{_gbs(self.storage_gb_seconds)} GB-s × "
                f"{format_price(prices.lambda_storage_per_gb_second)} = "
                f"{format_usd(self.storage_usd)}"
            )
            shown.append(self.storage_usd)

        total = f"Total: {format_usd(self.total_usd)}"
        if self.total_usd >= _CENT and sum(_to_cent(x) for x in shown) != _to_cent(self.total_usd):
            total += " (the lines above are rounded to the cent; the total is not)"
        lines.append(total)
        return lines


def bill_duration_ms(duration_ms: Decimal | int) -> int:
    """Lambda bills each invocation's duration rounded UP to a whole millisecond, no minimum."""
    return int(Decimal(duration_ms).to_integral_value(rounding=ROUND_CEILING))


def _tier_charges(billable: Decimal, tiers: Sequence[DurationTier]) -> tuple[TierCharge, ...]:
    charges = []
    lower = Decimal(0)
    for tier in tiers:
        if billable <= lower:
            break
        upper = tier.up_to_gb_seconds
        amount = billable - lower if upper is None else min(billable, upper) - lower
        charges.append(
            TierCharge(
                tier.label, amount, tier.price_per_gb_second, amount * tier.price_per_gb_second
            )
        )
        if upper is None:
            break
        lower = upper
    return tuple(charges)


def lambda_cost(inputs: LambdaInputs, prices: PriceTable = PRICES) -> LambdaBreakdown:
    """One month of on-demand Lambda: duration (tiered, after the free tier), requests, storage."""
    tiers = prices.duration_tiers(inputs.arch)
    with localcontext(_EXACT):
        billed_ms = bill_duration_ms(inputs.duration_ms)
        billed_seconds = Decimal(billed_ms) / MS_PER_SECOND
        memory_gb = Decimal(inputs.memory_mb) / MB_PER_GB
        total_gbs = inputs.requests * billed_seconds * memory_gb
        free_gbs = min(total_gbs, prices.free_gb_seconds) if inputs.free_tier else Decimal(0)
        billable_gbs = total_gbs - free_gbs
        charges = _tier_charges(billable_gbs, tiers)
        compute_usd = sum((charge.cost_usd for charge in charges), Decimal(0))

        free_requests = min(inputs.requests, prices.free_requests) if inputs.free_tier else 0
        billable_requests = inputs.requests - free_requests
        request_usd = billable_requests * prices.lambda_request

        extra_storage_gb = (
            Decimal(max(0, inputs.storage_mb - prices.lambda_storage_free_mb)) / MB_PER_GB
        )
        storage_gbs = inputs.requests * billed_seconds * extra_storage_gb
        storage_usd = storage_gbs * prices.lambda_storage_per_gb_second

        return LambdaBreakdown(
            inputs=inputs,
            billed_duration_ms=billed_ms,
            memory_gb=memory_gb,
            total_gb_seconds=total_gbs,
            free_gb_seconds=free_gbs,
            billable_gb_seconds=billable_gbs,
            tiers=charges,
            compute_usd=compute_usd,
            free_requests=free_requests,
            billable_requests=billable_requests,
            request_usd=request_usd,
            storage_gb_seconds=storage_gbs,
            storage_usd=storage_usd,
            total_usd=compute_usd + request_usd + storage_usd,
            prices=prices,
        )


def invocation_cost(
    memory_mb: int, billed_duration_ms: int, arch: str = "x86_64", prices: PriceTable = PRICES
) -> Decimal:
    """What one run costs: one request plus its GB-s at the first-tier price, no free tier."""
    first_tier = prices.duration_tiers(arch)[0]
    with localcontext(_EXACT):
        gb_seconds = Decimal(memory_mb) / MB_PER_GB * Decimal(billed_duration_ms) / MS_PER_SECOND
        return prices.lambda_request + gb_seconds * first_tier.price_per_gb_second


# --- Parsing and validating what a person typed -------------------------------------------------

REQUESTS_MISSING_MESSAGE = "Enter the number of requests per month, e.g. 3,000,000 or 3M"
REQUESTS_RANGE_MESSAGE = f"Requests per month can be at most {REQUESTS_MAX:,}"
DURATION_MESSAGE = (
    "Enter an average duration in milliseconds, greater than 0 "
    f"(Lambda allows up to {DURATION_MAX_MS:,} ms)"
)
DURATION_MAX_MESSAGE = (
    f"Lambda runs for at most {DURATION_MAX_MS:,} ms ({DURATION_MAX_MS // 60_000} minutes); "
    "enter a shorter average duration"
)
MEMORY_RANGE_MESSAGE = f"Lambda memory is {MEMORY_MIN_MB:,}-{MEMORY_MAX_MB:,} MB"
MEMORY_FORMAT_MESSAGE = (
    f"Enter memory as a whole number of MB, {MEMORY_MIN_MB:,}-{MEMORY_MAX_MB:,} MB"
)
STORAGE_RANGE_MESSAGE = f"Ephemeral storage is {STORAGE_MIN_MB:,}-{STORAGE_MAX_MB:,} MB"
STORAGE_FORMAT_MESSAGE = (
    f"Enter ephemeral storage as a whole number of MB, {STORAGE_MIN_MB:,}-{STORAGE_MAX_MB:,} MB"
)
ARCH_MESSAGE = "Architecture is x86_64 or arm64"
FREE_TIER_MESSAGE = "Free tier is on or off (1/0, true/false, on/off or yes/no)"

_TRUE_WORDS = frozenset({"1", "true", "on", "yes"})
_FALSE_WORDS = frozenset({"0", "false", "off", "no"})


def parse_request_count(text: str) -> int:
    """A monthly request count as people write it: 3000000, 3,000,000, 3 000 000, 3M, 250k, 2B,
    3.2e6. The same parser reads numeric quiz answers (course/common/numbers.py), so both accept and
    refuse the same things with the same words.

    Raises ValueError with a message that says what to type instead.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(REQUESTS_MISSING_MESSAGE)
    value = numbers.parse_number(text)
    if value < 0:
        raise ValueError("Requests per month can't be negative")
    if value != value.to_integral_value():
        raise ValueError("Requests per month are a whole number, like 1500000 or 1.5M")
    return int(value)


def _parse_positive_decimal(text: str) -> Decimal | None:
    try:
        return numbers.parse_number(text.strip().lower().removesuffix("ms"))
    except numbers.NumberError:
        return None


def _parse_whole_mb(text: str) -> int | None:
    try:
        value = numbers.parse_number(text.strip().lower().removesuffix("mb"))
    except numbers.NumberError:
        return None
    return int(value) if value == value.to_integral_value() else None


def _param(params: Mapping[str, str], name: str) -> str | None:
    """The parameter as stripped text; None when it is missing or blank."""
    value = params.get(name)
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    return text or None


# The calculator's inputs, as typed, on a first visit; the optional ones also stand in for a
# parameter left out (or blank) anywhere: the calculator page, its JSON API, a quiz's pricing block.
LAMBDA_DEFAULTS = {
    "requests": "3,000,000",
    "duration_ms": "120",
    "memory_mb": "128",
    "arch": ARCHITECTURES[0],
    "storage_mb": str(STORAGE_MIN_MB),
    "free_tier": "1",
}
LAMBDA_OPTIONAL_PARAMS = ("arch", "storage_mb", "free_tier")


def _with_defaults(params: Mapping[str, str]) -> dict[str, str | None]:
    """The parameters the model reads, the optional ones defaulted when missing or blank. Reads
    with .get(), so a QueryDict gives each parameter's last value, as a form field does."""
    values = {name: params.get(name) for name in LAMBDA_DEFAULTS}
    for name in LAMBDA_OPTIONAL_PARAMS:
        if _param(values, name) is None:
            values[name] = LAMBDA_DEFAULTS[name]
    return values


def validate_lambda_params(
    params: Mapping[str, str],
) -> tuple[LambdaInputs | None, dict[str, str]]:
    """Turn query-string parameters into LambdaInputs, or explain every parameter that is wrong.

    requests, duration_ms and memory_mb are required; arch, storage_mb and free_tier default to
    LAMBDA_DEFAULTS (x86_64, 512 and on). Never raises on any string input.
    """
    errors: dict[str, str] = {}
    params = _with_defaults(params)

    requests = 0
    raw = _param(params, "requests")
    if raw is None:
        errors["requests"] = REQUESTS_MISSING_MESSAGE
    else:
        try:
            requests = parse_request_count(raw)
        except ValueError as error:
            errors["requests"] = str(error)
        else:
            if requests > REQUESTS_MAX:
                errors["requests"] = REQUESTS_RANGE_MESSAGE

    duration = Decimal(1)
    raw = _param(params, "duration_ms")
    parsed_duration = None if raw is None else _parse_positive_decimal(raw)
    if parsed_duration is None or parsed_duration <= 0:
        errors["duration_ms"] = DURATION_MESSAGE
    elif parsed_duration > DURATION_MAX_MS:
        errors["duration_ms"] = DURATION_MAX_MESSAGE
    else:
        duration = parsed_duration

    memory = MEMORY_MIN_MB
    raw = _param(params, "memory_mb")
    parsed_memory = None if raw is None else _parse_whole_mb(raw)
    if parsed_memory is None:
        errors["memory_mb"] = MEMORY_FORMAT_MESSAGE
    elif not MEMORY_MIN_MB <= parsed_memory <= MEMORY_MAX_MB:
        errors["memory_mb"] = MEMORY_RANGE_MESSAGE
    else:
        memory = parsed_memory

    arch = ARCHITECTURES[0]
    raw = _param(params, "arch")
    if raw.lower() in ARCHITECTURES:
        arch = raw.lower()
    else:
        errors["arch"] = ARCH_MESSAGE

    storage = STORAGE_MIN_MB
    parsed_storage = _parse_whole_mb(_param(params, "storage_mb"))
    if parsed_storage is None:
        errors["storage_mb"] = STORAGE_FORMAT_MESSAGE
    elif not STORAGE_MIN_MB <= parsed_storage <= STORAGE_MAX_MB:
        errors["storage_mb"] = STORAGE_RANGE_MESSAGE
    else:
        storage = parsed_storage

    free_tier = True
    word = _param(params, "free_tier").lower()
    if word in _FALSE_WORDS:
        free_tier = False
    elif word not in _TRUE_WORDS:
        errors["free_tier"] = FREE_TIER_MESSAGE

    if errors:
        return None, errors
    return (
        LambdaInputs(
            requests=requests,
            duration_ms=duration,
            memory_mb=memory,
            arch=arch,
            storage_mb=storage,
            free_tier=free_tier,
        ),
        {},
    )


# --- The always-on alternatives -----------------------------------------------------------------


@dataclass(frozen=True)
class FargateEstimate:
    arch: str
    function_memory_mb: int
    vcpu: Decimal
    memory_gb: Decimal
    average_concurrency: Decimal
    tasks: int
    hours: int
    price_per_vcpu_hour: Decimal
    price_per_gb_hour: Decimal
    task_hourly_usd: Decimal
    monthly_usd: Decimal

    def steps(self) -> list[str]:
        share = Decimal(self.function_memory_mb) / LAMBDA_MB_PER_VCPU
        tasks = "1 task" if self.tasks == 1 else f"{format_number(self.tasks)} tasks"
        hourly = format_price(self.task_hourly_usd.normalize())
        return [
            f"Task size: {format_number(self.vcpu)} vCPU and {format_number(self.memory_gb)} GB "
            f"(the function has {format_number(self.function_memory_mb)} MB, a CPU share of "
            f"{format_number(share, places=2)} vCPU)",
            f"Average concurrency {format_number(self.average_concurrency, places=2)}: "
            f"{tasks} running all month",
            f"{format_number(self.vcpu)} vCPU × {format_price(self.price_per_vcpu_hour)} + "
            f"{format_number(self.memory_gb)} GB × {format_price(self.price_per_gb_hour)} = "
            f"{hourly} per task-hour",
            f"{tasks} × {hourly} × {self.hours} h = {format_usd(self.monthly_usd)}",
        ]


@dataclass(frozen=True)
class Ec2Estimate:
    arch: str
    instance: Ec2Price
    instances: int
    average_concurrency: Decimal
    in_flight: int  # requests held in memory at once: the average concurrency rounded up, >= 1
    memory_needed_mb: int
    vcpu_needed: Decimal
    hours: int
    monthly_usd: Decimal

    @property
    def instance_type(self) -> str:
        return self.instance.instance_type

    @property
    def hourly_usd(self) -> Decimal:
        return self.instance.per_hour

    @property
    def fleet(self) -> str:
        """ "1 × m5.large": what the chart and the comparison name."""
        return f"{format_number(self.instances)} × {self.instance_type}"

    def steps(self) -> list[str]:
        per_instance = self.instance.usable_mb
        cpu = self.instance.sustained_vcpu
        cpu_kind = "baseline vCPU" if self.instance.baseline is not None else "vCPU"
        return [
            f"Average concurrency {format_number(self.average_concurrency, places=2)}: "
            f"{format_number(self.memory_needed_mb)} MB for {format_number(self.in_flight)} "
            f"in flight and {format_number(self.vcpu_needed, places=2)} vCPU busy",
            f"{self.instance.describe()} gives {format_number(per_instance)} MB and "
            f"{format_number(cpu)} {cpu_kind}: {self.fleet} needed",
            f"{self.fleet} × {format_price(self.hourly_usd)} per hour × {self.hours} h = "
            f"{format_usd(self.monthly_usd)}",
        ]


def fargate_task_size(memory_mb: int) -> tuple[Decimal, Decimal]:
    """(vCPU, memory GB) of the smallest valid Fargate task with the function's memory and CPU."""
    with localcontext(_EXACT):
        memory_needed = max(Decimal("0.5"), Decimal(memory_mb) / MB_PER_GB)
        vcpu_needed = Decimal(memory_mb) / LAMBDA_MB_PER_VCPU
        for vcpu, memories in FARGATE_TASK_SIZES:
            if vcpu < vcpu_needed:
                continue
            fitting = [memory for memory in memories if memory >= memory_needed]
            if fitting:
                return vcpu, min(fitting)
    raise ValueError(f"no Fargate task size fits {memory_mb} MB")


def _month_ms(prices: PriceTable) -> int:
    return prices.hours_per_month * SECONDS_PER_HOUR * MS_PER_SECOND


def fargate_tasks(requests: int, duration_ms: Decimal, prices: PriceTable = PRICES) -> int:
    """Tasks for the average load: ceil(requests × duration ÷ month), at least one."""
    busy = Fraction(requests) * Fraction(duration_ms) / _month_ms(prices)
    return max(1, math.ceil(busy))


def fargate_monthly_cost(inputs: LambdaInputs, prices: PriceTable = PRICES) -> FargateEstimate:
    _check_arch(inputs.arch)
    price = prices.fargate[inputs.arch]
    vcpu, memory_gb = fargate_task_size(inputs.memory_mb)
    tasks = fargate_tasks(inputs.requests, inputs.duration_ms, prices)
    with localcontext(_EXACT):
        concurrency = inputs.requests * inputs.duration_ms / _month_ms(prices)
        hourly = vcpu * price.per_vcpu_hour + memory_gb * price.per_gb_hour
        monthly = tasks * hourly * prices.hours_per_month
    return FargateEstimate(
        arch=inputs.arch,
        function_memory_mb=inputs.memory_mb,
        vcpu=vcpu,
        memory_gb=memory_gb,
        average_concurrency=concurrency,
        tasks=tasks,
        hours=prices.hours_per_month,
        price_per_vcpu_hour=price.per_vcpu_hour,
        price_per_gb_hour=price.per_gb_hour,
        task_hourly_usd=hourly,
        monthly_usd=monthly,
    )


def ec2_fleet(
    arch: str, requests: int, duration_ms: Decimal, memory_mb: int, prices: PriceTable = PRICES
) -> Ec2Estimate:
    """The cheapest always-on fleet of one instance type for the average load (see
    COMPARISON_ASSUMPTIONS): memory for every request in flight, CPU for the busy share."""
    _check_arch(arch)
    busy = Fraction(requests) * Fraction(duration_ms) / _month_ms(prices)
    in_flight = max(1, math.ceil(busy))
    memory_needed = in_flight * memory_mb
    vcpu_needed = busy * Fraction(memory_mb, LAMBDA_MB_PER_VCPU)
    best: tuple[Decimal, int, Ec2Price] | None = None
    for price in prices.ec2[arch]:
        # A request's memory cannot be split across machines: each instance holds whole ones.
        per_instance = int(price.usable_mb // memory_mb)
        if per_instance < 1:
            continue
        count = max(
            1,
            math.ceil(Fraction(in_flight, per_instance)),
            math.ceil(vcpu_needed / Fraction(price.sustained_vcpu)),
        )
        cost = count * price.per_hour
        # Ties go to fewer, larger instances: the same money, less to run.
        if best is None or (cost, count) < (best[0], best[1]):
            best = (cost, count, price)
    if best is None:
        raise ValueError(f"no EC2 instance type for {arch}")
    hourly, count, price = best
    with localcontext(_EXACT):
        concurrency = Decimal(requests) * Decimal(duration_ms) / _month_ms(prices)
        vcpu = concurrency * memory_mb / LAMBDA_MB_PER_VCPU
    return Ec2Estimate(
        arch=arch,
        instance=price,
        instances=count,
        average_concurrency=concurrency,
        in_flight=in_flight,
        memory_needed_mb=memory_needed,
        vcpu_needed=vcpu,
        hours=prices.hours_per_month,
        monthly_usd=hourly * prices.hours_per_month,
    )


def ec2_monthly_cost(inputs: LambdaInputs, prices: PriceTable = PRICES) -> Ec2Estimate:
    return ec2_fleet(inputs.arch, inputs.requests, inputs.duration_ms, inputs.memory_mb, prices)


# --- Curves and break-even ----------------------------------------------------------------------


@dataclass(frozen=True)
class CurvePoint:
    requests: int
    lambda_usd: Decimal
    fargate_usd: Decimal
    ec2_usd: Decimal
    ec2_fleet: str = ""  # "1 × m5.large": the EC2 line changes instances as the load grows


def cost_curves(
    inputs: LambdaInputs, request_points: Sequence[int], prices: PriceTable = PRICES
) -> list[CurvePoint]:
    """Monthly cost of the same function on Lambda, Fargate and EC2 at each request count."""
    points = []
    for requests in request_points:
        at = replace(inputs, requests=requests)
        ec2 = ec2_monthly_cost(at, prices)
        points.append(
            CurvePoint(
                requests=requests,
                lambda_usd=lambda_cost(at, prices).total_usd,
                fargate_usd=fargate_monthly_cost(at, prices).monthly_usd,
                ec2_usd=ec2.monthly_usd,
                ec2_fleet=ec2.fleet,
            )
        )
    return points


_CURVE_FIRST = 100_000
_CURVE_POINTS = 25


def _two_significant(value: float) -> int:
    exponent = max(0, math.floor(math.log10(value)) - 1)
    return round(value / 10**exponent) * 10**exponent


def default_request_points(current_requests: int) -> list[int]:
    """About 25 log-spaced request counts from 100,000 to max(100 × current, 1 billion), rounded
    to two significant figures, plus current_requests itself (unless it is 0, which a log axis
    cannot show)."""
    last = min(max(100 * current_requests, 10**9), REQUESTS_MAX)
    low, high = math.log10(_CURVE_FIRST), math.log10(last)
    step = (high - low) / (_CURVE_POINTS - 1)
    points = {_two_significant(10 ** (low + i * step)) for i in range(_CURVE_POINTS)}
    if current_requests > 0:
        points.add(current_requests)
    return sorted(points)


def _lambda_total(inputs: LambdaInputs, requests: int, prices: PriceTable) -> Decimal:
    return lambda_cost(replace(inputs, requests=requests), prices).total_usd


def _first_at_least(
    inputs: LambdaInputs, low: int, high: int, target: Decimal, prices: PriceTable
) -> int | None:
    """Smallest n in [low, high] with Lambda(n) >= target; Lambda's cost never falls as n grows."""
    if _lambda_total(inputs, high, prices) < target:
        return None
    while low < high:
        middle = (low + high) // 2
        if _lambda_total(inputs, middle, prices) >= target:
            high = middle
        else:
            low = middle + 1
    return low


_SCAN_LIMIT = 2000


def _lambda_kinks(inputs: LambdaInputs, prices: PriceTable) -> list[Fraction]:
    """Request counts where Lambda's cost changes slope (free tiers used up, duration tiers)."""
    billed = Fraction(bill_duration_ms(inputs.duration_ms), MS_PER_SECOND)
    per_request = billed * Fraction(inputs.memory_mb, MB_PER_GB)
    free = Fraction(prices.free_gb_seconds) if inputs.free_tier else Fraction(0)
    kinks = [Fraction(prices.free_requests)] if inputs.free_tier else []
    bounds = [Fraction(0)] if inputs.free_tier else []
    bounds += [
        Fraction(tier.up_to_gb_seconds)
        for tier in prices.duration_tiers(inputs.arch)
        if tier.up_to_gb_seconds is not None
    ]
    kinks += [(free + bound) / per_request for bound in bounds]
    return kinks


def _fargate_break_even(inputs: LambdaInputs, prices: PriceTable) -> int | None:
    # Fargate's cost is a staircase (one more task each time the average load fills one), so
    # "Lambda >= Fargate" can turn true, then false at the next step, then true again: a plain
    # bisection over all n could land on a later crossing. Within one step (k tasks) Fargate is
    # constant, so find the first step k whose last request count already has Lambda >= k tasks,
    # then bisect inside that step.
    per_task = fargate_monthly_cost(replace(inputs, requests=0), prices).monthly_usd
    duration = Fraction(inputs.duration_ms)
    month = Fraction(_month_ms(prices))
    limit = BREAK_EVEN_LIMIT

    def last_n(k: int) -> int:  # the most requests k tasks cover
        return min(math.floor(k * month / duration), limit)

    def lambda_at(n: int) -> Fraction:
        return Fraction(_lambda_total(inputs, n, prices))

    def gap(k: int) -> Fraction:
        return lambda_at(last_n(k)) - k * Fraction(per_task)

    k_max = fargate_tasks(limit, inputs.duration_ms, prices)
    starts = {1, k_max}
    for kink in _lambda_kinks(inputs, prices):
        if kink <= limit:
            starts.add(fargate_tasks(math.ceil(kink), inputs.duration_ms, prices))
    starts_sorted = sorted(starts)
    # Between two starts every last_n(k) lies in one straight piece of Lambda's cost, so
    # gap(k) = alpha + slope * k - beta * frac(k * month / duration): a line minus < one request.
    for index, first in enumerate(starts_sorted):
        last = starts_sorted[index + 1] - 1 if index + 1 < len(starts_sorted) else k_max
        k = _first_step_in_piece(first, last, gap, last_n, lambda_at, month / duration, per_task)
        if k is not None:
            low = 0 if k == 1 else last_n(k - 1) + 1
            return _first_at_least(inputs, low, last_n(k), per_task * k, prices)
    return None


_EC2_STEPS_LIMIT = 500


def _ec2_break_even(inputs: LambdaInputs, prices: PriceTable) -> int | None:
    """The first n with Lambda(n) >= EC2(n). Both only ever rise with n, EC2 in steps (one more
    instance, or a bigger type), so from n, where EC2 costs e: no n' below the first request count
    where Lambda reaches e can cross (Lambda < e <= EC2 there). Jump to it; if EC2 is still e
    there, that is the crossing, otherwise EC2 has stepped up and the search goes on from it."""

    def ec2_at(n: int) -> Decimal:
        return ec2_fleet(inputs.arch, n, inputs.duration_ms, inputs.memory_mb, prices).monthly_usd

    n = 0
    for _ in range(_EC2_STEPS_LIMIT):
        level = ec2_at(n)
        reached = _first_at_least(inputs, n, BREAK_EVEN_LIMIT, level, prices)
        if reached is None:
            return None
        if ec2_at(reached) == level:
            return reached
        n = reached
    # Lambda and EC2 rise side by side for hundreds of EC2 steps: no first crossing worth showing.
    return None


def _first_step_in_piece(
    first: int,
    last: int,
    gap: Callable[[int], Fraction],
    last_n: Callable[[int], int],
    lambda_at: Callable[[int], Fraction],
    per_step: Fraction,
    per_task: Decimal,
) -> int | None:
    """The first k in [first, last] with gap(k) >= 0, where gap is a line minus < one request."""
    if gap(first) >= 0:
        return first
    if last <= first:
        return None
    n_first, n_last = last_n(first), last_n(last)
    beta = (lambda_at(n_last) - lambda_at(n_first)) / (n_last - n_first)  # $ per request
    alpha = lambda_at(n_first) - beta * n_first
    slope = beta * per_step - Fraction(per_task)  # of the line, per extra task
    if slope > 0:
        start = max(first + 1, math.ceil(-alpha / slope))
        sure = max(first + 1, math.ceil((beta - alpha) / slope))  # line >= one request's cost
        stop = min(last, sure, start + _SCAN_LIMIT)
    else:
        start = first + 1
        if slope == 0:
            stop = last if alpha >= 0 else first
        else:
            stop = min(last, math.floor(alpha / -slope))
        stop = min(stop, start + _SCAN_LIMIT)
        sure = None
    for k in range(start, stop + 1):
        if gap(k) >= 0:
            return k
    # Only when Lambda and Fargate stay within one request's cost of each other for thousands of
    # steps: the first crossing then hardly matters, and `sure` is a crossing near it.
    if sure is not None and sure <= last:
        return sure
    return None


def break_even_requests(
    inputs: LambdaInputs, against: str, prices: PriceTable = PRICES
) -> int | None:
    """Smallest monthly request count at which Lambda costs at least the always-on option
    ("fargate" or "ec2"), with everything else in `inputs` fixed; None if not within 10^12."""
    if against == "ec2":
        return _ec2_break_even(inputs, prices)
    if against == "fargate":
        return _fargate_break_even(inputs, prices)
    raise ValueError(f"against must be one of {AGAINST_OPTIONS}, not {against!r}")


# --- Display -------------------------------------------------------------------------------------


def _to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def format_usd(amount: Decimal | int, places: int | None = None) -> str:
    """Dollars for people: "$2.73", "$1,234.50", "$0.00".

    With places=None, zero and amounts of a cent or more get two decimals; smaller amounts keep up
    to six significant figures ("$0.0000166667", "$0.0000002", "$0.00233334") rather than
    showing a real cost as $0.00. For unit prices of a cent or more, use format_price.
    """
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"cannot format {amount!r} as dollars")
    sign = "-" if value < 0 else ""
    value = abs(value)
    with localcontext(_EXACT):
        if places is None:
            if value == 0 or value >= _CENT:
                places = 2
            else:
                six_figures = Decimal(1).scaleb(value.adjusted() - 5)
                rounded = value.quantize(six_figures, rounding=ROUND_HALF_UP).normalize()
                return f"{sign}${rounded:f}"
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if not rounded:
        sign = ""
    return f"{sign}${rounded:,.{places}f}"


def format_price(price: Decimal | int) -> str:
    """A unit price with every digit AWS publishes: "$0.0104", "$0.04048", "$0.0000150000"."""
    value = Decimal(price)
    if not value.is_finite():
        raise ValueError(f"cannot format {price!r} as a price")
    places = max(2, -value.as_tuple().exponent)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def format_number(value: Decimal | int, places: int | None = None) -> str:
    """Thousands separators: 3000000 -> "3,000,000"; Decimals keep their digits without trailing
    zeros ("1.5") unless places is given ("0.120")."""
    if isinstance(value, int) and places is None:
        return f"{value:,}"
    value = Decimal(value)
    with localcontext(_EXACT):
        if places is not None:
            rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            return f"{rounded:,.{places}f}"
        if value == value.to_integral_value():
            return f"{value.quantize(Decimal(1)):,f}"
        return f"{value.normalize():,f}"


def _gbs(value: Decimal) -> str:
    """GB-seconds for the steps: exact, but no more than six decimals."""
    with localcontext(_EXACT):
        rounded = Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return format_number(rounded)
