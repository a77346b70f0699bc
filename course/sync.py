"""Apply validated content to the database: one transaction, keyed by stable slugs and keys.

Validation of every file happens first (course.content, quizzes.content); only when all of it
is sound is anything written. Nothing a learner did is ever deleted: a lesson that disappears
from content/ is unpublished, and its reads stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import transaction

from course.content import ContentError, LessonSource, load_lessons
from course.labs.content import LabContentError, LabSource, load_labs
from course.labs.sync import apply_labs
from course.models import Lesson
from course.static_urls import deferred as deferred_static_url
from quizzes.content import QuizSource, collect_quizzes
from quizzes.sync import apply_quizzes


@dataclass
class SyncReport:
    lines: list[str] = field(default_factory=list)
    changed: int = 0

    def add(self, kind: str, names: list[str]) -> None:
        if names:
            self.lines.append(f"{kind}: {', '.join(names)}")
            if kind != "unchanged":
                self.changed += len(names)


def static_exists(path: str) -> bool:
    return finders.find(path) is not None


def load_all() -> tuple[list[LessonSource], list[QuizSource], list[LabSource]]:
    """Validate every content file; raise ContentError listing every problem."""
    try:
        lessons = load_lessons(settings.COURSE_CONTENT_DIR, deferred_static_url, static_exists)
    except ContentError as error:
        # Still check the quizzes, without the lesson cross-checks, so every problem shows.
        _, quiz_problems = collect_quizzes(settings.QUIZ_CONTENT_DIR, None)
        raise ContentError(error.problems + quiz_problems) from None
    headings = {
        lesson.slug: {heading["id"] for heading in lesson.rendered.headings} for lesson in lessons
    }
    quizzes, problems = collect_quizzes(settings.QUIZ_CONTENT_DIR, headings)
    try:
        labs = load_labs(settings.LAB_CONTENT_DIR, set(headings))
    except LabContentError as error:
        problems = problems + error.problems
        labs = []
    if problems:
        raise ContentError(problems)
    return lessons, quizzes, labs


def sync_content() -> SyncReport:
    lessons, quizzes, labs = load_all()
    report = SyncReport()
    with transaction.atomic():
        apply_lessons(lessons, report)
        apply_quizzes(quizzes, report)
        apply_labs(labs, report)
    return report


def lesson_fields(source: LessonSource) -> dict:
    return {
        "title": source.title,
        "order": source.order,
        "summary": source.summary,
        "source_path": source.path,
        "body_html": source.rendered.html,
        "toc_html": source.rendered.toc_html,
        "headings": source.rendered.headings,
        "reading_minutes": source.rendered.reading_minutes,
        "is_published": True,
    }


def apply_lessons(sources: list[LessonSource], report: SyncReport) -> None:
    existing = {lesson.slug: lesson for lesson in Lesson.objects.select_for_update()}
    created, updated, unchanged = [], [], []
    for source in sources:
        fields = lesson_fields(source)
        lesson = existing.pop(source.slug, None)
        if lesson is None:
            Lesson.objects.create(slug=source.slug, **fields)
            created.append(source.slug)
            continue
        changed = [name for name, value in fields.items() if getattr(lesson, name) != value]
        if changed:
            for name in changed:
                setattr(lesson, name, fields[name])
            lesson.save(update_fields=[*changed, "updated_at"])
            updated.append(source.slug)
        else:
            unchanged.append(source.slug)
    retired = [lesson for lesson in existing.values() if lesson.is_published]
    for lesson in retired:
        lesson.is_published = False
        lesson.save(update_fields=["is_published", "updated_at"])
    report.add("lessons created", created)
    report.add("lessons updated", updated)
    report.add("lessons unpublished (reads kept)", [lesson.slug for lesson in retired])
    report.add("unchanged", unchanged)
