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
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from quizzes.grading import lesson_complete, passed, percent

# --- Progress matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabInfo:
    id: int
    key: str
    title: str
    lesson_id: int


@dataclass(frozen=True)
class LessonInfo:
    id: int
    slug: str
    title: str
    quiz_id: int | None = None  # its active quiz, if it has one
    labs: tuple[LabInfo, ...] = ()  # its active labs, in order


@dataclass(frozen=True)
class StudentInfo:
    id: int
    username: str
    full_name: str = ""
    joined: str = ""  # ISO date, for the CSV
    display_name: str = ""  # from their profile: what they asked to be called
    student_id: str = ""  # their school's ID number, if they gave it
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    joined_at: datetime | None = None

    @property
    def name(self) -> str:
        """The name a teacher reads: the chosen display name, else the account's full name."""
        return self.display_name or self.full_name

    @property
    def display(self) -> str:
        return f"{self.name} ({self.username})" if self.name else self.username


@dataclass(frozen=True)
class AttemptRow:
    """One submitted attempt."""

    user_id: int
    quiz_id: int
    score: int
    max_score: int
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class LabAttemptRow:
    """One submitted lab answer."""

    user_id: int
    lab_id: int
    score: int
    max_score: int
    passed: bool
    created_at: datetime | None = None


@dataclass
class QuizRecord:
    """One student's submitted attempts at one quiz."""

    attempts: int = 0
    best: tuple[int, int] | None = None  # (score, max score)
    # Submission times with their scores, to find when the quiz was first passed.
    history: list[tuple[datetime, int, int]] = field(default_factory=list)
    in_progress: bool = False

    def add(self, score: int, max_score: int, at: datetime | None = None) -> None:
        self.attempts += 1
        # Compare fractions exactly: a/b > c/d  <=>  a*d > c*b.
        if self.best is None or score * self.best[1] > self.best[0] * max_score:
            self.best = (score, max_score)
        if at is not None:
            self.history.append((at, score, max_score))

    def first_passed_at(self, pass_mark: int) -> datetime | None:
        return min(
            (at for at, score, top in self.history if passed(score, top, pass_mark)),
            default=None,
        )

    @property
    def best_percent(self) -> int | None:
        return None if self.best is None else percent(*self.best)


def records_by_student(attempts: Iterable[AttemptRow]) -> dict[tuple[int, int], QuizRecord]:
    """{(user id, quiz id): QuizRecord} folded from submitted attempts."""
    records: dict[tuple[int, int], QuizRecord] = defaultdict(QuizRecord)
    for row in attempts:
        records[(row.user_id, row.quiz_id)].add(row.score, row.max_score, row.submitted_at)
    return dict(records)


LAB_PASSED, LAB_ATTEMPTED, LAB_NOT_STARTED = "passed", "attempted", "not started"
LAB_LABELS = {
    LAB_PASSED: "✓ Passed",
    LAB_ATTEMPTED: "✗ Tried",
    LAB_NOT_STARTED: "– Not started",
}


@dataclass
class LabRecord:
    """One student's submissions to one lab."""

    attempts: int = 0
    best: tuple[int, int] | None = None
    first_passed_at: datetime | None = None
    passed: bool = False

    def add(self, row: LabAttemptRow) -> None:
        self.attempts += 1
        if self.best is None or row.score * self.best[1] > self.best[0] * row.max_score:
            self.best = (row.score, row.max_score)
        if row.passed:
            self.passed = True
            if row.created_at is not None and (
                self.first_passed_at is None or row.created_at < self.first_passed_at
            ):
                self.first_passed_at = row.created_at


@dataclass(frozen=True)
class LabCell:
    lab: LabInfo
    record: LabRecord

    @property
    def state(self) -> str:
        if self.record.passed:
            return LAB_PASSED
        return LAB_ATTEMPTED if self.record.attempts else LAB_NOT_STARTED

    @property
    def label(self) -> str:
        return LAB_LABELS[self.state]

    @property
    def fraction(self) -> float:
        """Its best score as a share of the points: 0 before any try."""
        best = self.record.best
        return 0.0 if not best or not best[1] else best[0] / best[1]


