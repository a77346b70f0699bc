"""Teachers, classes and whole classes of students with realistic quiz records.

build_class() writes straight to the database with bulk_create (a class of 500 takes seconds),
with the same shape the quiz views produce: submitted attempts numbered from 1, one Answer per
question asked (unanswered ones too), AnswerChoice rows for the choices picked, scores that are
the number of right answers.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.utils import timezone

from course.lessons.models import Lesson, LessonRead
from quizzes.models import (
    TEACHERS_GROUP,
    Answer,
    AnswerChoice,
    Attempt,
    AttemptStatus,
    Choice,
    Classroom,
    Enrollment,
    QuestionType,
    Quiz,
)

PASSWORD = "correct horse battery"


def make_teacher(user: User) -> User:
    user.groups.add(Group.objects.get_or_create(name=TEACHERS_GROUP)[0])
    return user


def new_class(teacher: User, name: str = "Cloud, Tuesday", pk: int | None = None) -> Classroom:
    classroom = Classroom(name=name)
    if pk is not None:
        classroom.pk = pk
    classroom.save_new_code()
    classroom.teachers.add(teacher)
    return classroom


def chance(ability: float, difficulty: float) -> float:
    return 1 / (1 + math.exp(difficulty - ability))


def build_class(
    teacher: User,
    students: int,
    quiz_count: int = 7,
    seed: int = 1,
    name: str = "Cloud, Tuesday",
    pk: int | None = None,
    first_user_pk: int | None = None,
    username_prefix: str = "student",
) -> Classroom:
    """A class of `students` who read most lessons and took the first `quiz_count` quizzes once
    or twice, answering like people: able students get more right, hard questions fewer, and
    most wrong answers go to each question's first wrong choice (a shared misconception)."""
    rng = random.Random(seed)
    classroom = new_class(teacher, name=name, pk=pk)
    quizzes = list(Quiz.objects.active().order_by("lesson__order")[:quiz_count])
    questions = {quiz.pk: list(quiz.questions.asked()) for quiz in quizzes}
    choices: dict[int, list[Choice]] = {}
    for choice in Choice.objects.filter(question__quiz__in=quizzes, is_retired=False).order_by(
        "question_id", "order", "pk"
    ):
        choices.setdefault(choice.question_id, []).append(choice)
    difficulty = {q.pk: rng.uniform(-1.5, 1.5) for qs in questions.values() for q in qs}

    password = make_password(PASSWORD)
    users = [
        User(
            username=f"{username_prefix}{index:03d}",
            first_name=rng.choice(["Ana", "Bo", "Chen", "Dara", "Emeka", "Fatima", "Gus"]),
            last_name=rng.choice(["Ito", "Jones", "Kowalski", "Lopez", "Müller", "Nkosi"]),
            password=password,
        )
        for index in range(students)
    ]
    if first_user_pk is not None:
        for offset, user in enumerate(users):
            user.pk = first_user_pk + offset
    users = User.objects.bulk_create(users)
    Enrollment.objects.bulk_create(Enrollment(classroom=classroom, student=u) for u in users)

    now = timezone.now()
    lessons = list(Lesson.objects.published())
    LessonRead.objects.bulk_create(
        LessonRead(user=user, lesson=lesson, last_read_at=now)
        for user in users
        for lesson in lessons
        if rng.random() < 0.8
    )

    attempts: list[Attempt] = []
    plans: list[list[tuple]] = []  # per attempt: (question, is_correct, picked choices, number)
    for user in users:
        ability = rng.gauss(0, 1)
        for quiz in quizzes:
            asked = questions[quiz.pk]
            for number in range(1, rng.choice([1, 1, 2]) + 1):
                plan = []
                for question in asked:
                    right = rng.random() < chance(
                        ability + 0.4 * (number - 1), difficulty[question.pk]
                    )
                    options = choices.get(question.pk, [])
                    correct = [c for c in options if c.is_correct]
                    wrong = [c for c in options if not c.is_correct]
                    if question.type == QuestionType.NUMERIC:
                        value = question.answer_number + (0 if right else Decimal(1000))
                        plan.append((question, right, [], value))
                    elif right:
                        plan.append((question, True, correct, None))
                    else:
                        weights = [4] + [1] * (len(wrong) - 1) if wrong else []
                        picked = rng.choices(wrong, weights=weights) if wrong else []
                        plan.append((question, False, picked, None))
                score = sum(1 for _, right, _, _ in plan if right)
                attempts.append(
                    Attempt(
                        quiz=quiz,
                        user=user,
                        number=number,
                        status=AttemptStatus.SUBMITTED,
                        question_ids=[q.pk for q in asked],
                        choice_order={
                            str(q.pk): [c.pk for c in choices.get(q.pk, [])] for q in asked
                        },
                        score=score,
                        max_score=len(asked),
                        submitted_at=now - timedelta(days=2 - number, minutes=rng.randint(0, 600)),
                    )
                )
                plans.append(plan)
    attempts = Attempt.objects.bulk_create(attempts, batch_size=500)
    answers = []
    picks_for: list[list[Choice]] = []
    for attempt, plan in zip(attempts, plans, strict=True):
        for question, right, picked, value in plan:
            answers.append(
                Answer(
                    attempt=attempt,
                    question=question,
                    is_correct=right,
                    number_value=value,
                    raw_value="" if value is None else f"{value.normalize():f}",
                )
            )
            picks_for.append(picked)
    answers = Answer.objects.bulk_create(answers, batch_size=2000)
    AnswerChoice.objects.bulk_create(
        (
            AnswerChoice(answer=answer, choice=choice)
            for answer, picked in zip(answers, picks_for, strict=True)
            for choice in picked
        ),
        batch_size=2000,
    )
    return classroom


