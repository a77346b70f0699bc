"""The one number parser: calculator inputs and numeric quiz answers read numbers alike."""

import random
from decimal import Decimal

import pytest

from course import pricing
from course.common import numbers
from quizzes import grading

ACCEPTED = [
    ("3200000", "3200000"),
    ("3,200,000", "3200000"),
    ("3 200 000", "3200000"),
    ("3\u202f200\u202f000", "3200000"),
    ("3\u00a0200\u00a0000", "3200000"),
    ("3_200_000", "3200000"),
    ("3.2M", "3200000"),
    ("3.2m", "3200000"),
    ("3.2 M", "3200000"),
    ("3.2 million", "3200000"),
    ("3.2mn", "3200000"),
    ("3.2e6", "3200000"),
    ("3.2E6", "3200000"),
    ("3.2e+6", "3200000"),
    ("32e-1", "3.2"),
    ("250k", "250000"),
    ("250K", "250000"),
    ("250 thousand", "250000"),
    ("2B", "2000000000"),
    ("2 bn", "2000000000"),
    ("1.5 billion", "1500000000"),
    ("1,234.5", "1234.5"),
    (".5", "0.5"),
    ("2.", "2"),
    ("-3", "-3"),
    ("\u22123", "-3"),
    ("+3", "3"),
    ("$2.47", "2.47"),
    ("  42  ", "42"),
    ("0.0000166667", "0.0000166667"),
    ("0.000001M", "1"),
]

REFUSED = [
    ("", numbers.EMPTY_MESSAGE),
    ("   ", numbers.EMPTY_MESSAGE),
    ("abc", numbers.NOT_A_NUMBER_MESSAGE),
    ("NaN", numbers.NOT_A_NUMBER_MESSAGE),
    ("inf", numbers.NOT_A_NUMBER_MESSAGE),
    ("-Infinity", numbers.NOT_A_NUMBER_MESSAGE),
    ("2,47", numbers.NOT_A_NUMBER_MESSAGE),
    ("1,23,456", numbers.NOT_A_NUMBER_MESSAGE),
    ("3,000 000", numbers.NOT_A_NUMBER_MESSAGE),
    ("12..5", numbers.NOT_A_NUMBER_MESSAGE),
    ("1-2", numbers.NOT_A_NUMBER_MESSAGE),
    ("0x10", numbers.NOT_A_NUMBER_MESSAGE),
    ("١٢٣", numbers.NOT_A_NUMBER_MESSAGE),
    ("３", numbers.NOT_A_NUMBER_MESSAGE),
    ("M", numbers.NOT_A_NUMBER_MESSAGE),
    ("3x", numbers.SUFFIX_MESSAGE),
    ("3 megabytes", numbers.SUFFIX_MESSAGE),
    ("1e", numbers.SUFFIX_MESSAGE),
    ("9" * 41, numbers.TOO_LONG_MESSAGE),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepts_what_people_type(text, expected):
    assert numbers.parse_number(text) == Decimal(expected)


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refuses_with_a_message_that_says_what_to_type(text, message):
    with pytest.raises(numbers.NumberError) as error:
        numbers.parse_number(text)
    assert str(error.value) == message


def test_every_message_shows_the_forms_it_accepts():
    for message in (numbers.EMPTY_MESSAGE, numbers.NOT_A_NUMBER_MESSAGE, numbers.SUFFIX_MESSAGE):
        assert "3,200,000" in message and "3.2M" in message and "3.2e6" in message


def test_any_whole_number_written_any_way_reads_back_exactly():
    """A property test without Hypothesis (not installed): seeded, so a failure repeats."""
    rng = random.Random(2026)
    for _ in range(2000):
        value = rng.randrange(0, 10**12)
        grouped = f"{value:,}"
        writings = [
            str(value),
            grouped,
            grouped.replace(",", " "),
            grouped.replace(",", "_"),
            f"{Decimal(value) / 10**6}M",
            f"{Decimal(value) / 10**3}k",
            f"{Decimal(value) / 10**9} B",
            f"{Decimal(value).normalize():E}",
        ]
        for text in writings:
            assert numbers.parse_number(text) == value, text


@pytest.mark.parametrize("text", [text for text, value in ACCEPTED if Decimal(value) >= 0])
def test_the_calculator_and_quiz_answers_read_the_same_number(text):
    quiz = grading.parse_number(text)
    try:
        requests = pricing.parse_request_count(text)
    except ValueError as error:  # only fractions of a request are the calculator's own refusal
        assert "whole number" in str(error)
    else:
        assert quiz == requests


@pytest.mark.parametrize(("text", "message"), [r for r in REFUSED if r[0].strip()])
def test_the_calculator_and_quiz_answers_refuse_with_the_same_words(text, message):
    with pytest.raises(ValueError) as calculator:
        pricing.parse_request_count(text)
    with pytest.raises(grading.NumberError) as quiz:
        grading.parse_number(text)
    assert str(calculator.value) == str(quiz.value) == message


def test_the_calculator_takes_exponents_and_decimals_of_millions():
    inputs, errors = pricing.validate_lambda_params(
        {"requests": "3.2e6", "duration_ms": "1.2k", "memory_mb": "1,024"}
    )
    assert errors == {}
    assert (inputs.requests, inputs.duration_ms, inputs.memory_mb) == (3_200_000, 1200, 1024)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("0", 0), ("", None), ("²", None), ("٣", None), ("1²", None), ("-1", None)]
    + [(" 1", None), ("9" * 18, int("9" * 18)), ("9" * 19, None), ("9" * 5000, None)],
)
def test_parse_id_takes_ascii_digits_only(raw, expected):
    assert numbers.parse_id(raw) == expected


def test_contains_nul_looks_into_json():
    from course.common.text import contains_nul

    assert contains_nul("a\x00") and contains_nul({"k": ["x", {"y": "\x00"}]})
    assert contains_nul({"\x00": 1}) and contains_nul(("\x00",))
    assert not contains_nul("a\\u0000") and not contains_nul({"a": [1, None, "b"]})