def lab_records(rows: Iterable[LabAttemptRow]) -> dict[tuple[int, int], LabRecord]:
    """{(user id, lab id): LabRecord}."""
    records: dict[tuple[int, int], LabRecord] = defaultdict(LabRecord)
    for row in rows:
        records[(row.user_id, row.lab_id)].add(row)
    return dict(records)


def lesson_done(
    is_read: bool,
    record: QuizRecord | None,
    labs: Sequence[LabCell],
    pass_mark: int,
) -> bool:
    """Complete for teachers: the one rule, grading.lesson_complete (read, quiz passed, every lab
    passed), as the learner's own pages count it."""
    best = None if record is None else record.best
    lab_counts = (sum(1 for cell in labs if cell.record.passed), len(labs))
    return lesson_complete(is_read, record is not None, best, pass_mark, lab_counts)


def completed_at(
    first_read_at: datetime | None,
    record: QuizRecord | None,
    labs: Sequence[LabCell],
    pass_mark: int,
) -> datetime | None:
    """When a complete lesson became complete: the latest of when it was first read, when its
    quiz was first passed and when each lab was first passed (None if any moment is unknown)."""
    moments = [first_read_at]
    if record is not None:
        moments.append(record.first_passed_at(pass_mark))
    moments += [cell.record.first_passed_at for cell in labs]
    if any(moment is None for moment in moments):
        return None
    return max(moments)


@dataclass(frozen=True)
class AssignmentInfo:
    id: int
    lesson_id: int
    title: str
    due_at: datetime


ON_TIME, LATE, MISSING, PENDING = "done", "late", "missing", "pending"
ASSIGNMENT_LABELS = {
    ON_TIME: "✓ Done on time",
    LATE: "⚠ Late",
    MISSING: "✗ Missing",
    PENDING: "Not due yet",
}


@dataclass(frozen=True)
class AssignmentState:
    assignment: AssignmentInfo
    due_at: datetime  # the student's own: the class's date, or their extension
    state: str
    done_at: datetime | None = None

    @property
    def label(self) -> str:
        return ASSIGNMENT_LABELS[self.state]

    @property
    def extended(self) -> bool:
        return self.due_at != self.assignment.due_at


def assignment_state(
    assignment: AssignmentInfo,
    due_at: datetime,
    is_complete: bool,
    done_at: datetime | None,
    now: datetime,
) -> AssignmentState:
    """Complete after the due moment: late. Not complete and past it: missing."""
    if is_complete:
        late = done_at is not None and done_at > due_at
        return AssignmentState(assignment, due_at, LATE if late else ON_TIME, done_at)
    return AssignmentState(assignment, due_at, MISSING if now > due_at else PENDING)


PASS, BELOW, NO_SCORE = "pass", "below", "none"


