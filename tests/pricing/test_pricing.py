"""The price model, checked against AWS's own worked examples and arithmetic done by hand."""

import math
import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from course.pricing import (
    ARCHITECTURES,
    BREAK_EVEN_LIMIT,
    COMPARISON_ASSUMPTIONS,
    MEMORY_PRESETS_MB,
    PRICES,
    REQUESTS_MAX,
    CurvePoint,
    LambdaInputs,
    bill_duration_ms,
    break_even_requests,
    cost_curves,
    default_request_points,
    ec2_monthly_cost,
    fargate_monthly_cost,
    fargate_task_size,
    fargate_tasks,
    format_number,
    format_price,
    format_usd,
    invocation_cost,
    lambda_cost,
    parse_request_count,
    validate_lambda_params,
)

D = Decimal
CENT = D("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


def lambda_usd(inputs: LambdaInputs, requests: int) -> Decimal:
    return lambda_cost(replace(inputs, requests=requests)).total_usd


def fargate_usd(inputs: LambdaInputs, requests: int) -> Decimal:
    return fargate_monthly_cost(replace(inputs, requests=requests)).monthly_usd


def ec2_usd(inputs: LambdaInputs, requests: int) -> Decimal:
    return ec2_monthly_cost(replace(inputs, requests=requests)).monthly_usd


# --- AWS's published examples, to the cent ------------------------------------------------------


def test_aws_example_3m_requests_120ms_1536mb():
    b = lambda_cost(LambdaInputs(requests=3_000_000, duration_ms=D(120), memory_mb=1536))
    assert b.billed_duration_ms == 120
    assert b.memory_gb == D("1.5")
    assert b.total_gb_seconds == 540_000
    assert b.free_gb_seconds == 400_000
    assert b.billable_gb_seconds == 140_000
    assert b.compute_usd == D("2.333338")
    assert cents(b.compute_usd) == D("2.33")
    assert (b.free_requests, b.billable_requests) == (1_000_000, 2_000_000)
    assert b.request_usd == D("0.40")
    assert b.storage_usd == 0
    assert cents(b.total_usd) == D("2.73")
    assert format_usd(b.total_usd) == "$2.73"


def test_aws_example_6m_requests_280ms_4096mb_with_2048mb_storage():
    b = lambda_cost(
        LambdaInputs(requests=6_000_000, duration_ms=D(280), memory_mb=4096, storage_mb=2048)
    )
    assert b.total_gb_seconds == 6_720_000
    assert b.billable_gb_seconds == 6_320_000
    assert cents(b.compute_usd) == D("105.33")
    assert b.request_usd == D("1.00")
    assert b.storage_gb_seconds == 2_520_000
    assert b.storage_usd == D("0.077868")
    assert cents(b.storage_usd) == D("0.08")
    assert cents(b.total_usd) == D("106.41")


def test_aws_example_60m_requests_28ms_1024mb_free_tier_off():
    b = lambda_cost(
        LambdaInputs(requests=60_000_000, duration_ms=D(28), memory_mb=1024, free_tier=False)
    )
    assert b.total_gb_seconds == b.billable_gb_seconds == 1_680_000
    assert b.free_gb_seconds == 0
    assert cents(b.compute_usd) == D("28.00")
    assert (b.free_requests, b.billable_requests) == (0, 60_000_000)
    assert b.request_usd == D("12.00")
    assert cents(b.total_usd) == D("40.00")


def test_steps_for_the_3m_example_read_like_a_teacher_wrote_them():
    b = lambda_cost(LambdaInputs(requests=3_000_000, duration_ms=D(120), memory_mb=1536))
    assert b.steps() == [
        "3,000,000 × 0.120 s × 1.5 GB = 540,000 GB-s",
        "540,000 − 400,000 free = 140,000 GB-s",
        "140,000 GB-s × $0.0000166667 = $2.33",
        "3,000,000 − 1,000,000 free = 2,000,000 requests × $0.20 per million = $0.40",
        "Total: $2.73",
    ]


def test_steps_show_storage_free_tier_off_and_duration_rounding():
    storage = lambda_cost(
        LambdaInputs(requests=6_000_000, duration_ms=D(280), memory_mb=4096, storage_mb=2048)
    ).steps()
    assert (
        "Storage above 512 MB: 6,000,000 × 0.280 s × 1.5 GB = 2,520,000 GB-s × $0.0000000309 "
        "= $0.08"
    ) in storage
    assert storage[-1] == "Total: $106.41"

    off = lambda_cost(
        LambdaInputs(requests=60_000_000, duration_ms=D(28), memory_mb=1024, free_tier=False)
    ).steps()
    assert "No free tier: all 1,680,000 GB-s are billable" in off
    assert "60,000,000 requests × $0.20 per million = $12.00" in off

    rounded = lambda_cost(LambdaInputs(requests=10, duration_ms=D("1.2"), memory_mb=128)).steps()
    assert rounded[0] == "1.2 ms is billed as 2 ms (rounded up to the next whole ms)"
    assert rounded[1] == "10 × 0.002 s × 0.125 GB = 0.0025 GB-s"
    assert "(within the 400,000 GB-s monthly free tier)" in rounded[2]
    assert rounded[-1] == "Total: $0.00"


# --- Tiers --------------------------------------------------------------------------------------


def test_x86_crosses_both_tiers():
    # 10 GB for 1 s = 10 GB-s a request; 2 billion requests = 20 billion GB-s.
    b = lambda_cost(
        LambdaInputs(requests=2_000_000_000, duration_ms=D(1000), memory_mb=10240, free_tier=False)
    )
    assert b.total_gb_seconds == 20_000_000_000
    assert [(t.label, t.gb_seconds, t.price_per_gb_second, t.cost_usd) for t in b.tiers] == [
        ("First 6 billion GB-s", 6_000_000_000, D("0.0000166667"), D("100000.20")),
        ("Next 9 billion GB-s", 9_000_000_000, D("0.0000150000"), D("135000.00")),
        ("Over 15 billion GB-s", 5_000_000_000, D("0.0000133334"), D("66667.00")),
    ]
    assert b.compute_usd == D("301667.20")
    assert b.request_usd == D("400.00")
    assert b.total_usd == D("302067.20")
    steps = b.steps()
    assert "Next 9 billion GB-s: 9,000,000,000 GB-s × $0.0000150000 = $135,000.00" in steps
    assert "Compute: $100,000.20 + $135,000.00 + $66,667.00 = $301,667.20" in steps


def test_arm_crosses_both_tiers():
    b = lambda_cost(
        LambdaInputs(
            requests=2_500_000_000,
            duration_ms=D(1000),
            memory_mb=10240,
            arch="arm64",
            free_tier=False,
        )
    )
    assert b.total_gb_seconds == 25_000_000_000
    assert [(t.gb_seconds, t.price_per_gb_second, t.cost_usd) for t in b.tiers] == [
        (7_500_000_000, D("0.0000133334"), D("100000.50")),
        (11_250_000_000, D("0.0000120001"), D("135001.125")),
        (6_250_000_000, D("0.0000106667"), D("66666.875")),
    ]
    assert b.compute_usd == D("301668.50")
    assert b.total_usd == D("301668.50") + D("500.00")


def test_free_tier_comes_off_before_the_tiers():
    # 7 billion GB-s - 400,000 free: the first tier is full, the second gets the rest.
    b = lambda_cost(LambdaInputs(requests=700_000_000, duration_ms=D(1000), memory_mb=10240))
    assert [t.gb_seconds for t in b.tiers] == [6_000_000_000, 999_600_000]
    assert b.compute_usd == D("100000.20") + 999_600_000 * D("0.000015")

    arm = lambda_cost(
        LambdaInputs(requests=800_000_000, duration_ms=D(1000), memory_mb=10240, arch="arm64")
    )
    assert [t.gb_seconds for t in arm.tiers] == [7_500_000_000, 499_600_000]
    assert [t.price_per_gb_second for t in arm.tiers] == [D("0.0000133334"), D("0.0000120001")]


@pytest.mark.parametrize(("arch", "boundary"), [("x86_64", 6), ("arm64", 7.5)])
def test_exactly_at_a_tier_boundary_uses_one_tier(arch, boundary):
    requests = int(boundary * 100_000_000)  # x 10 GB-s each = the boundary in billions
    b = lambda_cost(
        LambdaInputs(
            requests=requests, duration_ms=D(1000), memory_mb=10240, arch=arch, free_tier=False
        )
    )
    assert len(b.tiers) == 1
    assert b.tiers[0].gb_seconds == D(boundary) * 10**9


def test_arm_is_priced_from_the_arm_tiers():
    x86 = lambda_cost(LambdaInputs(requests=3_000_000, duration_ms=D(120), memory_mb=1536))
    arm = lambda_cost(
        LambdaInputs(requests=3_000_000, duration_ms=D(120), memory_mb=1536, arch="arm64")
    )
    assert arm.compute_usd == 140_000 * D("0.0000133334")
    assert arm.request_usd == x86.request_usd
    assert arm.total_usd < x86.total_usd


# --- Duration rounding, free tier, storage ------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "billed"),
    [("0.3", 1), ("1.2", 2), ("120", 120), ("120.0", 120), ("1", 1), ("899999.01", 900000)],
)
def test_duration_is_billed_rounded_up_to_whole_ms(duration, billed):
    assert bill_duration_ms(D(duration)) == billed
    b = lambda_cost(LambdaInputs(requests=1000, duration_ms=D(duration), memory_mb=1024))
    assert b.billed_duration_ms == billed
    assert b.total_gb_seconds == 1000 * D(billed) / 1000


