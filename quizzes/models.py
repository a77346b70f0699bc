import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify

from course.lessons.models import Lesson
from quizzes import grading


class QuestionType(models.TextChoices):
    SINGLE = grading.SINGLE, "Single choice"
    MULTIPLE = grading.MULTIPLE, "Multiple select"
    TRUEFALSE = grading.TRUEFALSE, "True or false"
    NUMERIC = grading.NUMERIC, "Numeric"


class QuizQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, lesson__is_published=True)


class Quiz(models.Model):
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    source_path = models.CharField(max_length=255, help_text="File in quizzes/content/.")
    is_active = models.BooleanField(
        default=True, help_text="Quizzes removed from content/ are retired, never deleted."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["lesson__order"]
        verbose_name_plural = "quizzes"

    def __str__(self) -> str:
        return f"{self.lesson.title} quiz"

    def get_absolute_url(self) -> str:
        return reverse("quizzes:quiz", kwargs={"slug": self.lesson.slug})


class QuestionQuerySet(models.QuerySet):
    def asked(self):
        """The questions a new attempt gets: not retired, in file order."""
        return self.filter(is_retired=False).order_by("order", "pk")


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=100, help_text="Stable key from the quiz file.")
    type = models.CharField(max_length=16, choices=QuestionType.choices)
    prompt_html = models.TextField()
    explanation_html = models.TextField()
    section = models.CharField(
        max_length=200, help_text="Heading anchor in the lesson that teaches this."
    )
    order = models.PositiveIntegerField(default=0)
    answer_number = models.DecimalField(
        max_digits=25, decimal_places=10, null=True, blank=True, help_text="Numeric questions."
    )
    tolerance = models.DecimalField(max_digits=25, decimal_places=10, null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    is_retired = models.BooleanField(
        default=False, help_text="Removed from the file: no longer asked; answers kept."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["quiz_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "key"], name="question_key_unique_per_quiz"),
            models.CheckConstraint(
                condition=~Q(type=QuestionType.NUMERIC)
                | Q(answer_number__isnull=False, tolerance__isnull=False),
                name="numeric_question_has_answer_and_tolerance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz.lesson.slug}/{self.key}"

    def get_absolute_url(self) -> str:
        """Where the lesson teaches it."""
        return f"{self.quiz.lesson.get_absolute_url()}#{self.section}"

    @property
    def is_numeric(self) -> bool:
        return self.type == QuestionType.NUMERIC

    @property
    def is_multiple(self) -> bool:
        return self.type == QuestionType.MULTIPLE

    @property
    def needs_select_all_hint(self) -> bool:
        """Select-all questions say so under the prompt, unless the prompt already does (most
        quiz files write it in), so the page never says it twice."""
        return self.is_multiple and "select all that apply" not in self.prompt_html.lower()

    @property
    def answer_display(self) -> str:
        if self.answer_number is None:
            return ""
        return grading.format_answer(self.answer_number, self.tolerance)

    @property
    def tolerance_display(self) -> str:
        return grading.format_answer(self.tolerance or 0)


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.CharField(max_length=100)
    text_html = models.TextField()
    is_correct = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    is_retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["question_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "key"], name="choice_key_unique_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}/{self.key}"


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    ABANDONED = "abandoned", "Abandoned"


def owner_condition(owner, prefix: str = "") -> Q:
    """Filter for the attempts `owner` owns: a signed-in user, or an anonymous session's key (a
    str). `prefix` reaches attempts through a relation ("attempts__" from a quiz)."""
    if isinstance(owner, str):
        return Q(**{f"{prefix}user__isnull": True, f"{prefix}session_key": owner})
    return Q(**{f"{prefix}user": owner})


def owner_fields(owner) -> dict:
    """The fields that make a new attempt `owner`'s."""
    if isinstance(owner, str):
        return {"user": None, "session_key": owner}
    return {"user": owner, "session_key": ""}


class AttemptQuerySet(models.QuerySet):
    def owned_by(self, owner):
        """The attempts of a signed-in user, or of an anonymous session (its key, a str). A
        visitor without a session ("" or None) owns none: they cannot have started one."""
        if not owner:
            return self.none()
        return self.filter(owner_condition(owner))


class Attempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quiz_attempts",
    )
    session_key = models.CharField(
        max_length=40, blank=True, help_text="Owner of an anonymous attempt; empty once moved."
    )
    number = models.PositiveIntegerField(help_text="1 for the owner's first attempt at the quiz.")
    status = models.CharField(
        max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    question_ids = models.JSONField(default=list, help_text="The questions asked, in order.")
    choice_order = models.JSONField(
        default=dict, help_text="{question id: [choice ids]} as shown, shuffled at the start."
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quiz"],
                condition=Q(status="in_progress", user__isnull=False),
                name="one_open_attempt_per_user_and_quiz",
            ),
            models.UniqueConstraint(
                fields=["session_key", "quiz"],
                condition=Q(status="in_progress", user__isnull=True),
                name="one_open_attempt_per_session_and_quiz",
            ),
            models.UniqueConstraint(
                fields=["user", "quiz", "number"],
                condition=Q(user__isnull=False),
                name="attempt_number_unique_per_user_and_quiz",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(session_key=""),
                name="attempt_has_an_owner",
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted")
                | Q(score__isnull=False, submitted_at__isnull=False),
                name="submitted_attempt_has_score",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "quiz", "status"], name="attempt_user_quiz_status"),
            models.Index(fields=["quiz", "status", "number"], name="attempt_quiz_status_number"),
            models.Index(fields=["session_key"], name="attempt_session_key"),
        ]

    def __str__(self) -> str:
        owner = self.user.get_username() if self.user_id else "anonymous"
        return f"{owner}: {self.quiz} #{self.number}"

    def get_absolute_url(self) -> str:
        if self.status == AttemptStatus.SUBMITTED:
            return reverse("quizzes:result", kwargs={"pk": self.pk})
        return reverse("quizzes:attempt", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS

    @property
    def percent(self) -> int | None:
        if self.score is None:
            return None
        return grading.percent(self.score, self.max_score)


class Answer(models.Model):
    """One row per question asked: saved as the learner goes, graded once at submission.

    Unanswered questions get a row at submission too (no choice, no number, not correct), so
    item statistics are a plain aggregate over these rows.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choices = models.ManyToManyField(
        Choice, through="AnswerChoice", related_name="answers", blank=True
    )
    number_value = models.DecimalField(max_digits=25, decimal_places=10, null=True, blank=True)
    raw_value = models.CharField(
        max_length=grading.NUMBER_MAX_CHARS, blank=True, help_text="As typed, numeric only."
    )
    is_correct = models.BooleanField(null=True, blank=True, help_text="Empty until submitted.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["attempt_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="one_answer_per_question_and_attempt"
            ),
        ]
        indexes = [
            models.Index(fields=["question", "is_correct"], name="answer_question_correct"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} {self.question.key}"


class AnswerChoice(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="picks")
    choice = models.ForeignKey(Choice, on_delete=models.PROTECT, related_name="picks")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "choice"], name="choice_picked_once"),
        ]

    def __str__(self) -> str:
        return f"{self.answer} -> {self.choice.key}"


# --- Classes: teachers, join codes and enrolled students --------------------------------------

# Join codes avoid characters people misread or mistype (0/O, 1/I/L).
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def make_join_code() -> str:
    """A fresh random join code; uniqueness is the database's job (see Classroom.save_new)."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(text: str) -> str:
    """What a student typed -> the stored form: no spaces or dashes, capitals."""
    return "".join(text.split()).replace("-", "").upper()


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a time zone we know. Use a name like Europe/London or "
            "America/New_York.",
            params={"value": value},
        )


class ClassroomQuerySet(models.QuerySet):
    def taught_by(self, user):
        """The classes this user teaches; anyone else's class is simply not in it."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(teachers=user)

    def current(self):
        return self.filter(is_archived=False)


class Classroom(models.Model):
    name = models.CharField(max_length=100)
    join_code = models.CharField(
        max_length=10,
        unique=True,
        default=make_join_code,
        help_text="Students join with it at /classes/join/.",
    )
    join_enabled = models.BooleanField(
        default=True, help_text="Off: the code no longer lets new students in."
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Due dates are set and shown in this time zone.",
    )
    is_archived = models.BooleanField(
        default=False, help_text="Archived: read-only, nobody can join, hidden from the list."
    )
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="classes_taught", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClassroomQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="classroom_has_a_name"),
            models.CheckConstraint(condition=~Q(join_code=""), name="classroom_has_a_join_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("quizzes:teach_class", kwargs={"pk": self.pk})

    @property
    def file_slug(self) -> str:
        """The start of its CSV file names."""
        return slugify(self.name) or f"class-{self.pk}"

    def save_new_code(self, attempts: int = 5) -> None:
        """Save with a fresh join code, drawing again on the (very unlikely) collision."""
        for _ in range(attempts):
            self.join_code = make_join_code()
            try:
                with transaction.atomic():
                    self.save()
            except IntegrityError:
                if not Classroom.objects.filter(join_code=self.join_code).exists():
                    raise
                continue
            return
        raise IntegrityError("Could not find an unused join code.")

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def accepts_students(self) -> bool:
        return self.join_enabled and not self.is_archived

    def enroll(self, user) -> bool:
        """Add a student; True if they were not in the class yet. Joining twice is harmless."""
        _, created = Enrollment.objects.get_or_create(classroom=self, student=user)
        return created


class Enrollment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["classroom_id", "joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "student"], name="one_enrollment_per_student_and_class"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"

    def get_absolute_url(self) -> str:
        """The student's page in the class report."""
        return reverse(
            "quizzes:teach_student",
            kwargs={"pk": self.classroom_id, "user_id": self.student_id},
        )


class Assignment(models.Model):
    """A lesson (its reading, quiz and labs) a class must complete by a moment in time."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="assignments")
    due_at = models.DateTimeField(help_text="Stored in UTC; set and shown in the class's zone.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "lesson"], name="lesson_assigned_once_per_class"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson.title} for {self.classroom}"

    def get_absolute_url(self) -> str:
        return reverse("quizzes:teach_assignments", kwargs={"pk": self.classroom_id})


class Extension(models.Model):
    """One student's own due date for an assignment."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions"
    )
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assignment_id", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="one_extension_per_student"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} until {self.due_at:%Y-%m-%d %H:%M}"


class StudentNote(models.Model):
    """A teacher's private note about a student in a class; the class's teachers share it."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="notes")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes_about"
    )
    text = models.TextField(max_length=5000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["classroom_id", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "student"], name="one_note_per_student_and_class"
            ),
        ]

    def __str__(self) -> str:
        return f"Note on {self.student} in {self.classroom}"


TEACHERS_GROUP = "Teachers"  # created by course/migrations/0002_teachers_group.py


# --- Spaced review: Leitner boxes per (learner, question) ------------------------------------


class ReviewItemQuerySet(models.QuerySet):
    def due(self, user, now):
        return self.filter(
            user=user, due_at__lte=now, question__is_retired=False, question__quiz__is_active=True
        )


class ReviewItem(models.Model):
    """Where one question stands in one learner's spaced review (quizzes/review/schedule.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_items"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="review_items")
    box = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField()
    version = models.PositiveIntegerField(
        default=0, help_text="Bumped by each review answer: the gate against double submits."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"], name="one_review_item_per_question"
            )
        ]
        indexes = [models.Index(fields=["user", "due_at"], name="review_item_user_due")]

    def __str__(self) -> str:
        return f"{self.user} {self.question} box {self.box}"


class ReviewAnswer(models.Model):
    """One answer given in review. Never touches quiz attempts or scores."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="answers")
    is_correct = models.BooleanField()
    box_before = models.PositiveSmallIntegerField()
    box_after = models.PositiveSmallIntegerField()
    answered_at = models.DateTimeField(auto_now_add=True)
    item_version = models.PositiveIntegerField(help_text="The item's version this answered.")

    class Meta:
        ordering = ["-answered_at", "-pk"]
        constraints = [
            # With the conditional UPDATE on the item, a second submit of one form records nothing.
            models.UniqueConstraint(fields=["item", "item_version"], name="one_answer_per_due_item")
        ]

    def __str__(self) -> str:
        return f"{self.item} {'right' if self.is_correct else 'wrong'}"