def take_quiz(
    user: User,
    slug: str,
    right: int | list[bool],
    number: int = 1,
    status: str = AttemptStatus.SUBMITTED,
    wrong_pick: int = 0,
) -> Attempt:
    """One attempt at a lesson's quiz, straight into the database. `right`: how many questions
    (the first ones) are right, or a list of booleans per question; a wrong choice answer picks
    the question's wrong choice number `wrong_pick` (in file order)."""
    quiz = Quiz.objects.get(lesson__slug=slug)
    asked = list(quiz.questions.asked())
    pattern = right if isinstance(right, list) else [i < right for i in range(len(asked))]
    pattern = (pattern + [False] * len(asked))[: len(asked)]
    choices: dict[int, list[Choice]] = {}
    for choice in Choice.objects.filter(question__in=asked, is_retired=False).order_by(
        "question_id", "order", "pk"
    ):
        choices.setdefault(choice.question_id, []).append(choice)
    submitted = status == AttemptStatus.SUBMITTED
    attempt = Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=number,
        status=status,
        question_ids=[q.pk for q in asked],
        choice_order={str(q.pk): [c.pk for c in choices.get(q.pk, [])] for q in asked},
        score=sum(pattern) if submitted else None,
        max_score=len(asked),
        submitted_at=timezone.now() if submitted else None,
    )
    for question, is_right in zip(asked, pattern, strict=True):
        options = choices.get(question.pk, [])
        if question.type == QuestionType.NUMERIC:
            value = question.answer_number + (0 if is_right else Decimal(1000))
            Answer.objects.create(
                attempt=attempt,
                question=question,
                is_correct=is_right if submitted else None,
                number_value=value,
                raw_value=f"{value.normalize():f}",
            )
            continue
        answer = Answer.objects.create(
            attempt=attempt, question=question, is_correct=is_right if submitted else None
        )
        wrong = [c for c in options if not c.is_correct]
        picked = [c for c in options if c.is_correct] if is_right else wrong[wrong_pick:][:1]
        AnswerChoice.objects.bulk_create(AnswerChoice(answer=answer, choice=c) for c in picked)
    return attempt


def enroll(classroom: Classroom, *users: User) -> None:
    for user in users:
        classroom.enroll(user)


def read(user: User, *slugs: str) -> None:
    for slug in slugs:
        LessonRead.objects.create(
            user=user, lesson=Lesson.objects.get(slug=slug), last_read_at=timezone.now()
        )


def submit_lab(user: User, key: str, passed: bool = True, outcomes=None, when=None, answer=None):
    """A graded lab submission, as the lab views store one."""
    import hashlib

    from course.labs.models import Lab, LabAttempt

    lab = Lab.objects.get(key=key)
    outcomes = outcomes or [
        {"name": "it works", "visible": True, "passed": passed, "message": "", "error_type": None}
    ]
    score = sum(1 for outcome in outcomes if outcome["passed"])
    text = answer or f"{key} {passed} {LabAttempt.objects.count()}"
    attempt = LabAttempt.objects.create(
        lab=lab,
        user=user,
        answer=text,
        answer_digest=hashlib.sha256(text.encode()).hexdigest(),
        score=score,
        max_score=len(outcomes),
        passed=passed,
        outcomes=outcomes,
    )
    if when is not None:
        LabAttempt.objects.filter(pk=attempt.pk).update(created_at=when)
    return attempt
