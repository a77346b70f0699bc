"""The "Teach" link in the site navigation.

Whether someone teaches is read from the Teachers group on every request (one small indexed
query, for signed-in users only, once per request however often a page asks). It used to be
noted in the session at sign-in, so someone made a teacher saw no link until they signed in
again, and someone taken out of the group kept it.
"""

from django import template

from quizzes.teach import access

register = template.Library()


@register.filter
def shows_teach_link(request) -> bool:
    if request is None or not request.user.is_authenticated:
        return False
    return access.request_teaches(request)


@register.filter
def in_teach_section(request) -> bool:
    """True on the teacher pages, for the link's aria-current."""
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name and match.url_name.startswith("teach"))
