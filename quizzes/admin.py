from django.contrib import admin
from django.db.models import Count, Q
from django.utils.text import Truncator

from course.common.text import html_to_text
from quizzes.models import (
    Answer,
    Assignment,
    Attempt,
    AttemptStatus,
    Choice,
    Classroom,
    Enrollment,
    Extension,
    Question,
    Quiz,
)


class ReadOnlyMixin:
    """Quiz content comes from quizzes/content/ through sync_content, and attempts are a
    record of what learners did: the admin shows them but never edits or deletes them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _plain(html: str, length: int = 80) -> str:
    return Truncator(html_to_text(html)).chars(length)


class QuestionInline(ReadOnlyMixin, admin.TabularInline):
    model = Question
    fields = ["order", "key", "type", "prompt", "section", "is_retired"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    @admin.display(description="prompt")
    def prompt(self, obj: Question) -> str:
        return _plain(obj.prompt_html)


@admin.register(Quiz)
class QuizAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "lesson", "question_count", "attempt_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["lesson__slug", "lesson__title"]
    list_select_related = ["lesson"]
    fields = ["lesson", "source_path", "is_active", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                questions_asked=Count(
                    "questions", filter=Q(questions__is_retired=False), distinct=True
                ),
                attempts_submitted=Count(
                    "attempts",
                    filter=Q(attempts__status=AttemptStatus.SUBMITTED),
                    distinct=True,
                ),
            )
        )

    @admin.display(description="questions", ordering="questions_asked")
    def question_count(self, obj: Quiz) -> int:
        return obj.questions_asked

    @admin.display(description="submitted attempts", ordering="attempts_submitted")
    def attempt_count(self, obj: Quiz) -> int:
        return obj.attempts_submitted


class ChoiceInline(ReadOnlyMixin, admin.TabularInline):
    model = Choice
    fields = ["order", "key", "text", "is_correct", "is_retired"]
    readonly_fields = fields
    extra = 0

    @admin.display(description="text")
    def text(self, obj: Choice) -> str:
        return _plain(obj.text_html, 120)


@admin.register(Question)
class QuestionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["key", "quiz", "type", "short_prompt", "section", "order", "is_retired"]
    list_filter = ["type", "is_retired", "quiz"]
    search_fields = ["key", "prompt_html", "explanation_html", "quiz__lesson__slug"]
    list_select_related = ["quiz__lesson"]
    fields = [
        "quiz",
        "key",
        "type",
        "order",
        "prompt_html",
        "explanation_html",
        "section",
        "answer_number",
        "tolerance",
        "unit",
        "is_retired",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [ChoiceInline]

    @admin.display(description="prompt")
    def short_prompt(self, obj: Question) -> str:
        return _plain(obj.prompt_html)


class AnswerInline(ReadOnlyMixin, admin.TabularInline):
    model = Answer
    fields = ["question", "picked", "raw_value", "is_correct", "updated_at"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question").prefetch_related("choices")

    @admin.display(description="choices picked")
    def picked(self, obj: Answer) -> str:
        return ", ".join(choice.key for choice in obj.choices.all()) or "—"


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "quiz",
        "learner",
        "number",
        "status",
        "score_display",
        "started_at",
        "submitted_at",
    ]
    list_filter = ["status", "quiz", ("user", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "quiz__lesson__slug"]
    list_select_related = ["quiz__lesson", "user"]
    date_hierarchy = "started_at"
    fields = [
        "quiz",
        "user",
        "session_key",
        "number",
        "status",
        "score",
        "max_score",
        "started_at",
        "updated_at",
        "submitted_at",
        "question_ids",
        "choice_order",
    ]
    readonly_fields = fields
    inlines = [AnswerInline]

    @admin.display(description="learner", ordering="user__username")
    def learner(self, obj: Attempt) -> str:
        return obj.user.get_username() if obj.user_id else "anonymous"

    @admin.display(description="score", ordering="score")
    def score_display(self, obj: Attempt) -> str:
        if obj.score is None:
            return "—"
        return f"{obj.score} / {obj.max_score} ({obj.percent}%)"


# --- Classes -----------------------------------------------------------------------------------


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    fields = ["student", "joined_at"]
    readonly_fields = ["joined_at"]
    raw_id_fields = ["student"]
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "join_code",
        "join_enabled",
        "teacher_names",
        "student_count",
        "created_at",
    ]
    list_filter = ["join_enabled", "is_archived", "created_at"]
    search_fields = ["name", "join_code", "teachers__username", "enrollments__student__username"]
    filter_horizontal = ["teachers"]
    fields = [
        "name",
        "join_code",
        "join_enabled",
        "time_zone",
        "is_archived",
        "teachers",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [EnrollmentInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(enrolled=Count("enrollments", distinct=True))
            .prefetch_related("teachers")
        )

    @admin.display(description="teachers")
    def teacher_names(self, obj: Classroom) -> str:
        return ", ".join(sorted(teacher.get_username() for teacher in obj.teachers.all())) or "—"

    @admin.display(description="enrolled", ordering="enrolled")
    def student_count(self, obj: Classroom) -> int:
        return obj.enrolled


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "classroom", "joined_at"]
    list_filter = ["classroom", "joined_at"]
    search_fields = ["student__username", "student__email", "classroom__name"]
    list_select_related = ["student", "classroom"]
    raw_id_fields = ["student", "classroom"]
    readonly_fields = ["joined_at"]
    date_hierarchy = "joined_at"


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["lesson", "classroom", "due_at", "created_by"]
    list_filter = ["classroom", "due_at"]
    search_fields = ["lesson__title", "classroom__name"]
    list_select_related = ["lesson", "classroom", "created_by"]
    raw_id_fields = ["classroom", "lesson", "created_by"]
    date_hierarchy = "due_at"


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["student", "assignment", "due_at"]
    search_fields = ["student__username", "assignment__classroom__name"]
    list_select_related = ["student", "assignment__lesson", "assignment__classroom"]
    raw_id_fields = ["assignment", "student"]
