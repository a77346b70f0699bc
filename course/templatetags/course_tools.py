"""Live components that lessons embed with a [[name]] line (see course/markdown.py)."""

from django import template

from course import pricing
from course.calculator import calculate

register = template.Library()


@register.inclusion_tag("course/tools/_lambda_pricing.html", takes_context=True)
def lambda_calculator(context):
    """The calculator, prefilled from the page's query string so shared links reproduce it."""
    request = context["request"]
    return {"calc": calculate(request.GET), "request": request, "embedded": True}


@register.inclusion_tag("course/tools/_function_runner.html", takes_context=True)
def function_runner(context):
    """The runner, with a starter chosen by ?starter= when the page was loaded without JS."""
    from course.function_runner import runner_context

    request = context["request"]
    return {**runner_context(request, request.GET), "embedded": True}


@register.simple_tag(takes_context=True)
def calculator_share_url(context, calc) -> str:
    from course.tools import share_url

    return share_url(context["request"], calc.query_string)


@register.filter
def usd(amount) -> str:
    """Dollars to the cent for display ("$2.73"); the model keeps exact Decimals."""
    return pricing.format_usd(amount)


@register.filter
def number(value) -> str:
    return pricing.format_number(value)


@register.filter
def usd_float(amount) -> str:
    from decimal import Decimal

    return pricing.format_usd(Decimal(str(amount)))
