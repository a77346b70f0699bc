"""Grading: a pure function of a question's spec and a learner's answer. No Django here.

Choice questions (single, multiple and true/false, whose two options are stored as choices
too) are graded on the set of choice ids picked; numeric questions on a Decimal within the
question's tolerance. Score arithmetic stays in integers so a pass mark is never missed by a
rounding error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from course.common import numbers

SINGLE = "single"
MULTIPLE = "multiple"
TRUEFALSE = "truefalse"
NUMERIC = "numeric"
TYPES = (SINGLE, MULTIPLE, TRUEFALSE, NUMERIC)
CHOICE_TYPES = (SINGLE, MULTIPLE, TRUEFALSE)

NUMBER_MAX_CHARS = 64
NUMBER_PLACES = 10  # what the database keeps; enough for a per-GB-second price
NUMBER_LIMIT = Decimal(10) ** 15  # 25 digits in all, 10 of them after the point
_QUANTUM = Decimal(1).scaleb(-NUMBER_PLACES)


@dataclass(frozen=True)
class QuestionSpec:
    type: str
    correct: frozenset[int] = field(default_factory=frozenset)  # ids of the correct choices
    answer: Decimal | None = None  # numeric questions
    tolerance: Decimal = Decimal(0)


@dataclass(frozen=True)
class Response:
    choices: frozenset[int] = field(default_factory=frozenset)
    number: Decimal | None = None

    @property
    def is_empty(self) -> bool:
        return not self.choices and self.number is None


def grade(spec: QuestionSpec, response: Response) -> bool:
    """True when the response earns the question's one mark.

    "Select all that apply" is all or nothing: exactly the correct set, no more, no fewer.
    """
    if spec.type in (SINGLE, TRUEFALSE):
        return len(response.choices) == 1 and response.choices == spec.correct
    if spec.type == MULTIPLE:
        return bool(response.choices) and response.choices == spec.correct
    if spec.type == NUMERIC:
        if response.number is None or spec.answer is None:
            return False
        return abs(response.number - spec.answer) <= spec.tolerance
    raise ValueError(f"unknown question type {spec.type!r}")


NumberError = numbers.NumberError


def parse_number(raw: str) -> Decimal:
    """What a learner typed -> Decimal, or NumberError with a message for them.

    The calculator's parser (course/common/numbers.py), so an answer of 3.2M, 3,200,000,
    3 200 000 or 3.2e6 is read here exactly as the calculator reads it, and refused with the same
    words; then kept to the ten decimal places the database stores.
    """
    value = numbers.parse_number(raw)
    if abs(value) >= NUMBER_LIMIT:
        raise NumberError("That number is too large for this question.")
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def score(results: Iterable[bool | None]) -> int:
    return sum(1 for result in results if result)


def percent(points: int, max_points: int) -> int:
    """Whole percent, rounded half up: 2 of 3 -> 67."""
    if max_points <= 0:
        return 0
    return (200 * points + max_points) // (2 * max_points)


def passed(points: int, max_points: int, pass_mark: int) -> bool:
    """Exact: 7 of 10 reaches a 70% pass mark, 69 of 100 does not."""
    return max_points > 0 and points * 100 >= pass_mark * max_points


def lesson_complete(
    is_read: bool,
    has_quiz: bool,
    best: tuple[int, int] | None,
    pass_mark: int,
    labs: tuple[int, int] = (0, 0),
) -> bool:
    """The one completion rule, for /progress/, the home outline and the teacher's matrix: the
    lesson is read, if it has a quiz the best submitted score (points, max points) reaches the
    pass mark, and every one of its labs is passed (``labs``: passed, total)."""
    if not is_read:
        return False
    labs_passed, labs_total = labs
    if labs_passed < labs_total:
        return False
    if not has_quiz:
        return True
    return best is not None and passed(*best, pass_mark)


def format_answer(value: Decimal, tolerance: Decimal | None = None) -> str:
    """A numeric answer for people: as many decimals as the tolerance, thousands grouped.

    2.46667 with tolerance 0.01 -> "2.47"; 3200000 with tolerance 0 -> "3,200,000".
    """
    value = Decimal(value)
    tolerance = Decimal(tolerance or 0)
    if tolerance > 0:
        places = max(0, -tolerance.normalize().as_tuple().exponent)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return f"{rounded:,.{places}f}"
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,f}"
    return f"{value.normalize():,f}"
