"""Grading is pure: no database, no Django."""

from decimal import Decimal

import pytest

from quizzes import grading
from quizzes.grading import QuestionSpec, Response


def choices(*ids):
    return Response(choices=frozenset(ids))


SINGLE = QuestionSpec(type="single", correct=frozenset({2}))
MULTIPLE = QuestionSpec(type="multiple", correct=frozenset({1, 3}))
TRUEFALSE = QuestionSpec(type="truefalse", correct=frozenset({10}))
NUMERIC = QuestionSpec(type="numeric", answer=Decimal("2.46667"), tolerance=Decimal("0.01"))
EXACT = QuestionSpec(type="numeric", answer=Decimal(147), tolerance=Decimal(0))


@pytest.mark.parametrize(
    ("response", "expected"),
    [(choices(2), True), (choices(1), False), (choices(), False), (choices(1, 2), False)],
)
def test_single_choice(response, expected):
    assert grading.grade(SINGLE, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (choices(1, 3), True),
        (choices(1), False),  # not all of them
        (choices(1, 2, 3), False),  # one too many
        (choices(2), False),
        (choices(), False),
    ],
)
def test_multiple_select_is_all_or_nothing(response, expected):
    assert grading.grade(MULTIPLE, response) is expected


def test_multiple_with_no_correct_choice_is_never_right_by_saying_nothing():
    spec = QuestionSpec(type="multiple", correct=frozenset())
    assert grading.grade(spec, choices()) is False


@pytest.mark.parametrize(
    ("response", "expected"), [(choices(10), True), (choices(11), False), (choices(), False)]
)
def test_true_false(response, expected):
    assert grading.grade(TRUEFALSE, response) is expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("2.47", True),
        ("2.46", True),
        ("2.45667", True),  # exactly at the tolerance
        ("2.4566", False),
        ("2.48", False),
        (None, False),
    ],
)
def test_numeric_within_tolerance(number, expected):
    response = Response(number=None if number is None else Decimal(number))
    assert grading.grade(NUMERIC, response) is expected


def test_numeric_exact():
    assert grading.grade(EXACT, Response(number=Decimal("147.0"))) is True
    assert grading.grade(EXACT, Response(number=Decimal("146.9999"))) is False


def test_numeric_without_an_answer_is_never_right():
    spec = QuestionSpec(type="numeric", answer=None)
    assert grading.grade(spec, Response(number=Decimal(1))) is False


def test_unknown_type_is_an_error():
    with pytest.raises(ValueError, match="unknown question type"):
        grading.grade(QuestionSpec(type="essay"), choices(1))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("1 234 567", "1234567"),
        ("  42  ", "42"),
        ("-3", "-3"),
        (".5", "0.5"),
        ("2.", "2"),
        ("$2.47", "2.47"),
        ("3,200,000", "3200000"),
        ("0.0000166667", "0.0000166667"),
        ("3.2M", "3200000"),
        ("3.2e6", "3200000"),
        ("3 200 000", "3200000"),
        ("250k", "250000"),
        ("1.5B", "1500000000"),
    ],
)
def test_parse_number_accepts(raw, expected):
    assert grading.parse_number(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "abc", "NaN", "nan", "inf", "-Infinity", "1e", "2,47", "1,23,456", "12..5", "1-2"],
)
def test_parse_number_rejects(raw):
    with pytest.raises(grading.NumberError):
        grading.parse_number(raw)


def test_parse_number_rejects_long_and_huge_input():
    with pytest.raises(grading.NumberError, match="at most 40 characters"):
        grading.parse_number("1" * 41)
    with pytest.raises(grading.NumberError, match="too large"):
        grading.parse_number("9" * 20)


def test_parse_number_keeps_ten_decimal_places():
    assert grading.parse_number("0.123456789012") == Decimal("0.1234567890")


def test_score_percent_and_pass_mark_are_exact():
    assert grading.score([True, False, None, True]) == 2
    assert grading.percent(2, 3) == 67
    assert grading.percent(1, 8) == 13  # 12.5 rounds half up
    assert grading.percent(0, 0) == 0
    assert grading.passed(7, 10, 70) is True
    assert grading.passed(69, 100, 70) is False
    assert grading.passed(12, 17, 70) is True  # 70.6%
    assert grading.passed(0, 0, 0) is False


@pytest.mark.parametrize(
    ("value", "tolerance", "shown"),
    [
        ("2.46667", "0.01", "2.47"),
        ("3200000", "0", "3,200,000"),
        ("9.6", "0.01", "9.60"),
        ("0.0000166667", "0", "0.0000166667"),
        ("540000.0000000000", None, "540,000"),
    ],
)
def test_format_answer(value, tolerance, shown):
    tolerance = None if tolerance is None else Decimal(tolerance)
    assert grading.format_answer(Decimal(value), tolerance) == shown


def test_grading_module_does_not_import_django():
    with open(grading.__file__) as module:
        source = module.read()
    assert "django" not in source.lower().replace("no django", "")
