"""The "Teach" link in the site navigation, and a student's due dates on pages other
features own (home, /progress/).

Whether someone teaches is read from the Teachers group on every request (one small indexed
query, for signed-in users only, once per request however often a page asks). It used to be
noted in the session at sign-in, so someone made a teacher saw no link until they signed in
again, and someone taken out of the group kept it.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

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


@register.filter
def matrix_cell(cell) -> SafeString:
    """One cell of the progress matrix as HTML. Built here rather than in the template because a
    class of 500 has thousands of cells, and Django's template engine spends most of the page's
    time on their lookups; format_html escapes every value, as the template would."""
    classes = "cell is-complete" if cell.is_complete else "cell is-read" if cell.is_read else "cell"
    parts = [('<span class="cell-read">{}</span>', (cell.read_label,))]
    if cell.has_quiz:
        parts.append(
            ('<span class="cell-score score-{}">{}</span>', (cell.score_status, cell.score_label))
        )
    if cell.in_progress:
        parts.append(('<span class="cell-open">{}</span>', ("◔ Quiz in progress",)))
    if cell.labs:
        parts.append(('<span class="cell-labs">{}</span>', (cell.labs_label,)))
    if cell.is_complete:
        parts.append(('<span class="cell-done">{}</span>', ("✓ Complete",)))
    if cell.assignment is not None:
        parts.append(
            (
                '<span class="due-state due-{}">{}</span>',
                (cell.assignment.state, cell.assignment.label),
            )
        )
    inner = SafeString("".join(format_html(fmt, *args) for fmt, args in parts))
    return format_html('<td class="{}">{}</td>', classes, inner)
