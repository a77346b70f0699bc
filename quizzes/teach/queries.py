"""What teachers see about a class, gathered in a fixed number of queries.

Every function here reads a whole class at once with values()/values_list() and aggregates, never
one query per student, then hands plain data to quizzes/reports.py for the maths. The query
count of each page therefore does not depend on the size of the class (tests/teach asserts it).

Who counts as a student in a report: users enrolled in the class who are not staff, not
superusers, not members of Teachers and not teachers of the class.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone

from course.common.text import html_to_text
from course.lessons.models import Lesson, LessonRead
from quizzes import grading, reports
from quizzes.models import (
    TEACHERS_GROUP,
    Answer,
    AnswerChoice,
    Attempt,
    AttemptStatus,
    Choice,
    Classroom,
    Enrollment,
    Question,
    QuestionType,
)

User = get_user_model()


def teacher_names(classroom: Classroom) -> list[tuple[int, str]]:
    """(user id, username) of the class's teachers, A to Z."""
    return list(classroom.teachers.order_by("username").values_list("pk", "username"))


def find_user(username: str):
    """The user with this username: exact first, then ignoring case if that is unambiguous."""
    username = username.strip()
    if not username:
        return None
    exact = User.objects.filter(username=username).first()
    if exact is not None:
        return exact
    matches = list(User.objects.filter(username__iexact=username)[:2])
    return matches[0] if len(matches) == 1 else None


# --- Students of a class -----------------------------------------------------------------------


def class_students(classroom) -> QuerySet:
    """The enrolments that count in the class's reports; `classroom` may be an OuterRef."""
    in_teachers = User.groups.through.objects.filter(
        user_id=OuterRef("student_id"), group__name=TEACHERS_GROUP
    )
    teaches_it = Classroom.teachers.through.objects.filter(
        classroom_id=OuterRef("classroom_id"), user_id=OuterRef("student_id")
    )
    return (
        Enrollment.objects.filter(
            classroom=classroom, student__is_staff=False, student__is_superuser=False
        )
        .exclude(Exists(in_teachers))
        .exclude(Exists(teaches_it))
    )


def student_ids(classroom: Classroom) -> QuerySet:
    """A subquery of the class's students' user ids."""
    return class_students(classroom).values("student_id")


STUDENT_FIELDS = ("student_id", "student__username", "student__first_name", "student__last_name")


def student_info(row) -> reports.StudentInfo:
    pk, username, first, last, joined = row
    return reports.StudentInfo(
        id=pk,
        username=username,
        full_name=f"{first} {last}".strip(),
        joined=timezone.localdate(joined).isoformat() if joined else "",
    )


def student_infos(classroom: Classroom) -> list[reports.StudentInfo]:
    rows = (
        class_students(classroom)
        .order_by("student__username", "student_id")
        .values_list(*STUDENT_FIELDS, "joined_at")
    )
    return [student_info(row) for row in rows]


def lesson_infos() -> list[reports.LessonInfo]:
    """Published lessons in course order, each with its active quiz (one query)."""
    rows = (
        Lesson.objects.published()
        .order_by("order", "slug")
        .values_list("pk", "slug", "title", "quiz__pk", "quiz__is_active")
    )
    return [
        reports.LessonInfo(pk, slug, title, quiz_id if active else None)
        for pk, slug, title, quiz_id, active in rows
    ]


def submitted_attempts(students_ids: QuerySet, quiz_ids) -> list[reports.AttemptRow]:
    rows = (
        Attempt.objects.filter(
            user__in=students_ids,
            status=AttemptStatus.SUBMITTED,
            quiz_id__in=list(quiz_ids),
        )
        .order_by()
        .values_list("user_id", "quiz_id", "score", "max_score")
    )
    return [reports.AttemptRow(*row) for row in rows]


# --- The class page: progress matrix -----------------------------------------------------------


