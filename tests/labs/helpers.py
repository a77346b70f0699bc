"""Shared helpers for the validator tests."""

from __future__ import annotations

import json
from typing import Any

from course.labs.validators import validate


def check(kind: str, text: str, **options: Any) -> dict[str, Any]:
    """Validate and return the JSON contract, after asserting its shape."""
    data = validate(kind, text, **options).as_dict()
    assert_contract(data)
    return data


def assert_contract(data: dict[str, Any]) -> None:
    assert set(data) == {"valid", "errors", "warnings", "info"}
    assert isinstance(data["valid"], bool)
    assert data["valid"] == (not data["errors"])
    assert isinstance(data["info"], dict)
    for issue in data["errors"] + data["warnings"]:
        assert set(issue) == {"message", "line", "column", "source"}
        assert isinstance(issue["message"], str) and issue["message"]
        assert isinstance(issue["line"], int) and issue["line"] >= 1
        assert isinstance(issue["column"], int) and issue["column"] >= 1
        assert issue["source"].startswith("https://")
    json.dumps(data)  # serialisable as is


def messages(data: dict[str, Any], key: str = "errors") -> str:
    return "\n".join(issue["message"] for issue in data[key])


def position(data: dict[str, Any], key: str = "errors", index: int = 0) -> tuple[int, int]:
    issue = data[key][index]
    return issue["line"], issue["column"]


def find(data: dict[str, Any], fragment: str, key: str = "errors") -> dict[str, Any]:
    for issue in data[key]:
        if fragment in issue["message"]:
            return issue
    raise AssertionError(f"no {key[:-1]} mentioning {fragment!r} in {messages(data, key)!r}")


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2)
