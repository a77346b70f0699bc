"""Digits that are not ASCII 0-9, and numbers too big for int() or datetime: refused, never raised.

str.isdigit() and regex \\d are true for "²" and "٣"; int() refuses the first and accepts the
second, and AWS refuses both. A huge rate overflows datetime; 5000 digits overflow int().
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import check

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Decimal digits of other scripts (Arabic-Indic, Devanagari, fullwidth...) and digit-like
# characters that are not decimal at all (superscripts, circled numbers).
FOREIGN_DIGITS = st.characters(categories=["Nd"]).filter(
    lambda c: not c.isascii()
) | st.sampled_from("²³¹⁰①⑩")
FOREIGN_NUMBER = (
    st.lists(FOREIGN_DIGITS | st.sampled_from("0123456789"), min_size=1, max_size=6)
    .filter(lambda chars: not all(c.isascii() for c in chars))
    .map("".join)
)
HUGE_NUMBER = st.integers(10**12, 10**40).map(str) | st.just("9" * 5000)


def batch(memory: str, vcpu: str = "1") -> str:
    return json.dumps(
        {
            "jobDefinitionName": "resize",
            "type": "container",
            "containerProperties": {
                "image": "public.ecr.aws/docker/library/python:3.12",
                "resourceRequirements": [
                    {"type": "VCPU", "value": vcpu},
                    {"type": "MEMORY", "value": memory},
                ],
            },
        }
    )


def task(cpu: str, memory: str) -> str:
    return json.dumps(
        {
            "family": "web",
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": cpu,
            "memory": memory,
            "containerDefinitions": [{"name": "web", "image": "nginx", "essential": True}],
        }
    )


@pytest.mark.parametrize(
    "expression",
    [
        "rate(² minutes)",
        "cron(² * * * ? *)",
        "cron(0/² * * * ? *)",
        "cron(0 0 ² * ? *)",
        "cron(0 0 1 1 ? ²)",
        "rate(٣ minutes)",
        "cron(٣ * * * ? *)",
        "cron(0 0 ٣W * ? *)",
        "cron(0 0 ? * 2#٣ *)",
        "at(٢٠٣٠-01-01T00:00:00)",
        "rate(3000000 days)",
        "rate(99999999 days)",
        "rate(99999999999999999999999 minutes)",
        "rate(" + "9" * 5000 + " minutes)",
        "cron(0/" + "9" * 5000 + " * * * ? *)",
        "cron(0 0 1 1 ? " + "9" * 5000 + ")",
    ],
)
def test_schedule_refuses_foreign_digits_and_huge_values(expression):
    data = check("schedule-expression", expression, now=NOW)
    assert not data["valid"]


def test_a_rate_past_year_9999_says_so():
    data = check("schedule-expression", "rate(3000000 days)", now=NOW)
    assert "year 9999" in data["errors"][0]["message"]


def test_a_long_rate_that_still_fires_lists_only_real_times():
    data = check("schedule-expression", "rate(2147483647 minutes)", now=NOW)
    assert data["valid"] and data["info"]["next"] == ["6109-12-20T11:37:00Z"]


@pytest.mark.parametrize("memory", ["²", "٤٠٩٦", "9" * 5000, "99999999999999999999"])
def test_batch_memory_refuses_foreign_digits_and_huge_values(memory):
    data = check("batch-job-definition", batch(memory))
    assert not data["valid"]
    assert any("MEMORY" in issue["message"] for issue in data["errors"])


@pytest.mark.parametrize("vcpu", ["١", "9" * 5000])
def test_batch_vcpu_refuses_foreign_digits_and_huge_values(vcpu):
    assert not check("batch-job-definition", batch("2048", vcpu))["valid"]


@pytest.mark.parametrize(
    ("cpu", "memory"), [("٢٥٦", "٥١٢"), ("256", "٥١٢"), ("9" * 5000, "512"), ("256", "9" * 5000)]
)
def test_task_definition_refuses_foreign_digits_and_huge_values(cpu, memory):
    assert not check("ecs-task-definition", task(cpu, memory))["valid"]


@pytest.mark.parametrize("port", ["٨٠", "²", "9" * 5000, "80-" + "9" * 5000])
def test_expose_refuses_foreign_digits_and_huge_ports(port):
    data = check("dockerfile", f"FROM alpine:3\nEXPOSE {port}\n")
    assert not data["valid"]
    assert len(data["errors"][0]["message"]) < 100


def test_ascii_values_are_still_accepted():
    assert check("schedule-expression", "rate(5 minutes)", now=NOW)["valid"]
    assert check("batch-job-definition", batch("2048"))["valid"]
    assert check("ecs-task-definition", task("256", "512"))["valid"]
    assert check("dockerfile", "FROM alpine:3\nEXPOSE 80\n")["valid"]


# --- Properties: any foreign or huge number is refused, never raised ------------------------


@PROPERTY
@given(
    number=FOREIGN_NUMBER | HUGE_NUMBER,
    template=st.sampled_from(
        [
            "rate({} minutes)",
            "rate({} days)",
            "cron({} * * * ? *)",
            "cron(0/{} * * * ? *)",
            "cron(0 {} * * ? *)",
            "cron(0 0 {} * ? *)",
            "cron(0 0 ? * {} *)",
            "cron(0 0 1 {} ? *)",
            "cron(0 0 1 1 ? {})",
            "cron(0 0 {}W * ? *)",
            "cron(0 0 ? * 2#{} *)",
            "at({}-01-01T00:00:00)",
        ]
    ),
)
def test_schedule_numbers(number, template):
    assert not check("schedule-expression", template.format(number), now=NOW)["valid"]


@PROPERTY
@given(number=FOREIGN_NUMBER | HUGE_NUMBER)
def test_json_numbers(number):
    assert not check("batch-job-definition", batch(number))["valid"]
    assert not check("batch-job-definition", batch("2048", number))["valid"]
    assert not check("ecs-task-definition", task(number, "512"))["valid"]
    assert not check("ecs-task-definition", task("256", number))["valid"]


@PROPERTY
@given(number=FOREIGN_NUMBER | HUGE_NUMBER)
def test_expose_numbers(number):
    assert not check("dockerfile", f"FROM alpine:3\nEXPOSE {number}\n")["valid"]
