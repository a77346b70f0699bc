"""Quiz progress on pages other apps own (lesson page, home outline), in a fixed number of
queries: none for a visitor without a session, one otherwise."""

from django import template

from quizzes import progress
from quizzes.attempts import owner_of

register = template.Library()


@register.inclusion_tag("quizzes/_lesson_quiz.html", takes_context=True)
def lesson_quiz(context, lesson) -> dict:
    """The link to the lesson's quiz, with the learner's best score so far."""
    owner = owner_of(context.get("request"))
    stats = None
    if owner:
        found = progress.quiz_stats(owner, [lesson.pk])
        stats = found.get(lesson.pk)
        if stats is None:
            return {"lesson": lesson, "hidden": True}
    return {
        "lesson": lesson,
        "stats": stats,
        "passed": stats is not None and stats.passed(),
        "hidden": False,
    }


class Outline:
    def __init__(self, rows):
        self.rows = rows

    def __iter__(self):
        return iter(self.rows)

    @property
    def completed(self) -> int:
        return sum(1 for _, status in self.rows if status is not None and status.is_complete)


@register.simple_tag(takes_context=True)
def course_outline(context, lessons, read_ids) -> Outline:
    """[(lesson, LessonStatus or None)] for the home outline; one query when signed in."""
    return Outline(progress.outline_status(context.get("user"), lessons, read_ids))


@register.filter
def section_title(lesson, anchor: str) -> str:
    """The heading text a lesson anchor points at."""
    return lesson.heading_title(anchor)
