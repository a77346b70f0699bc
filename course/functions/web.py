"""What the views of a saved function and of its tools (endpoint, schedule, monitor) share:
finding the signed-in owner's function, and the JSON API's answers for an anonymous caller, a
function that is not theirs and a request body. One place, so every /api/functions/ URL answers
these cases alike: 401 for anonymous, 404 for anyone else's function (it simply does not exist
for them), 413/400 for a body that is too large or not a JSON object."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from course.functions.models import Function
from course.runner.web.forms import BadJSON, parse_json
from course.runner.web.views import read_body


def owned_or_404(request: HttpRequest, pk: int) -> Function:
    return get_object_or_404(Function.objects.owned_by(request.user), pk=pk)


def unauthorized() -> JsonResponse:
    return JsonResponse(
        {"errorType": "Unauthorized", "errors": {"auth": "Log in to use saved functions."}},
        status=401,
    )


def no_function() -> JsonResponse:
    return JsonResponse({"errors": {"id": "No such function."}}, status=404)


def api_function(request: HttpRequest, pk: int) -> tuple[Function | None, JsonResponse | None]:
    """(the owner's function, None), or (None, the 401 or 404 answer)."""
    if not request.user.is_authenticated:
        return None, unauthorized()
    function = Function.objects.owned_by(request.user).filter(pk=pk).first()
    return (function, None) if function is not None else (None, no_function())


def json_object(request: HttpRequest) -> tuple[dict | None, JsonResponse | None]:
    """(the body as a dict, None), or (None, the 413 or 400 answer naming the fault)."""
    raw = read_body(request)
    if raw is None:
        return None, JsonResponse(
            {"errorType": "RequestEntityTooLargeException",
             "errors": {"body": "The request body is too large."}},
            status=413,
        )  # fmt: skip
    try:
        data = parse_json(raw or b"{}", "The request body")
    except BadJSON as bad:
        return None, JsonResponse({"errors": {"body": str(bad)}}, status=400)
    if not isinstance(data, dict):
        return None, JsonResponse({"errors": {"body": "Send a JSON object."}}, status=400)
    return data, None
