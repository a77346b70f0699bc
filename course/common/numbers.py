"""Numbers as people type them: the one parser behind the calculator and numeric quiz answers.

Pure (no Django). Accepts 3200000, 3,200,000, 3 200 000, 3_200_000, 3.2M, 3.2 million, 250k,
2B, 3.2e6, -3, .5 and a leading $; refuses decimal commas (2,47 could mean 2.47 or 247), words,
NaN and infinity, with a message that says what to type instead. Callers check ranges and
wholeness themselves, since only they know what the number is for.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

MAX_CHARS = 40  # longer than any number a person types; the calculator echoes at most 60
EXAMPLES = "3200000, 3,200,000, 3 200 000, 3.2M or 3.2e6"
SUFFIXES = {
    "": 1,
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "million": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
}
_SPACES = " \u00a0\u2009\u202f"  # space, no-break space, thin spaces (as some locales group)
_SEPARATORS = ",_" + _SPACES
_NUMBER_RE = re.compile(
    rf"(?P<sign>[-+\u2212])?\$?"
    rf"(?P<int>[0-9]{{1,3}}(?:(?P<sep>[{_SEPARATORS}])[0-9]{{3}})(?:(?P=sep)[0-9]{{3}})*|[0-9]+)?"
    rf"(?:\.(?P<frac>[0-9]*))?"
    rf"(?:e(?P<exp>[-+]?[0-9]{{1,3}}))?"
    rf"[{_SPACES}]*(?P<suffix>[a-z]*)",
    re.ASCII | re.IGNORECASE,
)

EMPTY_MESSAGE = f"Enter a number, like {EXAMPLES}."
TOO_LONG_MESSAGE = f"That is too long to be a number: use at most {MAX_CHARS} characters."
NOT_A_NUMBER_MESSAGE = (
    f"That isn't a number we can read. Write it like {EXAMPLES}: digits, a point for decimals, "
    "commas or spaces only between groups of three digits."
)
SUFFIX_MESSAGE = (
    f"Use k for thousand, M for million or B for billion (or no letter), like {EXAMPLES}."
)


class NumberError(ValueError):
    """The message says, in words for the person who typed it, what to write instead."""


def parse_number(text: str) -> Decimal:
    """What a person typed -> the exact Decimal it means, or NumberError."""
    if not isinstance(text, str):
        raise NumberError(EMPTY_MESSAGE)
    cleaned = text.strip()
    if not cleaned:
        raise NumberError(EMPTY_MESSAGE)
    if len(cleaned) > MAX_CHARS:
        raise NumberError(TOO_LONG_MESSAGE)
    match = _NUMBER_RE.fullmatch(cleaned)
    if match is None or not (match["int"] or match["frac"]):
        raise NumberError(NOT_A_NUMBER_MESSAGE)
    multiplier = SUFFIXES.get(match["suffix"].lower())
    if multiplier is None:
        raise NumberError(SUFFIX_MESSAGE)
    digits = (match["int"] or "0").translate({ord(c): None for c in _SEPARATORS})
    sign = "-" if match["sign"] in ("-", "\u2212") else ""
    literal = f"{sign}{digits}.{match['frac'] or '0'}e{match['exp'] or '0'}"
    # Enough precision that no digit anyone can type within MAX_CHARS is ever rounded away.
    with localcontext() as context:
        context.prec = 4 * MAX_CHARS
        try:
            return Decimal(literal) * multiplier
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            raise NumberError(NOT_A_NUMBER_MESSAGE) from None


def parse_id(raw: str) -> int | None:
    """A database id posted or put in a query string, or None if it is not one.

    ASCII digits only: str.isdigit() is also true for "²" (int() raises) and "٣" (int() accepts),
    and 18 digits keep it inside a 64-bit primary key, so lookups never overflow.
    """
    if not raw or len(raw) > 18 or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)
