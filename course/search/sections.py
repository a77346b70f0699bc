"""Split a lesson's stored HTML into sections for the index. Pure: no Django.

The lesson's headings (h2/h3, with the ids the markdown's table of contents gave them) cut the
body into sections; the text before the first heading is the lesson's intro, under the lesson's
own title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from course.common.text import html_to_text

HEADING_RE = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
# The highlight markers snippet()/ts_headline() put around matches: private-use characters no
# lesson contains (they are stripped from the indexed text to be sure), so the view can escape
# the text first and only then turn them into <mark> tags.
MARK_START = "\ue000"
MARK_END = "\ue001"


@dataclass(frozen=True)
class SectionText:
    anchor: str
    heading: str
    body: str


def clean(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


def split_sections(title: str, html: str, headings: list[dict]) -> list[SectionText]:
    titles = {heading["id"]: heading["title"] for heading in headings}
    sections = []
    position = 0
    anchor, heading = "", title
    for match in HEADING_RE.finditer(html):
        sections.append(
            SectionText(anchor, heading, clean(html_to_text(html[position : match.start()])))
        )
        anchor = match.group(2)
        heading = titles.get(anchor) or html_to_text(match.group(3)).rstrip("#").strip()
        position = match.end()
    sections.append(SectionText(anchor, heading, clean(html_to_text(html[position:]))))
    return [s for s in sections if s.body or s.anchor]


WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def query_terms(query: str) -> list[str]:
    """The words of a learner's query, lower-cased, deduplicated, at most MAX_TERMS of them.

    Only word characters survive, so no FTS5 or tsquery syntax (quotes, NEAR, *, :, -, ^, |, &)
    can reach the database from user input.
    """
    seen: list[str] = []
    for word in WORD_RE.findall(query.lower()):
        word = word.strip("_")
        if word and word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]
