"""A saved function's schedule: its page (/functions/<id>/schedule) and its JSON API
(/api/functions/<id>/schedule). Owners only; everyone else's functions do not exist (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from course.functions.models import Function
from course.functions.schedules.forms import EXPRESSION_HELP, ScheduleForm
from course.functions.schedules.models import LIFETIME, AlreadyScheduled, Schedule, set_schedule
from course.functions.web import api_function, json_object, owned_or_404

NO_SCHEDULE = "This function has no schedule."


def _schedule_of(function: Function) -> Schedule | None:
    return Schedule.objects.filter(function=function).first()


def _context(function: Function, schedule: Schedule | None, **extra) -> dict:
    now = timezone.now()
    return {
        "function": function,
        "schedule": schedule,
        "live": schedule.is_live(now) if schedule else False,
        "upcoming": schedule.upcoming(now) if schedule else [],
        "expression": schedule.expression if schedule else "",
        "expression_help": EXPRESSION_HELP,
        "lifetime_minutes": int(LIFETIME.total_seconds() // 60),
        "typed": None,
        **extra,
    }


def _answer(
    request: HttpRequest, function: Function, note: str = "", status: int = 200, **extra
) -> HttpResponse:
    """htmx: the schedule fragment; a full page: post/redirect/get, or the page with errors."""
    context = _context(function, _schedule_of(function), note=note, **extra)
    if request.htmx:
        return render(request, "schedules/_schedule.html", context, status=status)
    if status != 200:
        return render(request, "schedules/schedule.html", context, status=status)
    if note:
        messages.success(request, note)
    return redirect("schedules:page", function.pk)


@require_GET
@vary_on_headers("HX-Request")
@login_required
def schedule_page(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    context = _context(function, _schedule_of(function))
    template = "schedules/_schedule.html" if request.htmx else "schedules/schedule.html"
    return render(request, template, context)


@require_POST
@vary_on_headers("HX-Request")
@login_required
def schedule_set(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    form = ScheduleForm(request.POST)
    typed = request.POST.get("expression", "")
    if not form.is_valid():
        return _answer(request, function, status=400, errors=form.messages_by_field(), typed=typed)
    try:
        set_schedule(function, form.cleaned_data["expression"])
    except AlreadyScheduled as taken:
        return _answer(
            request, function, status=400, errors={"expression": str(taken)}, typed=typed
        )
    return _answer(
        request, function, f"Scheduled {function.name}: {form.cleaned_data['expression']}."
    )


@require_POST
@vary_on_headers("HX-Request")
@login_required
def schedule_renew(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    schedule = get_object_or_404(Schedule, function=function)
    try:
        schedule.renew()
    except AlreadyScheduled as taken:
        return _answer(request, function, status=400, errors={"renew": str(taken)})
    return _answer(request, function, "Renewed: the schedule runs for another hour.")


@require_POST
@vary_on_headers("HX-Request")
@login_required
def schedule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    Schedule.objects.filter(function=function).delete()
    return _answer(request, function, f"Removed the schedule of {function.name}.")


# --- JSON API --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST", "DELETE"])
def api_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    function, problem = api_function(request, pk)
    if problem:
        return problem
    if request.method == "DELETE":
        deleted, _ = Schedule.objects.filter(function=function).delete()
        if not deleted:
            return JsonResponse({"errors": {"schedule": NO_SCHEDULE}}, status=404)
        return HttpResponse(status=204)
    if request.method == "GET":
        schedule = _schedule_of(function)
        if schedule is None:
            return JsonResponse({"errors": {"schedule": NO_SCHEDULE}}, status=404)
        return JsonResponse(schedule.as_json())
    data, problem = json_object(request)
    if problem:
        return problem
    unknown = sorted(set(data) - {"expression"})
    if unknown:
        return JsonResponse({"errors": {unknown[0]: f"Unknown field {unknown[0]!r}."}}, status=400)
    if not isinstance(data.get("expression", ""), str):
        message = 'The expression must be a string, for example "rate(5 minutes)".'
        return JsonResponse({"errors": {"expression": message}}, status=400)
    form = ScheduleForm(data)
    if not form.is_valid():
        return JsonResponse({"errors": form.messages_by_field()}, status=400)
    try:
        schedule = set_schedule(function, form.cleaned_data["expression"])
    except AlreadyScheduled as taken:
        return JsonResponse({"errors": {"expression": str(taken)}}, status=400)
    return JsonResponse(schedule.as_json())


@require_POST
def api_renew(request: HttpRequest, pk: int) -> HttpResponse:
    function, problem = api_function(request, pk)
    if problem:
        return problem
    schedule = _schedule_of(function)
    if schedule is None:
        return JsonResponse({"errors": {"schedule": NO_SCHEDULE}}, status=404)
    try:
        schedule.renew()
    except AlreadyScheduled as taken:
        return JsonResponse({"errors": {"schedule": str(taken)}}, status=400)
    return JsonResponse(schedule.as_json())
