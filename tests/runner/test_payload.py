"""course.runner.payload: standard JSON checked without building the value (no sandbox needed)."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.runner.payload import NotStandardJSON, TooDeep, Unreturnable, check


def _refuse(name):
    raise ValueError(name)


def reference_ok(raw: bytes) -> bool:
    """The slow, obvious definition: strict UTF-8, Python's parser without NaN/Infinity, every
    float finite, and the value re-encodable as UTF-8 (no lone surrogate)."""
    try:
        text = raw.decode("utf-8")
        if text.startswith("\ufeff"):
            return False
        value = json.loads(text, parse_constant=_refuse)
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, RecursionError):
        return False
    return True


@pytest.mark.parametrize(
    "raw",
    [
        b"null",
        b" [1, -2.5e10, true, false, null] ",
        b'{"a": {"b": [[], {}, [ ], { }]}, "": ""}',
        b'"\\ud83d\\ude00 and \\\\ud800 (an escaped backslash, not a surrogate)"',
        '"caf\u00e9 \U0001f600"'.encode(),
        b"[1.5e308, 1e-400, 123456789012345678901234567890]",
        b'"[ ] { } , : inside a string"',
    ],
)
def test_standard_json_is_accepted(raw):
    check(raw)
    assert reference_ok(raw)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"NaN", Unreturnable),
        (b"[1, -Infinity]", Unreturnable),
        (b"1e400", Unreturnable),
        (b"[" + b"9" * 400 + b".5]", Unreturnable),
        (b'"\\ud800"', Unreturnable),
        (b'{"\\udc00": 1}', Unreturnable),
        (b'"\\\\\\ud800"', Unreturnable),
        (b"[" * 5000 + b"]" * 5000, TooDeep),
        (b"[1 2]", NotStandardJSON),
        (b'{"a": 1, 2}', NotStandardJSON),
        (b"1[]", NotStandardJSON),
        (b"[].5", NotStandardJSON),
        (b'"\xff"', NotStandardJSON),
        (b'"tab\there"', NotStandardJSON),
        (b'"\\x41"', NotStandardJSON),
        (b"\xef\xbb\xbf1", NotStandardJSON),
        (b"", NotStandardJSON),
        (b"[1,]", NotStandardJSON),
    ],
)
def test_non_standard_json_is_refused(raw, kind):
    with pytest.raises(kind):
        check(raw)
    assert not reference_ok(raw)


def test_a_6_mb_result_is_checked_without_building_it():
    raw = json.dumps([{}] * 2_090_000, separators=(",", ":")).encode()
    tracemalloc.start()
    try:
        check(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # json.loads would take about 150 MB (two million dicts); the check a few copies of the
    # text. A generous bound, so a slow or busy machine cannot make it flaky.
    assert peak < 60 * 1024 * 1024, peak


def test_many_strings_are_checked_in_bounded_memory():
    raw = json.dumps(["ab"] * 1_200_000, separators=(",", ":")).encode()
    tracemalloc.start()
    try:
        check(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 1024 * 1024, peak  # re.sub in one call took 220 MB


# Text made of JSON's own pieces, so most examples are near-misses rather than noise.
_PIECES = st.sampled_from(
    [
        "[", "]", "{", "}", ",", ":", " ", '"', "\\", "a", "0", "1", "-", ".", "e", "E", "+",
        "null", "true", "NaN", "Infinity", "\\u", "d800", "dc00", "\\ud83d\\ude00", "\\\\",
        '"k"', '""', "1e400", "\t", "\x01", "é", "\ud800",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=30))
def test_check_agrees_with_the_reference(pieces):
    raw = "".join(pieces).encode("utf-8", "surrogatepass")
    try:
        check(raw)
        accepted = True
    except NotStandardJSON:
        accepted = False
    assert accepted == reference_ok(raw), raw


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=20,
    )
)
def test_check_agrees_on_python_values(value):
    # What a Python handler's json.dumps can produce, NaN and lone surrogates included.
    raw = json.dumps(value).encode()
    try:
        check(raw)
        accepted = True
    except NotStandardJSON:
        accepted = False
    assert accepted == reference_ok(raw), raw
