"""Full-text search over lesson sections with the database's own engine, one backend per vendor.

- SQLite: an FTS5 table (porter stemming) over search_section as its external content, ranked by
  bm25() with headings weighted above body text, snippets by snippet().
- PostgreSQL: to_tsvector('english') on heading (weight A) and body (weight B), a GIN index on
  that very expression (migration 0001), websearch_to_tsquery, ts_rank and ts_headline.

The backend is chosen per call by `connection.vendor`, so the same code runs the test suite on
either database. User input reaches the query only as quoted words (sections.query_terms), so no
query syntax error can come from what a learner types. Every term must match; when nothing
does, any term may (so "lambda pricing xyzzy" still finds something).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from course.lessons.models import Lesson
from course.search.models import Section
from course.search.sections import MARK_END, MARK_START, query_terms, split_sections

FTS_TABLE = "search_section_fts"
PG_VECTOR = (
    "(setweight(to_tsvector('english', heading), 'A') || "
    "setweight(to_tsvector('english', body), 'B'))"
)
HEADING_WEIGHT = 8.0  # bm25 weight of a heading match relative to the body's 1.0
LIMIT = 20


@dataclass(frozen=True)
class Hit:
    lesson_slug: str
    lesson_title: str
    anchor: str
    heading: str
    snippet: str  # raw text with MARK_START/MARK_END around matches

    @property
    def url(self) -> str:
        return Section(lesson_slug=self.lesson_slug, anchor=self.anchor).get_absolute_url()

    @property
    def snippet_html(self) -> SafeString:
        # Escape first, then mark: the markers are private-use characters escape() leaves alone.
        return mark_safe(  # noqa: S308 (escaped just here; only our <mark> tags are added)
            escape(self.snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
        )


def rebuild() -> int:
    """Re-index every published lesson from its stored HTML; returns the number of sections.

    Called by sync_content inside its transaction, so readers never see a half-built index.
    """
    with transaction.atomic():
        Section.objects.all().delete()
        rows = [
            Section(
                lesson_slug=lesson.slug,
                lesson_title=lesson.title,
                lesson_order=lesson.order,
                anchor=part.anchor,
                heading=part.heading,
                body=part.body,
            )
            for lesson in Lesson.objects.published().only(
                "slug", "title", "order", "body_html", "headings"
            )
            for part in split_sections(lesson.title, lesson.body_html, lesson.headings)
        ]
        Section.objects.bulk_create(rows)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # External-content FTS5 tables are rebuilt from their content table in one go.
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    return len(rows)


def search(query: str, limit: int = LIMIT) -> list[Hit]:
    terms = query_terms(query)
    if not terms:
        return []
    run = _search_postgresql if connection.vendor == "postgresql" else _search_sqlite
    hits = run(terms, all_terms=True, limit=limit)
    if not hits and len(terms) > 1:
        hits = run(terms, all_terms=False, limit=limit)
    return hits


def _search_sqlite(terms: list[str], *, all_terms: bool, limit: int) -> list[Hit]:
    # Each word in double quotes is an FTS5 string: no operator, column filter or prefix
    # syntax; the words hold only \w characters, so they cannot contain a quote themselves.
    match = (" " if all_terms else " OR ").join(f'"{term}"' for term in terms)
    sql = f"""
        SELECT s.lesson_slug, s.lesson_title, s.anchor, s.heading,
               snippet({FTS_TABLE}, 1, %s, %s, '…', 24)
        FROM {FTS_TABLE} JOIN search_section s ON s.id = {FTS_TABLE}.rowid
        WHERE {FTS_TABLE} MATCH %s
        ORDER BY bm25({FTS_TABLE}, %s, 1.0), s.lesson_order
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [MARK_START, MARK_END, match, HEADING_WEIGHT, limit])
        return [Hit(*row) for row in cursor.fetchall()]


def _search_postgresql(terms: list[str], *, all_terms: bool, limit: int) -> list[Hit]:
    # websearch_to_tsquery never raises on its input; quoting each word keeps "or" and "-"
    # typed by a learner from acting as operators.
    web_query = (" " if all_terms else " or ").join(f'"{term}"' for term in terms)
    options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15"
    # Rank and limit first, then build headlines for the few rows shown: ts_headline is the
    # expensive part.
    sql = f"""
        SELECT s.lesson_slug, s.lesson_title, s.anchor, s.heading,
               ts_headline('english', s.body, top.q, %s)
        FROM (
            SELECT id, q, ts_rank({PG_VECTOR}, q) AS rank
            FROM search_section, websearch_to_tsquery('english', %s) AS q
            WHERE {PG_VECTOR} @@ q
            ORDER BY rank DESC, lesson_order
            LIMIT %s
        ) AS top JOIN search_section s ON s.id = top.id
        ORDER BY top.rank DESC, s.lesson_order
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [options, web_query, limit])
        return [Hit(*row) for row in cursor.fetchall()]