def test_load_within_the_free_tier_costs_nothing():
    inputs = LambdaInputs(requests=500_000, duration_ms=D(100), memory_mb=128)
    b = lambda_cost(inputs)
    assert b.total_gb_seconds == 6_250
    assert b.free_gb_seconds == 6_250
    assert b.billable_gb_seconds == 0
    assert b.tiers == ()
    assert b.free_requests == 500_000
    assert b.total_usd == 0
    assert format_usd(b.total_usd) == "$0.00"

    off = lambda_cost(replace(inputs, free_tier=False))
    assert off.compute_usd == 6_250 * D("0.0000166667")
    assert off.request_usd == D("0.10")
    assert cents(off.total_usd) == D("0.20")


def test_free_tier_exactly_used_up():
    # 400,000 GB-s at 1 GB = 400,000 s = 1,000,000 requests of 400 ms: both free tiers exactly.
    b = lambda_cost(LambdaInputs(requests=1_000_000, duration_ms=D(400), memory_mb=1024))
    assert b.total_gb_seconds == 400_000
    assert b.billable_gb_seconds == 0
    assert b.billable_requests == 0
    assert b.total_usd == 0
    one_more = lambda_cost(LambdaInputs(requests=1_000_001, duration_ms=D(400), memory_mb=1024))
    assert one_more.billable_gb_seconds == D("0.4")
    assert one_more.billable_requests == 1
    assert one_more.total_usd == D("0.4") * D("0.0000166667") + D("0.0000002")


