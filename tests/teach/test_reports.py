"""quizzes/reports.py: the maths, on hand-computed examples, without the database."""

import math

import pytest

from quizzes import reports
from quizzes.reports import (
    AttemptRow,
    Distractor,
    ItemSums,
    LessonInfo,
    Sort,
    StudentInfo,
)
from quizzes.teach import csv as teach_csv

# --- Facility and discrimination ---------------------------------------------------------------

# Five students' first attempts. X: this question right (1) or wrong (0); T: the total score.
#   X = 1 1 1 0 0     T = 4 3 3 2 1     rest score Y = T - X = 3 2 2 2 1
# Facility = 3/5 = 60%.
# mean X = 0.6, mean Y = 2.0
#   X - mean: .4 .4 .4 -.6 -.6      Y - mean: 1 0 0 0 -1
#   Σ(dx·dy) = .4·1 + (-.6)(-1) = 1.0
#   Σdx² = 3·.16 + 2·.36 = 1.2      Σdy² = 1 + 1 = 2
#   r = 1.0 / sqrt(1.2 · 2) = 1 / sqrt(2.4) = 0.6455
HAND = [(True, 4), (True, 3), (True, 3), (False, 2), (False, 1)]


def test_item_sums_from_responses():
    assert reports.item_sums(HAND) == ItemSums(n=5, right=3, total=13, right_total=10, total_sq=39)


def test_facility_hand_example():
    assert reports.facility(reports.item_sums(HAND)) == pytest.approx(60.0)


def test_discrimination_hand_example():
    r = reports.discrimination(reports.item_sums(HAND))
    assert r == pytest.approx(1 / math.sqrt(2.4))
    assert f"{r:.2f}" == "0.65"


