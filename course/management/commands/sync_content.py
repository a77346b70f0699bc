"""sync_content: the one place that loads lessons, quizzes and labs, in one transaction.

Validation of every file happens first (course.lessons.content, quizzes.content); only when all
of it is sound is anything written, lessons first (quizzes and labs point at them), then
quizzes and labs. This is the only module besides the URL wiring that sees every feature:
lessons never import quizzes or labs.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from course.glossary.content import load_glossary
from course.glossary.sync import apply_terms, link_lessons
from course.labs.content import LabContentError, LabSource, load_labs
from course.labs.sync import apply_labs
from course.lessons.content import ContentError, LessonSource, load_lessons
from course.lessons.sync import SyncReport, apply_lessons, static_exists
from course.search import backends as search_index
from course.server import page_cache
from course.server.static_urls import deferred as deferred_static_url
from quizzes.content import QuizSource, collect_quizzes
from quizzes.sync import apply_quizzes


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
    headings = {
        lesson.slug: {heading["id"] for heading in lesson.rendered.headings} for lesson in lessons
    }
    terms = load_glossary(settings.GLOSSARY_FILE, headings)
    # Terms' first uses become links in the rendered lessons before they are written.
    link_lessons(lessons, terms, reverse("glossary:glossary"))
    report = SyncReport()
    with transaction.atomic():
        apply_lessons(lessons, report)
        apply_quizzes(quizzes, report)
        apply_labs(labs, report)
        apply_terms(terms, report)
        # The index is rebuilt from the lessons just written, in the same transaction.
        search_index.rebuild()
    return report


class Command(BaseCommand):
    help = "Validate every lesson, quiz and lab file, then load them into the database in one go."

    def handle(self, *args, **options) -> None:
        try:
            report = sync_content()
        except ContentError as error:
            raise CommandError(
                "content has problems; nothing was written:\n" + str(error)
            ) from None
        page_cache.clear()
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"Content in sync ({report.changed} change{'s' if report.changed != 1 else ''})."
            )
        )
