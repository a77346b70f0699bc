"""Quiz workflows across attempts, answers and questions, each inside one transaction.

- start_attempt: resume the learner's open attempt or open a new one (questions and shuffled
  choice order snapshotted, so a resumed attempt and its review look the same).
- save_answer / save_answers: upsert answers while the attempt is open.
- submit_attempt: grade exactly once, however many times it is called at the same moment.
- move_to_user: anonymous attempts join the account on sign-up or sign-in.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from quizzes import grading, hooks
from quizzes.models import (
    Answer,
    AnswerChoice,
    Attempt,
    AttemptStatus,
    Choice,
    Question,
    QuestionType,
    Quiz,
    owner_fields,
)
from quizzes.review.workflow import seed_from_quiz

SESSION_ATTEMPTS = "quiz_attempt_ids"
CHOICE_ID_MAX_CHARS = 20


class QuizError(Exception):
    """Something the learner should be told, in words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AnswerError(QuizError):
    pass


class AttemptClosed(QuizError):
    def __init__(self, message: str = "This attempt has been submitted; its answers are final."):
        super().__init__(message)


class QuizEmpty(QuizError):
    def __init__(self, message: str = "This quiz has no questions yet."):
        super().__init__(message)


def owner_of(request, *, create: bool = False):
    """Who owns the attempts this request may see: the signed-in user, or else this browser's
    session key ("" without a session; one is created when `create`, on a POST)."""
    if request is None:
        return ""
    if request.user.is_authenticated:
        return request.user
    if create and request.session.session_key is None:
        request.session.save()
    return request.session.session_key or ""


# --- Starting ------------------------------------------------------------------------------


def open_attempt(quiz: Quiz, owner) -> Attempt | None:
    return (
        Attempt.objects.owned_by(owner).filter(quiz=quiz, status=AttemptStatus.IN_PROGRESS).first()
    )


def _snapshot(quiz: Quiz, rng: random.Random) -> tuple[list[int], dict[str, list[int]]]:
    questions = list(quiz.questions.asked().only("pk", "type"))
    if not questions:
        raise QuizEmpty()
    by_question: dict[int, list[int]] = defaultdict(list)
    choices = Choice.objects.filter(question__in=questions, is_retired=False).order_by(
        "question_id", "order", "pk"
    )
    for question_id, choice_id in choices.values_list("question_id", "pk"):
        by_question[question_id].append(choice_id)
    order: dict[str, list[int]] = {}
    for question in questions:
        ids = by_question.get(question.pk, [])
        # True/false keeps True first: shuffling two fixed words only confuses.
        if question.type != QuestionType.TRUEFALSE:
            rng.shuffle(ids)
        order[str(question.pk)] = ids
    return [question.pk for question in questions], order


def start_attempt(quiz: Quiz, owner, rng: random.Random | None = None) -> tuple[Attempt, bool]:
    """The owner's open attempt at this quiz, or a new one: (attempt, created). `owner` is a
    signed-in user or an anonymous session's key (see owner_of).

    Two requests at the same moment (double click, two tabs) end with one open attempt: the
    partial unique constraints let only one insert win, and the loser resumes the winner's.
    """
    for _ in range(3):
        existing = open_attempt(quiz, owner)
        if existing is not None:
            return existing, False
        question_ids, choice_order = _snapshot(quiz, rng or random.Random())
        try:
            with transaction.atomic():
                mine = Attempt.objects.owned_by(owner).filter(quiz=quiz)
                last = mine.aggregate(last=Max("number"))["last"]
                attempt = Attempt.objects.create(
                    quiz=quiz,
                    number=(last or 0) + 1,
                    question_ids=question_ids,
                    choice_order=choice_order,
                    max_score=len(question_ids),
                    **owner_fields(owner),
                )
        except IntegrityError:
            continue
        return attempt, True
    raise QuizError("Could not start the quiz; please try again.")


# --- Answering -----------------------------------------------------------------------------


# --- What the page posts for a choice -------------------------------------------------------

CHOICE_TOKEN_SALT = "quizzes.choice-token"
CHOICE_TOKEN_CHARS = 12


def choice_token(attempt: Attempt, choice_id: int) -> str:
    """The value a choice's input posts in this attempt.

    Choice ids are assigned in authoring order and the right answer is usually written first,
    so a page that showed ids (or anything derived from them in order) would give the answer
    away to anyone who reads the HTML. A keyed hash of (attempt, choice) is different in every
    attempt and says nothing about the choice; the server maps it back (resolve_choice). The
    leading letter keeps it apart from the plain ids that pages rendered before it posted.
    """
    digest = salted_hmac(CHOICE_TOKEN_SALT, f"{attempt.pk}:{choice_id}").hexdigest()
    return "c" + digest[:CHOICE_TOKEN_CHARS]


