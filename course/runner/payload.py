"""Check a handler's response is standard JSON without turning it into Python objects.

A 6 MB response such as ``[{}, {}, ...]`` costs the sandbox almost nothing, but ``json.loads``
builds two million dicts from it (about 150 MB and 0.2 s) and pretty-printing it costs seconds.
The runner keeps the response as the raw text it arrived as and only needs to know that text
is standard JSON (RFC 8259, and the I-JSON rules of RFC 7493 that matter to clients: no NaN or
Infinity, no number that overflows a double, no lone UTF-16 surrogate), so it can be spliced
into the API's answer as it is.

How, at C speed and with memory bounded by a few copies of the text: every string is checked by
one regular expression and replaced by ``""``; every array is wrapped in a one-key object; then
``json.loads`` checks the grammar with hooks that turn every object and number into a small
cached int, so no container ever holds more than cached singletons. The arrays' wrapping and the
objects' keys (all ``""`` now, so each dict has at most one entry) keep the memory to 8 bytes per
element of the containers open at any moment.
"""

from __future__ import annotations

import json
import re

# A JSON string: no raw control characters, only the escapes RFC 8259 lists. UTF-8 validity of
# the bytes in between is checked separately (one C-speed decode). Possessive quantifiers: a
# 6 MB string is one run, matched without a backtracking stack.
_STRING_BODY = rb'"[^"\\\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+"'
_STRING = re.compile(_STRING_BODY)
# Up to 4096 whole tokens (strings, or runs of anything but a quote): re.sub builds a list of
# every piece before joining them, a million strings would cost 200 MB in one call, so the
# text is rewritten a chunk at a time, each chunk ending outside any string.
_CHUNK = re.compile(rb"(?:" + _STRING_BODY + rb'|[^"]++){1,4096}+')
# Surrogate escapes, and the pairs that make a valid character, for the (rare) second look.
_ANY_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_ESCAPED_BACKSLASH_OR_PAIR = re.compile(
    rb"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
# A number overflows a double only with a 3-digit exponent or 100+ digits before it.
_EXPONENT_3_DIGITS = re.compile(rb"[eE]\+?0*[1-9][0-9]{2}")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


class NotStandardJSON(ValueError):
    """The text is not standard JSON; the message says why, in words for a learner."""


class Unreturnable(NotStandardJSON):
    """Well-formed for a lenient parser (Python's json module, which the Python runtime uses)
    but not standard: NaN, Infinity, a number too large for a double, a lone surrogate."""


class TooDeep(Unreturnable):
    """Nested deeper than the checker (Python's C parser and its recursion limit) can follow."""


def _constant(name: str):
    raise Unreturnable(f"{name} is not a JSON value (standard JSON has no NaN or Infinity)")


def _finite_float(text: str) -> int:
    if float(text) in (float("inf"), float("-inf")):
        raise Unreturnable(f"the number {text[:40]} is too large for a double")
    return 0


def has_lone_surrogate(raw: bytes) -> bool:
    """True if a ``\\uD800``-``\\uDFFF`` escape in the (valid JSON) text is not half of a pair."""
    if not _ANY_SURROGATE.search(raw):
        return False
    # Scanning left to right, escaped backslashes and valid pairs are consumed first, so what
    # remains of a surrogate escape is a real, unpaired one.
    return bool(_ANY_SURROGATE.search(_ESCAPED_BACKSLASH_OR_PAIR.sub(b"", raw)))


def skeleton(raw: bytes) -> bytes:
    """The text with every string replaced by ``""``: what is left is ASCII.

    Raises NotStandardJSON when the bytes are not UTF-8 or a string is malformed."""
    if not raw.isascii():
        try:
            raw.decode("utf-8")  # strict: no invalid bytes, no encoded surrogates
        except UnicodeDecodeError as exc:
            raise NotStandardJSON(f"the response is not UTF-8 (byte {exc.start})") from None
    pieces = []
    view = memoryview(raw)
    pos = 0
    while pos < len(raw):
        chunk = _CHUNK.match(raw, pos)
        if chunk is None:  # a quote that starts no valid string
            raise NotStandardJSON("the response has a malformed string")
        pieces.append(_STRING.sub(b'""', view[pos : chunk.end()]))
        pos = chunk.end()
    return b"".join(pieces)


def _might_overflow(shape: bytes) -> bool:
    """True if some number may not fit in a double (then every float is checked in Python)."""
    if b"0" * 100 in shape.translate(_DIGITS_AS_ZERO):
        return True
    # "e" is also in true and false: look for exponents only when there may be one.
    exponents = shape.count(b"e") - shape.count(b"true") - shape.count(b"false")
    return (exponents > 0 or b"E" in shape) and bool(_EXPONENT_3_DIGITS.search(shape))


def check(raw: bytes, *, allow_lone_surrogates: bool = False) -> int:
    """Raise NotStandardJSON unless ``raw`` is one standard JSON value; return how many arrays
    and objects it holds. For the worst 6 MB response this costs about 100 ms and 40 MB of
    transient memory, and it never builds the value."""
    shape = skeleton(raw)
    containers = shape.count(b"[") + shape.count(b"{")
    if not allow_lone_surrogates and has_lone_surrogate(raw):
        raise Unreturnable(
            "a string holds a lone UTF-16 surrogate (such as \\ud800), which is not a character"
        )
    parse_float = _finite_float if _might_overflow(shape) else len
    try:
        text = shape.decode("ascii")
    except UnicodeDecodeError:
        raise NotStandardJSON("the response has characters outside any string") from None
    del shape
    # Empty arrays become " null" (the space keeps "1[]" invalid, as "[].5" stays too), the
    # others {"": [...]}: each list is freed as soon as its array closes.
    text = text.replace("[]", " null").replace("[", '{"":[').replace("]", "]}")
    try:
        json.loads(
            text,
            object_hook=len,
            parse_int=len,
            parse_float=parse_float,
            parse_constant=_constant,
        )
    except RecursionError:
        raise TooDeep("the response is nested too deeply") from None
    except NotStandardJSON:
        raise
    except ValueError as exc:
        raise NotStandardJSON(f"the response is not valid JSON ({exc.msg})") from None
    return containers