def test_free_tier_does_not_cover_storage():
    b = lambda_cost(
        LambdaInputs(requests=1000, duration_ms=D(1000), memory_mb=128, storage_mb=1536)
    )
    assert b.compute_usd == 0
    assert b.request_usd == 0
    assert b.storage_gb_seconds == 1000  # 1000 × 1 s × 1 GB above 512 MB
    assert b.total_usd == b.storage_usd == 1000 * D("0.0000000309")


@pytest.mark.parametrize("free_tier", [True, False])
def test_512mb_storage_is_free(free_tier):
    b = lambda_cost(
        LambdaInputs(requests=50_000_000, duration_ms=D(900), memory_mb=2048, free_tier=free_tier)
    )
    assert b.storage_gb_seconds == 0
    assert b.storage_usd == 0
    assert b.total_usd == b.compute_usd + b.request_usd
    assert not any(line.startswith("Storage") for line in b.steps())


def test_maximum_load_stays_exact():
    b = lambda_cost(
        LambdaInputs(
            requests=REQUESTS_MAX,
            duration_ms=D(900_000),
            memory_mb=10240,
            storage_mb=10240,
            free_tier=False,
        )
    )
    assert b.total_gb_seconds == REQUESTS_MAX * 900 * 10
    assert b.compute_usd == (
        6 * 10**9 * D("0.0000166667")
        + 9 * 10**9 * D("0.0000150000")
        + (REQUESTS_MAX * 9000 - 15 * 10**9) * D("0.0000133334")
    )
    assert b.storage_gb_seconds == REQUESTS_MAX * 900 * D(9728) / 1024
    assert sum(t.gb_seconds for t in b.tiers) == b.billable_gb_seconds


def test_invocation_cost_is_one_request_plus_first_tier_duration():
    assert invocation_cost(128, 1) == D("0.0000002") + D("0.125") * D("0.001") * D("0.0000166667")
    assert invocation_cost(1536, 120, "arm64") == D("0.0000002") + D("0.18") * D("0.0000133334")
    with pytest.raises(ValueError):
        invocation_cost(128, 1, "sparc")


@pytest.mark.parametrize(
    "bad",
    [
        {"requests": -1},
        {"requests": 1.5},
        {"requests": True},
        {"duration_ms": D(0)},
        {"duration_ms": D(-5)},
        {"duration_ms": D("NaN")},
        {"duration_ms": D("Infinity")},
        {"duration_ms": D("900000.1")},
        {"duration_ms": "120"},
        {"memory_mb": 127},
        {"memory_mb": 10241},
        {"storage_mb": 511},
        {"storage_mb": 10241},
        {"arch": "x86"},
        {"free_tier": "yes"},
    ],
)
def test_lambda_inputs_refuse_what_lambda_would(bad):
    fields = {"requests": 1, "duration_ms": D(1), "memory_mb": 128} | bad
    with pytest.raises(ValueError):
        LambdaInputs(**fields)


def test_lambda_inputs_accept_int_and_float_durations_as_decimal():
    assert LambdaInputs(requests=1, duration_ms=120, memory_mb=128).duration_ms == D(120)
    assert LambdaInputs(requests=1, duration_ms=0.3, memory_mb=128).duration_ms == D("0.3")


# --- Parsing and validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3000000", 3_000_000),
        ("3,000,000", 3_000_000),
        ("3 000 000", 3_000_000),
        ("3\u202f000\u202f000", 3_000_000),
        ("3_000_000", 3_000_000),
        ("  3M ", 3_000_000),
        ("3m", 3_000_000),
        ("1.5M", 1_500_000),
        ("250k", 250_000),
        ("250K", 250_000),
        ("2B", 2_000_000_000),
        ("2 bn", 2_000_000_000),
        ("1.5 million", 1_500_000),
        ("0", 0),
        ("0.000001M", 1),
        ("3.2e6", 3_200_000),
        ("1E6", 1_000_000),
        ("3.2 M", 3_200_000),
    ],
)
def test_parse_request_count_accepts_what_people_write(text, expected):
    assert parse_request_count(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "Enter the number of requests"),
        ("   ", "Enter the number of requests"),
        ("-5", "can't be negative"),
        ("abc", "3.2M"),
        ("1.5", "whole number"),
        ("1.0000005M", "whole number"),
        ("1,5M", "3,200,000"),
        ("3,00", "3,200,000"),
        ("3,000 000", "3,200,000"),
        ("3x", "M for million"),
        ("1e-3", "whole number"),
        ("nan", "3.2M"),
        ("inf", "3.2M"),
        ("٣٠٠", "3.2M"),
        ("３", "3.2M"),
        ("9" * 5000, "too long"),
    ],
)
def test_parse_request_count_rejects_with_an_actionable_message(text, hint):
    with pytest.raises(ValueError, match=hint):
        parse_request_count(text)


def valid_params(**changes):
    return {"requests": "3M", "duration_ms": "120", "memory_mb": "1536"} | changes


