"""Assignment and Grade Services: a submitted quiz or lab's score goes to the gradebook of every
LMS placement of it that this learner launched (and only those).

The submission never talks to the LMS. Its signal is sent inside the transaction that records
the result, and the receivers here write the score to the outbox (PendingScore) in that same
transaction: the result and the score to send are committed together or not at all, and the
learner's request costs one more query (a few for a learner who came from an LMS), never an
HTTP call. The background deliverer (quizzes/teach/lti/outbox.py, run by the scheduler process)
sends it with deliver() below, and backs off while a platform fails.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Subquery
from django.dispatch import receiver
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from course.labs.hooks import lab_submitted
from quizzes.hooks import attempt_submitted
from quizzes.models import Quiz
from quizzes.teach.lti.models import LtiUser, PendingScore, ResourceLink, TargetKind

log = logging.getLogger(__name__)
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

# A placement's learners: the table behind ResourceLink.learners (who launched which link).
Launched = ResourceLink.learners.through


def deliver(
    connector: ServiceConnector,
    link: ResourceLink,
    learner: LtiUser,
    score: float,
    maximum: float,
    scored_at: datetime,
) -> None:
    """POST one score to the placement's line item; raises whatever the platform answers with.
    The timestamp is the submission's, so a platform keeps the newest score whatever order
    deliveries arrive in."""
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


def queue_score(launched, score: float, maximum: float, scored_at: datetime) -> int:
    """Put the score in the outbox for each (link, learner, ags_endpoint) of ``launched`` whose
    placement takes scores; a score of the same placement and learner not yet sent is replaced
    (its tries and error reset: this is a new score). Returns how many were queued."""
    rows = [
        PendingScore(
            link_id=link_id,
            learner_id=learner_id,
            score_given=score,
            score_maximum=maximum,
            scored_at=scored_at,
            tries=0,
            last_error="",
            next_attempt_at=timezone.now(),
            failed_at=None,
        )
        for link_id, learner_id, endpoint in launched
        if SCORE_SCOPE in ((endpoint or {}).get("scope") or [])
    ]
    if not rows:
        return 0
    # A savepoint: should the write fail, the learner's result is still recorded. leased_until
    # is left alone: a deliverer sending the older score finds the row changed and leaves it.
    with transaction.atomic():
        PendingScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["link", "learner"],
            update_fields=[
                "score_given",
                "score_maximum",
                "scored_at",
                "tries",
                "last_error",
                "next_attempt_at",
                "failed_at",
                "updated_at",
            ],
        )
    return len(rows)


def _launched(user_id: int, kind: str, target) -> list[tuple]:
    """(link id, LtiUser id, AGS endpoint) of each placement of this activity the user launched:
    one query."""
    return list(
        Launched.objects.filter(
            ltiuser__user_id=user_id, resourcelink__kind=kind, resourcelink__target=target
        ).values_list("resourcelink_id", "ltiuser_id", "resourcelink__ags_endpoint")
    )


@receiver(attempt_submitted, dispatch_uid="lti.quiz_score")
def quiz_score(sender, attempt_id, user_id, quiz_id, score, max_score, submitted_at, **kwargs):
    if user_id is None or not max_score:
        return
    try:
        slug = Subquery(Quiz.objects.filter(pk=quiz_id).values("lesson__slug")[:1])
        queue_score(_launched(user_id, TargetKind.QUIZ, slug), score, max_score, submitted_at)
    except Exception:  # the learner's submission matters more than its passback: never their error
        log.exception("LTI score of quiz attempt %s not queued", attempt_id)


@receiver(lab_submitted, dispatch_uid="lti.lab_score")
def lab_score(sender, attempt_id, user_id, key, score, max_score, submitted_at, **kwargs):
    if not max_score:
        return
    try:
        queue_score(_launched(user_id, TargetKind.LAB, key), score, max_score, submitted_at)
    except Exception:  # the learner's submission matters more than its passback: never their error
        log.exception("LTI score of lab attempt %s not queued", attempt_id)
