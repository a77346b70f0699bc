"""Signals other features listen to, sent by course/labs/views.py.

lab_submitted(attempt_id, user_id, key, score, max_score, submitted_at): a new lab submission
was graded and recorded. Sent INSIDE the transaction that records it, so what a listener writes
commits with the attempt or not at all; a listener must therefore be quick and do no network
I/O (LTI writes the score to its outbox; a background job sends it to the LMS gradebook).
(Labs do not import the listeners: course/ imports nothing from quizzes/.)
"""

from django.dispatch import Signal

lab_submitted = Signal()
