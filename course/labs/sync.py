"""Write checked lab files to the database (inside sync_content's one transaction).

Keyed by the lab's key; a lab removed from content/ is retired, never deleted, so attempts stay.
"""

from __future__ import annotations

from course.labs.content import LabSource
from course.labs.models import Lab
from course.lessons.markdown import render
from course.lessons.models import Lesson


def lab_fields(source: LabSource, lessons: dict[str, Lesson]) -> dict:
    return {
        "lesson": lessons[source.lesson],
        "kind": source.kind,
        "title": source.title,
        "order": source.order,
        "statement_html": render(source.statement).html,
        "hints_html": [render(hint).html for hint in source.hints],
        "starter": source.starter,
        "solution": source.solution,
        "spec": source.spec(),
        "source_path": source.path,
        "is_active": True,
    }


def apply_labs(sources: list[LabSource], report) -> None:
    lessons = {lesson.slug: lesson for lesson in Lesson.objects.all()}
    existing = {lab.key: lab for lab in Lab.objects.select_for_update()}
    created, updated = [], []
    for source in sources:
        fields = lab_fields(source, lessons)
        lab = existing.pop(source.key, None)
        if lab is None:
            Lab.objects.create(key=source.key, **fields)
            created.append(source.key)
            continue
        changed = [name for name, value in fields.items() if getattr(lab, name) != value]
        if changed:
            for name in changed:
                setattr(lab, name, fields[name])
            lab.save(update_fields=[*changed, "updated_at"])
            updated.append(source.key)
    retired = [lab for lab in existing.values() if lab.is_active]
    for lab in retired:
        lab.is_active = False
        lab.save(update_fields=["is_active", "updated_at"])
    report.add("labs created", created)
    report.add("labs updated", updated)
    report.add("labs retired (attempts kept)", [lab.key for lab in retired])
