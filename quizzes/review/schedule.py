"""The spacing rule of spaced review: Leitner boxes. Pure: no Django.

Every (learner, question) pair sits in a box from 1 to 5. A right answer in review moves the
question up one box (at most 5) and schedules it that box's interval later: 1, 3, 7, 14 and 30
days. A wrong answer sends it back to box 1, due again in a day. From quizzes: a question
answered wrongly enters (or returns to) box 1 and is due at once; one answered rightly enters
box 2, due in 3 days, so what was known once comes back before it is forgotten (an item already
being reviewed keeps its place).
"""

from __future__ import annotations

from datetime import datetime, timedelta

INTERVAL_DAYS = {1: 1, 2: 3, 3: 7, 4: 14, 5: 30}
TOP_BOX = max(INTERVAL_DAYS)
QUIZ_RIGHT_BOX = 2


def after_review(box: int, correct: bool, now: datetime) -> tuple[int, datetime]:
    """(new box, next due time) after a review answer."""
    new_box = min(box + 1, TOP_BOX) if correct else 1
    return new_box, now + timedelta(days=INTERVAL_DAYS[new_box])


def after_quiz_right(now: datetime) -> tuple[int, datetime]:
    return QUIZ_RIGHT_BOX, now + timedelta(days=INTERVAL_DAYS[QUIZ_RIGHT_BOX])
