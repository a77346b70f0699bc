"""Write validated lessons to the database, keyed by slug.

Runs inside sync_content's transaction (course/management/commands/sync_content.py), before the
quizzes. Nothing a learner did is ever deleted: a lesson that disappears from content/ is
unpublished, and its reads stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.staticfiles import finders

from course.lessons.content import LessonSource
from course.lessons.models import Lesson


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
        "takeaways_html": source.rendered.takeaways_html,
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
