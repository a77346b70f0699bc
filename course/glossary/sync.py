"""Glossary at sync time: link terms in the lessons' HTML, then store the entries.

Both run inside sync_content's transaction; the linking runs on the rendered lessons before
they are written, so the stored HTML already holds the links.
"""

from __future__ import annotations

from course.glossary.content import TermSource
from course.glossary.linker import GlossaryLink, link_terms
from course.glossary.models import Term
from course.lessons.content import LessonSource
from course.lessons.sync import SyncReport


def link_lessons(lessons: list[LessonSource], terms: list[TermSource], url: str) -> None:
    for lesson in lessons:
        links = [
            GlossaryLink(term.slug, tuple(term.all_forms))
            for term in terms
            if not term.link_in or lesson.slug in term.link_in
        ]
        lesson.rendered.html = link_terms(lesson.rendered.html, links, url)


def apply_terms(terms: list[TermSource], report: SyncReport) -> None:
    # Nothing points at a glossary row, so replacing them all is simple and safe.
    Term.objects.all().delete()
    Term.objects.bulk_create(
        Term(
            slug=term.slug,
            term=term.term,
            definition_html=term.definition_html,
            lesson_slug=term.lesson_slug,
            anchor=term.anchor,
            order=term.order,
        )
        for term in terms
    )
    report.lines.append(f"glossary: {len(terms)} terms")
