"""Text helpers more than one feature needs. Pure: no Django.

- html_to_text: authored (rendered) HTML as one line of plain text, for hints, CSV cells and
  the admin's lists.
- did_you_mean: the closest known name, for a content author's typo.
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