def pearson(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    return cov / math.sqrt(vx * vy)


def test_discrimination_is_the_correlation_with_the_rest_of_the_score():
    responses = [(True, 9), (False, 7), (True, 5), (True, 8), (False, 2), (False, 6), (True, 3)]
    xs = [1 if right else 0 for right, _ in responses]
    rest = [total - x for x, (_, total) in zip(xs, responses, strict=True)]
    expected = pearson(xs, rest)
    assert reports.discrimination(reports.item_sums(responses)) == pytest.approx(expected)
    # Not the uncorrected item-total correlation, which counts the item in its own total.
    uncorrected = pearson(xs, [total for _, total in responses])
    assert uncorrected != pytest.approx(expected)


def test_negative_discrimination_when_weak_students_get_it_right():
    responses = [(False, 9), (False, 8), (True, 3), (True, 2)]
    assert reports.discrimination(reports.item_sums(responses)) < 0


@pytest.mark.parametrize(
    "responses",
    [
        [],  # nobody
        [(True, 3)],  # one student
        [(True, 3), (True, 5), (True, 1)],  # everyone right: X does not vary
        [(False, 3), (False, 5)],  # everyone wrong
        [(True, 4), (False, 3)],  # rest score 3 for both: Y does not vary
    ],
)
def test_discrimination_is_undefined_without_variance(responses):
    assert reports.discrimination(reports.item_sums(responses)) is None


def test_facility_undefined_without_answers():
    assert reports.facility(ItemSums()) is None


# --- Distractors and flags ---------------------------------------------------------------------


def wrong(*shares):
    return [
        Distractor(i, f"choice {i}", f"<em>choice {i}</em>", round(s * 10), s)
        for i, s in enumerate(shares)
    ]


def test_distractors_counts_every_wrong_choice_most_picked_first():
    found = reports.distractors(
        [(1, "A", "A"), (2, "B", "B"), (3, "C", "C")], picks={2: 6, 3: 1}, n=10
    )
    assert [(d.choice_id, d.picked, d.percent) for d in found] == [
        (2, 6, 60),
        (3, 1, 10),
        (1, 0, 0),
    ]


def test_low_facility_with_a_popular_wrong_choice_names_it():
    (flag,) = reports.flags(20.0, 0.4, n=10, wrong=wrong(0.6, 0.2))
    assert flag.kind == "distractor"
    assert flag.hint == "Most of the class picks “choice 0”: the lesson may be unclear here"
    assert flag.links_lesson
    assert flag.reason == "Facility 20% (below 30%)"


def test_low_facility_without_a_popular_wrong_choice_points_at_the_lesson():
    (flag,) = reports.flags(25.0, 0.4, n=10, wrong=wrong(0.4, 0.35))
    assert flag.kind == "facility"
    assert flag.hint == "Few students get this right: revisit the lesson section"


def test_half_the_class_is_not_most_of_it():
    (flag,) = reports.flags(10.0, 0.4, n=10, wrong=wrong(0.5, 0.4))
    assert flag.kind == "facility"


def test_low_discrimination_is_flagged():
    (flag,) = reports.flags(80.0, 0.05, n=10)
    assert flag.kind == "discrimination"
    assert flag.hint.startswith("Strong and weak students do equally well on this")
    assert flag.reason == "Discrimination 0.05 (below 0.1)"


def test_both_reasons_are_reported():
    kinds = [f.kind for f in reports.flags(10.0, -0.2, n=10, wrong=wrong(0.3))]
    assert kinds == ["facility", "discrimination"]


@pytest.mark.parametrize(
    ("fac", "disc", "n"),
    [
        (30.0, 0.1, 10),  # on the thresholds: not below them
        (90.0, None, 10),  # undefined discrimination is not "low"
        (0.0, -1.0, 4),  # too few students to flag anything
    ],
)
def test_not_flagged(fac, disc, n):
    assert reports.flags(fac, disc, n=n) == []


def test_item_stats_puts_it_together():
    sums = reports.item_sums([(False, 1)] * 4 + [(True, 2)])
    item = reports.item_stats(
        question_id=1,
        number=1,
        key="k",
        prompt_html="<p>Q</p>",
        prompt_text="Q",
        section_url="/lessons/docker/#s",
        section_title="S",
        sums=sums,
        wrong_choices=[(7, "Wrong", "Wrong")],
        picks={7: 4},
    )
    assert item.facility_label == "20%"
    assert item.discrimination_label == "—"  # the rest score is 1 for everyone
    assert [f.kind for f in item.flags] == ["distractor"]
    assert item.wrong_choices[0].percent == 80


# --- Progress matrix ---------------------------------------------------------------------------

DOCKER = LessonInfo(1, "docker", "Docker", quiz_id=10)
ECS = LessonInfo(2, "ecs", "Amazon ECS", quiz_id=20)
INTRO = LessonInfo(3, "intro", "Intro")  # no quiz
LESSONS = [DOCKER, ECS, INTRO]
ANA = StudentInfo(100, "ana", "Ana Ito")
BO = StudentInfo(200, "bo")
CY = StudentInfo(300, "Cy")


def matrix(pass_mark=70):
    reads = [(100, 1), (100, 2), (100, 3), (200, 1), (300, 3)]
    attempts = [
        AttemptRow(100, 10, 4, 10),
        AttemptRow(100, 10, 8, 10),  # Ana's best at Docker: 80%, 2 tries
        AttemptRow(100, 20, 7, 10),  # exactly the pass mark
        AttemptRow(200, 10, 69, 100),  # Bo: just under
        AttemptRow(300, 20, 1, 3),
    ]
    return reports.build_matrix([ANA, BO, CY], LESSONS, reads, attempts, pass_mark)


def test_matrix_cells_and_completion():
    ana, bo, cy = matrix()
    assert [c.read_label for c in ana.cells] == ["✓ Read", "✓ Read", "✓ Read"]
    assert [c.score_label for c in ana.cells] == ["✓ 80% · 2 tries", "✓ 70% · 1 try", ""]
    assert [c.is_complete for c in ana.cells] == [True, True, True]
    assert (ana.completed, ana.total, ana.percent) == (3, 3, 100)
    assert [c.score_label for c in bo.cells] == ["✗ 69% · 1 try (below 70%)", "No tries", ""]
    assert [c.is_complete for c in bo.cells] == [False, False, False]
    assert [c.read_label for c in cy.cells] == ["– Not read", "– Not read", "✓ Read"]
    # A lesson without a quiz is complete once read.
    assert [c.is_complete for c in cy.cells] == [False, False, True]
    assert (cy.completed, cy.percent) == (1, 33)


def test_matrix_uses_the_pass_mark():
    ana, bo, _ = matrix(pass_mark=80)
    assert [c.is_complete for c in ana.cells] == [True, False, True]
    assert (
        reports.build_matrix([BO], LESSONS, [(200, 1)], [AttemptRow(200, 10, 69, 100)], 69)[0]
        .cells[0]
        .is_complete
    )


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("name", ["ana", "bo", "Cy"]),
        ("-name", ["Cy", "bo", "ana"]),
        ("-completion", ["ana", "Cy", "bo"]),
        ("completion", ["bo", "Cy", "ana"]),
        ("-docker", ["ana", "bo", "Cy"]),  # 80%, 69%, no tries
        ("docker", ["Cy", "bo", "ana"]),
        ("-intro", ["ana", "Cy", "bo"]),  # no quiz: read first, then by name
        ("nonsense", ["ana", "bo", "Cy"]),
        ("", ["ana", "bo", "Cy"]),
        ("-", ["ana", "bo", "Cy"]),
    ],
)
def test_sorting(param, expected):
    sort = reports.parse_sort(param, [lesson.slug for lesson in LESSONS])
    assert [row.student.username for row in reports.sort_rows(matrix(), sort)] == expected