def test_validate_fills_in_defaults():
    inputs, errors = validate_lambda_params(valid_params())
    assert errors == {}
    assert inputs == LambdaInputs(
        requests=3_000_000,
        duration_ms=D(120),
        memory_mb=1536,
        arch="x86_64",
        storage_mb=512,
        free_tier=True,
    )


def test_validate_reads_every_parameter():
    inputs, errors = validate_lambda_params(
        {
            "requests": "6,000,000",
            "duration_ms": "280.5",
            "memory_mb": "4096",
            "arch": "arm64",
            "storage_mb": "2048",
            "free_tier": "off",
        }
    )
    assert errors == {}
    assert inputs == LambdaInputs(
        requests=6_000_000,
        duration_ms=D("280.5"),
        memory_mb=4096,
        arch="arm64",
        storage_mb=2048,
        free_tier=False,
    )


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("1", True),
        ("true", True),
        ("on", True),
        ("yes", True),
        ("TRUE", True),
        ("0", False),
        ("false", False),
        ("off", False),
        ("no", False),
        ("No", False),
    ],
)
def test_validate_free_tier_words(word, expected):
    inputs, errors = validate_lambda_params(valid_params(free_tier=word))
    assert errors == {}
    assert inputs.free_tier is expected


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("memory_mb", "64", "Lambda memory is 128-10,240 MB"),
        ("memory_mb", "10241", "Lambda memory is 128-10,240 MB"),
        ("memory_mb", "1536.5", "Enter memory as a whole number of MB, 128-10,240 MB"),
        ("memory_mb", "lots", "Enter memory as a whole number of MB, 128-10,240 MB"),
        ("memory_mb", "", "Enter memory as a whole number of MB, 128-10,240 MB"),
        (
            "duration_ms",
            "-5",
            "Enter an average duration in milliseconds, greater than 0 "
            "(Lambda allows up to 900,000 ms)",
        ),
        (
            "duration_ms",
            "abc",
            "Enter an average duration in milliseconds, greater than 0 "
            "(Lambda allows up to 900,000 ms)",
        ),
        (
            "duration_ms",
            "0",
            "Enter an average duration in milliseconds, greater than 0 "
            "(Lambda allows up to 900,000 ms)",
        ),
        (
            "duration_ms",
            "900001",
            "Lambda runs for at most 900,000 ms (15 minutes); enter a shorter average duration",
        ),
        ("storage_mb", "256", "Ephemeral storage is 512-10,240 MB"),
        ("storage_mb", "20000", "Ephemeral storage is 512-10,240 MB"),
        ("arch", "x86", "Architecture is x86_64 or arm64"),
        ("arch", "graviton", "Architecture is x86_64 or arm64"),
        ("free_tier", "maybe", "Free tier is on or off (1/0, true/false, on/off or yes/no)"),
        ("requests", "-1", "Requests per month can't be negative"),
        ("requests", "", "Enter the number of requests per month, e.g. 3,000,000 or 3M"),
        ("requests", "20000000000000", "Requests per month can be at most 10,000,000,000,000"),
    ],
)
def test_validate_names_the_bad_parameter(param, value, message):
    inputs, errors = validate_lambda_params(valid_params(**{param: value}))
    assert inputs is None
    assert errors == {param: message}


@pytest.mark.parametrize("required", ["requests", "duration_ms", "memory_mb"])
def test_validate_requires_the_three_numbers(required):
    params = valid_params()
    del params[required]
    inputs, errors = validate_lambda_params(params)
    assert inputs is None
    assert list(errors) == [required]


def test_validate_reports_every_bad_parameter_at_once():
    inputs, errors = validate_lambda_params(
        {
            "requests": "lots",
            "duration_ms": "0",
            "memory_mb": "64",
            "arch": "sparc",
            "storage_mb": "100",
            "free_tier": "perhaps",
        }
    )
    assert inputs is None
    assert set(errors) == {
        "requests",
        "duration_ms",
        "memory_mb",
        "arch",
        "storage_mb",
        "free_tier",
    }
    assert errors["memory_mb"] == "Lambda memory is 128-10,240 MB"

    inputs, errors = validate_lambda_params({"memory_mb": "1536"})
    assert inputs is None
    assert set(errors) == {"requests", "duration_ms"}


def test_validate_accepts_the_limits_and_friendly_forms():
    inputs, errors = validate_lambda_params(
        {
            "requests": str(REQUESTS_MAX),
            "duration_ms": "900,000",
            "memory_mb": "10,240",
            "storage_mb": "10240 MB",
            "arch": " ARM64 ",
        }
    )
    assert errors == {}
    assert (inputs.requests, inputs.duration_ms, inputs.memory_mb) == (REQUESTS_MAX, 900_000, 10240)
    assert (inputs.storage_mb, inputs.arch) == (10240, "arm64")

    inputs, errors = validate_lambda_params(valid_params(duration_ms=".5", memory_mb="128"))
    assert errors == {}
    assert inputs.duration_ms == D("0.5")

    # A blank optional field (an untouched form control) means its default.
    inputs, errors = validate_lambda_params(valid_params(arch="", storage_mb=" ", free_tier=""))
    assert errors == {}
    assert (inputs.arch, inputs.storage_mb, inputs.free_tier) == ("x86_64", 512, True)