@dataclass
class Matrix:
    lessons: list[reports.LessonInfo]
    rows: list[reports.MatrixRow]
    sort: reports.Sort
    pass_mark: int

    @property
    def columns(self) -> list[dict]:
        """Header cells: each with the ?sort= it links to and its aria-sort."""
        columns: list[dict] = [{"key": "name"}, {"key": "completion"}]  # titled by the template
        columns += [{"key": lesson.slug, "lesson": lesson} for lesson in self.lessons]
        for column in columns:
            column["param"] = self.sort.toggled_param(column["key"])
            column["aria_sort"] = self.sort.aria(column["key"])
        return columns


def progress_matrix(classroom: Classroom, sort: str | None = None) -> Matrix:
    """Four queries: students, lessons, reads, submitted attempts."""
    students = student_infos(classroom)
    lessons = lesson_infos()
    students_ids = student_ids(classroom)
    reads = LessonRead.objects.filter(user__in=students_ids).values_list("user_id", "lesson_id")
    quiz_ids = [lesson.quiz_id for lesson in lessons if lesson.quiz_id is not None]
    attempts = submitted_attempts(students_ids, quiz_ids)
    mark = settings.QUIZ_PASS_MARK
    rows = reports.build_matrix(students, lessons, reads.order_by(), attempts, mark)
    chosen = reports.parse_sort(sort, [lesson.slug for lesson in lessons])
    return Matrix(lessons, reports.sort_rows(rows, chosen), chosen, mark)


# --- The analysis page: item statistics and score distributions --------------------------------


def first_attempts(students_ids: QuerySet) -> QuerySet:
    """Each student's first submitted attempt at each quiz (the lowest-numbered submitted one)."""
    earlier = Attempt.objects.filter(
        user=OuterRef("user"),
        quiz=OuterRef("quiz"),
        status=AttemptStatus.SUBMITTED,
        number__lt=OuterRef("number"),
    )
    return Attempt.objects.filter(user__in=students_ids, status=AttemptStatus.SUBMITTED).exclude(
        Exists(earlier)
    )


def section_url(lesson_slug: str, section: str) -> str:
    return f"{reverse('lesson', kwargs={'slug': lesson_slug})}#{section}"