@dataclass(frozen=True)
class Cell:
    lesson: LessonInfo
    is_read: bool
    record: QuizRecord | None  # None: the lesson has no quiz
    is_complete: bool
    labs: tuple[LabCell, ...] = ()
    pass_mark: int = 0
    assignment: AssignmentState | None = None

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
    def in_progress(self) -> bool:
        return self.record is not None and self.record.in_progress

    @property
    def score_status(self) -> str:
        """Against the pass mark: the matrix colours it, and says it in words too."""
        if self.record is None or self.record.best is None:
            return NO_SCORE
        return PASS if passed(*self.record.best, self.pass_mark) else BELOW

    @property
    def read_label(self) -> str:
        return "✓ Read" if self.is_read else "– Not read"

    @property
    def score_label(self) -> str:
        """Like "✓ 80% · 2 tries", "✗ 40% · 1 try (below 70%)", or "No tries", or "" (no
        quiz): words and symbols, never colour alone."""
        if self.record is None:
            return ""
        if self.record.best is None:
            return "No tries"
        tries = self.record.attempts
        text = f"{self.record.best_percent}% · {tries} {'try' if tries == 1 else 'tries'}"
        if self.score_status == PASS:
            return f"✓ {text}"
        return f"✗ {text} (below {self.pass_mark}%)"

    @property
    def labs_passed(self) -> int:
        return sum(1 for cell in self.labs if cell.state == LAB_PASSED)

    @property
    def labs_attempted(self) -> int:
        return sum(1 for cell in self.labs if cell.state == LAB_ATTEMPTED)

    @property
    def labs_label(self) -> str:
        """Like "Labs: 1 passed, 1 tried, 1 not started"; "" without labs."""
        if not self.labs:
            return ""
        started = len(self.labs) - self.labs_passed - self.labs_attempted
        parts = [f"{self.labs_passed} passed"]
        if self.labs_attempted:
            parts.append(f"{self.labs_attempted} tried")
        if started:
            parts.append(f"{started} not started")
        return f"Labs {self.labs_passed}/{len(self.labs)}: " + ", ".join(parts)

    @property
    def item_fractions(self) -> list[float]:
        """The quiz's and each lab's best score as shares: what a gradebook grade averages."""
        found = []
        if self.record is not None:
            best = self.record.best
            found.append(0.0 if not best or not best[1] else best[0] / best[1])
        found += [cell.fraction for cell in self.labs]
        return found

    @property
    def grade_percent(self) -> int:
        """The lesson's grade for a gradebook: the mean of the quiz's and labs' best scores
        (each counted once); a lesson with neither is 100 when read, else 0."""
        fractions = self.item_fractions
        if not fractions:
            return 100 if self.is_read else 0
        return round(100 * sum(fractions) / len(fractions))


INACTIVE, BEHIND, ON_TRACK = "inactive", "behind", "on track"


@dataclass(frozen=True)
class AttentionRules:
    pass_mark: int
    inactive_days: int
    failed_attempts: int


@dataclass(frozen=True)
class Reason:
    kind: str  # "inactive" | "failing" | "missing"
    text: str


def attention_reasons(
    cells: Sequence[Cell],
    last_active: datetime | None,
    joined_at: datetime | None,
    now: datetime,
    rules: AttentionRules,
) -> list[Reason]:
    """Why a teacher should look at this student: inactive for N days (counted from joining if
    they never did anything), a quiz still below the pass mark after K tries, missing work."""
    reasons = []
    since = last_active or joined_at
    if since is not None and now - since >= timedelta(days=rules.inactive_days):
        days = (now - since).days
        what = "No activity" if last_active is None else "Inactive"
        reasons.append(Reason(INACTIVE, f"{what} for {days} days"))
    failing = [
        cell.lesson.title
        for cell in cells
        if cell.record is not None
        and cell.record.attempts >= rules.failed_attempts
        and cell.score_status == BELOW
    ]
    if failing:
        reasons.append(
            Reason(
                "failing",
                f"Below {rules.pass_mark}% after {rules.failed_attempts}+ tries: "
                + ", ".join(failing),
            )
        )
    missing = sum(1 for cell in cells if cell.assignment and cell.assignment.state == MISSING)
    if missing:
        reasons.append(
            Reason("missing", f"Behind: {missing} assignment{'s' * (missing > 1)} missing")
        )
    return reasons


@dataclass(frozen=True)
class MatrixRow:
    student: StudentInfo
    cells: tuple[Cell, ...]
    last_active: datetime | None = None
    reasons: tuple[Reason, ...] = ()

    @property
    def completed(self) -> int:
        return sum(1 for cell in self.cells if cell.is_complete)

    @property
    def total(self) -> int:
        return len(self.cells)

    @property
    def percent(self) -> int:
        return percent(self.completed, self.total)

    @property
    def needs_attention(self) -> bool:
        return bool(self.reasons)

    @property
    def standing(self) -> str:
        kinds = {reason.kind for reason in self.reasons}
        if INACTIVE in kinds:
            return INACTIVE
        return BEHIND if kinds else ON_TRACK

    @property
    def assignments(self) -> list[AssignmentState]:
        return sorted(
            (cell.assignment for cell in self.cells if cell.assignment is not None),
            key=lambda state: (state.due_at, state.assignment.id),
        )

    def cell_for(self, slug: str) -> Cell | None:
        return next((cell for cell in self.cells if cell.lesson.slug == slug), None)


