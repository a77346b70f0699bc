"""Loading the signed-in user together with whether they teach, in the same single query.

The "Teach" link is in every page's navigation, so "is this user in the Teachers group?" is
asked on every request. Loading the user already costs one query per request; annotating it
with an EXISTS over the group membership answers the question in that query, so the link
follows group changes at once (no signing in again) and no page gains a query.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef

from quizzes.models import TEACHERS_GROUP

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
