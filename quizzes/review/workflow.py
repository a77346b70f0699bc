"""Spaced review workflows: seeding from quiz answers, answering a due item, the counts.

Review answers never touch attempts or scores; they move the item's box and are recorded as
ReviewAnswer rows. Answering is gated by a conditional UPDATE on the item's version, so a double
submit (two clicks, two tabs, a retried request) records one answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from quizzes import grading
from quizzes.models import Question, ReviewAnswer, ReviewItem
from quizzes.review import schedule


def seed_from_quiz(user_id: int, results: Iterable[tuple[int, bool]]) -> None:
    """After a quiz submission: wrong answers to box 1, due now; right ones enter box 2."""
    now = timezone.now()
    results = list(results)
    wrong = [question_id for question_id, correct in results if not correct]
    right = [question_id for question_id, correct in results if correct]
    if wrong:
        ReviewItem.objects.filter(user_id=user_id, question_id__in=wrong).update(
            box=1, due_at=now, updated_at=now
        )
        ReviewItem.objects.bulk_create(
            [ReviewItem(user_id=user_id, question_id=q, box=1, due_at=now) for q in wrong],
            ignore_conflicts=True,
        )
    if right:
        box, due = schedule.after_quiz_right(now)
        ReviewItem.objects.bulk_create(
            [ReviewItem(user_id=user_id, question_id=q, box=box, due_at=due) for q in right],
            ignore_conflicts=True,  # already in review: keeps its place
        )


def counts(user) -> dict:
    """{"due", "reviewed", "right"} for one learner, in one query (home and progress show it)."""
    now = timezone.now()
    due = Q(due_at__lte=now, question__is_retired=False, question__quiz__is_active=True)
    totals = ReviewItem.objects.filter(user=user).aggregate(
        due=Count("pk", filter=due, distinct=True),
        reviewed=Count("answers", distinct=True),
        right=Count("answers", filter=Q(answers__is_correct=True), distinct=True),
    )
    return {key: value or 0 for key, value in totals.items()}


def next_due(user) -> ReviewItem | None:
    return (
        ReviewItem.objects.due(user, timezone.now())
        .select_related("question__quiz__lesson")
        .prefetch_related("question__choices")
        .first()
    )


def correct_choice_ids(question: Question) -> set[int]:
    return {c.pk for c in question.choices.all() if c.is_correct and not c.is_retired}


def shown_choices(question: Question):
    return [c for c in question.choices.all() if not c.is_retired]


def grade(question: Question, choices: set[int], number) -> bool:
    """The quiz's own grading (quizzes/grading.py) on the question's current choices."""
    spec = grading.QuestionSpec(
        type=question.type,
        correct=frozenset(correct_choice_ids(question)),
        answer=question.answer_number,
        tolerance=question.tolerance or 0,
    )
    return grading.grade(spec, grading.Response(choices=frozenset(choices), number=number))


def record_answer(item: ReviewItem, version: int, correct: bool) -> ReviewAnswer | None:
    """Move the item and record the answer, once per due item; None if already answered."""
    now = timezone.now()
    box, due = schedule.after_review(item.box, correct, now)
    with transaction.atomic():
        won = ReviewItem.objects.filter(
            pk=item.pk, user=item.user_id, version=version, due_at__lte=now
        ).update(box=box, due_at=due, version=version + 1, updated_at=now)
        if not won:
            return None
        return ReviewAnswer.objects.create(
            item=item,
            is_correct=correct,
            box_before=item.box,
            box_after=box,
            item_version=version,
        )