def class_analysis(classroom: Classroom) -> list[reports.QuizAnalysis]:
    """Per active quiz: score histogram and item statistics. Seven queries whatever the class
    size: students, lessons, questions, choices, item sums, wrong-choice picks, attempts."""
    students_ids = student_ids(classroom)
    class_size = class_students(classroom).count()
    lessons = [lesson for lesson in lesson_infos() if lesson.quiz_id is not None]
    by_quiz = {lesson.quiz_id: lesson for lesson in lessons}

    questions = list(
        Question.objects.filter(quiz_id__in=list(by_quiz))
        .order_by("quiz_id", "order", "pk")
        .values(
            "pk",
            "quiz_id",
            "key",
            "type",
            "prompt_html",
            "section",
            "is_retired",
            "quiz__lesson__slug",
            "quiz__lesson__headings",
        )
    )
    wrong_by_question: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for cid, question_id, html in (
        Choice.objects.filter(question__quiz_id__in=list(by_quiz), is_correct=False)
        .order_by("question_id", "order", "pk")
        .values_list("pk", "question_id", "text_html")
    ):
        wrong_by_question[question_id].append((cid, html_to_text(html), html))

    first = first_attempts(students_ids).values("pk")
    score = Cast("attempt__score", BigIntegerField())
    sums = {
        row["question_id"]: reports.ItemSums(
            n=row["n"],
            right=row["right"],
            total=row["total"] or 0,
            right_total=row["right_total"] or 0,
            total_sq=row["total_sq"] or 0,
        )
        for row in Answer.objects.filter(attempt__in=first)
        .order_by()
        .values("question_id")
        .annotate(
            n=Count("pk"),
            right=Count("pk", filter=Q(is_correct=True)),
            total=Sum("attempt__score"),
            right_total=Sum("attempt__score", filter=Q(is_correct=True)),
            # Cast first: PostgreSQL multiplies smallints as smallints.
            total_sq=Sum(score * score),
        )
    }
    picks: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, choice_id, count in (
        AnswerChoice.objects.filter(answer__attempt__in=first, choice__is_correct=False)
        .order_by()
        .values("answer__question_id", "choice_id")
        .annotate(count=Count("pk"))
        .values_list("answer__question_id", "choice_id", "count")
    ):
        picks[question_id][choice_id] = count

    best = reports.best_percents(submitted_attempts(students_ids, by_quiz))

    items: dict[int, list[reports.ItemStats]] = defaultdict(list)
    for question in questions:
        stats = sums.get(question["pk"], reports.ItemSums())
        if question["is_retired"] and stats.n == 0:
            continue  # retired before anyone in the class met it
        quiz_items = items[question["quiz_id"]]
        anchor = question["section"]
        title = Lesson(headings=question["quiz__lesson__headings"] or []).heading_title(anchor)
        quiz_items.append(
            reports.item_stats(
                question_id=question["pk"],
                number=len(quiz_items) + 1,
                key=question["key"],
                prompt_html=question["prompt_html"],
                prompt_text=html_to_text(question["prompt_html"]),
                section_url=section_url(question["quiz__lesson__slug"], anchor),
                section_title=title,
                sums=stats,
                wrong_choices=(
                    wrong_by_question.get(question["pk"], [])
                    if question["type"] != QuestionType.NUMERIC
                    else []
                ),
                picks=picks.get(question["pk"]),
            )
        )
    return [
        reports.quiz_analysis(
            lesson=lesson,
            quiz_url=reverse("quizzes:quiz", kwargs={"slug": lesson.slug}),
            class_size=class_size,
            best=best.get(lesson.quiz_id, []),
            items=items.get(lesson.quiz_id, []),
        )
        for lesson in lessons
    ]


# --- A student's drill-down --------------------------------------------------------------------


@dataclass
class AnswerView:
    number: int
    prompt_html: str
    is_correct: bool | None
    given_html: list[str] = field(default_factory=list)  # picked choices, as authored
    given_text: str = ""  # a numeric answer as typed
    correct_html: list[str] = field(default_factory=list)
    correct_text: str = ""  # a numeric question's answer (± tolerance)
    unit: str = ""  # a numeric question's unit, shown after both

    @property
    def answered(self) -> bool:
        return bool(self.given_html or self.given_text)


@dataclass
class AttemptView:
    pk: int
    number: int
    status: str
    score: int | None
    max_score: int
    started_at: datetime
    submitted_at: datetime | None
    answers: list[AnswerView] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        return None if self.score is None else grading.percent(self.score, self.max_score)

    @property
    def is_submitted(self) -> bool:
        return self.status == AttemptStatus.SUBMITTED


@dataclass
class LessonView:
    lesson: reports.LessonInfo
    cell: reports.Cell
    first_read_at: datetime | None
    last_read_at: datetime | None
    attempts: list[AttemptView]


@dataclass
class StudentReport:
    student: reports.StudentInfo
    row: reports.MatrixRow
    lessons: list[LessonView]
    pass_mark: int

    @property
    def has_attempts(self) -> bool:
        return any(view.attempts for view in self.lessons)


def class_student(classroom: Classroom, user_id: int) -> reports.StudentInfo | None:
    """The student, if they are one of this class's students (as reports count them)."""
    row = (
        class_students(classroom)
        .filter(student_id=user_id)
        .values_list(*STUDENT_FIELDS, "joined_at")
        .first()
    )
    return None if row is None else student_info(row)