def resolve_choice(attempt: Attempt, question_id: int, value: str) -> int | None:
    """The choice id a posted value stands for, if it is one of the options this attempt showed
    for this question; None for anything else (another question's option, junk)."""
    value = value.strip()
    if len(value) > CHOICE_ID_MAX_CHARS or not value.isascii():
        return None
    shown = attempt.choice_order.get(str(question_id), [])
    if value.isdigit():
        # A page rendered before choices were posted as tokens (open in a tab across a
        # deploy) still saves its answer; ids are no longer in any page, so this leaks nothing.
        return int(value) if int(value) in shown else None
    for choice_id in shown:
        if constant_time_compare(choice_token(attempt, choice_id), value):
            return choice_id
    return None


@dataclass(frozen=True)
class ParsedAnswer:
    choices: frozenset[int] = frozenset()
    number: Decimal | None = None
    raw: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.choices and self.number is None


def parse_answer(attempt: Attempt, question: Question, values: Sequence[str]) -> ParsedAnswer:
    """Check posted values against what this attempt showed for this question.

    Raises AnswerError with a message for the learner: a choice id that belongs to another
    question, text in a numeric answer, two answers to a single-choice question...
    """
    if question.type == QuestionType.NUMERIC:
        if len(values) > 1:
            raise AnswerError("Send one number for this question.")
        raw = values[0].strip() if values else ""
        if not raw:
            return ParsedAnswer()
        try:
            number = grading.parse_number(raw)
        except grading.NumberError as error:
            raise AnswerError(str(error)) from None
        return ParsedAnswer(number=number, raw=raw)

    picked: set[int] = set()
    for value in values:
        choice_id = resolve_choice(attempt, question.pk, value)
        if choice_id is None:
            raise AnswerError("That is not one of this question's options.")
        picked.add(choice_id)
    if question.type in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
        if not picked:
            raise AnswerError("Choose an answer.")
        if len(picked) > 1:
            raise AnswerError("Choose only one answer.")
    return ParsedAnswer(choices=frozenset(picked))


