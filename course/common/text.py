"""Text helpers more than one feature needs. Pure: no Django.

- html_to_text: authored (rendered) HTML as one line of plain text, for hints, CSV cells and
  the admin's lists.
- did_you_mean: the closest known name, for a content author's typo.
- contains_nul / NUL_MESSAGE: text a database column cannot hold (PostgreSQL refuses NUL).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from html.parser import HTMLParser


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities come out decoded
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Tags dropped, entities decoded, runs of whitespace made one space."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for the known name closest to `name`, or "" if none is close."""
    hint = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


NUL_MESSAGE = (
    "The text contains a NUL character (\\u0000), which cannot be saved: remove it and try again."
)


def contains_nul(value: object) -> bool:
    """Whether a string, or any string (key or value) inside decoded JSON, holds U+0000.

    PostgreSQL's text and jsonb refuse it, so text that may reach a column is checked first
    and refused with NUL_MESSAGE; Django's forms.CharField does the same for its own fields.
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False
