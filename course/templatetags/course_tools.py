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


@register.filter
def usd(amount) -> str:
    """Dollars to the cent for display ("$2.73"); the model keeps exact Decimals."""
    return pricing.format_usd(amount)


@register.filter
def number(value) -> str:
    return pricing.format_number(value)
