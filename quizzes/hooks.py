"""Signals other features listen to, sent by quizzes/attempts.py after the fact is committed.

attempt_submitted(attempt): a quiz attempt was graded (once per attempt); LTI sends its score
to the LMS gradebook.
"""

from django.dispatch import Signal

attempt_submitted = Signal()
