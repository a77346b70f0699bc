"""The log-in backend's historical dotted path: settings.AUTHENTICATION_BACKENDS names it, and
every signed-in session stores it, so it stays importable here; it lives in quizzes/teach/."""

from quizzes.teach.access import TeacherAwareBackend

__all__ = ["TeacherAwareBackend"]