NASTY = [
    "",
    " ",
    "\x00",
    "\n",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "1E3",
    "-0",
    "0x10",
    "0b1",
    "1_000",
    "9" * 5000,
    "9" * 39,
    "9" * 41,
    "0." + "0" * 38 + "1",
    "1" + "0" * 30 + "M",
    "١٢٣",
    "１２３",
    "²",
    "½",
    "Ⅻ",
    "🙂",
    "３M",
    "1,2,3",
    "1..2",
    ".",
    ",",
    "-",
    "+5",
    "5-",
    "1.5e",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "' OR 1=1 --",
    "<script>",
    "%00",
    "\u202e123",
]


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize(
    "param", ["requests", "duration_ms", "memory_mb", "arch", "storage_mb", "free_tier"]
)
def test_validate_never_raises_on_nasty_strings(param, value):
    inputs, errors = validate_lambda_params(valid_params(**{param: value}))
    assert (inputs is None) == bool(errors)
    assert set(errors) <= {param}
    assert all(isinstance(message, str) and message for message in errors.values())
    if inputs is not None:
        lambda_cost(inputs)


def test_validate_never_raises_on_random_strings():
    rng = random.Random(20251001)
    alphabet = "0123456789.,_ -+eEkKmMbBnNaAiIfF\u202f\u00a0٣３x\x00🙂"
    for _ in range(3000):
        params = {
            name: "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            for name in ("requests", "duration_ms", "memory_mb", "arch", "storage_mb", "free_tier")
            if rng.random() < 0.9
        }
        inputs, errors = validate_lambda_params(params)
        assert (inputs is None) == bool(errors)
        if inputs is not None:
            lambda_cost(inputs)


def test_validate_tolerates_non_string_values():
    inputs, errors = validate_lambda_params(
        {"requests": 3_000_000, "duration_ms": 120, "memory_mb": 1536, "free_tier": None}
    )
    assert errors == {}
    assert inputs.requests == 3_000_000
    inputs, errors = validate_lambda_params(
        {"requests": ["1"], "duration_ms": float("nan"), "memory_mb": object()}
    )
    assert inputs is None
    assert set(errors) == {"requests", "duration_ms", "memory_mb"}


# --- Fargate and EC2 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("memory_mb", "vcpu", "memory_gb"),
    [
        (128, "0.25", "0.5"),
        (442, "0.25", "0.5"),  # 442 / 1769 < 0.25 vCPU
        (443, "0.5", "1"),  # just over a quarter of a vCPU
        (256, "0.25", "0.5"),
        (512, "0.5", "1"),  # 512 / 1769 = 0.29 vCPU
        (1025, "1", "2"),
        (1024, "1", "2"),
        (1536, "1", "2"),
        (1769, "1", "2"),
        (1770, "2", "4"),  # over one vCPU: 2 vCPU needs at least 4 GB
        (3008, "2", "4"),
        (4096, "4", "8"),
        (7076, "4", "8"),
        (8192, "8", "16"),
        (10240, "8", "16"),
    ],
)
def test_fargate_task_is_sized_like_the_function(memory_mb, vcpu, memory_gb):
    assert fargate_task_size(memory_mb) == (D(vcpu), D(memory_gb))


def test_fargate_cost_by_hand_one_task():
    inputs = LambdaInputs(requests=3_000_000, duration_ms=D(120), memory_mb=1536)
    f = fargate_monthly_cost(inputs)
    # 3,000,000 × 0.12 s = 360,000 busy seconds of 2,628,000 in a month: one task.
    assert f.average_concurrency.quantize(D("0.000001")) == D("0.136986")
    assert f.tasks == 1
    assert (f.vcpu, f.memory_gb) == (1, 2)
    assert f.task_hourly_usd == D("0.04048") + 2 * D("0.004445") == D("0.04937")
    assert f.monthly_usd == D("0.04937") * 730 == D("36.0401")
    assert f.steps()[-1] == "1 task × $0.04937 × 730 h = $36.04"


def test_fargate_cost_by_hand_several_arm_tasks():
    inputs = LambdaInputs(
        requests=100_000_000, duration_ms=D(100), memory_mb=256, arch="arm64", free_tier=False
    )
    f = fargate_monthly_cost(inputs)
    # 10,000,000 busy seconds / 2,628,000 = 3.8 -> 4 tasks of 0.25 vCPU and 0.5 GB.
    assert f.tasks == 4
    assert (f.vcpu, f.memory_gb) == (D("0.25"), D("0.5"))
    assert f.task_hourly_usd == D("0.25") * D("0.03238") + D("0.5") * D("0.00356")
    assert f.monthly_usd == 4 * D("0.009875") * 730 == D("28.835")


