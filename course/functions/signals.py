"""Anonymous learners' runner drafts join their account when they sign up or log in.

login() keeps the session's data while it changes the session key, so the draft ids are kept in
the session (drafts.SESSION_DRAFTS), as lab drafts and quiz attempts are.

The signals this feature sends: ``invoked`` after every finished invocation of a saved function
(kwargs: function, trigger, invocation, cold, started as a Unix time) and ``throttled`` when one
was refused by a rate limit (kwargs: function, trigger). Monitoring receives them."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import Signal, receiver

from course.functions import drafts

invoked = Signal()
throttled = Signal()


@receiver(user_logged_in, dispatch_uid="functions.claim_session_drafts")
def claim_session_drafts(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    ids = session.pop(drafts.SESSION_DRAFTS, None)
    if ids and isinstance(ids, list):
        drafts.move_to_user([i for i in ids if isinstance(i, int)], user)
