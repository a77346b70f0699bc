"""A learner's progress: per lesson read or not, quiz scores, completion, mistakes to review.

Every figure comes from a fixed number of queries, however many attempts there are: the
attempts arrive as rows in one query and are folded here in Python, where the score
arithmetic stays exact (see grading.passed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import FilteredRelation, Q

from course.labs.progress import LabProgress, lab_progress
from course.lessons.models import Lesson, LessonRead
from quizzes import grading
from quizzes.models import Answer, AttemptStatus, Question, Quiz, owner_condition


def pass_mark() -> int:
    return settings.QUIZ_PASS_MARK


@dataclass
class QuizStats:
    """One learner's record at one quiz."""

    quiz_id: int
    lesson_id: int
    attempts: int = 0  # submitted
    best: tuple[int, int] | None = None  # (score, max score)
    last: tuple[int, int] | None = None
    last_attempt_id: int | None = None
    last_attempt_number: int | None = None
    last_submitted_at: datetime | None = None
    last_activity: datetime | None = None
    open_attempt_id: int | None = None

    @property
    def best_percent(self) -> int | None:
        return None if self.best is None else grading.percent(*self.best)

    @property
    def last_percent(self) -> int | None:
        return None if self.last is None else grading.percent(*self.last)

    def passed(self, mark: int | None = None) -> bool:
        mark = pass_mark() if mark is None else mark
        return self.best is not None and grading.passed(*self.best, mark)


def quiz_stats(owner, lesson_ids: Iterable[int] | None = None) -> dict[int, QuizStats]:
    """{lesson id: QuizStats} for the active quizzes of these lessons, in ONE query.

    `owner`: a signed-in user or an anonymous session's key (quizzes.attempts.owner_of). Their
    attempts are LEFT JOINed to the quizzes, so a quiz never attempted still
    comes back (as one row of NULLs) and tells us the lesson has a quiz.
    """
    if not owner:
        return {}
    quizzes = Quiz.objects.filter(is_active=True)
    if lesson_ids is not None:
        quizzes = quizzes.filter(lesson_id__in=list(lesson_ids))
    rows = (
        quizzes.annotate(
            mine=FilteredRelation(
                "attempts",
                condition=owner_condition(owner, "attempts__")
                & ~Q(attempts__status=AttemptStatus.ABANDONED),
            )
        )
        .order_by()
        .values_list(
            "pk",
            "lesson_id",
            "mine__id",
            "mine__status",
            "mine__score",
            "mine__max_score",
            "mine__number",
            "mine__submitted_at",
            "mine__updated_at",
        )
    )
    stats: dict[int, QuizStats] = {}
    for quiz_id, lesson_id, attempt_id, status, score, max_score, number, submitted, used in rows:
        entry = stats.setdefault(lesson_id, QuizStats(quiz_id=quiz_id, lesson_id=lesson_id))
        if attempt_id is None:
            continue
        if entry.last_activity is None or used > entry.last_activity:
            entry.last_activity = used
        if status == AttemptStatus.IN_PROGRESS:
            entry.open_attempt_id = attempt_id
            continue
        entry.attempts += 1
        result = (score, max_score)
        # Compare fractions exactly: a*d > c*b.
        if entry.best is None or score * entry.best[1] > entry.best[0] * max_score:
            entry.best = result
        if entry.last_submitted_at is None or (submitted, attempt_id) > (
            entry.last_submitted_at,
            entry.last_attempt_id,
        ):
            entry.last = result
            entry.last_submitted_at = submitted
            entry.last_attempt_id = attempt_id
            entry.last_attempt_number = number
    return stats


@dataclass
class LessonStatus:
    is_read: bool
    stats: QuizStats | None
    is_complete: bool
    labs: LabProgress | None = None


