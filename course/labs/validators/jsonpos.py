"""JSON with positions: where in the text each key and value of a document starts.

`json.loads` decides whether the text is JSON (and words the error, with its line and column);
a small scanner then walks the same text and records the offset of every value and member key, by
path (``("containerDefinitions", 0, "portMappings", 0, "hostPort")``), so validators can point
at the offending key or value.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Any

Path = tuple[str | int, ...]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# [0-9], not \d: JSON numbers are ASCII (json.loads agrees).
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERALS = ("true", "false", "null")


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN and Infinity; JSON (and AWS) do not.
    raise ValueError(f"{name} is not valid JSON")


@dataclass
class JsonDocument:
    text: str
    value: Any
    _values: dict[Path, int] = field(default_factory=dict)
    _keys: dict[Path, int] = field(default_factory=dict)
    _line_starts: list[int] = field(default_factory=list)

    def _line_column(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def at(self, *path: str | int) -> tuple[int, int]:
        """Position of the value at `path`, or of its nearest ancestor that exists."""
        for end in range(len(path), -1, -1):
            offset = self._values.get(path[:end])
            if offset is not None:
                return self._line_column(offset)
        return 1, 1

    def key_at(self, *path: str | int) -> tuple[int, int]:
        """Position of the member key at `path` (the value's if it is no member)."""
        offset = self._keys.get(path)
        if offset is not None:
            return self._line_column(offset)
        return self.at(*path)


def parse_json(text: str) -> JsonDocument:
    """Parse JSON text; raise JsonSyntaxError with the decoder's message, line and column."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(f"Invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except ValueError as exc:
        raise JsonSyntaxError(f"Invalid JSON: {exc}", *_first_constant(text)) from None
    except RecursionError:
        raise JsonSyntaxError("Invalid JSON: nested too deeply", 1, 1) from None
    document = JsonDocument(text=text, value=value)
    document._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    # Positions are a courtesy; the document itself is already decoded.
    with contextlib.suppress(RecursionError, IndexError, ValueError):
        _Scanner(text, document._values, document._keys).scan_document()
    return document


def _first_constant(text: str) -> tuple[int, int]:
    match = re.search(r"NaN|-?Infinity", text)
    offset = match.start() if match else 0
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _Scanner:
    """Walks text already known to be valid JSON, recording where each value and key starts."""

    def __init__(self, text: str, values: dict[Path, int], keys: dict[Path, int]) -> None:
        self.text = text
        self.values = values
        self.keys = keys

    def skip(self, index: int) -> int:
        return _WHITESPACE.match(self.text, index).end()  # type: ignore[union-attr]

    def scan_document(self) -> None:
        self.scan_value(self.skip(0), ())

    def scan_value(self, index: int, path: Path) -> int:
        text = self.text
        self.values[path] = index
        char = text[index]
        if char == "{":
            index = self.skip(index + 1)
            if text[index] == "}":
                return index + 1
            while True:
                key_start = index
                key, index = scanstring(text, index + 1)
                member: Path = (*path, key)
                self.keys[member] = key_start
                index = self.skip(index)  # at ':'
                index = self.scan_value(self.skip(index + 1), member)
                index = self.skip(index)
                if text[index] == "}":
                    return index + 1
                index = self.skip(index + 1)  # past ','
        if char == "[":
            index = self.skip(index + 1)
            if text[index] == "]":
                return index + 1
            position = 0
            while True:
                index = self.scan_value(index, (*path, position))
                index = self.skip(index)
                if text[index] == "]":
                    return index + 1
                index = self.skip(index + 1)
                position += 1
        if char == '"':
            return scanstring(text, index + 1)[1]
        for literal in _LITERALS:
            if text.startswith(literal, index):
                return index + len(literal)
        match = _NUMBER.match(text, index)
        if match is None:
            raise ValueError("not JSON")
        return match.end()
