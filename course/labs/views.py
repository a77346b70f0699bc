"""Lab pages, "Check" and "Submit", draft autosave, and the labs JSON API.

One path for all of them: ``check_answer`` validates the input, applies the rate limit, grades
(visible tests for a check, every test for a submission) and records a submission once.
"""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from course import runner
from course.common.numbers import parse_id
from course.common.text import NUL_MESSAGE, contains_nul
from course.labs import drafts, grading, hooks
from course.labs.models import Lab, LabAttempt
from course.labs.validators import validate
from course.runner.web.limits import limiters

MAX_ANSWER_CHARS = drafts.MAX_DRAFT_CHARS


class CheckRefused(Exception):
    """A check that could not be graded: an HTTP status and a message for the learner."""

    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def _posted_answer(request: HttpRequest) -> str:
    # Browsers send a textarea's line breaks as CRLF (HTML's form encoding); the learner typed \n.
    return request.POST.get("answer", "").replace("\r\n", "\n")


def _lab(key: str, slug: str | None = None) -> Lab:
    labs = Lab.objects.active().select_related("lesson")
    if slug is not None:
        labs = labs.filter(lesson__slug=slug)
    return get_object_or_404(labs, key=key)


def _learner_key(request: HttpRequest) -> str:
    """Whose rate budget a check spends: the account, or for anonymous learners the client
    address. Not the session: a client that drops its cookie would get a new budget each time."""
    if request.user.is_authenticated:
        return f"lab-user-{request.user.pk}"
    return f"lab-address-{request.META.get('REMOTE_ADDR', '')}"


def _charge(rate, key: str, runs: int) -> None:
    """Spend one rate hit per sandbox run (at least one per check), as the runner page does per
    invocation: an array job's submission is many runs, not one request."""
    for _ in range(max(1, runs)):
        rate.hit(key)


def check_answer(request: HttpRequest, lab: Lab, answer: object, submit: bool):
    """Grade ``answer``; returns (grade dict, attempt or None). Raises CheckRefused."""
    if not isinstance(answer, str):
        raise CheckRefused(400, "The answer must be text.")
    if len(answer) > MAX_ANSWER_CHARS:
        raise CheckRefused(400, f"The answer is limited to {MAX_ANSWER_CHARS // 1024} KB.")
    if "\x00" in answer or any(0xD800 <= ord(c) <= 0xDFFF for c in answer):
        raise CheckRefused(400, "The answer contains characters that are not valid text.")
    if submit and not request.user.is_authenticated:
        raise CheckRefused(401, "Log in to submit: a submission is recorded in your progress.")
    digest = hashlib.sha256(answer.encode("utf-8")).hexdigest()
    if submit:
        earlier = LabAttempt.objects.filter(user=request.user, lab=lab, answer_digest=digest)
        attempt = earlier.first()
        if attempt is not None:  # the same answer again: the attempt it already is
            return _grade_dict(attempt), attempt
    _, rate = limiters()
    try:
        _charge(rate, _learner_key(request), grading.sandbox_runs(lab, all_tests=submit))
        grade = grading.grade(lab, answer, all_tests=submit)
    except runner.Throttled as throttled:
        if throttled.kind == "rate":
            raise CheckRefused(
                429,
                "Too many checks in a minute; wait a moment and try again.",
                retryAfterSeconds=round(throttled.retry_after_s, 1),
            ) from None
        raise CheckRefused(503, "Every sandbox is busy right now; try again in a moment.") from None
    except runner.SandboxUnavailable as unavailable:
        raise CheckRefused(
            503,
            f"Code cannot run on this server: {unavailable.reason}",
            how_to_fix=unavailable.how_to_fix,
        ) from None
    if not submit:
        return grade.as_dict(), None
    try:
        with transaction.atomic():
            attempt = LabAttempt.objects.create(
                lab=lab,
                user=request.user,
                answer=answer,
                answer_digest=digest,
                score=grade.score,
                max_score=grade.max_score,
                passed=grade.passed,
                outcomes=[t.stored() for t in grade.tests],
            )
            # Inside the transaction: a listener's record (LTI's score outbox) commits with
            # the attempt or not at all.
            hooks.lab_submitted.send(
                sender=LabAttempt,
                attempt_id=attempt.pk,
                user_id=attempt.user_id,
                key=lab.key,
                score=attempt.score,
                max_score=attempt.max_score,
                submitted_at=attempt.created_at,
            )
    except IntegrityError:  # a concurrent double submit recorded it first
        attempt = LabAttempt.objects.get(user=request.user, lab=lab, answer_digest=digest)
    return _grade_dict(attempt), attempt


def _grade_dict(attempt: LabAttempt) -> dict:
    return {
        "passed": attempt.passed,
        "score": attempt.score,
        "max": attempt.max_score,
        "tests": [
            {key: test[key] for key in ("name", "visible", "passed", "message")}
            for test in attempt.outcomes
        ],
    }


# --- Pages ----------------------------------------------------------------------------------


def _page_context(request: HttpRequest, lab: Lab, **extra) -> dict:
    attempts = list(LabAttempt.objects.owned_by(request.user).filter(lab=lab)[:5])
    passed = any(a.passed for a in attempts) or (
        request.user.is_authenticated
        and LabAttempt.objects.filter(user=request.user, lab=lab, passed=True).exists()
    )
    # parse_id, not int(): int() accepts "٣" and raises on 5000 digits.
    hints_shown = min(parse_id(request.GET.get("hints", "0")) or 0, len(lab.hints_html))
    return {
        "lab": lab,
        "lesson": lab.lesson,
        "answer": extra.pop("answer", None) or drafts.current_text(lab, request),
        "attempts": attempts,
        "passed_before": passed,
        "hints_shown": lab.hints_html[:hints_shown],
        "hints_left": len(lab.hints_html) - hints_shown,
        "next_hint": hints_shown + 1,
        **extra,
    }


