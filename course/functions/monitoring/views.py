"""A function's monitor (/functions/<id>/monitor: charts and the log stream) and its JSON API
(/api/functions/<id>/logs and /metrics). Owners only: everyone else's functions do not exist."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from course.functions.models import Function
from course.functions.monitoring import chart, recording
from course.functions.monitoring.forms import WINDOWS, MonitorForm
from course.functions.monitoring.models import KEEP_LOG_ENTRIES, LogEntry
from course.functions.web import api_function, owned_or_404


def _filters(request: HttpRequest) -> tuple[dict, dict[str, str]]:
    """The cleaned filters, or the defaults and what was wrong (a bad filter changes nothing:
    the page shows the defaults, the API answers 400)."""
    form = MonitorForm(request.GET)
    if form.is_valid():
        return form.cleaned_data, {}
    return MonitorForm.defaults(), form.messages_by_field()


def _entries(function: Function, filters: dict) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(function=function).matching(filters["q"], filters["errors"])[
            :KEEP_LOG_ENTRIES
        ]
    )


@require_GET
@vary_on_headers("HX-Request")
@login_required
def monitor(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    filters, errors = _filters(request)
    minutes = recording.metrics(function, filters["minutes"])
    windows = list(WINDOWS)
    if filters["minutes"] not in dict(WINDOWS):  # a window typed into the URL stays chosen
        windows.append((filters["minutes"], f"Last {filters['minutes']} minutes"))
    context = {
        "function": function,
        "filters": filters,
        "filter_errors": errors,
        "windows": windows,
        "charts": chart.monitor_charts(minutes),
        "entries": _entries(function, filters),
        "keep": KEEP_LOG_ENTRIES,
    }
    status = 400 if errors else 200
    if request.htmx:
        return render(request, "monitoring/_monitor_body.html", context, status=status)
    return render(request, "monitoring/monitor.html", context, status=status)


# --- JSON API --------------------------------------------------------------------------------


@require_GET
def api_logs(request: HttpRequest, pk: int) -> JsonResponse:
    """The stored log stream, newest first, filtered by ?q= (text) and ?errors=1."""
    function, problem = api_function(request, pk)
    if problem:
        return problem
    form = MonitorForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.messages_by_field()}, status=400)
    entries = _entries(function, form.cleaned_data)
    return JsonResponse([entry.as_json() for entry in entries], safe=False)


@require_GET
def api_metrics(request: HttpRequest, pk: int) -> JsonResponse:
    """Per-minute metrics for the last ?minutes= minutes (default 60, at most 1440), oldest
    first, every minute present."""
    function, problem = api_function(request, pk)
    if problem:
        return problem
    form = MonitorForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.messages_by_field()}, status=400)
    minutes = recording.metrics(function, form.cleaned_data["minutes"])
    return JsonResponse([recording.minute_json(m) for m in minutes], safe=False)
