"""Anonymous attempts join the account when the learner signs up or signs in.

Sign-up logs the new user in with django.contrib.auth.login, so one receiver covers both.
login() keeps the session's data while it changes the session key, which is why the attempt
ids are kept in the session (attempts.SESSION_ATTEMPTS) rather than found by session key.
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from quizzes import attempts


@receiver(user_logged_in, dispatch_uid="quizzes.claim_session_attempts")
def claim_session_attempts(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    ids = session.pop(attempts.SESSION_ATTEMPTS, None)
    if ids and isinstance(ids, list):
        attempts.move_to_user(ids, user)
