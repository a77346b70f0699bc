"""Read and check the glossary (course/glossary/content/glossary.yaml) without the database.

Every entry names the lesson section that teaches it (`teaches: lesson#anchor`); sync_content
passes the lessons' headings so a link target that does not exist is an error with file:line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from course.lessons.content import ContentError, Problem, display_path, yaml_problem
from course.lessons.markdown import render_inline

FIELDS = {"term", "forms", "teaches", "definition", "link_in"}
REQUIRED = ("term", "teaches", "definition")


@dataclass
class TermSource:
    term: str
    slug: str
    lesson_slug: str
    anchor: str
    definition_html: str
    order: int
    forms: list[str] = field(default_factory=list)
    link_in: list[str] = field(default_factory=list)  # empty: every lesson

    @property
    def all_forms(self) -> list[str]:
        return [self.term, *self.forms]


def term_slug(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def load_glossary(path: Path, headings: Mapping[str, set[str]] | None) -> list[TermSource]:
    """The glossary's entries, checked; raise ContentError listing every problem."""
    shown = display_path(path)
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        line, reason = yaml_problem(error, first_line=1, quote_hint="in quotes")
        raise ContentError([Problem(shown, line, f"not valid YAML: {reason}")]) from None
    if not isinstance(data, list) or root is None:
        raise ContentError([Problem(shown, 1, "the glossary must be a list of entries")])
    problems: list[Problem] = []
    terms: list[TermSource] = []
    seen: dict[str, int] = {}
    for order, (entry, node) in enumerate(zip(data, root.value, strict=True)):
        line = node.start_mark.line + 1
        if not isinstance(entry, dict):
            problems.append(Problem(shown, line, "an entry must be 'term:', 'teaches:', ..."))
            continue

        def line_of(key: str, node=node, line=line) -> int:
            for key_node, _ in getattr(node, "value", []):
                if getattr(key_node, "value", None) == key:
                    return key_node.start_mark.line + 1
            return line

        for name in REQUIRED:
            if not str(entry.get(name) or "").strip():
                problems.append(Problem(shown, line, f"'{name}' is required"))
        for name in sorted(set(entry) - FIELDS):
            problems.append(Problem(shown, line_of(name), f"unknown field '{name}'"))
        term = str(entry.get("term") or "").strip()
        teaches = str(entry.get("teaches") or "")
        lesson_slug, _, anchor = teaches.partition("#")
        if teaches and (not lesson_slug or not anchor):
            problems.append(
                Problem(shown, line_of("teaches"), "teaches must be '<lesson slug>#<anchor>'")
            )
        elif teaches and headings is not None:
            if lesson_slug not in headings:
                problems.append(
                    Problem(shown, line_of("teaches"), f"no lesson with slug {lesson_slug!r}")
                )
            elif anchor not in headings[lesson_slug]:
                problems.append(
                    Problem(
                        shown,
                        line_of("teaches"),
                        f"lesson {lesson_slug!r} has no section #{anchor}; its sections: "
                        + ", ".join(sorted(headings[lesson_slug])),
                    )
                )
        forms = entry.get("forms") or []
        link_in = entry.get("link_in") or []
        if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
            problems.append(Problem(shown, line_of("forms"), "forms must be a list of words"))
            forms = []
        if not isinstance(link_in, list):
            problems.append(Problem(shown, line_of("link_in"), "link_in must be a list of slugs"))
            link_in = []
        elif headings is not None:
            for slug in link_in:
                if slug not in headings:
                    problems.append(
                        Problem(shown, line_of("link_in"), f"no lesson with slug {slug!r}")
                    )
        slug = term_slug(term)
        if slug in seen:
            problems.append(
                Problem(shown, line, f"{term!r} is already defined on line {seen[slug]}")
            )
        seen[slug] = line
        if term and not problems:
            terms.append(
                TermSource(
                    term=term,
                    slug=slug,
                    lesson_slug=lesson_slug,
                    anchor=anchor,
                    definition_html=render_inline(str(entry["definition"])),
                    order=order,
                    forms=[str(f) for f in forms],
                    link_in=[str(s) for s in link_in],
                )
            )
    if problems:
        raise ContentError(problems)
    return terms
