"""The calculator as a live component that lessons embed with a [[lambda-pricing]] line, and
the money and number filters its templates use."""

from django import template

from course import pricing
from course.calculator.state import calculate

register = template.Library()


@register.inclusion_tag("calculator/_lambda_pricing.html", takes_context=True)
def lambda_calculator(context):
    """The calculator, prefilled from the page's query string so shared links reproduce it."""
    request = context["request"]
    return {"calc": calculate(request.GET), "request": request, "embedded": True}


@register.simple_tag(takes_context=True)
def calculator_share_url(context, calc) -> str:
    from course.calculator.views import share_url

    return share_url(context["request"], calc.query_string)


@register.filter
def usd(amount) -> str:
    """Dollars to the cent for display ("$2.73"); the model keeps exact Decimals."""
    return pricing.format_usd(amount)


@register.filter
def number(value) -> str:
    return pricing.format_number(value)
