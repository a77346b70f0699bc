"""Saved functions: the list, a function's page (test events, invoke), the runner page's Save /
Save as / Rename / Duplicate / Delete and draft autosave, and the JSON API (/api/functions/)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from course import runner
from course.common.numbers import parse_id
from course.common.text import NUL_MESSAGE
from course.functions import drafts, execution, tuning, web
from course.functions.events import TEMPLATES
from course.functions.forms import (
    TOO_MANY_EVENTS,
    FunctionForm,
    RenameForm,
    TestEventForm,
    TuningForm,
    event_name_taken,
    name_taken,
)
from course.functions.models import Function, FunctionVersion, TestEvent
from course.functions.tuning_chart import build_chart
from course.functions.web import json_object, owned_or_404, unauthorized
from course.runner.web.forms import MAX_EVENT_BYTES, parse_json
from course.runner.web.views import (
    EVENT_TOO_LARGE,
    Outcome,
    event_size,
    json_outcome,
    page_context,
    run_outcome,
)

EDITABLE = ("name", "runtime", "code", "memory_mb", "timeout_s")
COLD_NOTE = (
    "Cold start: Lambda created a new execution environment for this run, so the INIT phase "
    "(loading the runtime and your module) ran before the handler and is in the REPORT."
)
WARM_NOTE = (
    "Warm start: an execution environment kept from an earlier run of this version handled it, "
    "so there was no INIT phase and module-level state from before was still there."
)


def _create_function(owner, name: str, config: dict) -> Function | None:
    """A new function, or None when a parallel request took the name after the form checked it
    (a double-clicked Save): the unique constraint decides, and the caller answers 400."""
    try:
        with transaction.atomic():
            return Function.objects.create(owner=owner, name=name, **config)
    except IntegrityError:
        return None


def _update_function(function: Function, name: str, config: dict) -> bool | None:
    """Function.update, or None when a parallel request took the new name meanwhile."""
    try:
        return function.update(name, config)
    except IntegrityError:
        function.refresh_from_db()
        return None


def _runner_url(function: Function | None = None) -> str:
    url = reverse("function_runner")
    return f"{url}?fn={function.pk}#function-runner" if function else f"{url}#function-runner"


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Post/redirect/get; an htmx request is told to load the page instead of swapping."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_problem(request: HttpRequest, errors: dict[str, str]) -> HttpResponse:
    """A save from the runner page that cannot be applied: the page again, with what was typed
    and the reasons (htmx: just the save bar's status)."""
    if request.htmx:
        return render(request, "functions/_save_status.html", {"errors": errors})
    context = page_context(request, request.POST)
    context["save_errors"] = errors
    return render(request, "runner/function_runner.html", context, status=400)


# --- Pages -----------------------------------------------------------------------------------


@require_GET
@login_required
def function_list(request: HttpRequest) -> HttpResponse:
    functions = Function.objects.owned_by(request.user).annotate(
        event_count=Count("test_events", distinct=True)
    )
    return render(request, "functions/list.html", {"functions": functions})


def _detail_context(request: HttpRequest, function: Function, **extra) -> dict:
    template = TEMPLATES.get(request.GET.get("template", ""), TEMPLATES["hello"])
    return {
        "function": function,
        "events": list(function.test_events.all()),
        "versions": list(function.versions.only("number", "created_at", "runtime")),
        "templates": TEMPLATES.values(),
        "template": template,
        "new_event": {"name": "", "body": template.json},
        **extra,
    }


@require_GET
@login_required
def function_detail(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    return render(request, "functions/detail.html", _detail_context(request, function))


@require_GET
@login_required
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    version = get_object_or_404(FunctionVersion, function=function, number=number)
    return render(request, "functions/version.html", {"function": function, "version": version})


# --- The runner page's buttons ---------------------------------------------------------------


@require_POST
@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Save as: a new function from the runner's form."""
    form = FunctionForm(request.POST, owner=request.user)
    if not form.is_valid():
        return _form_problem(request, form.messages_by_field())
    name = form.cleaned_data["name"]
    function = _create_function(request.user, name, form.config)
    if function is None:
        return _form_problem(request, {"name": name_taken(name)})
    source = request.POST.get("function", "")
    # The draft this came from is saved now: a new function's, or the function saved "as".
    origin_id = parse_id(source)
    origin = (
        Function.objects.owned_by(request.user).filter(pk=origin_id).first()
        if origin_id is not None
        else None
    )
    drafts.discard(request, origin)
    messages.success(request, f"Saved {function.name} (version {function.version}).")
    return _go(request, _runner_url(function))


@require_POST
@vary_on_headers("HX-Request")
@login_required
def save(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    form = FunctionForm(request.POST, owner=request.user, instance=function)
    if not form.is_valid():
        return _form_problem(request, form.messages_by_field())
    changed = _update_function(function, form.cleaned_data["name"], form.config)
    if changed is None:
        return _form_problem(request, {"name": name_taken(form.cleaned_data["name"])})
    drafts.discard(request, function)
    note = f"now version {function.version}" if changed else "no change to code or settings"
    if request.htmx:
        return render(
            request, "functions/_save_status.html", {"function": function, "saved_note": note}
        )
    messages.success(request, f"Saved {function.name}: {note}.")
    return redirect(_runner_url(function))


@require_POST
@login_required
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    form = RenameForm(request.POST, instance=function)
    if not form.is_valid():
        return _form_problem(request, {"name": form.errors["name"][0]})
    old, function.name = function.name, form.cleaned_data["name"]
    try:
        with transaction.atomic():
            function.save(update_fields=["name", "updated_at"])
    except IntegrityError:  # a parallel request took the name after the form checked it
        return _form_problem(request, {"name": name_taken(function.name)})
    messages.success(request, f"Renamed {old} to {function.name}.")
    return _go(request, _runner_url(function))


def _copy_name(function: Function) -> str:
    taken = set(Function.objects.owned_by(function.owner).values_list("name", flat=True))
    for n in range(1, 1000):
        suffix = "-copy" if n == 1 else f"-copy{n}"
        name = function.name[: 64 - len(suffix)] + suffix
        if name not in taken:
            return name
    return f"copy-{function.pk}"


@require_POST
@login_required
def duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    copy = _create_function(request.user, _copy_name(function), function.config())
    if copy is None:  # a parallel Duplicate took the same "-copy" name
        return _form_problem(request, {"name": "Not duplicated: press Duplicate again."})
    TestEvent.objects.bulk_create(
        TestEvent(function=copy, name=event.name, body=event.body)
        for event in function.test_events.all()
    )
    messages.success(request, f"Duplicated {function.name} as {copy.name}.")
    return _go(request, _runner_url(copy))


@require_POST
@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    name = function.name
    function.delete()
    messages.success(request, f"Deleted {name}, its versions and its test events.")
    return _go(request, reverse("functions:list"))


@require_POST
def save_draft(request: HttpRequest) -> HttpResponse:
    """Autosave of the runner's form (htmx, as the learner types); anonymous learners too."""
    function = None
    raw = request.POST.get("function", "")
    if raw:
        pk = parse_id(raw)
        if not request.user.is_authenticated or pk is None:
            return render(request, "functions/_draft_message.html", {"error": "Not saved."})
        function = owned_or_404(request, pk)
    try:
        fields = drafts.fields_from(request.POST)
    except drafts.Unsavable:
        return render(
            request,
            "functions/_draft_message.html",
            {"error": f"Not saved: {NUL_MESSAGE}"},
            status=400,
        )
    if fields is None:
        return render(
            request,
            "functions/_draft_message.html",
            {"error": "Not saved: the draft is larger than 256 KB."},
            status=400,
        )
    draft = drafts.save(request, function, fields)
    return render(request, "functions/_draft_message.html", {"draft": draft})


# --- Test events -----------------------------------------------------------------------------


def _events_answer(request: HttpRequest, function: Function, status: int = 200, **extra):
    context = _detail_context(request, function, **extra)
    if request.htmx:
        return render(request, "functions/_events.html", context)
    if status != 200:
        return render(request, "functions/detail.html", context, status=status)
    return redirect(f"{function.get_absolute_url()}#test-events")


@require_POST
@vary_on_headers("HX-Request")
@login_required
def event_create(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    form = TestEventForm(request.POST, function=function)
    if not form.is_valid():
        new = {"name": request.POST.get("name", ""), "body": request.POST.get("body", "")}
        return _events_answer(
            request, function, 400, new_event=new, new_errors=form.messages_by_field()
        )
    name = form.cleaned_data["name"]
    try:
        event = function.add_test_event(name, form.cleaned_data["body"])
    except IntegrityError:  # a parallel request saved an event of this name meanwhile
        problem = {"name": event_name_taken(name)}
    else:
        problem = None if event else {"__all__": TOO_MANY_EVENTS}
    if problem:
        new = {"name": request.POST.get("name", ""), "body": request.POST.get("body", "")}
        return _events_answer(request, function, 400, new_event=new, new_errors=problem)
    return _events_answer(request, function, event_note=f"Saved {name}.")


@require_POST
@vary_on_headers("HX-Request")
@login_required
def event_update(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    event = get_object_or_404(TestEvent, function=function, pk=event_pk)
    if request.POST.get("action") == "delete":
        event.delete()
        return _events_answer(request, function, event_note=f"Deleted {event.name}.")
    form = TestEventForm(request.POST, function=function, instance=event)
    if not form.is_valid():
        return _events_answer(
            request, function, 400, edit_errors={event.pk: form.messages_by_field()}
        )
    event.name, event.body = form.cleaned_data["name"], form.cleaned_data["body"]
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:  # a parallel request took the name after the form checked it
        errors = {"name": event_name_taken(event.name)}
        return _events_answer(request, function, 400, edit_errors={event.pk: errors})
    return _events_answer(request, function, event_note=f"Saved {event.name}.")


# --- Invoking --------------------------------------------------------------------------------


def invoke(
    request: HttpRequest, function: Function, event: object, trigger: str = "console"
) -> tuple[Outcome, bool]:
    """Run ``function`` with ``event`` through the execution seam; (outcome, cold)."""
    try:
        size = event_size(event)
    except (RecursionError, ValueError):
        message = "The event must be standard JSON, nested under 200 levels."
        return Outcome(400, {"errors": {"event": message}}, errors={"event": message}), True
    if size > MAX_EVENT_BYTES:
        body = {"errorType": "RequestEntityTooLargeException", "errorMessage": EVENT_TOO_LARGE}
        return Outcome(413, body, errors={"event": EVENT_TOO_LARGE}), True
    started: dict[str, bool] = {"cold": True}

    def run() -> runner.Invocation:
        invocation, started["cold"] = execution.run(
            function, event, user=request.user, trigger=trigger
        )
        return invocation

    outcome = run_outcome(execution.request_for(function, event), run)
    if outcome.invocation is not None:
        outcome.body["cold"] = started["cold"]
    return outcome, started["cold"]


@require_POST
@vary_on_headers("HX-Request")
@login_required
def invoke_form(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    raw = request.POST.get("event", "")
    event_id = parse_id(raw)
    if event_id is not None:
        test_event = get_object_or_404(TestEvent, function=function, pk=event_id)
        event = parse_json(test_event.body, "The event")  # validated when it was saved
    else:
        event = {}
    outcome, cold = invoke(request, function, event)
    context = {
        "outcome": outcome,
        "cold": cold,
        "cold_note": COLD_NOTE if cold else WARM_NOTE,
        **_detail_context(request, function),
        "chosen_event": raw,
    }
    if request.htmx:
        return render(request, "functions/_invoke_result.html", context)
    return render(request, "functions/detail.html", context, status=outcome.status)


# --- Power tuning ----------------------------------------------------------------------------


def _refusal_message(status: int, body: dict) -> str:
    """One sentence for a refused tuning (tuning.TuningRefused's body, made for the JSON API)."""
    if "errorMessage" in body:
        return body["errorMessage"]
    if "reason" in body:
        return f"The sandbox that runs functions is unavailable here: {body['reason']}"
    errors = body.get("errors") or {}
    message = next(iter(errors.values()), "The tuning could not run.")
    if status == 409:
        return f"Not started: {message}. Wait for it to finish, then try again."
    if status == 503 and "failed" in message:
        return (
            f"No result: {message}. Invoke it with this event on its page to see the error, "
            "fix it in the runner, then tune again."
        )
    if status == 503:
        return f"Stopped: {message}. Try fewer sizes or runs, or a shorter timeout."
    return f"Not started: {message}."


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@login_required
def tuning_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Power tuning, on a page: the choices, then the chart, the table and the recommendation.
    Nothing is stored: a tuning is a measurement, shown once (the JSON API answers the same)."""
    function = owned_or_404(request, pk)
    events = list(function.test_events.all())
    form = TuningForm(
        request.POST if request.method == "POST" else None,
        events=events,
        function_memory_mb=function.memory_mb,
        max_memory_mb=settings.RUNNER_MAX_MEMORY_MB,
    )
    status, chart, refusal = 200, None, ""
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                result = tuning.tune(
                    function, form.event_body(), user=request.user,
                    memory_sizes=form.cleaned_data["memory_sizes"], runs=form.cleaned_data["runs"],
                )  # fmt: skip
            except tuning.TuningRefused as refused:
                status = refused.status
                field = next(iter(refused.body.get("errors") or {}), None)
                if status == 400 and field in form.fields:
                    form.add_error(field, refused.body["errors"][field])
                else:
                    refusal = _refusal_message(status, refused.body)
            else:
                chart = build_chart(result)
    context = {
        "function": function,
        "form": form,
        "chart": chart,
        "refusal": refusal,
        "max_memory_mb": settings.RUNNER_MAX_MEMORY_MB,
    }
    if request.htmx:
        # htmx swaps only 2xx answers: the fragment carries the errors, said in words.
        return render(request, "functions/_tuning.html", context)
    return render(request, "functions/tuning.html", context, status=status)


# --- JSON API --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def api_functions(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return unauthorized()
    if request.method == "GET":
        functions = Function.objects.owned_by(request.user)
        return JsonResponse({"functions": [f.as_json() for f in functions]})
    data, problem = json_object(request)
    if problem:
        return problem
    form = FunctionForm(data, owner=request.user)
    if not form.is_valid():
        return JsonResponse({"errors": form.messages_by_field()}, status=400)
    name = form.cleaned_data["name"]
    function = _create_function(request.user, name, form.config)
    if function is None:
        return JsonResponse({"errors": {"name": name_taken(name)}}, status=400)
    return JsonResponse(function.as_json(), status=201)


@require_http_methods(["GET", "PUT", "DELETE"])
def api_function(request: HttpRequest, pk: int) -> HttpResponse:
    function, problem = web.api_function(request, pk)
    if problem:
        return problem
    if request.method == "GET":
        return JsonResponse(function.as_json())
    if request.method == "DELETE":
        function.delete()
        return HttpResponse(status=204)
    data, problem = json_object(request)
    if problem:
        return problem
    unknown = sorted(set(data) - {"id", "version", *EDITABLE})
    if unknown:
        return JsonResponse({"errors": {unknown[0]: f"Unknown field {unknown[0]!r}."}}, status=400)
    # PUT may send only the fields that change; the rest stay as they are.
    form = FunctionForm({**function.as_json(), **data}, owner=request.user, instance=function)
    if not form.is_valid():
        return JsonResponse({"errors": form.messages_by_field()}, status=400)
    if _update_function(function, form.cleaned_data["name"], form.config) is None:
        return JsonResponse({"errors": {"name": name_taken(form.cleaned_data["name"])}}, status=400)
    return JsonResponse(function.as_json())


@require_POST
def api_invoke(request: HttpRequest, pk: int) -> HttpResponse:
    function, problem = web.api_function(request, pk)
    if problem:
        return problem
    data, problem = json_object(request)
    if problem:
        return problem
    unknown = sorted(set(data) - {"event"})
    if unknown:
        return JsonResponse({"errors": {unknown[0]: f"Unknown field {unknown[0]!r}."}}, status=400)
    outcome, _ = invoke(request, function, data.get("event", {}), trigger="api")
    return json_outcome(outcome)


@require_POST
def api_tune(request: HttpRequest, pk: int) -> HttpResponse:
    """Power tuning, as AWS Lambda Power Tuning does it: the function at several memory sizes,
    a few runs each, with each size's cost and a recommendation (course/runner/warm/power.py)."""
    function, problem = web.api_function(request, pk)
    if problem:
        return problem
    data, problem = json_object(request)
    if problem:
        return problem
    unknown = sorted(set(data) - {"event", "memory_sizes", "runs"})
    if unknown:
        return JsonResponse({"errors": {unknown[0]: f"Unknown field {unknown[0]!r}."}}, status=400)
    try:
        result = tuning.tune_function(
            function, data.get("event", {}), user=request.user,
            memory_sizes=data.get("memory_sizes"), runs=data.get("runs", 5),
        )  # fmt: skip
    except tuning.TuningRefused as refused:
        return JsonResponse(refused.body, status=refused.status)
    return JsonResponse(result)