def answer_view(answer: Answer, number: int) -> AnswerView:
    question = answer.question
    view = AnswerView(
        number=number,
        prompt_html=question.prompt_html,
        is_correct=answer.is_correct,
        given_html=[pick.choice.text_html for pick in answer.picks.all()],
        correct_html=[choice.text_html for choice in question.right_choices],
    )
    if question.type == QuestionType.NUMERIC:
        view.unit = question.unit
        view.given_text = answer.raw_value
        if question.answer_number is not None:
            view.correct_text = grading.format_answer(question.answer_number, question.tolerance)
    return view


def student_report(student: reports.StudentInfo) -> StudentReport:
    """Reading history, every attempt and every submitted answer: six queries (lessons, reads,
    attempts, their answers with the questions, the choices picked, the right choices)."""
    lessons = lesson_infos()
    by_quiz = {lesson.quiz_id: lesson for lesson in lessons if lesson.quiz_id is not None}
    reads = {
        lesson_id: (first, last)
        for lesson_id, first, last in LessonRead.objects.filter(user_id=student.id)
        .order_by()
        .values_list("lesson_id", "first_read_at", "last_read_at")
    }
    answers = Answer.objects.filter(attempt__status=AttemptStatus.SUBMITTED).select_related(
        "question"
    )
    rows = (
        Attempt.objects.filter(user_id=student.id, quiz_id__in=list(by_quiz))
        .exclude(status=AttemptStatus.ABANDONED)
        .order_by("quiz_id", "number")
        .prefetch_related(
            Prefetch("answers", queryset=answers),
            Prefetch(
                "answers__picks",
                queryset=AnswerChoice.objects.select_related("choice").order_by(
                    "choice__order", "choice_id"
                ),
            ),
            Prefetch(
                "answers__question__choices",
                queryset=Choice.objects.filter(is_correct=True),  # Meta orders them as asked
                to_attr="right_choices",
            ),
        )
    )
    attempts: dict[int, AttemptView] = {}
    quiz_of: dict[int, int] = {}
    for row in rows:
        view = AttemptView(
            row.pk,
            row.number,
            row.status,
            row.score,
            row.max_score,
            row.started_at,
            row.submitted_at,
        )
        attempts[row.pk] = view
        quiz_of[row.pk] = row.quiz_id
        by_question = {answer.question_id: answer for answer in row.answers.all()}
        for position, question_id in enumerate(row.question_ids, start=1):
            answer = by_question.get(question_id)
            if answer is not None:
                view.answers.append(answer_view(answer, position))

    by_lesson: dict[int, list[AttemptView]] = defaultdict(list)
    for pk, attempt in attempts.items():
        by_lesson[by_quiz[quiz_of[pk]].id].append(attempt)

    submitted = [
        reports.AttemptRow(student.id, quiz_of[a.pk], a.score, a.max_score)
        for a in attempts.values()
        if a.is_submitted and a.score is not None
    ]
    mark = settings.QUIZ_PASS_MARK
    (row,) = reports.build_matrix(
        [student], lessons, [(student.id, lesson_id) for lesson_id in reads], submitted, mark
    )
    views = [
        LessonView(
            lesson=lesson,
            cell=cell,
            first_read_at=reads.get(lesson.id, (None, None))[0],
            last_read_at=reads.get(lesson.id, (None, None))[1],
            attempts=by_lesson.get(lesson.id, []),
        )
        for lesson, cell in zip(lessons, row.cells, strict=True)
    ]
    return StudentReport(student=student, row=row, lessons=views, pass_mark=mark)


# --- Classes a teacher or a student sees -------------------------------------------------------


def classes_taught(user) -> list[Classroom]:
    """The teacher's classes, each with its number of students as reports count them."""
    counts = (
        class_students(OuterRef("pk"))
        .order_by()
        .values("classroom_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Classroom.objects.taught_by(user).annotate(student_count=Coalesce(Subquery(counts), 0))
    )


def classes_joined(user) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(student=user)
        .select_related("classroom")
        .order_by("classroom__name", "classroom_id")
    )
