"""A learner's standing at each lesson's labs, in one query, for the completion rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from course.labs.models import Lab, LabAttempt


@dataclass(frozen=True)
class LabProgress:
    """How many of a lesson's active labs the learner has passed, attempted, and in all."""

    total: int = 0
    passed: int = 0
    attempted: int = 0

    @property
    def all_passed(self) -> bool:
        return self.passed >= self.total


def lab_progress(user, lesson_ids: Iterable[int]) -> dict[int, LabProgress]:
    """{lesson id: LabProgress} for lessons that have labs; one query, however many attempts."""
    labs = Lab.objects.active().filter(lesson_id__in=list(lesson_ids))
    if user is not None and user.is_authenticated:
        mine = LabAttempt.objects.filter(lab=OuterRef("pk"), user=user)
        labs = labs.annotate(passed=Exists(mine.filter(passed=True)), attempted=Exists(mine))
        rows = labs.values_list("lesson_id", "passed", "attempted")
    else:
        rows = ((lesson_id, False, False) for lesson_id in labs.values_list("lesson_id", flat=True))
    totals: dict[int, list[int]] = {}
    for lesson_id, passed, attempted in rows:
        entry = totals.setdefault(lesson_id, [0, 0, 0])
        entry[0] += 1
        entry[1] += bool(passed)
        entry[2] += bool(attempted)
    return {lesson: LabProgress(*counts) for lesson, counts in totals.items()}
