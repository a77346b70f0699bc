"""The result every validator returns, and the helpers they share.

Pure: no Django. The JSON shape of `Result.as_dict()` is a public API contract:
``{"valid": bool, "errors": [Issue...], "warnings": [Issue...], "info": {...}}`` where an issue is
``{"message": str, "line": int, "column": int, "source": str}``, line and column 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    message: str
    line: int
    column: int
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "source": self.source,
        }


@dataclass
class Result:
    """Errors are what AWS (or Docker) would refuse; warnings are advice it would accept."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, message: str, position: tuple[int, int], source: str) -> None:
        self.errors.append(Issue(message, position[0], position[1], source))

    def warn(self, message: str, position: tuple[int, int], source: str) -> None:
        self.warnings.append(Issue(message, position[0], position[1], source))

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errors": [issue.as_dict() for issue in self.errors],
            "warnings": [issue.as_dict() for issue in self.warnings],
            "info": self.info,
        }


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset; an offset past the end points after it."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


START = (1, 1)


def is_int(value: object) -> bool:
    """A JSON integer (bool is an int subclass in Python, never in JSON)."""
    return isinstance(value, int) and not isinstance(value, bool)


def ascii_digits(text: str, max_digits: int | None = None) -> bool:
    """Only 0-9 (and at most `max_digits` of them): str.isdigit() is also true for "²" and "٣",
    which int() refuses or AWS would, and a long enough run of digits makes int() refuse too."""
    return text.isascii() and text.isdigit() and (max_digits is None or len(text) <= max_digits)


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
