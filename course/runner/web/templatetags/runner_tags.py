"""The function runner as a live component that lessons embed with a [[function-runner]] line."""

from django import template

from course import pricing

register = template.Library()


@register.inclusion_tag("runner/_function_runner.html", takes_context=True)
def function_runner(context):
    """The runner, with a starter chosen by ?starter= when the page was loaded without JS."""
    from course.runner.web.views import runner_context

    request = context["request"]
    return {**runner_context(request, request.GET), "embedded": True}


@register.filter
def usd(amount) -> str:
    """The run's cost for display; exact to the last figure shown (see pricing.format_usd)."""
    return pricing.format_usd(amount)
