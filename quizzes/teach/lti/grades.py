"""Assignment and Grade Services: a submitted quiz or lab's score goes to the gradebook of every
LMS placement of it that this learner launched (and only those), after the submission commits.

A platform that fails or is slow is logged, never the learner's problem: the submission is
already recorded here.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from course.labs.hooks import lab_submitted
from course.labs.models import LabAttempt
from quizzes.hooks import attempt_submitted
from quizzes.models import Attempt
from quizzes.teach.lti import tool
from quizzes.teach.lti.models import ResourceLink, TargetKind

log = logging.getLogger(__name__)
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def send_score(user, kind: str, key: str, score: float, maximum: float) -> int:
    """Post the score to each launch-linked placement; returns how many platforms took it."""
    links = (
        ResourceLink.objects.filter(kind=kind, target=key, learners__user=user)
        .select_related("context__platform")
        .distinct()
    )
    sent = 0
    for link in links:
        learner = link.learners.filter(user=user).first()
        endpoint = link.ags_endpoint or {}
        if learner is None or SCORE_SCOPE not in (endpoint.get("scope") or []):
            continue
        platform = link.context.platform
        grade = (
            Grade()
            .set_score_given(score)
            .set_score_maximum(maximum)
            .set_user_id(learner.sub)
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_timestamp(timezone.now().isoformat())
        )
        connector = ServiceConnector(tool.registration_for(platform), tool.http_session())
        service = AssignmentsGradesService(connector, endpoint)
        lineitem = None
        if not endpoint.get("lineitem"):
            # A placement made without a gradebook column: find or make one for it.
            lineitem = (
                LineItem()
                .set_label(link.title or f"{kind} {key}")
                .set_score_maximum(maximum)
                .set_resource_link_id(link.resource_link_id)
                .set_tag(f"{kind}:{key}")
            )
        try:
            service.put_grade(grade, lineitem)
        except Exception:  # any platform failure: logged, the learner's submission stands
            log.exception("LTI score for %s %s not sent to %s", kind, key, platform)
            continue
        sent += 1
    return sent


@receiver(attempt_submitted, dispatch_uid="lti.quiz_score")
def quiz_score(sender, attempt_id: int, **kwargs) -> None:
    attempt = Attempt.objects.select_related("quiz__lesson").filter(pk=attempt_id).first()
    if attempt is None or attempt.user_id is None or not attempt.max_score:
        return
    send_score(
        attempt.user, TargetKind.QUIZ, attempt.quiz.lesson.slug, attempt.score, attempt.max_score
    )


@receiver(lab_submitted, dispatch_uid="lti.lab_score")
def lab_score(sender, attempt_id: int, **kwargs) -> None:
    attempt = LabAttempt.objects.select_related("lab", "user").filter(pk=attempt_id).first()
    if attempt is None or not attempt.max_score:
        return
    send_score(attempt.user, TargetKind.LAB, attempt.lab.key, attempt.score, attempt.max_score)
