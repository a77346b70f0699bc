"""Report maths for teachers: the progress matrix, item analysis, score histograms and CSV rows.

Pure: plain data in (ids, booleans, integer scores), plain data out; no Django imports, so every
figure here is unit-tested without a database. quizzes/teach/queries.py gathers the data in a fixed
number of queries and calls these functions.

Definitions (also shown to teachers on the analysis page):

- A lesson is complete when it is read and, if it has a quiz, the best submitted score reaches the
  pass mark: grading.lesson_complete, the same rule as the learner's own /progress/.
- Item statistics use each student's FIRST submitted attempt at a quiz, before any retakes could
  teach them the answers.
- Facility: the percentage of those students who answered the question right.
- Discrimination: the corrected item-total correlation, i.e. the Pearson (point-biserial)
  correlation between the item score X (1 right, 0 wrong) and the REST score Y = T - X, where T is
  the attempt's total score. Leaving the item out of the total stops it correlating with itself.
  It is undefined (None, shown as "—") with fewer than two students or when X or Y does not vary
  (everyone right, everyone wrong, or everyone with the same rest score).
- Score distribution: each student's BEST submitted score, in ten bins 0-9%, ..., 80-89%, 90-100%.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from quizzes.grading import lesson_complete, percent

# --- Progress matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonInfo:
    id: int
    slug: str
    title: str
    quiz_id: int | None = None  # its active quiz, if it has one


@dataclass(frozen=True)
class StudentInfo:
    id: int
    username: str
    full_name: str = ""
    joined: str = ""  # ISO date, for the CSV

    @property
    def display(self) -> str:
        return f"{self.full_name} ({self.username})" if self.full_name else self.username


@dataclass(frozen=True)
class AttemptRow:
    """One submitted attempt."""

    user_id: int
    quiz_id: int
    score: int
    max_score: int


@dataclass
class QuizRecord:
    """One student's submitted attempts at one quiz."""

    attempts: int = 0
    best: tuple[int, int] | None = None  # (score, max score)

    def add(self, score: int, max_score: int) -> None:
        self.attempts += 1
        # Compare fractions exactly: a/b > c/d  <=>  a*d > c*b.
        if self.best is None or score * self.best[1] > self.best[0] * max_score:
            self.best = (score, max_score)

    @property
    def best_percent(self) -> int | None:
        return None if self.best is None else percent(*self.best)


def records_by_student(attempts: Iterable[AttemptRow]) -> dict[tuple[int, int], QuizRecord]:
    """{(user id, quiz id): QuizRecord} folded from submitted attempts."""
    records: dict[tuple[int, int], QuizRecord] = defaultdict(QuizRecord)
    for row in attempts:
        records[(row.user_id, row.quiz_id)].add(row.score, row.max_score)
    return dict(records)


@dataclass(frozen=True)
class Cell:
    lesson: LessonInfo
    is_read: bool
    record: QuizRecord | None  # None: the lesson has no quiz
    is_complete: bool

    @property
    def has_quiz(self) -> bool:
        return self.record is not None

    @property
    def best_percent(self) -> int | None:
        return None if self.record is None else self.record.best_percent

    @property
    def attempts(self) -> int:
        return 0 if self.record is None else self.record.attempts

    @property
    def read_label(self) -> str:
        return "✓ Read" if self.is_read else "– Not read"

    @property
    def score_label(self) -> str:
        """Like "80% · 2 tries", or "No tries", or "" (no quiz): words, never colour alone."""
        if self.record is None:
            return ""
        if self.record.best is None:
            return "No tries"
        tries = self.record.attempts
        return f"{self.record.best_percent}% · {tries} {'try' if tries == 1 else 'tries'}"


@dataclass(frozen=True)
class MatrixRow:
    student: StudentInfo
    cells: tuple[Cell, ...]

    @property
    def completed(self) -> int:
        return sum(1 for cell in self.cells if cell.is_complete)

    @property
    def total(self) -> int:
        return len(self.cells)

    @property
    def percent(self) -> int:
        return percent(self.completed, self.total)

    def cell_for(self, slug: str) -> Cell | None:
        return next((cell for cell in self.cells if cell.lesson.slug == slug), None)


def build_matrix(
    students: Sequence[StudentInfo],
    lessons: Sequence[LessonInfo],
    reads: Iterable[tuple[int, int]],
    attempts: Iterable[AttemptRow],
    pass_mark: int,
) -> list[MatrixRow]:
    """A row per student, a cell per lesson. `reads`: (user id, lesson id) pairs."""
    read = set(reads)
    records = records_by_student(attempts)
    rows = []
    for student in students:
        cells = []
        for lesson in lessons:
            is_read = (student.id, lesson.id) in read
            record = None
            if lesson.quiz_id is not None:
                record = records.get((student.id, lesson.quiz_id)) or QuizRecord()
            best = None if record is None else record.best
            complete = lesson_complete(is_read, record is not None, best, pass_mark)
            cells.append(Cell(lesson, is_read, record, is_complete=complete))
        rows.append(MatrixRow(student, tuple(cells)))
    return rows


