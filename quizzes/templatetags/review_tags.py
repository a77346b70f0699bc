from django import template

from quizzes.review import workflow

register = template.Library()


@register.inclusion_tag("review/_due_line.html")
def review_due(user):
    """ "N questions due for review" for the home and progress pages (signed-in users only)."""
    if not user.is_authenticated:
        return {"show": False}
    return {"show": True, "counts": workflow.counts(user)}