@dataclass(frozen=True)
class Summary:
    on_track: int
    behind: int
    inactive: int

    @property
    def total(self) -> int:
        return self.on_track + self.behind + self.inactive


def summarise(rows: Sequence[MatrixRow]) -> Summary:
    counts = Counter(row.standing for row in rows)
    return Summary(counts[ON_TRACK], counts[BEHIND], counts[INACTIVE])


def build_matrix(
    students: Sequence[StudentInfo],
    lessons: Sequence[LessonInfo],
    reads: Iterable[tuple[int, int]],
    attempts: Iterable[AttemptRow],
    pass_mark: int,
    *,
    lab_attempts: Iterable[LabAttemptRow] = (),
    open_attempts: Iterable[tuple[int, int]] = (),
    first_reads: dict[tuple[int, int], datetime] | None = None,
    assignments: Sequence[AssignmentInfo] = (),
    extensions: dict[tuple[int, int], datetime] | None = None,
    activity: dict[int, datetime] | None = None,
    now: datetime | None = None,
    rules: AttentionRules | None = None,
) -> list[MatrixRow]:
    """A row per student, a cell per lesson. `reads`: (user id, lesson id) pairs;
    `open_attempts`: (user id, quiz id) of quizzes in progress; `first_reads`: when each was
    first read; `extensions`: {(assignment id, user id): due}; `activity`: each student's latest
    activity. Assignment states and attention reasons need `now` (and `rules`)."""
    read = set(reads)
    records = records_by_student(attempts)
    labs_done = lab_records(lab_attempts)
    opened = set(open_attempts)
    first_reads = first_reads or {}
    extensions = extensions or {}
    activity = activity or {}
    by_lesson = {assignment.lesson_id: assignment for assignment in assignments}
    rows = []
    for student in students:
        cells = []
        for lesson in lessons:
            is_read = (student.id, lesson.id) in read
            record = None
            if lesson.quiz_id is not None:
                record = records.get((student.id, lesson.quiz_id)) or QuizRecord()
                if (student.id, lesson.quiz_id) in opened:
                    record.in_progress = True
            labs = tuple(
                LabCell(lab, labs_done.get((student.id, lab.id)) or LabRecord())
                for lab in lesson.labs
            )
            complete = lesson_done(is_read, record, labs, pass_mark)
            state = None
            assignment = by_lesson.get(lesson.id)
            if assignment is not None and now is not None:
                due = extensions.get((assignment.id, student.id), assignment.due_at)
                done_at = (
                    completed_at(first_reads.get((student.id, lesson.id)), record, labs, pass_mark)
                    if complete
                    else None
                )
                state = assignment_state(assignment, due, complete, done_at, now)
            cells.append(Cell(lesson, is_read, record, complete, labs, pass_mark, state))
        last = activity.get(student.id)
        reasons = ()
        if rules is not None and now is not None:
            reasons = tuple(attention_reasons(cells, last, student.joined_at, now, rules))
        rows.append(MatrixRow(student, tuple(cells), last, reasons))
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
    if key in {"name", "completion", "attention", "active"} or key in set(lesson_slugs):
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
        if sort.key == "attention":
            return (len(row.reasons),)
        if sort.key == "active":
            # Never active sorts as the longest ago.
            return (row.last_active.timestamp() if row.last_active else float("-inf"),)
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
    wrong_values: tuple[WrongValue, ...] = ()  # numeric questions

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
    wrong_values: Sequence[WrongValue] = (),
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
        wrong_values=tuple(wrong_values),
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


# --- Numeric questions: the wrong values given ---------------------------------------------------