def test_fargate_tasks_follow_the_average_load():
    month_ms = 730 * 3600 * 1000
    assert fargate_tasks(0, D(100)) == 1
    assert fargate_tasks(month_ms // 100, D(100)) == 1  # exactly one task busy all month
    assert fargate_tasks(month_ms // 100 + 1, D(100)) == 2


@pytest.mark.parametrize(
    ("arch", "instance", "monthly"),
    [("x86_64", "t3.micro", "7.592"), ("arm64", "t4g.small", "12.264")],
)
def test_a_light_load_is_one_smallest_instance_all_month(arch, instance, monthly):
    # The fact sheet's instances (aws-facts.md): a 128 MB function busy 14% of the time.
    e = ec2_monthly_cost(
        LambdaInputs(requests=3_000_000, duration_ms=D(120), memory_mb=128, arch=arch)
    )
    assert e.instance_type == instance
    assert e.instances == 1
    assert e.hours == 730
    assert e.monthly_usd == D(monthly)


def test_ec2_x86_by_hand():
    e = ec2_monthly_cost(LambdaInputs(requests=0, duration_ms=D(120), memory_mb=128))
    assert e.monthly_usd == D("0.0104") * 730 == D("7.592")
    assert e.steps()[-1] == "1 × t3.micro × $0.0104 per hour × 730 h = $7.59"


def test_ec2_is_sized_to_the_load():
    # The case: 50M requests of 120 ms at 1.5 GB. Average concurrency
    # 50M × 0.12 s ÷ 2,628,000 s = 2.28, so 3 requests in flight × 1,536 MB = 4,608 MB, and
    # 2.28 × 1,536/1,769 = 1.98 vCPU busy. A t3.micro (512 MB usable, 0.2 baseline vCPU) would
    # need 10 for the CPU, $75.92; one m5.large (7,680 MB usable, 2 vCPU) holds it all: $70.08.
    inputs = LambdaInputs(requests=50_000_000, duration_ms=D(120), memory_mb=1536)
    e = ec2_monthly_cost(inputs)
    assert e.in_flight == 3
    assert e.memory_needed_mb == 4608
    assert round(e.vcpu_needed, 2) == D("1.98")
    assert (e.instances, e.instance_type) == (1, "m5.large")
    assert e.fleet == "1 × m5.large"
    assert e.monthly_usd == D("0.096") * 730 == D("70.08")
    assert e.steps() == [
        "Average concurrency 2.28: 4,608 MB for 3 in flight and 1.98 vCPU busy",
        "m5.large (2 vCPU, 8 GiB) gives 7,680 MB and 2 vCPU: 1 × m5.large needed",
        "1 × m5.large × $0.096 per hour × 730 h = $70.08",
    ]


@pytest.mark.parametrize(
    ("requests", "memory_mb", "fleet"),
    [
        (0, 10240, "1 × m5.xlarge"),  # one 10 GB request in flight: 15,872 MB usable, one box
        (3_000_000, 1536, "1 × m5.large"),  # 1,536 MB does not fit a t3.micro's 512 MB
        (500_000_000, 1536, "5 × m5.xlarge"),  # 23 in flight, 19.8 vCPU busy: CPU decides
        (10**10, 128, "17 × m5.large"),  # 457 in flight × 128 MB, 33 vCPU busy: CPU again
    ],
)
def test_ec2_fleet_covers_memory_and_cpu(requests, memory_mb, fleet):
    inputs = LambdaInputs(requests=requests, duration_ms=D(120), memory_mb=memory_mb)
    e = ec2_monthly_cost(inputs)
    assert e.fleet == fleet
    assert e.instances * (e.instance.usable_mb // memory_mb) >= e.in_flight
    assert e.instances * e.instance.sustained_vcpu >= e.vcpu_needed
    # Cheapest: no other type covers the same load for less.
    for other in PRICES.ec2["x86_64"]:
        if other.usable_mb < memory_mb:
            continue
        count = max(
            1,
            math.ceil(e.in_flight / (other.usable_mb // memory_mb)),
            math.ceil(e.vcpu_needed / other.sustained_vcpu),
        )
        assert count * other.per_hour >= e.instance.per_hour * e.instances


def test_ec2_cost_never_falls_as_requests_grow():
    inputs = LambdaInputs(requests=0, duration_ms=D(250), memory_mb=2048, arch="arm64")
    points = default_request_points(10**9)
    costs = [p.ec2_usd for p in cost_curves(inputs, points)]
    assert costs == sorted(costs)
    assert costs[-1] > costs[0]  # it grows with the load now


# --- Curves and break-even ----------------------------------------------------------------------


EXAMPLE = LambdaInputs(requests=3_000_000, duration_ms=D(120), memory_mb=1536)


def test_default_request_points():
    points = default_request_points(3_000_000)
    assert points == sorted(set(points))
    assert 24 <= len(points) <= 27
    assert points[0] == 100_000
    assert points[-1] == 10**9
    assert 3_000_000 in points

    big = default_request_points(50_000_000)
    assert big[-1] == 5 * 10**9
    assert 50_000_000 in big

    small = default_request_points(500)
    assert small[0] == 500
    assert 0 not in default_request_points(0)
    assert default_request_points(REQUESTS_MAX)[-1] == REQUESTS_MAX


def test_cost_curves_lambda_rises_and_always_on_is_flat_or_stepped():
    points = default_request_points(EXAMPLE.requests)
    curve = cost_curves(EXAMPLE, points)
    assert [p.requests for p in curve] == points
    assert all(isinstance(p, CurvePoint) for p in curve)
    lambdas = [p.lambda_usd for p in curve]
    fargates = [p.fargate_usd for p in curve]
    assert lambdas == sorted(lambdas)
    assert lambdas[0] == 0  # 100,000 requests is inside the free tier
    assert lambdas[-1] > lambdas[0]
    assert fargates == sorted(fargates)
    ec2s = [p.ec2_usd for p in curve]
    assert ec2s == sorted(ec2s)
    assert ec2s[0] == D("70.08")  # a 1,536 MB function needs an m5.large from the start
    at_current = curve[points.index(EXAMPLE.requests)]
    assert at_current.lambda_usd == lambda_cost(EXAMPLE).total_usd
    assert at_current.fargate_usd == fargate_monthly_cost(EXAMPLE).monthly_usd


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_lambda_cost_is_monotonic_across_tiers(arch):
    inputs = LambdaInputs(requests=0, duration_ms=D(1000), memory_mb=10240, arch=arch)
    points = [0, 10**5, 10**6, 10**7, 6 * 10**8, 10**9, 15 * 10**8, 2 * 10**9, 10**10, 10**12]
    costs = [p.lambda_usd for p in cost_curves(inputs, points)]
    assert costs == sorted(costs)


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("memory_mb", [128, 1536, 10240])
def test_break_even_against_ec2(arch, memory_mb):
    inputs = replace(EXAMPLE, arch=arch, memory_mb=memory_mb)
    n = break_even_requests(inputs, "ec2")
    assert n is not None
    assert lambda_usd(inputs, n) >= ec2_usd(inputs, n)
    assert lambda_usd(inputs, n - 1) < ec2_usd(inputs, n - 1)
    for point in cost_curves(inputs, default_request_points(n)):
        if point.requests < n:
            assert point.lambda_usd < point.ec2_usd


def test_break_even_against_ec2_for_the_example():
    n = break_even_requests(EXAMPLE, "ec2")
    # Free tiers first, then 0.18 GB-s × $0.0000166667 + $0.0000002 a request reach one
    # m5.large ($70.08), which holds the load until well past that point.
    assert ec2_monthly_cost(replace(EXAMPLE, requests=n)).fleet == "1 × m5.large"
    assert lambda_usd(EXAMPLE, n) >= D("70.08") > lambda_usd(EXAMPLE, n - 1)
    # By hand: (n - 1M) × $0.0000002 + (0.18 n - 400,000) × $0.0000166667 >= $70.08
    # gives n >= 76.9467 / 0.0000032000 = about 24,045,79x.
    assert n == 24_045_793


def reference_ec2_break_even(inputs: LambdaInputs, points: int) -> int | None:
    """Scan a fine grid for the first point where Lambda >= EC2, then bisect below it: slow,
    obviously right when the grid is fine enough not to skip a crossing."""
    grid = [round(10 ** (5 + 7 * i / points)) for i in range(points + 1)]
    previous = 0
    for n in grid:
        if lambda_usd(inputs, n) >= ec2_usd(inputs, n):
            low, high = previous, n
            while low < high:  # the gap is monotone within one EC2 step at these grid sizes
                middle = (low + high) // 2
                if lambda_usd(inputs, middle) >= ec2_usd(inputs, middle):
                    high = middle
                else:
                    low = middle + 1
            return low
        previous = n
    return None


@pytest.mark.parametrize(
    "inputs",
    [
        EXAMPLE,
        LambdaInputs(requests=0, duration_ms=D(120), memory_mb=128),
        LambdaInputs(requests=0, duration_ms=D(2000), memory_mb=4096, arch="arm64"),
        LambdaInputs(requests=0, duration_ms=D(30), memory_mb=256, free_tier=False),
    ],
)
def test_break_even_against_ec2_is_the_first_crossing(inputs):
    assert break_even_requests(inputs, "ec2") == reference_ec2_break_even(inputs, 4000)


def reference_fargate_break_even(inputs: LambdaInputs, max_steps: int) -> int | None:
    """Step by step through Fargate's staircase: slow, obviously right."""
    per_task = fargate_usd(inputs, 0)
    month_ms = Fraction(730 * 3600 * 1000)
    first = 0
    for k in range(1, max_steps + 1):
        last = min(math.floor(k * month_ms / Fraction(inputs.duration_ms)), BREAK_EVEN_LIMIT)
        if lambda_usd(inputs, last) >= k * per_task:
            low, high = first, last
            while low < high:
                middle = (low + high) // 2
                if lambda_usd(inputs, middle) >= k * per_task:
                    high = middle
                else:
                    low = middle + 1
            return low
        if last == BREAK_EVEN_LIMIT:
            return None
        first = last + 1
    raise AssertionError("reference gave up")


@pytest.mark.parametrize(
    "inputs",
    [
        EXAMPLE,
        replace(EXAMPLE, arch="arm64", storage_mb=2048),
        LambdaInputs(requests=0, duration_ms=D(140), memory_mb=128),  # crosses at 32 tasks
        LambdaInputs(requests=0, duration_ms=D(110), memory_mb=128, arch="arm64"),
        LambdaInputs(requests=0, duration_ms=D("50.5"), memory_mb=300, free_tier=False),
        LambdaInputs(requests=0, duration_ms=D(900_000), memory_mb=10240, arch="arm64"),
    ],
)
def test_break_even_against_fargate_is_the_first_crossing(inputs):
    n = break_even_requests(inputs, "fargate")
    assert n == reference_fargate_break_even(inputs, max_steps=200)
    assert lambda_usd(inputs, n) >= fargate_usd(inputs, n)
    assert lambda_usd(inputs, n - 1) < fargate_usd(inputs, n - 1)
    for point in cost_curves(inputs, default_request_points(n)):
        if point.requests < n:
            assert point.lambda_usd < point.fargate_usd


def test_break_even_against_fargate_does_not_land_on_a_later_crossing():
    # Lambda passes one task's cost, then Fargate adds a task and is dearer again, and so on:
    # "Lambda >= Fargate" is not monotonic, so this must be the first crossing, at 32 tasks.
    inputs = LambdaInputs(requests=0, duration_ms=D(140), memory_mb=128)
    n = break_even_requests(inputs, "fargate")
    assert n == 600_380_603
    assert fargate_tasks(n, inputs.duration_ms) == 32


@pytest.mark.parametrize(
    "inputs",
    [
        LambdaInputs(requests=0, duration_ms=D(1000), memory_mb=128),
        LambdaInputs(requests=0, duration_ms=D(900_000), memory_mb=128, arch="arm64"),
    ],
)
def test_break_even_against_fargate_none_when_lambda_stays_cheaper(inputs):
    # 128 MB for a second costs Lambda less per hour of work than the smallest Fargate task.
    assert break_even_requests(inputs, "fargate") is None
    assert lambda_usd(inputs, BREAK_EVEN_LIMIT) < fargate_usd(inputs, BREAK_EVEN_LIMIT)


def test_break_even_none_when_beyond_the_limit():
    prices = replace(
        PRICES,
        ec2={
            arch: tuple(replace(price, per_hour=D(10**9)) for price in PRICES.ec2[arch])
            for arch in ARCHITECTURES
        },
    )
    assert break_even_requests(EXAMPLE, "ec2", prices) is None


def test_break_even_rejects_unknown_options():
    with pytest.raises(ValueError, match="fargate"):
        break_even_requests(EXAMPLE, "lightsail")


@pytest.mark.parametrize("memory_mb", MEMORY_PRESETS_MB)
def test_break_even_for_every_preset_is_consistent(memory_mb):
    inputs = replace(EXAMPLE, memory_mb=memory_mb)
    for against, always_on in (
        ("ec2", lambda n: ec2_usd(inputs, n)),
        ("fargate", lambda n: fargate_usd(inputs, n)),
    ):
        n = break_even_requests(inputs, against)
        if n is not None:
            assert lambda_usd(inputs, n) >= always_on(n)
            assert lambda_usd(inputs, n - 1) < always_on(n - 1)


# --- The price table, assumptions and display ---------------------------------------------------


def test_price_table_is_dated_and_sourced():
    assert PRICES.region == "us-east-1"
    assert PRICES.as_of == date(2025, 10, 1)
    assert PRICES.lambda_source.url == "https://aws.amazon.com/lambda/pricing/"
    assert PRICES.fargate_source.url == "https://aws.amazon.com/fargate/pricing/"
    assert PRICES.ec2_source.url == "https://aws.amazon.com/ec2/pricing/on-demand/"
    assert PRICES.lambda_request * 1_000_000 == D("0.20")
    assert PRICES.free_requests == 1_000_000
    assert PRICES.free_gb_seconds == 400_000
    assert PRICES.hours_per_month == 730
    for arch in ARCHITECTURES:
        tiers = PRICES.duration_tiers(arch)
        assert tiers[-1].up_to_gb_seconds is None
        prices = [t.price_per_gb_second for t in tiers]
        assert prices == sorted(prices, reverse=True)
    with pytest.raises(ValueError):
        PRICES.duration_tiers("sparc")


def test_a_different_price_table_changes_the_answer():
    cheaper = replace(PRICES, lambda_request=D("0.0000001"))
    b = lambda_cost(EXAMPLE, cheaper)
    assert b.request_usd == D("0.20")
    assert "$0.10 per million" in b.steps()[3]


def test_comparison_assumptions_are_plain_sentences():
    assert len(COMPARISON_ASSUMPTIONS) >= 4
    text = " ".join(COMPARISON_ASSUMPTIONS)
    for fact in ("t3.micro", "t4g.small", "730 hours", "1,769 MB", "INIT", "us-east-1"):
        assert fact in text
    assert all(sentence.endswith(".") for sentence in COMPARISON_ASSUMPTIONS)


@pytest.mark.parametrize(
    ("amount", "places", "expected"),
    [
        (D("2.733338"), None, "$2.73"),
        (D("106.411412"), None, "$106.41"),
        (D("0.005"), 2, "$0.01"),
        (D("1234567.891"), None, "$1,234,567.89"),
        (D(0), None, "$0.00"),
        (7, None, "$7.00"),
        (D("0.0000166667"), None, "$0.0000166667"),
        (D("0.0000002"), None, "$0.0000002"),
        (D("0.000003200006"), None, "$0.00000320001"),
        (D("-2.5"), None, "-$2.50"),
        (D("-0.001"), 2, "$0.00"),
        (D("7.592"), 3, "$7.592"),
    ],
)
def test_format_usd(amount, places, expected):
    assert format_usd(amount, places) == expected


def test_format_price_keeps_every_published_digit():
    assert format_price(D("0.0000150000")) == "$0.0000150000"
    assert format_price(D("0.0104")) == "$0.0104"
    assert format_price(D("0.04048")) == "$0.04048"
    assert format_price(D(5)) == "$5.00"


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (3_000_000, None, "3,000,000"),
        (D("540000.000"), None, "540,000"),
        (D("1.5"), None, "1.5"),
        (D("0.9765625"), None, "0.9765625"),
        (D("0.12"), 3, "0.120"),
        (D("1234.5678"), 2, "1,234.57"),
        (0, None, "0"),
        (D("1E+5"), None, "100,000"),
    ],
)
def test_format_number(value, places, expected):
    assert format_number(value, places) == expected