def test_sort_links_and_aria():
    sort = Sort("completion", descending=True)
    assert sort.aria("completion") == "descending"
    assert sort.aria("name") == ""
    assert sort.toggled_param("completion") == "completion"
    assert sort.toggled_param("name") == "name"
    assert sort.toggled_param("docker") == "-docker"
    assert Sort("name").toggled_param("name") == "-name"


# --- Score distribution ------------------------------------------------------------------------


def test_histogram_bins():
    counts = reports.histogram([0, 9, 10, 19, 55, 89, 90, 99, 100])
    assert counts == [2, 2, 0, 0, 0, 1, 0, 0, 1, 3]
    assert reports.BIN_LABELS[0] == "0–9" and reports.BIN_LABELS[-1] == "90–100"


def test_best_percents_takes_each_students_best():
    rows = [AttemptRow(1, 10, 2, 10), AttemptRow(1, 10, 9, 10), AttemptRow(2, 10, 5, 10)]
    assert sorted(reports.best_percents(rows)[10]) == [50, 90]


def test_histogram_chart_labels_every_bar_and_summarises():
    counts = [0, 0, 0, 1, 0, 2, 4, 6, 3, 1]
    chart = reports.histogram_chart(counts, "Docker", class_size=20)
    assert [bar.count for bar in chart.bars] == counts
    assert [bar.label for bar in chart.bars] == list(reports.BIN_LABELS)
    tallest = max(chart.bars, key=lambda bar: bar.count)
    assert tallest.label == "70–79" and tallest.y >= chart.plot_top
    assert all(
        bar.y + bar.height == pytest.approx(chart.plot_bottom, abs=0.2) for bar in chart.bars
    )
    assert chart.y_ticks[-1][1] >= 6
    assert chart.summary == (
        "Best scores of the 17 students (of 20) who took the Docker quiz. "
        "The middle student scored 70–79%; the most common range is 70–79% (6)."
    )


def test_histogram_summary_when_nobody_took_it():
    assert reports.describe_histogram([0] * 10, "ECS", 3) == (
        "No student has submitted the ECS quiz yet."
    )


# --- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("ana", "ana"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-0.25, -0.25),  # numbers we computed stay numbers
        (42, 42),
        (True, "yes"),
        (False, "no"),
    ],
)
def test_neutralise(value, expected):
    assert teach_csv.neutralise(value) == expected


def test_matrix_csv_rows():
    ana, bo, cy = matrix()
    evil = reports.MatrixRow(StudentInfo(9, '=HYPERLINK("x")', "@Eve", "2026-01-02"), ana.cells)
    header, *rows = teach_csv.matrix_csv_rows([ana, bo, evil], LESSONS)
    assert header == [
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
        "Docker: read",
        "Docker: best %",
        "Docker: attempts",
        "Amazon ECS: read",
        "Amazon ECS: best %",
        "Amazon ECS: attempts",
        "Intro: read",
    ]
    who = ["", "", "", "", "", ""]  # display name, ID, email, joined, last active, attention
    assert rows[0] == ["ana", "Ana Ito", *who, 3, 3, 100, "yes", 80, 2, "yes", 70, 1, "yes"]
    assert rows[1] == ["bo", "", *who, 0, 3, 0, "yes", 69, 1, "no", "", 0, "no"]
    assert rows[2][:2] == ['\'=HYPERLINK("x")', "'@Eve"]
    assert rows[2][5] == "2026-01-02"