@dataclass(frozen=True)
class WrongValue:
    text: str  # formatted like the answer, "400,000"
    count: int


def wrong_values(
    counts: Iterable[tuple[object, int]], fmt=str, limit: int = 10
) -> tuple[WrongValue, ...]:
    """Wrong numeric answers grouped by value, most common first (ties by value), at most
    `limit`: a teacher sees at once that many typed 400000 for 3,200,000."""
    ranked = sorted(counts, key=lambda pair: (-pair[1], pair[0]))
    return tuple(WrongValue(fmt(value), count) for value, count in ranked[:limit])


# --- Labs: which tests the class fails, and why ------------------------------------------------


@dataclass(frozen=True)
class LabSubmission:
    """One lab attempt with its outcomes, as LabAttempt.outcomes stores them."""

    user_id: int
    lab_id: int
    passed: bool
    outcomes: tuple[dict, ...]
    created_at: datetime | None = None


@dataclass(frozen=True)
class TestFailures:
    name: str
    visible: bool
    failed: int  # students whose latest submission fails it
    share: float

    @property
    def percent(self) -> int:
        return round(100 * self.share)


@dataclass(frozen=True)
class LabAnalysis:
    lab: LabInfo
    lesson_title: str
    class_size: int
    tried: int
    passed: int
    submissions: int
    tests: tuple[TestFailures, ...]  # most failed first
    error_types: tuple[tuple[str, int], ...]  # most common first

    @property
    def not_started(self) -> int:
        return self.class_size - self.tried


def lab_analysis(
    lab: LabInfo, lesson_title: str, class_size: int, submissions: Sequence[LabSubmission]
) -> LabAnalysis:
    """Per test, how many students' LATEST submission fails it (their current state, after any
    fixes); error types are counted over every failed outcome of every submission, since each
    is a mistake someone made."""
    latest: dict[int, LabSubmission] = {}
    for sub in submissions:
        known = latest.get(sub.user_id)
        if known is None or (sub.created_at or datetime.min) >= (known.created_at or datetime.min):
            latest[sub.user_id] = sub
    failed: Counter[str] = Counter()
    visible: dict[str, bool] = {}
    order: dict[str, int] = {}
    for sub in latest.values():
        for position, outcome in enumerate(sub.outcomes):
            name = str(outcome.get("name", ""))
            visible.setdefault(name, bool(outcome.get("visible")))
            order.setdefault(name, position)
            if not outcome.get("passed"):
                failed[name] += 1
    errors: Counter[str] = Counter()
    for sub in submissions:
        for outcome in sub.outcomes:
            kind = outcome.get("error_type")
            if kind and not outcome.get("passed"):
                errors[str(kind)] += 1
    tried = len(latest)
    tests = sorted(
        (
            TestFailures(name, visible[name], failed[name], failed[name] / tried if tried else 0)
            for name in order
        ),
        key=lambda t: (-t.failed, order[t.name]),
    )
    return LabAnalysis(
        lab=lab,
        lesson_title=lesson_title,
        class_size=class_size,
        tried=tried,
        passed=len({sub.user_id for sub in submissions if sub.passed}),
        submissions=len(submissions),
        tests=tuple(tests),
        error_types=tuple(sorted(errors.items(), key=lambda pair: (-pair[1], pair[0]))),
    )


# --- Students' due dates -----------------------------------------------------------------------


def relative_due(due_at: datetime, now: datetime) -> str:
    """ "due in 2 days", "due in 5 hours", "due today"... or "overdue by 3 days": relative to
    `now`, so tests pass a fixed clock."""
    delta = due_at - now
    if delta.total_seconds() < 0:
        late = now - due_at
        if late.days >= 1:
            return f"overdue by {late.days} day{'s' * (late.days > 1)}"
        return "overdue"
    if delta.days >= 1:
        return f"due in {delta.days} day{'s' * (delta.days > 1)}"
    hours = int(delta.total_seconds() // 3600)
    if hours >= 1:
        return f"due in {hours} hour{'s' * (hours > 1)}"
    return "due within the hour"
