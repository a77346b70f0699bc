from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from course.lessons.models import Lesson
from quizzes import attempts, grading, progress
from quizzes.models import Attempt, AttemptStatus, Question, Quiz


def owned_attempt(request: HttpRequest, pk: int) -> Attempt:
    """The attempt, if it is this learner's; anyone else's is a 404, never a 403 that would
    confirm it exists."""
    owned = Attempt.objects.owned_by(attempts.owner_of(request))
    return get_object_or_404(owned.select_related("quiz__lesson"), pk=pk)


def active_quiz(slug: str) -> Quiz:
    lesson = get_object_or_404(Lesson.objects.published(), slug=slug)
    quiz = Quiz.objects.filter(lesson=lesson, is_active=True).first()
    if quiz is None:
        raise Http404("This lesson has no quiz.")
    quiz.lesson = lesson
    return quiz


def page(request: HttpRequest, name: str, context: dict, status: int = 200) -> HttpResponse:
    """The full page, or for htmx just its fragment (templates/quizzes/_<name>.html)."""
    template = f"quizzes/_{name}.html" if request.htmx else f"quizzes/{name}.html"
    return render(request, template, context, status=status)


def problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """A 4xx with a message a person can act on; htmx swaps it into the save status."""
    if request.htmx:
        # htmx does not swap 4xx responses by default; the status region must show the
        # message, and the status line says what happened.
        return render(request, "quizzes/_save_status.html", {"error": message})
    return render(request, "quizzes/problem.html", {"message": message}, status=status)


def posted(request: HttpRequest):
    """request.POST, or None when the body is too big / has too many fields."""
    try:
        return request.POST
    except (RequestDataTooBig, TooManyFieldsSent):
        return None


TOO_BIG = "That answer is far too long to be an answer. Nothing was saved; please try again."


@require_GET
@vary_on_headers("HX-Request")
def quiz_detail(request: HttpRequest, slug: str) -> HttpResponse:
    quiz = active_quiz(slug)
    owned = Attempt.objects.owned_by(attempts.owner_of(request))
    mine = list(owned.filter(quiz=quiz).order_by("-number"))
    submitted = [a for a in mine if a.status == AttemptStatus.SUBMITTED]
    best = max(submitted, key=lambda a: (a.percent, -a.number), default=None)
    return page(
        request,
        "quiz",
        {
            "quiz": quiz,
            "lesson": quiz.lesson,
            "question_count": quiz.questions.asked().count(),
            "open_attempt": next((a for a in mine if a.is_open), None),
            "submitted": submitted,
            "best": best,
            "pass_mark": progress.pass_mark(),
        },
    )


@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    quiz = active_quiz(slug)
    owner = attempts.owner_of(request, create=True)
    try:
        attempt, _ = attempts.start_attempt(quiz, owner)
    except attempts.QuizError as error:
        messages.error(request, error.message)
        return redirect(quiz)
    if isinstance(owner, str):
        attempts.remember_in_session(request.session, attempt)
    return redirect(attempt)


def _closed(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    if attempt.status == AttemptStatus.SUBMITTED:
        return redirect("quizzes:result", pk=attempt.pk)
    messages.info(request, "That attempt was replaced by another one; here is the quiz.")
    return redirect(attempt.quiz)


def _attempt_page(request, attempt, *, errors=None, posted_values=None, status=200):
    items = attempts.attempt_items(attempt, posted_values)
    for item in items:
        item.error = (errors or {}).get(item.question.pk, "")
    return page(
        request,
        "attempt",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "lesson": attempt.quiz.lesson,
            "items": items,
            "errors": [item for item in items if item.error],
        },
        status=status,
    )


@require_GET
@vary_on_headers("HX-Request")
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = owned_attempt(request, pk)
    if not attempt.is_open:
        return _closed(request, attempt)
    return _attempt_page(request, attempt)


@require_POST
@vary_on_headers("HX-Request")
def answer(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    """Autosave one question (htmx, on change); returns the little "Saved" status."""
    attempt = owned_attempt(request, pk)
    if question_id not in attempt.question_ids:
        raise Http404("That question is not part of this attempt.")
    data = posted(request)
    if data is None:
        return problem(request, TOO_BIG, 400)
    question = get_object_or_404(Question, pk=question_id)
    if not attempt.is_open:
        return problem(request, attempts.AttemptClosed().message, 409)
    try:
        parsed = attempts.parse_answer(attempt, question, data.getlist(f"q{question.pk}"))
        attempts.save_answer(attempt, question, parsed)
    except attempts.AttemptClosed as error:
        return problem(request, error.message, 409)
    except attempts.AnswerError as error:
        if request.htmx:
            return problem(request, error.message, 400)
        return _attempt_page(
            request,
            attempt,
            errors={question.pk: error.message},
            posted_values={question.pk: data.getlist(f"q{question.pk}")},
            status=400,
        )
    if request.htmx:
        return render(request, "quizzes/_save_status.html", {"saved": True})
    return redirect(reverse("quizzes:attempt", kwargs={"pk": attempt.pk}) + f"#q-{question.pk}")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: every answer, unanswered ones flagged, before the final submit. POST: the whole
    attempt form (the path without JavaScript) saves every answer, then shows the review."""
    attempt = owned_attempt(request, pk)
    if not attempt.is_open:
        return _closed(request, attempt)
    if request.method == "POST":
        data = posted(request)
        if data is None:
            return problem(request, TOO_BIG, 400)
        questions = Question.objects.filter(pk__in=attempt.question_ids)
        try:
            errors, values = attempts.save_answers(attempt, questions, data)
        except attempts.AttemptClosed:
            return redirect("quizzes:result", pk=attempt.pk)
        if errors:
            return _attempt_page(request, attempt, errors=errors, posted_values=values, status=400)
        return redirect("quizzes:review", pk=attempt.pk)
    items = attempts.attempt_items(attempt)
    return page(
        request,
        "review",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "lesson": attempt.quiz.lesson,
            "items": items,
            "unanswered": [item for item in items if not item.answered],
        },
    )


@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = owned_attempt(request, pk)
    if attempt.status == AttemptStatus.ABANDONED:
        return _closed(request, attempt)
    # Idempotent: a second click, a second tab or a retried request lands on the same result.
    attempts.submit_attempt(attempt)
    return redirect("quizzes:result", pk=attempt.pk)


@require_GET
@vary_on_headers("HX-Request")
def result(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = owned_attempt(request, pk)
    if attempt.status != AttemptStatus.SUBMITTED:
        if attempt.is_open:
            return redirect("quizzes:review", pk=attempt.pk)
        return _closed(request, attempt)
    items = attempts.attempt_items(attempt)
    return page(
        request,
        "result",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "lesson": attempt.quiz.lesson,
            "items": items,
            "passed": grading.passed(attempt.score, attempt.max_score, progress.pass_mark()),
            "pass_mark": progress.pass_mark(),
            "next_lesson": Lesson.objects.outline()
            .filter(order__gt=attempt.quiz.lesson.order)
            .first(),
        },
    )


@require_GET
@login_required
@vary_on_headers("HX-Request")
def progress_page(request: HttpRequest) -> HttpResponse:
    return page(request, "progress", {"progress": progress.course_progress(request.user)})
