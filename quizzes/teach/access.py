"""Who teaches, and what a teacher may open: the Teachers group, the log-in backend that loads
it with the user, the view decorator and the class lookup that make another teacher's class a 404.

Loading the signed-in user together with whether they teach, in the same single query: the
"Teach" link is in every page's navigation, so "is this user in the Teachers group?" is
asked on every request. Loading the user already costs one query per request; annotating it
with an EXISTS over the group membership answers the question in that query, so the link
follows group changes at once (no signing in again) and no page gains a query.

"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from quizzes.models import TEACHERS_GROUP, Classroom

User = get_user_model()
TEACHES_ATTRIBUTE = "teaches_annotated"


def with_teaches(queryset):
    membership = get_user_model().groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name=TEACHERS_GROUP
    )
    return queryset.annotate(**{TEACHES_ATTRIBUTE: Exists(membership)})


class TeacherAwareBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        user = with_teaches(model._default_manager.filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            # Settings also list Django's ModelBackend, only so sessions signed in before this
            # backend existed keep working; stopping here spares a failed log-in from checking
            # the password a second time there.
            raise PermissionDenied
        return user


def is_teacher(user) -> bool:
    """A member of the auth group Teachers: known without a query for the signed-in user
    (TeacherAwareBackend below loads it with them), one query for anyone else."""
    if not user.is_authenticated:
        return False
    known = getattr(user, "teaches_annotated", None)
    if known is not None:
        return bool(known)
    return user.groups.filter(name=TEACHERS_GROUP).exists()


REQUEST_TEACHES = "_teaches"


def request_teaches(request) -> bool:
    """is_teacher for the signed-in user, answered at most once per request (free when the
    user came from TeacherAwareBackend below; one query for older sessions)."""
    if not hasattr(request, REQUEST_TEACHES):
        setattr(request, REQUEST_TEACHES, is_teacher(request.user))
    return getattr(request, REQUEST_TEACHES)


class UnknownUser(LookupError):
    pass


def set_teacher(username: str, teaches: bool = True):
    """Put the user in the Teachers group (or take them out): (user, whether it changed)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise UnknownUser(
            f"There is no user called {username!r}. Usernames are case-sensitive; "
            "the user must sign up (or be created in the admin) first."
        )
    group, _ = Group.objects.get_or_create(name=TEACHERS_GROUP)
    already = user.groups.filter(pk=group.pk).exists()
    if teaches and not already:
        user.groups.add(group)
    elif not teaches and already:
        user.groups.remove(group)
    return user, already != teaches


NOT_A_TEACHER = (
    "This page is for teachers. If you teach this course, ask an administrator to add you to "
    "the Teachers group."
)

# --- Access ------------------------------------------------------------------------------------


def teacher_required(view: Callable) -> Callable:
    """Anonymous: to the log-in page and back. Signed in but not a teacher: 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request_teaches(request):
            raise PermissionDenied(NOT_A_TEACHER)
        return view(request, *args, **kwargs)

    return wrapped


def taught_class(request: HttpRequest, pk: int, related: tuple[str, ...] = ()) -> Classroom:
    """The class, if the signed-in teacher teaches it; anyone else's is a 404. `related`: what
    the page reads with it, joined into the same query."""
    classes = Classroom.objects.taught_by(request.user)
    if related:
        classes = classes.select_related(*related)
    return get_object_or_404(classes, pk=pk)
