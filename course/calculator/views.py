"""The Lambda pricing calculator: full page, htmx fragment and JSON API over one model."""

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from course import pricing
from course.calculator.forms import LambdaPricingForm
from course.calculator.state import breakdown_json, calculate

# Pages that embed the calculator: an htmx update pushes *their* URL, so the lesson stays put.
EMBEDDING_VIEWS = {"lesson", "lambda_pricing"}
# The calculator's element id. Every URL that reproduces a result ends with it, because the
# Lambda lesson is ~10,000 px tall and a shared link must open at the calculator, not the title.
CALCULATOR_FRAGMENT = "#lambda-calculator"


def push_url_for(request: HttpRequest, query: str) -> str:
    """The address bar after an update: the page the learner is on, with the new inputs."""
    path = reverse("lambda_pricing")
    current = urlsplit(request.htmx.current_url or "")
    if current.path and current.netloc in {"", request.get_host()}:
        try:
            if resolve(current.path).url_name in EMBEDDING_VIEWS:
                path = current.path
        except Resolver404:
            pass
    return f"{path}?{query}{CALCULATOR_FRAGMENT}"


def share_url(request: HttpRequest, query: str) -> str:
    """The absolute link the calculator offers to copy: the same address an update pushes."""
    if request.htmx:
        relative = push_url_for(request, query)
    else:
        relative = f"{request.path}?{query}{CALCULATOR_FRAGMENT}"
    return request.build_absolute_uri(relative)


@require_GET
@vary_on_headers("HX-Request")
def lambda_pricing(request: HttpRequest) -> HttpResponse:
    calculation = calculate(request.GET)
    context = {"calc": calculation}
    if request.htmx:
        response = render(request, "calculator/_lambda_pricing_result.html", context)
        response["HX-Push-Url"] = push_url_for(request, calculation.query_string)
        return response
    return render(request, "calculator/lambda_pricing.html", context)


@require_GET
def lambda_pricing_api(request: HttpRequest) -> JsonResponse:
    form = LambdaPricingForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.messages_by_field()}, status=400)
    return JsonResponse(breakdown_json(pricing.lambda_cost(form.inputs)))