@require_GET
def lab_page(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    lab = _lab(key, slug)
    context = _page_context(request, lab)
    if request.htmx and request.GET.get("hints"):
        return render(request, "labs/_hints.html", context)
    return render(request, "labs/lab.html", context)


@require_POST
@vary_on_headers("HX-Request")
def check_form(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    lab = _lab(key, slug)
    answer = _posted_answer(request)
    submit = request.POST.get("action") == "submit"
    status, grade, error = 200, None, None
    if isinstance(answer, str) and len(answer) <= MAX_ANSWER_CHARS and not contains_nul(answer):
        drafts.save(lab, request, answer)  # check_answer below says what is wrong otherwise
    try:
        grade, _ = check_answer(request, lab, answer, submit)
    except CheckRefused as refused:
        status, error = refused.status, refused.message
    context = _page_context(
        request, lab, answer=answer, grade=grade, error=error, submitted=submit and grade
    )
    if request.htmx:
        return render(request, "labs/_result.html", context)
    return render(request, "labs/lab.html", context, status=status)


@require_POST
def save_draft(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    lab = _lab(key, slug)
    answer = _posted_answer(request)
    if len(answer) > MAX_ANSWER_CHARS:
        return render(
            request,
            "labs/_saved.html",
            {"error": f"Not saved: drafts are limited to {MAX_ANSWER_CHARS // 1024} KB."},
            status=400,
        )
    if contains_nul(answer):
        return render(
            request, "labs/_saved.html", {"error": f"Not saved: {NUL_MESSAGE}"}, status=400
        )
    draft = drafts.save(lab, request, answer)
    return render(request, "labs/_saved.html", {"draft": draft})


# --- JSON API -------------------------------------------------------------------------------


@require_GET
def api_list(request: HttpRequest) -> JsonResponse:
    labs = Lab.objects.active().select_related("lesson")
    return JsonResponse(
        {
            "labs": [
                {
                    "key": lab.key,
                    "lesson": lab.lesson.slug,
                    "kind": lab.kind,
                    "title": lab.title,
                    "url": request.build_absolute_uri(lab.get_absolute_url()),
                }
                for lab in labs
            ]
        }
    )


@require_POST
def api_check(request: HttpRequest, key: str) -> JsonResponse:
    lab = _lab(key)
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"errors": {"body": "The request body must be JSON."}}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"errors": {"body": "Send a JSON object."}}, status=400)
    if "answer" not in data:
        return JsonResponse({"errors": {"answer": "Send the answer as text."}}, status=400)
    submit = data.get("submit", False)
    if not isinstance(submit, bool):
        return JsonResponse({"errors": {"submit": "submit must be true or false."}}, status=400)
    try:
        grade, _ = check_answer(request, lab, data["answer"], submit)
    except CheckRefused as refused:
        field = "answer" if refused.status == 400 else "check"
        response = JsonResponse(
            {"errors": {field: refused.message}, **refused.extra}, status=refused.status
        )
        if refused.status == 429:
            response["Retry-After"] = str(max(1, round(refused.extra["retryAfterSeconds"])))
        return response
    return JsonResponse(grade)


# --- The validators as a tool of their own ------------------------------------------------------

MAX_ARTEFACT_CHARS = 256 * 1024
KIND_LABELS = {
    "dockerfile": "Dockerfile",
    "ecs-task-definition": "ECS task definition (Fargate), JSON",
    "ecr-lifecycle-policy": "ECR lifecycle policy, JSON",
    "schedule-expression": "EventBridge schedule expression",
    "batch-job-definition": "AWS Batch job definition, JSON",
}


def _validate_text(kind: str, text: object) -> tuple[int, dict]:
    if kind not in KIND_LABELS:
        return 404, {"errors": {"kind": f"Unknown kind; choose one of {', '.join(KIND_LABELS)}."}}
    if not isinstance(text, str):
        return 400, {"errors": {"text": "Send the artefact as text."}}
    if len(text) > MAX_ARTEFACT_CHARS:
        return 400, {"errors": {"text": f"Limited to {MAX_ARTEFACT_CHARS // 1024} KB."}}
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return 400, {"errors": {"text": "The text contains characters that are not valid text."}}
    return 200, validate(kind, text).as_dict()


@require_POST
def api_validate(request: HttpRequest, kind: str) -> JsonResponse:
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"errors": {"body": "The request body must be JSON."}}, status=400)
    if not isinstance(data, dict) or "text" not in data:
        return JsonResponse({"errors": {"body": 'Send {"text": "..."}.'}}, status=400)
    status, body = _validate_text(kind, data["text"])
    return JsonResponse(body, status=status)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def validate_tool(request: HttpRequest) -> HttpResponse:
    """Paste an artefact, pick its kind, see every problem with its line, column and source.

    POST (not GET) so a pasted task definition never lands in URLs, logs or history.
    """
    kind = request.POST.get("kind", "dockerfile") if request.method == "POST" else "dockerfile"
    text = request.POST.get("text", "").replace("\r\n", "\n") if request.method == "POST" else ""
    report, error, status = None, None, 200
    if request.method == "POST":
        status, body = _validate_text(kind, text)
        if status == 200:
            report = body
        else:
            error = next(iter(body["errors"].values()))
            status = 400
    context = {
        "kinds": KIND_LABELS.items(),
        "kind": kind,
        "text": text,
        "report": report,
        "error": error,
    }
    if request.htmx:
        return render(request, "labs/_validate_report.html", context, status=status)
    return render(request, "labs/validate.html", context, status=status)
