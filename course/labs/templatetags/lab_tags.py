from django import template

register = template.Library()


@register.inclusion_tag("labs/_lesson_labs.html")
def lesson_labs(lesson):
    """The lesson's hands-on labs, linked from its page."""
    return {"labs": list(lesson.labs.active().order_by("order", "key"))}


@register.filter
def pretty_json(value) -> str:
    """A test's event or expectation as the learner would write it (autoescaped on output)."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
