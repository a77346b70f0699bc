"""What teachers see about a class, gathered in a fixed number of queries.

Every function here reads a whole class at once with values()/values_list() and aggregates, never
one query per student, then hands plain data to quizzes/reports.py for the maths. The query
count of each page therefore does not depend on the size of the class (tests/teach asserts it).

Who counts as a student in a report: users enrolled in the class who are not staff, not
superusers, not members of Teachers and not teachers of the class.
"""

from __future__ import annotations

import zoneinfo
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
from course.labs.models import Lab, LabAttempt
from course.lessons.models import Lesson, LessonRead
from quizzes import grading, reports
from quizzes.models import (
    TEACHERS_GROUP,
    Answer,
    AnswerChoice,
    Assignment,
    Attempt,
    AttemptStatus,
    Choice,
    Classroom,
    Enrollment,
    Extension,
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


STUDENT_FIELDS = (
    "student_id",
    "student__username",
    "student__first_name",
    "student__last_name",
    "student__email",
    "student__profile__display_name",
    "student__profile__student_id",
)


def student_info(row) -> reports.StudentInfo:
    pk, username, first, last, email, display_name, school_id, joined = row
    return reports.StudentInfo(
        id=pk,
        username=username,
        full_name=f"{first} {last}".strip(),
        joined=timezone.localdate(joined).isoformat() if joined else "",
        display_name=display_name or "",
        student_id=school_id or "",
        email=email,
        first_name=first,
        last_name=last,
        joined_at=joined,
    )


def student_infos(classroom: Classroom) -> list[reports.StudentInfo]:
    rows = (
        class_students(classroom)
        .order_by("student__username", "student_id")
        .values_list(*STUDENT_FIELDS, "joined_at")
    )
    return [student_info(row) for row in rows]


def lesson_infos(with_labs: bool = False) -> list[reports.LessonInfo]:
    """Published lessons in course order, each with its active quiz (one query), and with
    `with_labs` its active labs (a second query)."""
    rows = (
        Lesson.objects.published()
        .order_by("order", "slug")
        .values_list("pk", "slug", "title", "quiz__pk", "quiz__is_active")
    )
    labs: dict[int, list[reports.LabInfo]] = defaultdict(list)
    if with_labs:
        for pk, key, title, lesson_id in (
            Lab.objects.active()
            .order_by("order", "key")
            .values_list("pk", "key", "title", "lesson_id")
        ):
            labs[lesson_id].append(reports.LabInfo(pk, key, title, lesson_id))
    return [
        reports.LessonInfo(pk, slug, title, quiz_id if active else None, tuple(labs.get(pk, ())))
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
    assignments: list[reports.AssignmentInfo] = field(default_factory=list)
    rules: reports.AttentionRules | None = None

    @property
    def columns(self) -> list[dict]:
        """Header cells: each with the ?sort= it links to and its aria-sort."""
        columns: list[dict] = [
            {"key": "name"},
            {"key": "attention"},
            {"key": "active"},
            {"key": "completion"},
        ]  # titled by the template
        columns += [{"key": lesson.slug, "lesson": lesson} for lesson in self.lessons]
        for column in columns:
            column["param"] = self.sort.toggled_param(column["key"])
            column["aria_sort"] = self.sort.aria(column["key"])
        return columns

    @property
    def summary(self) -> reports.Summary:
        return reports.summarise(self.rows)


def attention_rules() -> reports.AttentionRules:
    return reports.AttentionRules(
        pass_mark=settings.QUIZ_PASS_MARK,
        inactive_days=settings.ATTENTION_INACTIVE_DAYS,
        failed_attempts=settings.ATTENTION_FAILED_ATTEMPTS,
    )


def assignment_infos(classroom_ids) -> list[reports.AssignmentInfo]:
    """The classes' assignments, soonest due first (one query)."""
    rows = (
        Assignment.objects.filter(classroom_id__in=classroom_ids)
        .order_by("due_at", "pk")
        .values_list("pk", "lesson_id", "lesson__title", "due_at")
    )
    return [reports.AssignmentInfo(*row) for row in rows]


def extension_dates(assignment_ids, students_ids) -> dict[tuple[int, int], datetime]:
    return {
        (assignment_id, user_id): due
        for assignment_id, user_id, due in Extension.objects.filter(
            assignment_id__in=assignment_ids, student_id__in=students_ids
        )
        .order_by()
        .values_list("assignment_id", "student_id", "due_at")
    }


def gather_rows(
    students: list[reports.StudentInfo],
    students_ids,
    lessons: list[reports.LessonInfo],
    assignments: list[reports.AssignmentInfo],
    now: datetime,
) -> list[reports.MatrixRow]:
    """Everything the matrix knows about these students, in four queries: reads, quiz attempts
    (submitted and open), lab attempts and the assignments' extensions."""
    records = gather_records(students_ids, lessons, assignments)
    return reports.build_matrix(
        students, lessons, assignments=assignments, now=now, rules=attention_rules(), **records
    )


def gather_records(students_ids, lessons, assignments) -> dict:
    """build_matrix's data about these students (see gather_rows)."""
    reads = list(
        LessonRead.objects.filter(user__in=students_ids)
        .order_by()
        .values_list("user_id", "lesson_id", "first_read_at", "last_read_at")
    )
    quiz_ids = [lesson.quiz_id for lesson in lessons if lesson.quiz_id is not None]
    quiz_rows = list(
        Attempt.objects.filter(
            user__in=students_ids,
            quiz_id__in=quiz_ids,
            status__in=[AttemptStatus.SUBMITTED, AttemptStatus.IN_PROGRESS],
        )
        .order_by()
        .values_list(
            "user_id", "quiz_id", "status", "score", "max_score", "submitted_at", "updated_at"
        )
    )
    lab_ids = [lab.id for lesson in lessons for lab in lesson.labs]
    lab_rows = list(
        LabAttempt.objects.filter(user__in=students_ids, lab_id__in=lab_ids)
        .order_by()
        .values_list("user_id", "lab_id", "score", "max_score", "passed", "created_at")
    )
    extensions = extension_dates([a.id for a in assignments], students_ids) if assignments else {}

    activity: dict[int, datetime] = {}

    def saw(user_id: int, moment: datetime | None) -> None:
        if moment is not None and (user_id not in activity or moment > activity[user_id]):
            activity[user_id] = moment

    for user_id, _, _, last in reads:
        saw(user_id, last)
    submitted, opened = [], []
    for user_id, quiz_id, status, score, max_score, submitted_at, updated in quiz_rows:
        saw(user_id, updated)
        if status == AttemptStatus.SUBMITTED:
            submitted.append(reports.AttemptRow(user_id, quiz_id, score, max_score, submitted_at))
        else:
            opened.append((user_id, quiz_id))
    labs = []
    for row in lab_rows:
        saw(row[0], row[5])
        labs.append(reports.LabAttemptRow(*row))
    return {
        "reads": [(user_id, lesson_id) for user_id, lesson_id, _, _ in reads],
        "attempts": submitted,
        "pass_mark": settings.QUIZ_PASS_MARK,
        "lab_attempts": labs,
        "open_attempts": opened,
        "first_reads": {(user_id, lesson_id): first for user_id, lesson_id, first, _ in reads},
        "extensions": extensions,
        "activity": activity,
    }


def progress_matrix(classroom: Classroom, sort: str | None = None, now=None) -> Matrix:
    """Eight queries whatever the class size: students, lessons, labs, assignments, reads,
    quiz attempts, lab attempts, extensions."""
    now = now or timezone.now()
    students = student_infos(classroom)
    lessons = lesson_infos(with_labs=True)
    assignments = assignment_infos([classroom.pk])
    rows = gather_rows(students, student_ids(classroom), lessons, assignments, now)
    chosen = reports.parse_sort(sort, [lesson.slug for lesson in lessons])
    return Matrix(
        lessons,
        reports.sort_rows(rows, chosen),
        chosen,
        settings.QUIZ_PASS_MARK,
        assignments,
        attention_rules(),
    )


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
    """Per active quiz: score histogram and item statistics. Eight queries whatever the class
    size: students, lessons, questions, choices, item sums, wrong-choice picks, wrong numbers,
    attempts."""
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
            "tolerance",
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

    tolerance = {question["pk"]: question["tolerance"] for question in questions}
    numbers: dict[int, list[tuple]] = defaultdict(list)
    for question_id, value, count in (
        Answer.objects.filter(
            attempt__in=first,
            is_correct=False,
            number_value__isnull=False,
            question__type=QuestionType.NUMERIC,
        )
        .order_by()
        .values("question_id", "number_value")
        .annotate(count=Count("pk"))
        .values_list("question_id", "number_value", "count")
    ):
        numbers[question_id].append((value, count))

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
                wrong_values=reports.wrong_values(
                    numbers.get(question["pk"], []),
                    fmt=lambda value, pk=question["pk"]: grading.format_answer(
                        value, tolerance[pk]
                    ),
                ),
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
class LabSubmissionView:
    lab: reports.LabInfo
    pk: int
    score: int
    max_score: int
    passed: bool
    created_at: datetime
    outcomes: list[dict]

    @property
    def percent(self) -> int:
        return grading.percent(self.score, self.max_score)


@dataclass
class LessonView:
    lesson: reports.LessonInfo
    cell: reports.Cell
    first_read_at: datetime | None
    last_read_at: datetime | None
    attempts: list[AttemptView]
    lab_submissions: list[LabSubmissionView] = field(default_factory=list)


@dataclass
class StudentReport:
    student: reports.StudentInfo
    row: reports.MatrixRow
    lessons: list[LessonView]
    pass_mark: int

    @property
    def has_attempts(self) -> bool:
        return any(view.attempts or view.lab_submissions for view in self.lessons)


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


def student_report(
    student: reports.StudentInfo, classroom: Classroom | None = None, now=None
) -> StudentReport:
    """Reading history, every attempt and every submitted answer, every lab submission with its
    tests' outcomes: a fixed number of queries (lessons, labs, reads, attempts, their answers
    with the questions, the choices picked, the right choices, lab submissions, and with a class
    its assignments and this student's extensions)."""
    now = now or timezone.now()
    lessons = lesson_infos(with_labs=True)
    labs_by_id = {lab.id: lab for lesson in lessons for lab in lesson.labs}
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

    submitted_rows = [
        (a.pk, reports.AttemptRow(student.id, quiz_of[a.pk], a.score, a.max_score))
        for a in attempts.values()
        if a.is_submitted and a.score is not None
    ]
    submitted_at: dict[int, datetime | None] = {}
    submissions: dict[int, list[LabSubmissionView]] = defaultdict(list)
    lab_rows = []
    for pk, lab_id, score, max_score, passed, created, outcomes in (
        LabAttempt.objects.filter(user_id=student.id, lab_id__in=list(labs_by_id))
        .order_by("created_at", "pk")
        .values_list("pk", "lab_id", "score", "max_score", "passed", "created_at", "outcomes")
    ):
        lab = labs_by_id[lab_id]
        submissions[lab.lesson_id].append(
            LabSubmissionView(lab, pk, score, max_score, passed, created, list(outcomes or []))
        )
        lab_rows.append(
            reports.LabAttemptRow(student.id, lab_id, score, max_score, passed, created)
        )
    for attempt in attempts.values():
        if attempt.is_submitted:
            submitted_at[attempt.pk] = attempt.submitted_at
    assignments = assignment_infos([classroom.pk]) if classroom is not None else []
    extensions = extension_dates([a.id for a in assignments], [student.id]) if assignments else {}
    mark = settings.QUIZ_PASS_MARK
    (row,) = reports.build_matrix(
        [student],
        lessons,
        [(student.id, lesson_id) for lesson_id in reads],
        [
            reports.AttemptRow(r.user_id, r.quiz_id, r.score, r.max_score, submitted_at.get(pk))
            for pk, r in submitted_rows
        ],
        mark,
        lab_attempts=lab_rows,
        first_reads={(student.id, lesson_id): first for lesson_id, (first, _) in reads.items()},
        assignments=assignments,
        extensions=extensions,
        now=now,
    )
    views = [
        LessonView(
            lesson=lesson,
            cell=cell,
            first_read_at=reads.get(lesson.id, (None, None))[0],
            last_read_at=reads.get(lesson.id, (None, None))[1],
            attempts=by_lesson.get(lesson.id, []),
            lab_submissions=submissions.get(lesson.id, []),
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


def classes_taught_archived(user, archived: bool) -> list[Classroom]:
    return [c for c in classes_taught(user) if c.is_archived == archived]


# --- Labs: what the class fails ----------------------------------------------------------------


def class_lab_analysis(classroom: Classroom) -> list[reports.LabAnalysis]:
    """Per active lab, the tests the class fails most and the commonest error types: four
    queries whatever the class size (class size, lessons, labs, submissions)."""
    class_size = class_students(classroom).count()
    lessons = lesson_infos(with_labs=True)
    labs = [(lab, lesson.title) for lesson in lessons for lab in lesson.labs]
    by_lab: dict[int, list[reports.LabSubmission]] = defaultdict(list)
    for user_id, lab_id, passed, outcomes, created in (
        LabAttempt.objects.filter(
            user__in=student_ids(classroom), lab_id__in=[lab.id for lab, _ in labs]
        )
        .order_by()
        .values_list("user_id", "lab_id", "passed", "outcomes", "created_at")
    ):
        cleaned = tuple(o for o in (outcomes or []) if isinstance(o, dict))
        by_lab[lab_id].append(reports.LabSubmission(user_id, lab_id, passed, cleaned, created))
    return [
        reports.lab_analysis(lab, title, class_size, by_lab.get(lab.id, [])) for lab, title in labs
    ]


# --- Notes -------------------------------------------------------------------------------------


def student_note(classroom: Classroom, user_id: int):
    from quizzes.models import StudentNote

    return (
        StudentNote.objects.filter(classroom=classroom, student_id=user_id)
        .select_related("updated_by")
        .first()
    )


# --- A student's own due dates -----------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    classroom_name: str
    state: reports.AssignmentState
    lesson_slug: str
    relative: str
    time_zone: str = "UTC"

    @property
    def local_due(self) -> datetime:
        """The due moment on the class's clock, as the teacher set it."""
        return self.due_at.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    @property
    def title(self) -> str:
        return self.state.assignment.title

    @property
    def due_at(self) -> datetime:
        return self.state.due_at

    @property
    def url(self) -> str:
        return reverse("lesson", kwargs={"slug": self.lesson_slug})


def due_items(user, now=None) -> list[DueItem]:
    """The student's assignments in the classes they are in (archived ones left out), soonest
    first, each with its state by the one completion rule: a fixed number of queries (classes,
    assignments, extensions, lessons, labs, reads, quiz attempts, lab attempts), none but the
    first when they have no assignments."""
    now = now or timezone.now()
    if not user.is_authenticated:
        return []
    classes = {
        pk: (name, zone)
        for pk, name, zone in Classroom.objects.filter(enrollments__student=user, is_archived=False)
        .order_by()
        .values_list("pk", "name", "time_zone")
    }
    if not classes:
        return []
    rows = list(
        Assignment.objects.filter(classroom_id__in=list(classes))
        .order_by("due_at", "pk")
        .values_list("pk", "lesson_id", "lesson__title", "due_at", "classroom_id", "lesson__slug")
    )
    if not rows:
        return []
    infos = {
        pk: reports.AssignmentInfo(pk, lesson, title, due) for pk, lesson, title, due, _, _ in rows
    }
    where = {pk: (classroom_id, slug) for pk, _, _, _, classroom_id, slug in rows}
    student = reports.StudentInfo(id=user.pk, username=user.get_username())
    lessons = lesson_infos(with_labs=True)
    records = gather_records([user.pk], lessons, list(infos.values()))
    items = []
    # A lesson may be assigned by two classes: one (pure) pass per class keeps each its own
    # due date, on records fetched once.
    for classroom_id in sorted({c for c, _ in where.values()}):
        mine = [infos[pk] for pk in infos if where[pk][0] == classroom_id]
        (row,) = reports.build_matrix([student], lessons, assignments=mine, now=now, **records)
        for state in row.assignments:
            items.append(
                DueItem(
                    classes[classroom_id][0],
                    state,
                    where[state.assignment.id][1],
                    reports.relative_due(state.due_at, now),
                    classes[classroom_id][1],
                )
            )
    return sorted(items, key=lambda item: (item.due_at, item.state.assignment.id))