def lesson_status(
    is_read: bool, stats: QuizStats | None, mark: int, labs: LabProgress | None = None
) -> LessonStatus:
    """Complete = read, the quiz's best score reaches the pass mark (if it has a quiz), and
    every lab is passed (if it has labs): grading.lesson_complete."""
    best = None if stats is None else stats.best
    lab_counts = (labs.passed, labs.total) if labs else (0, 0)
    complete = grading.lesson_complete(is_read, stats is not None, best, mark, lab_counts)
    return LessonStatus(is_read=is_read, stats=stats, is_complete=complete, labs=labs)


def outline_status(
    user, lessons: Sequence[Lesson], read_ids: Iterable[int]
) -> list[tuple[Lesson, LessonStatus | None]]:
    """The home page outline with each lesson's status for a signed-in learner: one query."""
    if user is None or not user.is_authenticated:
        return [(lesson, None) for lesson in lessons]
    read = set(read_ids)
    ids = [lesson.pk for lesson in lessons]
    stats = quiz_stats(user, ids)
    labs = lab_progress(user, ids)
    mark = pass_mark()
    return [
        (lesson, lesson_status(lesson.pk in read, stats.get(lesson.pk), mark, labs.get(lesson.pk)))
        for lesson in lessons
    ]


@dataclass
class LessonProgress:
    lesson: Lesson
    status: LessonStatus
    read_at: datetime | None

    @property
    def stats(self) -> QuizStats | None:
        return self.status.stats

    @property
    def last_activity(self) -> datetime | None:
        moments = [self.read_at, self.stats.last_activity if self.stats else None]
        return max((moment for moment in moments if moment is not None), default=None)


@dataclass
class LessonMistakes:
    lesson: Lesson
    attempt_id: int
    attempt_number: int
    percent: int
    questions: list[Question] = field(default_factory=list)


@dataclass
class CourseProgress:
    lessons: list[LessonProgress]
    mistakes: list[LessonMistakes]
    pass_mark: int

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def completed(self) -> int:
        return sum(1 for row in self.lessons if row.status.is_complete)

    @property
    def percent(self) -> int:
        return grading.percent(self.completed, self.total)


def course_progress(user) -> CourseProgress:
    """Everything /progress/ shows, in five queries."""
    lessons = list(Lesson.objects.published().only("slug", "title", "order", "summary", "headings"))
    reads = dict(LessonRead.objects.filter(user=user).values_list("lesson_id", "last_read_at"))
    ids = [lesson.pk for lesson in lessons]
    stats = quiz_stats(user, ids)
    labs = lab_progress(user, ids)
    mark = pass_mark()
    rows = [
        LessonProgress(
            lesson=lesson,
            status=lesson_status(
                lesson.pk in reads, stats.get(lesson.pk), mark, labs.get(lesson.pk)
            ),
            read_at=reads.get(lesson.pk),
        )
        for lesson in lessons
    ]

    latest = {s.last_attempt_id: s for s in stats.values() if s.last_attempt_id is not None}
    by_lesson = {lesson.pk: lesson for lesson in lessons}
    mistakes: dict[int, LessonMistakes] = {}
    if latest:
        missed = (
            Answer.objects.filter(attempt_id__in=list(latest), is_correct=False)
            .select_related("question")
            .only(
                "attempt_id",
                "question__id",
                "question__key",
                "question__prompt_html",
                "question__section",
                "question__order",
            )
            .order_by("question__order", "question__pk")
        )
        for answer in missed:
            entry = latest[answer.attempt_id]
            lesson = by_lesson[entry.lesson_id]
            group = mistakes.get(lesson.pk)
            if group is None:
                group = mistakes[lesson.pk] = LessonMistakes(
                    lesson=lesson,
                    attempt_id=answer.attempt_id,
                    attempt_number=entry.last_attempt_number,
                    percent=entry.last_percent,
                )
            group.questions.append(answer.question)
    ordered = [mistakes[lesson.pk] for lesson in lessons if lesson.pk in mistakes]
    return CourseProgress(lessons=rows, mistakes=ordered, pass_mark=mark)
