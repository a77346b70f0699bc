"""Signals other features listen to, sent by quizzes/attempts.py.

attempt_submitted(attempt_id, user_id, quiz_id, score, max_score, submitted_at): a quiz attempt
was graded (once per attempt). Sent INSIDE the grading transaction, so what a listener writes
commits with the result or not at all; a listener must therefore be quick and do no network
I/O (LTI writes the score to its outbox; a background job sends it to the LMS gradebook).
user_id is None for an anonymous attempt.
"""

from django.dispatch import Signal

attempt_submitted = Signal()
