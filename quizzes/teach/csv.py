"""CSV downloads: rows a spreadsheet opens safely, and the response that carries them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

from quizzes.reports import AssignmentInfo, LabAnalysis, LessonInfo, MatrixRow, QuizAnalysis

# --- CSV ---------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe, which shows it
    as text. Numbers we computed pass through, so they stay numbers (and may be negative)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_rows(rows: Iterable[Sequence[object]]) -> list[list[object]]:
    return [[neutralise(value) for value in row] for row in rows]


def matrix_csv_rows(rows: Sequence[MatrixRow], lessons: Sequence[LessonInfo]) -> list[list]:
    """Header + one row per student: who, completion, attention, then per lesson read / best %
    / tries / each lab's state / the assignment's state."""
    header: list[object] = [
        "Username",
        "Name",
        "Display name",
        "Student ID",
        "Email",
        "Joined",
        "Last active",
        "Needs attention",
        "Lessons complete",
        "Lessons",
        "Completion %",
    ]
    assigned = {cell.lesson.id for row in rows for cell in row.cells if cell.assignment is not None}
    for lesson in lessons:
        header.append(f"{lesson.title}: read")
        if lesson.quiz_id is not None:
            header += [f"{lesson.title}: best %", f"{lesson.title}: attempts"]
        header += [f"{lesson.title}: lab {lab.title}" for lab in lesson.labs]
        if lesson.id in assigned:
            header.append(f"{lesson.title}: assignment")
    body = []
    for row in rows:
        line: list[object] = [
            row.student.username,
            row.student.full_name,
            row.student.display_name,
            row.student.student_id,
            row.student.email,
            row.student.joined,
            row.last_active.isoformat(timespec="minutes") if row.last_active else "",
            "; ".join(reason.text for reason in row.reasons),
            row.completed,
            row.total,
            row.percent,
        ]
        for cell in row.cells:
            line.append(cell.is_read)
            if cell.has_quiz:
                line += [cell.best_percent, cell.attempts]
            line += [lab.state for lab in cell.labs]
            if cell.lesson.id in assigned:
                line.append(cell.assignment.state if cell.assignment else "")
        body.append(line)
    return safe_rows([header, *body])


def grade_cells(row: MatrixRow, assignments: Sequence[AssignmentInfo]) -> list[int]:
    by_lesson = {cell.lesson.id: cell for cell in row.cells}
    return [
        by_lesson[a.lesson_id].grade_percent if a.lesson_id in by_lesson else 0 for a in assignments
    ]


def moodle_rows(
    rows: Sequence[MatrixRow], assignments: Sequence[AssignmentInfo], _class_name: str = ""
) -> list[list]:
    """Moodle's "Import grades: CSV file": a header row, one row per student. Moodle maps an
    identifier column to a user field (here "Email address", "ID number" or "Username") and each
    further column to a grade item; grades are percentages (set the items' maximum to 100)."""
    header = ["First name", "Last name", "ID number", "Email address", "Username"]
    header += [a.title for a in assignments]
    body = [
        [
            row.student.first_name,
            row.student.last_name,
            row.student.student_id,
            row.student.email,
            row.student.username,
            *grade_cells(row, assignments),
        ]
        for row in sorted(rows, key=lambda r: (r.student.username.casefold(), r.student.id))
    ]
    return safe_rows([header, *body])


CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_rows(
    rows: Sequence[MatrixRow], assignments: Sequence[AssignmentInfo], section: str = ""
) -> list[list]:
    """Canvas's gradebook CSV, as its own export writes it: Student ("Last, First"), ID (the
    Canvas user id, unknown here, so empty), SIS User ID (the student ID), SIS Login ID,
    Section, then one column per assignment; a "Points Possible" row under the header makes
    each assignment out of 100, so the percentages import as points."""
    header = [*CANVAS_HEADER, *(a.title for a in assignments)]
    points = ["    Points Possible", "", "", "", "", *([100] * len(assignments))]
    body = []
    for row in sorted(rows, key=lambda r: (r.student.username.casefold(), r.student.id)):
        student = row.student
        if student.last_name and student.first_name:
            name = f"{student.last_name}, {student.first_name}"
        else:
            name = student.name or student.username
        body.append(
            [
                name,
                "",
                student.student_id,
                student.username,
                section,
                *grade_cells(row, assignments),
            ]
        )
    return safe_rows([header, points, *body])


def lab_analysis_csv_rows(labs: Sequence[LabAnalysis]) -> list[list]:
    header = [
        "Lesson",
        "Lab",
        "Students tried",
        "Students passed",
        "Submissions",
        "Test",
        "Visible",
        "Students failing (latest)",
        "Failing %",
        "Error types",
    ]
    body = []
    for lab in labs:
        errors = "; ".join(f"{kind} ({count})" for kind, count in lab.error_types)
        tests = lab.tests or ()
        if not tests:
            body.append(
                [lab.lesson_title, lab.lab.title, lab.tried, lab.passed, lab.submissions]
                + ["", "", "", "", errors]
            )
        for test in tests:
            body.append(
                [
                    lab.lesson_title,
                    lab.lab.title,
                    lab.tried,
                    lab.passed,
                    lab.submissions,
                    test.name,
                    test.visible,
                    test.failed,
                    test.percent,
                    errors,
                ]
            )
    return safe_rows([header, *body])


def analysis_csv_rows(quizzes: Sequence[QuizAnalysis], absolute=lambda url: url) -> list[list]:
    """Header + one row per question; `absolute` turns a site path into a full URL."""
    header = [
        "Lesson",
        "Question",
        "Key",
        "Prompt",
        "Students (first attempts)",
        "Facility %",
        "Discrimination",
        "Flagged",
        "Hints",
        "Wrong choices picked",
        "Wrong numbers given",
        "Lesson section",
    ]
    body = []
    for quiz in quizzes:
        for item in quiz.items:
            fac = item.facility
            disc = item.discrimination
            body.append(
                [
                    quiz.lesson.title,
                    item.number,
                    item.key,
                    item.prompt_text,
                    item.n,
                    None if fac is None else round(fac),
                    None if disc is None else round(disc, 2),
                    item.is_flagged,
                    " / ".join(flag.hint for flag in item.flags),
                    "; ".join(f"{d.text} ({d.picked})" for d in item.wrong_choices),
                    "; ".join(f"{v.text} ({v.count})" for v in item.wrong_values),
                    absolute(item.section_url),
                ]
            )
    return safe_rows([header, *body])


def csv_response(filename: str, rows: list[list]) -> HttpResponse:
    """UTF-8 with a byte-order mark, so Excel reads accents and non-Latin names right."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    csv.writer(response, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return response