@dataclass(frozen=True)
class Sort:
    key: str  # "name", "completion" or a lesson slug
    descending: bool = False

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def toggled_param(self, key: str) -> str:
        """The ?sort= value a column header links to: its own column flips direction; another
        column starts ascending for names and descending (best first) for figures."""
        if key == self.key:
            return key if self.descending else f"-{key}"
        return key if key == "name" else f"-{key}"

    def aria(self, key: str) -> str:
        if key != self.key:
            return ""
        return "descending" if self.descending else "ascending"


DEFAULT_SORT = Sort("name")


def parse_sort(value: str | None, lesson_slugs: Iterable[str]) -> Sort:
    """?sort=name | completion | <lesson slug>, "-" in front for descending; anything else
    falls back to sorting by name."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key in {"name", "completion"} or key in set(lesson_slugs):
        return Sort(key, descending)
    return DEFAULT_SORT


def sort_rows(rows: Sequence[MatrixRow], sort: Sort) -> list[MatrixRow]:
    """Sorted by the chosen column; ties (and the name column) by name, always A to Z."""
    by_name = sorted(rows, key=lambda row: (row.student.username.casefold(), row.student.id))
    if sort.key == "name":
        return list(reversed(by_name)) if sort.descending else by_name

    def figure(row: MatrixRow) -> tuple:
        if sort.key == "completion":
            return (row.completed,)
        cell = row.cell_for(sort.key)
        if cell is None:
            return (-1, -1, -1)
        best = cell.best_percent
        # Lessons without a quiz sort on reading alone; no tries sorts below 0%.
        return (-1 if best is None else best, int(cell.is_read), cell.attempts)

    # Python's sort is stable: sorting the name-ordered list keeps names A to Z within a tie.
    return sorted(by_name, key=figure, reverse=sort.descending)


# --- Item analysis -----------------------------------------------------------------------------

FACILITY_FLAG_BELOW = 30  # percent
DISCRIMINATION_FLAG_BELOW = 0.1
MIN_RESPONSES_FOR_FLAGS = 5  # fewer first attempts than this: figures shown, no flags
MOST_OF_CLASS = 0.5  # a wrong choice picked by more than this share of students


@dataclass(frozen=True)
class ItemSums:
    """Sufficient statistics for one question over the students' first attempts.

    With X the item score (0/1) and T the attempt's total score, per student:
    n = count, right = ΣX, total = ΣT, right_total = ΣXT (T summed where X = 1),
    total_sq = ΣT². The database computes these with one aggregate query per class.
    """

    n: int = 0
    right: int = 0
    total: int = 0
    right_total: int = 0
    total_sq: int = 0


def item_sums(responses: Iterable[tuple[bool, int]]) -> ItemSums:
    """ItemSums from (is correct, attempt total score) pairs, one per student."""
    n = right = total = right_total = total_sq = 0
    for is_correct, score in responses:
        x = 1 if is_correct else 0
        n += 1
        right += x
        total += score
        right_total += x * score
        total_sq += score * score
    return ItemSums(n, right, total, right_total, total_sq)


def facility(sums: ItemSums) -> float | None:
    """Percentage of students who got it right; None when nobody answered."""
    if sums.n == 0:
        return None
    return 100 * sums.right / sums.n


def discrimination(sums: ItemSums) -> float | None:
    """Corrected item-total correlation r(X, T - X); None when undefined (see module doc).

    With Y = T - X and X² = X:
        ΣY  = ΣT - ΣX
        ΣXY = ΣXT - ΣX
        ΣY² = ΣT² - 2ΣXT + ΣX
        r   = (nΣXY - ΣXΣY) / sqrt((nΣX² - (ΣX)²) (nΣY² - (ΣY)²))
    Everything before the square root is exact integer arithmetic.
    """
    n, sx = sums.n, sums.right
    if n < 2:
        return None
    sy = sums.total - sx
    sxy = sums.right_total - sx
    syy = sums.total_sq - 2 * sums.right_total + sx
    covariance = n * sxy - sx * sy
    var_x = n * sx - sx * sx
    var_y = n * syy - sy * sy
    if var_x <= 0 or var_y <= 0:
        return None
    r = covariance / math.sqrt(var_x * var_y)
    return max(-1.0, min(1.0, r))  # float rounding must not push it past ±1


@dataclass(frozen=True)
class Distractor:
    """A wrong choice and how many students picked it."""

    choice_id: int
    text: str  # plain text
    html: str  # as authored (rendered at sync), for the page
    picked: int
    share: float  # of the students who answered

    @property
    def percent(self) -> int:
        return round(100 * self.share)


def distractors(
    wrong_choices: Sequence[tuple[int, str, str]], picks: dict[int, int], n: int
) -> list[Distractor]:
    """Every wrong choice, most picked first. wrong_choices: (id, text, html) in question order;
    picks: {choice id: students who picked it}."""
    found = [
        Distractor(cid, text, html, picks.get(cid, 0), picks.get(cid, 0) / n if n else 0.0)
        for cid, text, html in wrong_choices
    ]
    # Stable: ties keep the question's own order.
    return sorted(found, key=lambda d: -d.picked)


@dataclass(frozen=True)
class Flag:
    kind: str  # "facility" | "distractor" | "discrimination"
    reason: str  # the figure that raised it
    hint: str  # what it may mean, in plain words
    links_lesson: bool = False  # the hint points at the lesson section


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def flags(
    fac: float | None,
    disc: float | None,
    n: int,
    wrong: Sequence[Distractor] = (),
    min_responses: int = MIN_RESPONSES_FOR_FLAGS,
) -> list[Flag]:
    """Why a question deserves a look, with a hint for each reason.

    Low facility: if more than half the students picked the same wrong choice, that choice is
    the hint (a shared misconception); otherwise, revisit the lesson section. Low discrimination:
    strong and weak students do equally well. Too few answers: no flags at all, since one
    student's slip would flag a question.
    """
    if n < min_responses or fac is None:
        return []
    found = []
    if fac < FACILITY_FLAG_BELOW:
        reason = f"Facility {fac:.0f}% (below {FACILITY_FLAG_BELOW}%)"
        popular = wrong[0] if wrong else None
        if popular is not None and popular.share > MOST_OF_CLASS:
            found.append(
                Flag(
                    "distractor",
                    reason,
                    f"Most of the class picks “{shorten(popular.text)}”: "
                    "the lesson may be unclear here",
                    links_lesson=True,
                )
            )
        else:
            found.append(
                Flag(
                    "facility",
                    reason,
                    "Few students get this right: revisit the lesson section",
                    links_lesson=True,
                )
            )
    if disc is not None and disc < DISCRIMINATION_FLAG_BELOW:
        found.append(
            Flag(
                "discrimination",
                f"Discrimination {disc:.2f} (below {DISCRIMINATION_FLAG_BELOW})",
                "Strong and weak students do equally well on this: "
                "the question may be ambiguous or a giveaway",
            )
        )
    return found


@dataclass(frozen=True)
class ItemStats:
    question_id: int
    number: int  # position in the quiz, from 1
    key: str
    prompt_html: str
    prompt_text: str
    section_url: str
    section_title: str
    sums: ItemSums
    wrong_choices: tuple[Distractor, ...] = ()
    flags: tuple[Flag, ...] = ()

    @property
    def n(self) -> int:
        return self.sums.n

    @property
    def facility(self) -> float | None:
        return facility(self.sums)

    @property
    def facility_label(self) -> str:
        fac = self.facility
        return "—" if fac is None else f"{fac:.0f}%"

    @property
    def discrimination(self) -> float | None:
        return discrimination(self.sums)

    @property
    def discrimination_label(self) -> str:
        disc = self.discrimination
        return "—" if disc is None else f"{disc:.2f}"

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)


def item_stats(
    question_id: int,
    number: int,
    key: str,
    prompt_html: str,
    prompt_text: str,
    section_url: str,
    section_title: str,
    sums: ItemSums,
    wrong_choices: Sequence[tuple[int, str, str]] = (),
    picks: dict[int, int] | None = None,
    min_responses: int = MIN_RESPONSES_FOR_FLAGS,
) -> ItemStats:
    wrong = distractors(wrong_choices, picks or {}, sums.n)
    return ItemStats(
        question_id=question_id,
        number=number,
        key=key,
        prompt_html=prompt_html,
        prompt_text=prompt_text,
        section_url=section_url,
        section_title=section_title,
        sums=sums,
        wrong_choices=tuple(wrong),
        flags=tuple(
            flags(facility(sums), discrimination(sums), sums.n, wrong, min_responses=min_responses)
        ),
    )


# --- Score distribution ------------------------------------------------------------------------

BIN_LABELS = tuple(f"{low}–{low + 9}" for low in range(0, 90, 10)) + ("90–100",)


def histogram(percents: Iterable[int]) -> list[int]:
    """Counts in ten bins: 0-9, 10-19, ..., 80-89, 90-100."""
    counts = [0] * 10
    for value in percents:
        counts[min(max(value, 0) // 10, 9)] += 1
    return counts


def best_percents(attempts: Iterable[AttemptRow]) -> dict[int, list[int]]:
    """{quiz id: [each student's best percent]}."""
    by_quiz: dict[int, list[int]] = defaultdict(list)
    for (_, quiz_id), record in records_by_student(attempts).items():
        if record.best_percent is not None:
            by_quiz[quiz_id].append(record.best_percent)
    return dict(by_quiz)


def median_bin(counts: Sequence[int]) -> str | None:
    total = sum(counts)
    if total == 0:
        return None
    seen = 0
    for label, count in zip(BIN_LABELS, counts, strict=True):
        seen += count
        if 2 * seen >= total:
            return label
    return BIN_LABELS[-1]  # pragma: no cover - the loop always returns


CHART_WIDTH, CHART_HEIGHT = 560, 240
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 12, 22, 44


@dataclass(frozen=True)
class Bar:
    label: str  # the bin, "70–79"
    count: int
    x: float
    y: float
    width: float
    height: float
    label_x: float  # middle of the bar, for its count and bin labels
    count_y: float


@dataclass(frozen=True)
class HistogramChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    bars: tuple[Bar, ...]
    y_ticks: tuple[tuple[float, int], ...]  # (y position, count)
    total: int
    summary: str


def nice_top(value: int) -> int:
    """An axis maximum at least `value`: 1, 2, 5 times a power of ten (5 at the least)."""
    top = max(value, 5)
    power = 10 ** (len(str(top)) - 1)
    for step in (1, 2, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power  # pragma: no cover


def describe_histogram(counts: Sequence[int], quiz_title: str, class_size: int) -> str:
    """The chart's message in words, for its <desc> and screen readers."""
    total = sum(counts)
    if total == 0:
        return f"No student has submitted the {quiz_title} quiz yet."
    busiest = max(range(10), key=lambda i: (counts[i], i))
    student = "student" if total == 1 else "students"
    parts = [
        f"Best scores of the {total} {student} (of {class_size}) who took the {quiz_title} quiz.",
        f"The middle student scored {median_bin(counts)}%;",
        f"the most common range is {BIN_LABELS[busiest]}% ({counts[busiest]}).",
    ]
    return " ".join(parts)


def histogram_chart(counts: Sequence[int], quiz_title: str, class_size: int) -> HistogramChart:
    """Bar geometry for the SVG: bars, their count labels and the y axis ticks."""
    plot_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    top = nice_top(max(counts, default=0))
    slot = plot_w / len(counts)
    gap = slot * 0.18
    bars = []
    for index, (label, count) in enumerate(zip(BIN_LABELS, counts, strict=True)):
        height = round(plot_h * count / top, 1)
        x = round(CHART_LEFT + index * slot + gap / 2, 1)
        y = round(CHART_TOP + plot_h - height, 1)
        bars.append(
            Bar(
                label=label,
                count=count,
                x=x,
                y=y,
                width=round(slot - gap, 1),
                height=height,
                label_x=round(CHART_LEFT + (index + 0.5) * slot, 1),
                count_y=round(y - 5, 1),
            )
        )
    ticks = tuple(
        (round(CHART_TOP + plot_h - plot_h * step / 5, 1), top * step // 5) for step in range(6)
    )
    return HistogramChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        plot_left=CHART_LEFT,
        plot_right=CHART_WIDTH - CHART_RIGHT,
        plot_top=CHART_TOP,
        plot_bottom=CHART_HEIGHT - CHART_BOTTOM,
        bars=tuple(bars),
        y_ticks=ticks,
        total=sum(counts),
        summary=describe_histogram(counts, quiz_title, class_size),
    )


@dataclass(frozen=True)
class QuizAnalysis:
    lesson: LessonInfo
    quiz_url: str
    class_size: int
    takers: int  # students with a submitted attempt
    counts: tuple[int, ...]  # histogram of best scores
    items: tuple[ItemStats, ...]
    chart: HistogramChart

    @property
    def flagged(self) -> int:
        return sum(1 for item in self.items if item.is_flagged)

    @property
    def bins(self) -> list[tuple[str, int]]:
        return list(zip(BIN_LABELS, self.counts, strict=True))


def quiz_analysis(
    lesson: LessonInfo,
    quiz_url: str,
    class_size: int,
    best: Sequence[int],
    items: Sequence[ItemStats],
) -> QuizAnalysis:
    counts = histogram(best)
    return QuizAnalysis(
        lesson=lesson,
        quiz_url=quiz_url,
        class_size=class_size,
        takers=len(best),
        counts=tuple(counts),
        items=tuple(items),
        chart=histogram_chart(counts, lesson.title, class_size),
    )
