"""Assignment and Grade Services: a submitted quiz or lab's score goes to the gradebook of every
LMS placement of it that this learner launched (and only those), after the submission commits.

A platform that fails or is slow is never the learner's problem: the submission is already
recorded here, the receivers never raise (they run in on_commit, inside the learner's request),
and a score the platform did not take is kept as a PendingScore and sent again by the next
submission of that placement or by `manage.py lti_scores retry` (run it from cron).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
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
from quizzes.teach.lti.models import LtiUser, PendingScore, ResourceLink, TargetKind

log = logging.getLogger(__name__)
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MAX_ERROR_CHARS = 500


def _deliver(link: ResourceLink, learner: LtiUser, score, maximum, scored_at: datetime) -> None:
    """POST one score to the placement's line item; raises whatever the platform answers with."""
    endpoint = link.ags_endpoint or {}
    grade = (
        Grade()
        .set_score_given(score)
        .set_score_maximum(maximum)
        .set_user_id(learner.sub)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp(scored_at.isoformat())
    )
    platform = link.context.platform
    connector = ServiceConnector(tool.registration_for(platform), tool.http_session())
    service = AssignmentsGradesService(connector, endpoint)
    lineitem = None
    if not endpoint.get("lineitem"):
        # A placement made without a gradebook column: find or make one for it.
        lineitem = (
            LineItem()
            .set_label(link.title or f"{link.kind} {link.target}")
            .set_score_maximum(maximum)
            .set_resource_link_id(link.resource_link_id)
            .set_tag(f"{link.kind}:{link.target}")
        )
    service.put_grade(grade, lineitem)


def _send_one(link, learner, score, maximum, scored_at: datetime) -> bool:
    """Deliver, and keep the pending record in step: gone when the platform took the score,
    written (tries counted) when it did not."""
    try:
        _deliver(link, learner, score, maximum, scored_at)
    except Exception as error:  # any platform failure (HTTP error, timeout, bad answer)
        log.warning("LTI score for %s not sent to %s: %r", link, link.context.platform, error)
        text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
        with transaction.atomic():
            pending = PendingScore.objects.select_for_update().filter(link=link, learner=learner)
            row = pending.first()
            if row is None:
                PendingScore.objects.create(
                    link=link,
                    learner=learner,
                    score_given=score,
                    score_maximum=maximum,
                    scored_at=scored_at,
                    last_error=text,
                )
            else:
                row.score_given, row.score_maximum, row.scored_at = score, maximum, scored_at
                row.tries += 1
                row.last_error = text
                row.save()
        return False
    PendingScore.objects.filter(link=link, learner=learner, scored_at__lte=scored_at).delete()
    return True


def send_score(user, kind: str, key: str, score: float, maximum: float) -> int:
    """Post the score to each launch-linked placement; returns how many platforms took it."""
    links = (
        ResourceLink.objects.filter(kind=kind, target=key, learners__user=user)
        .select_related("context__platform")
        .distinct()
    )
    scored_at = timezone.now()
    sent = 0
    for link in links:
        learner = link.learners.filter(user=user).first()
        endpoint = link.ags_endpoint or {}
        if learner is None or SCORE_SCOPE not in (endpoint.get("scope") or []):
            continue
        sent += _send_one(link, learner, score, maximum, scored_at)
    return sent


def retry_pending() -> tuple[int, int]:
    """Send every score still waiting; returns (sent now, still waiting)."""
    sent = 0
    pending = PendingScore.objects.select_related("link__context__platform", "learner")
    for row in pending:
        sent += _send_one(row.link, row.learner, row.score_given, row.score_maximum, row.scored_at)
    return sent, PendingScore.objects.count()


@receiver(attempt_submitted, dispatch_uid="lti.quiz_score")
def quiz_score(sender, attempt_id: int, **kwargs) -> None:
    try:
        attempt = Attempt.objects.select_related("quiz__lesson").filter(pk=attempt_id).first()
        if attempt is None or attempt.user_id is None or not attempt.max_score:
            return
        send_score(
            attempt.user,
            TargetKind.QUIZ,
            attempt.quiz.lesson.slug,
            attempt.score,
            attempt.max_score,
        )
    except Exception:  # on_commit runs in the learner's request: never their error page
        log.exception("LTI passback of quiz attempt %s failed", attempt_id)


@receiver(lab_submitted, dispatch_uid="lti.lab_score")
def lab_score(sender, attempt_id: int, **kwargs) -> None:
    try:
        attempt = LabAttempt.objects.select_related("lab", "user").filter(pk=attempt_id).first()
        if attempt is None or not attempt.max_score:
            return
        send_score(attempt.user, TargetKind.LAB, attempt.lab.key, attempt.score, attempt.max_score)
    except Exception:  # on_commit runs in the learner's request: never their error page
        log.exception("LTI passback of lab attempt %s failed", attempt_id)
