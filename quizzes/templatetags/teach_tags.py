"""The "Teach" link in the site navigation, without a query on every page.

Whether the user teaches is noted in their session at sign-in (quizzes.models.remember_teacher)
and corrected by every teacher page, which checks the Teachers group itself; the link reads the
note, so the pages everyone visits keep their query counts.
"""

from django import template

from quizzes.models import TEACHER_SESSION_KEY

register = template.Library()


@register.filter
def shows_teach_link(request) -> bool:
    if request is None or not request.user.is_authenticated:
        return False
    return bool(request.session.get(TEACHER_SESSION_KEY, False))


@register.filter
def in_teach_section(request) -> bool:
    """True on the teacher pages, for the link's aria-current."""
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name and match.url_name.startswith("teach"))