def _lock_open(attempt: Attempt) -> None:
    """Lock the attempt row (PostgreSQL; SQLite's IMMEDIATE transaction already serialises
    writers) and check it still takes answers."""
    status = (
        Attempt.objects.select_for_update()
        .filter(pk=attempt.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status != AttemptStatus.IN_PROGRESS:
        raise AttemptClosed()


def _write_answer(attempt: Attempt, question: Question, parsed: ParsedAnswer) -> None:
    if parsed.is_empty:
        Answer.objects.filter(attempt=attempt, question=question).delete()
        return
    answer, created = Answer.objects.update_or_create(
        attempt=attempt,
        question=question,
        defaults={"number_value": parsed.number, "raw_value": parsed.raw, "is_correct": None},
    )
    if question.type == QuestionType.NUMERIC:
        return
    current = set() if created else set(answer.picks.values_list("choice_id", flat=True))
    if current - parsed.choices:
        answer.picks.filter(choice_id__in=current - parsed.choices).delete()
    AnswerChoice.objects.bulk_create(
        [AnswerChoice(answer=answer, choice_id=choice_id) for choice_id in parsed.choices - current]
    )


def save_answer(attempt: Attempt, question: Question, parsed: ParsedAnswer) -> None:
    with transaction.atomic():
        _lock_open(attempt)
        _write_answer(attempt, question, parsed)
        Attempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now())


def field_name(question_id: int) -> str:
    return f"q{question_id}"


def save_answers(
    attempt: Attempt, questions: Iterable[Question], data: Mapping
) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Save a whole posted form (the no-JavaScript path): every valid answer is kept, every
    invalid one is reported. Returns ({question id: error}, {question id: posted values}).

    A radio group that is missing was never chosen, so it is left alone; a missing checkbox
    group or an empty number means the learner cleared it.
    """
    errors: dict[int, str] = {}
    posted: dict[int, list[str]] = {}
    parsed: list[tuple[Question, ParsedAnswer]] = []
    for question in questions:
        values = data.getlist(field_name(question.pk))
        posted[question.pk] = values
        if not values and question.type in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
            continue
        try:
            parsed.append((question, parse_answer(attempt, question, values)))
        except AnswerError as error:
            errors[question.pk] = error.message
    with transaction.atomic():
        _lock_open(attempt)
        for question, answer in parsed:
            _write_answer(attempt, question, answer)
        Attempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now())
    return errors, posted


# --- Submitting ----------------------------------------------------------------------------


def question_spec(question: Question, correct_ids: Iterable[int], shown: Iterable[int]):
    shown_ids = set(shown)
    return grading.QuestionSpec(
        type=question.type,
        correct=frozenset(choice_id for choice_id in correct_ids if choice_id in shown_ids),
        answer=question.answer_number,
        tolerance=question.tolerance or Decimal(0),
    )


def submit_attempt(attempt: Attempt) -> bool:
    """Grade the attempt in one transaction; True if this call did it.

    The conditional UPDATE ... WHERE status = 'in_progress' is the gate: under any number of
    simultaneous submissions (double click, two tabs, a retried request) exactly one sees a
    row change and grades; the others find the attempt submitted and do nothing.
    """
    with transaction.atomic():
        now = timezone.now()
        won = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.IN_PROGRESS).update(
            status=AttemptStatus.SUBMITTED, submitted_at=now, updated_at=now, score=0
        )
        if not won:
            return False
        question_ids = list(attempt.question_ids)
        questions = Question.objects.in_bulk(question_ids)
        correct: dict[int, list[int]] = defaultdict(list)
        for question_id, choice_id in Choice.objects.filter(
            question_id__in=question_ids, is_correct=True
        ).values_list("question_id", "pk"):
            correct[question_id].append(choice_id)
        answers = {answer.question_id: answer for answer in attempt.answers.all()}
        picks: dict[int, set[int]] = defaultdict(set)
        for answer_id, choice_id in AnswerChoice.objects.filter(
            answer__attempt=attempt
        ).values_list("answer_id", "choice_id"):
            picks[answer_id].add(choice_id)

        graded, unanswered = [], []
        for question_id in question_ids:
            question = questions.get(question_id)
            if question is None:
                continue
            spec = question_spec(
                question, correct[question_id], attempt.choice_order.get(str(question_id), [])
            )
            answer = answers.get(question_id)
            if answer is None:
                unanswered.append(Answer(attempt=attempt, question=question, is_correct=False))
                continue
            response = grading.Response(
                choices=frozenset(picks[answer.pk]), number=answer.number_value
            )
            answer.is_correct = grading.grade(spec, response)
            graded.append(answer)
        Answer.objects.bulk_update(graded, ["is_correct"])
        Answer.objects.bulk_create(unanswered)
        points = grading.score(answer.is_correct for answer in graded)
        Attempt.objects.filter(pk=attempt.pk).update(
            score=points, max_score=len(graded) + len(unanswered)
        )
        if attempt.user_id:
            # Spaced review starts from what the quiz showed (quizzes/review/schedule.py).
            seed_from_quiz(
                attempt.user_id,
                [(a.question_id, bool(a.is_correct)) for a in [*graded, *unanswered]],
            )
        # Inside the transaction: a listener's record (LTI's score outbox) commits with the
        # result or not at all.
        hooks.attempt_submitted.send(
            sender=Attempt,
            attempt_id=attempt.pk,
            user_id=attempt.user_id,
            quiz_id=attempt.quiz_id,
            score=points,
            max_score=len(graded) + len(unanswered),
            submitted_at=now,
        )
    return True


# --- Anonymous attempts join the account ----------------------------------------------------


def remember_in_session(session, attempt: Attempt) -> None:
    ids = [i for i in session.get(SESSION_ATTEMPTS, []) if isinstance(i, int)]
    if attempt.pk not in ids:
        session[SESSION_ATTEMPTS] = [*ids, attempt.pk]


def move_to_user(attempt_ids: Iterable, user) -> int:
    """Give these anonymous attempts to `user`; returns how many moved.

    Attempt numbers are then renumbered in the order the attempts were started, so "first
    attempt" stays true. Where both sides have an open attempt at the same quiz, the one with
    more answers (then the more recently used) stays open and the other is marked abandoned,
    so the one-open-attempt rule is never broken and nothing is deleted.
    """
    ids = [i for i in attempt_ids if isinstance(i, int) and not isinstance(i, bool)]
    if not ids:
        return 0
    with transaction.atomic():
        moving = list(Attempt.objects.select_for_update().filter(pk__in=ids, user__isnull=True))
        if not moving:
            return 0
        quiz_ids = {attempt.quiz_id for attempt in moving}
        open_mine = {
            attempt.quiz_id: attempt
            for attempt in Attempt.objects.select_for_update().filter(
                user=user, quiz_id__in=quiz_ids, status=AttemptStatus.IN_PROGRESS
            )
        }
        counts = dict(
            Answer.objects.filter(
                attempt_id__in=[a.pk for a in moving] + [a.pk for a in open_mine.values()]
            )
            .values("attempt_id")
            .annotate(n=Count("pk"))
            .values_list("attempt_id", "n")
        )
        for attempt in sorted(moving, key=lambda a: (a.started_at, a.pk)):
            other = open_mine.get(attempt.quiz_id)
            if attempt.status != AttemptStatus.IN_PROGRESS or other is None:
                continue
            mine_first = (counts.get(other.pk, 0), other.updated_at) >= (
                counts.get(attempt.pk, 0),
                attempt.updated_at,
            )
            loser = attempt if mine_first else other
            Attempt.objects.filter(pk=loser.pk).update(status=AttemptStatus.ABANDONED)
            loser.status = AttemptStatus.ABANDONED
            if not mine_first:
                open_mine[attempt.quiz_id] = attempt

        for quiz_id in quiz_ids:
            theirs = [attempt for attempt in moving if attempt.quiz_id == quiz_id]
            mine = list(
                Attempt.objects.filter(user=user, quiz_id=quiz_id).only(
                    "pk", "number", "started_at"
                )
            )
            everyone = sorted(mine + theirs, key=lambda a: (a.started_at, a.pk))
            top = max((attempt.number for attempt in mine), default=0)
            # Park the user's numbers above any final number first, so no step of the
            # renumbering ever collides with the unique (user, quiz, number) constraint.
            Attempt.objects.filter(user=user, quiz_id=quiz_id).update(
                number=F("number") + top + len(everyone)
            )
            for number, attempt in enumerate(everyone, start=1):
                Attempt.objects.filter(pk=attempt.pk).update(
                    number=number, user=user, session_key=""
                )
    return len(moving)


# --- Showing -------------------------------------------------------------------------------


@dataclass
class Item:
    """One question of an attempt as the pages show it."""

    number: int
    question: Question
    choices: list[Choice]
    selected: set[int] = field(default_factory=set)
    answer: Answer | None = None
    raw: str = ""
    error: str = ""

    @property
    def field(self) -> str:
        return field_name(self.question.pk)

    @property
    def answered(self) -> bool:
        return bool(self.selected) or (self.answer is not None and self.answer.raw_value != "")

    @property
    def is_correct(self) -> bool | None:
        return None if self.answer is None else self.answer.is_correct

    @property
    def selected_choices(self) -> list[Choice]:
        return [choice for choice in self.choices if choice.pk in self.selected]

    @property
    def correct_choices(self) -> list[Choice]:
        return [choice for choice in self.choices if choice.is_correct]

    @property
    def is_partly_right(self) -> bool:
        """A select-all answer with some right picks that still missed the mark."""
        return (
            self.question.is_multiple
            and self.is_correct is False
            and any(choice.is_correct for choice in self.selected_choices)
        )

    @property
    def option_marks(self) -> list[tuple[Choice, str]]:
        """Each option of a select-all question with what the learner did with it: "picked"
        (right), "missed" (right, not picked), "wrong" (picked, not right) or "left" (not right,
        rightly left out); the result page shows which ones cost the mark."""
        marks = []
        for choice in self.choices:
            picked = choice.pk in self.selected
            if choice.is_correct:
                marks.append((choice, "picked" if picked else "missed"))
            else:
                marks.append((choice, "wrong" if picked else "left"))
        return marks

    @property
    def number_display(self) -> str:
        if self.answer is None or self.answer.number_value is None:
            return ""
        return grading.format_answer(self.answer.number_value)


def attempt_items(attempt: Attempt, posted: Mapping[int, list[str]] | None = None) -> list[Item]:
    """The attempt's questions in order, with choices in the attempt's shuffled order and the
    saved answers; `posted` (a form that failed) overrides what is shown, so nothing typed is
    lost. Four queries, whatever the number of questions."""
    questions = Question.objects.in_bulk(attempt.question_ids)
    choice_ids = [cid for ids in attempt.choice_order.values() for cid in ids]
    choices = Choice.objects.in_bulk(choice_ids)
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    picks: dict[int, set[int]] = defaultdict(set)
    for answer_id, choice_id in AnswerChoice.objects.filter(answer__attempt=attempt).values_list(
        "answer_id", "choice_id"
    ):
        picks[answer_id].add(choice_id)
    items = []
    for question_id in attempt.question_ids:
        question = questions.get(question_id)
        if question is None:
            continue
        question.quiz = attempt.quiz
        shown = [
            choices[cid] for cid in attempt.choice_order.get(str(question_id), []) if cid in choices
        ]
        for choice in shown:
            choice.token = choice_token(attempt, choice.pk)
        answer = answers.get(question_id)
        item = Item(
            number=len(items) + 1,
            question=question,
            choices=shown,
            answer=answer,
            selected=set(picks[answer.pk]) if answer else set(),
            raw=answer.raw_value if answer else "",
        )
        if posted is not None and question_id in posted:
            values = posted[question_id]
            if question.type == QuestionType.NUMERIC:
                item.raw = values[0] if values else ""
            else:
                resolved = (resolve_choice(attempt, question_id, v) for v in values)
                item.selected = {choice_id for choice_id in resolved if choice_id is not None}
        items.append(item)
    return items
