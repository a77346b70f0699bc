"""Signals other features listen to, sent by course/labs/views.py after the fact is committed.

lab_submitted(attempt): a new lab submission was graded and recorded; LTI sends its score to
the LMS gradebook. (Labs do not import the listeners: course/ imports nothing from quizzes/.)
"""

from django.dispatch import Signal

lab_submitted = Signal()
