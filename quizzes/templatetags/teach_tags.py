"""The "Teach" link in the site navigation, and a student's due dates on pages other
features own (home, /progress/).

Whether someone teaches is read from the Teachers group on every request (one small indexed
query, for signed-in users only, once per request however often a page asks). It used to be
noted in the session at sign-in, so someone made a teacher saw no link until they signed in
again, and someone taken out of the group kept it.
"""

from django import template
from django.urls import reverse

from course.accounts.models import Profile
from quizzes.teach import access, queries

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


@register.inclusion_tag("teach/_due.html", takes_context=True)
def assignments_due(context, show_feed: bool = False) -> dict:
    """The signed-in student's due dates, soonest first (queries.due_items: one query when they
    are in no class with assignments); `show_feed` adds their calendar feed's link (one more
    query: their profile, made on first use)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"items": [], "feed_url": ""}
    feed_url = ""
    if show_feed:
        token = Profile.objects.for_user(user).calendar_token
        feed_url = reverse("quizzes:calendar_feed", kwargs={"token": token})
    return {"items": queries.due_items(user), "feed_url": feed_url}
