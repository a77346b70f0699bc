"""What the runner page shows a learner about saved functions: the function open in it (if
any), its or a new function's autosaved draft, and the "Open" list. The runner's views call
this through a late import, so the runner knows nothing else about saved functions."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import Http404

from course.common.numbers import parse_id
from course.functions import drafts
from course.functions.models import Function

EMPTY_EVENT = "{}"


def _function_id(params: Mapping[str, str]) -> int | None:
    raw = params.get("fn") or params.get("function") or ""
    if not raw:
        return None
    pk = parse_id(raw)
    if pk is None:
        raise Http404("No such function.")
    return pk


def open_function(request, params: Mapping[str, str]) -> Function | None:
    """The learner's function named by ?fn= (or the form's ``function``); 404 for anyone else's."""
    pk = _function_id(params)
    if pk is None:
        return None
    if not request.user.is_authenticated:
        raise Http404("No such function.")
    try:
        return Function.objects.owned_by(request.user).get(pk=pk)
    except Function.DoesNotExist:
        raise Http404("No such function.") from None


def function_values(function: Function) -> dict[str, str]:
    first_event = function.test_events.first()
    return {
        "starter": "",
        "runtime": function.runtime,
        "code": function.code,
        "event": first_event.body if first_event else EMPTY_EVENT,
        "event_sample": "",
        "memory_mb": str(function.memory_mb),
        "timeout_s": str(function.timeout_s),
    }


def runner_page(request, params: Mapping[str, str], values: dict[str, str], posted: bool) -> dict:
    """Updates ``values`` (what the editor shows) from the open function or a draft, and returns
    the page's ``saved`` context. A posted form already holds what the learner typed."""
    function = open_function(request, params)
    draft = None
    if not posted and "starter" not in params:
        draft = drafts.current(request, function)
        if function is not None:
            values.update(function_values(function))
        if draft is not None and function is not None and draft.updated_at < function.updated_at:
            draft = None  # the function changed since (through the API): it wins
        if draft is not None:
            values.update({k: v for k, v in draft.fields.items() if k in values})
    name = params.get("name") if posted else None
    if name is None:
        name = (draft.fields.get("name") if draft else None) or (function.name if function else "")
    functions = []
    if request.user.is_authenticated:
        functions = list(Function.objects.owned_by(request.user).only("pk", "name"))
    return {
        "function": function,
        "name": name,
        "functions": functions,
        "restored": draft is not None,
        "authenticated": request.user.is_authenticated,
    }
