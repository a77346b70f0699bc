"""CSV downloads: rows a spreadsheet opens safely, and the response that carries them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

from quizzes.reports import LessonInfo, MatrixRow, QuizAnalysis

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
    """Header + one row per student: who, completion, then per lesson read / best % / tries."""
    header: list[object] = [
        "Username",
        "Name",
        "Joined",
        "Lessons complete",
        "Lessons",
        "Completion %",
    ]
    for lesson in lessons:
        header.append(f"{lesson.title}: read")
        if lesson.quiz_id is not None:
            header += [f"{lesson.title}: best %", f"{lesson.title}: attempts"]
    body = []
    for row in rows:
        line: list[object] = [
            row.student.username,
            row.student.full_name,
            row.student.joined,
            row.completed,
            row.total,
            row.percent,
        ]
        for cell in row.cells:
            line.append(cell.is_read)
            if cell.has_quiz:
                line += [cell.best_percent, cell.attempts]
        body.append(line)
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
