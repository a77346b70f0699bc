"""Lab scores back to the LMS gradebook (AGS), end to end: a learner launched on a deep-linked
lab submits it in the browser form; the submission writes the score to the outbox and makes no
HTTP call; the background deliverer (quizzes/teach/lti/outbox.py) then posts it to the test
platform's score endpoint. A platform that fails or hangs never costs the learner anything:
the score waits, is tried again with backoff, and is given up after a day."""

import json
from datetime import timedelta
from io import StringIO

import jwt
import pytest
from django.core.management import call_command
from django.utils import timezone

from course.labs.models import Lab, LabAttempt
from quizzes.teach.lti import grades, keys, outbox, tool
from quizzes.teach.lti.models import PendingScore, ResourceLink

KEY = "docker-dockerfile"  # graded by a validator: no sandbox needed
PAGE = f"/lessons/docker/labs/{KEY}/"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@pytest.fixture
def lab(db):
    return Lab.objects.get(key=KEY)


@pytest.fixture
def fresh_limits(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    return settings


def launch_on_lab(client, lms, lineitem="/lineitems/9"):
    """A learner's launch of the lab placement a teacher made by deep linking."""
    from tests.lti.platform import launch

    endpoint = {"scope": [LINEITEM_SCOPE, SCORE_SCOPE], "lineitems": lms.url("/lineitems")}
    if lineitem:
        endpoint["lineitem"] = lms.url(lineitem)
    response, _, _ = launch(
        client,
        lms,
        **{
            CUSTOM: {"target": f"lab:{KEY}"},
            RESOURCE: {"id": "link-lab", "title": "Dockerfile lab"},
            AGS: endpoint,
        },
    )
    assert response.status_code == 303
    assert response["Location"] == PAGE
    lms.requests.clear()  # the launch's own calls (JWKS); what follows is the passback's
    return response.wsgi_request.user


def submit(client, lab, captured, answer=None):
    # on_commit callbacks run as in production: the passback must not be one of them.
    with captured(execute=True) as callbacks:
        response = client.post(
            f"{PAGE}check",
            {"answer": answer or lab.solution, "action": "submit"},
            HTTP_HX_REQUEST="true",
        )
    return response, callbacks


def score_calls(lms, path="/lineitems/9/scores"):
    return [json.loads(r["body"]) for r in lms.requests_to(path)]


def test_a_submission_queues_its_score_and_the_request_calls_no_lms(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    user = launch_on_lab(client, lms)
    response, _ = submit(client, lab, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    attempt = LabAttempt.objects.get(user=user, lab=lab)
    queued = PendingScore.objects.get()
    assert (queued.score_given, queued.score_maximum) == (attempt.score, attempt.max_score)
    assert queued.scored_at == attempt.created_at  # AGS's timestamp: the submission's time
    assert queued.learner.sub == "lms-user-1"
    assert queued.link == ResourceLink.objects.get(resource_link_id="link-lab")
    assert queued.status == "queued" and queued.tries == 0 and queued.leased_until is None
    assert queued.next_attempt_at <= timezone.now()
    assert lms.requests == []  # not a token, not a score: the learner waited for nobody


def test_the_deliverer_sends_a_submitted_lab_score_to_the_lms_gradebook(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    user = launch_on_lab(client, lms)
    submit(client, lab, django_capture_on_commit_callbacks)
    attempt = LabAttempt.objects.get(user=user, lab=lab)
    assert attempt.passed and attempt.max_score
    outcome = outbox.deliver_due()
    assert (outcome.sent, outcome.failed) == (1, 0)
    # The service token was asked for with a JWT signed by the tool's key (client credentials).
    (token_call,) = lms.requests_to("/token")
    assertion = token_call["body"].split("client_assertion=")[1].split("&")[0]
    claims = jwt.decode(
        assertion, keys.public_key_pem(), algorithms=["RS256"], audience=lms.url("/token")
    )
    assert claims["iss"] == lms.client_id
    # One score, on this placement's line item, for this learner's LMS identity.
    (score,) = score_calls(lms)
    (score_call,) = lms.requests_to("/lineitems/9/scores")
    assert score_call["headers"]["Authorization"] == "Bearer platform-token"
    assert score_call["headers"]["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert score["userId"] == "lms-user-1"
    assert score["scoreGiven"] == attempt.score
    assert score["scoreMaximum"] == attempt.max_score
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"] == attempt.created_at.isoformat()
    assert not PendingScore.objects.exists()
    # Nothing left: the next run sends nothing again.
    assert outbox.deliver_due().sent == 0
    assert len(score_calls(lms)) == 1


def test_a_placement_without_a_line_item_gets_one_made(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    """No lineitem in the launch: the tool looks for its column and, not finding it, makes one
    (tagged lab:<key>, tied to the placement), then posts the score there."""
    launch_on_lab(client, lms, lineitem=None)
    submit(client, lab, django_capture_on_commit_callbacks)
    assert lms.lineitems == []
    outbox.deliver_due()
    (item,) = lms.lineitems
    assert item["tag"] == f"lab:{KEY}"
    assert item["resourceLinkId"] == "link-lab"
    assert item["label"] == "Dockerfile lab"
    (score,) = score_calls(lms, "/lineitems/20/scores")
    assert score["scoreMaximum"] == item["scoreMaximum"]
    assert not PendingScore.objects.exists()


def test_scores_go_only_to_the_learner_who_launched(
    client, lms, lab, alice, fresh_limits, django_capture_on_commit_callbacks
):
    launch_on_lab(client, lms)
    client.force_login(alice)  # someone who never came from the LMS
    submit(client, lab, django_capture_on_commit_callbacks)
    assert LabAttempt.objects.filter(user=alice).exists()
    assert not PendingScore.objects.exists()
    outbox.deliver_due()
    assert lms.requests == []


def test_a_placement_without_the_score_scope_gets_nothing(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    launch_on_lab(client, lms)
    ResourceLink.objects.update(ags_endpoint={"scope": [LINEITEM_SCOPE]})
    submit(client, lab, django_capture_on_commit_callbacks)
    assert not PendingScore.objects.exists()


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_a_failing_lms_backs_off_and_the_score_is_sent_later(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, monkeypatch, failure
):
    user = launch_on_lab(client, lms)
    if failure == "500":
        lms.score_status = 500
    else:
        monkeypatch.setattr(tool, "HTTP_TIMEOUT_S", 0.2)
        lms.score_delay_s = 1.0
    response, _ = submit(client, lab, django_capture_on_commit_callbacks)
    # The learner sees their result; the LMS was not even asked during their request.
    assert response.status_code == 200
    assert "Traceback" not in response.content.decode()
    assert lms.requests == []
    attempt = LabAttempt.objects.get(user=user, lab=lab)
    before = timezone.now()
    outcome = outbox.deliver_due()
    assert (outcome.sent, outcome.failed, outcome.gave_up) == (0, 1, 0)
    pending = PendingScore.objects.get()
    assert (pending.score_given, pending.score_maximum) == (attempt.score, attempt.max_score)
    assert pending.tries == 1 and pending.last_error and pending.status == "retrying"
    assert pending.leased_until is None and pending.failed_at is None
    # Backoff: the next try is 10 s later, and a run before then does not touch the score.
    assert before + timedelta(seconds=10) <= pending.next_attempt_at
    assert pending.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    posts = len(score_calls(lms))
    assert outbox.deliver_due().failed == 0
    assert len(score_calls(lms)) == posts
    # Its time comes (the clock moved on), still failing: the second wait is 30 s.
    PendingScore.objects.update(next_attempt_at=timezone.now())
    before = timezone.now()
    assert outbox.deliver_due().failed == 1
    pending = PendingScore.objects.get()
    assert pending.tries == 2
    assert pending.next_attempt_at >= before + timedelta(seconds=30)
    # The LMS is back: the next due run delivers the very score, with its submission time.
    lms.score_status, lms.score_delay_s = 200, 0.0
    lms.requests.clear()
    PendingScore.objects.update(next_attempt_at=timezone.now())
    assert outbox.deliver_due().sent == 1
    (score,) = score_calls(lms)
    assert score["scoreGiven"] == attempt.score and score["userId"] == "lms-user-1"
    assert score["timestamp"] == pending.scored_at.isoformat()
    assert not PendingScore.objects.exists()


def test_the_operators_retry_sends_waiting_scores_now_whatever_the_backoff(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    launch_on_lab(client, lms)
    lms.score_status = 500
    submit(client, lab, django_capture_on_commit_callbacks)
    outbox.deliver_due()
    assert PendingScore.objects.get().next_attempt_at > timezone.now()
    out = StringIO()
    call_command("lti_scores", "retry", stdout=out)
    assert "0 score(s) sent; 1 still waiting; 0 given up." in out.getvalue()
    assert PendingScore.objects.get().tries == 2
    lms.score_status = 200
    out = StringIO()
    call_command("lti_scores", "retry", stdout=out)
    assert "1 score(s) sent; 0 still waiting; 0 given up." in out.getvalue()
    assert not PendingScore.objects.exists()


def test_backoff_grows_and_is_capped_at_an_hour():
    waits = [outbox.backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [10, 30, 120, 600, 1800, 3600, 3600, 3600, 3600]
    assert waits == sorted(waits)


def test_a_score_still_failing_a_day_after_submission_is_given_up_and_kept(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, admin_client
):
    launch_on_lab(client, lms)
    lms.score_status = 500
    submit(client, lab, django_capture_on_commit_callbacks)
    # Within the day: retried.
    PendingScore.objects.update(scored_at=timezone.now() - timedelta(hours=23))
    assert outbox.deliver_due().gave_up == 0
    assert PendingScore.objects.get().failed_at is None
    # A day on, still failing: given up, kept, and never claimed by the deliverer again.
    PendingScore.objects.update(
        scored_at=timezone.now() - timedelta(hours=24, minutes=1), next_attempt_at=timezone.now()
    )
    outcome = outbox.deliver_due()
    assert (outcome.failed, outcome.gave_up) == (1, 1)
    pending = PendingScore.objects.get()
    assert pending.failed_at and pending.status == "failed" and pending.tries == 2
    PendingScore.objects.update(next_attempt_at=timezone.now() - timedelta(hours=2))
    lms.requests.clear()
    assert outbox.deliver_due().failed == 0 and lms.requests == []
    # The admin lists it under "Given up", with its error.
    page = admin_client.get("/admin/lti/pendingscore/?delivery=failed")
    assert page.status_code == 200
    assert "HTTPError" in page.content.decode() or "500" in page.content.decode()
    assert (
        admin_client.get("/admin/lti/pendingscore/?delivery=waiting").context["cl"].result_count
        == 0
    )
    # An operator can send given-up scores again once the LMS is fixed.
    lms.score_status = 200
    out = StringIO()
    call_command("lti_scores", "retry", stdout=out)
    assert "0 score(s) sent; 0 still waiting; 1 given up." in out.getvalue()
    call_command("lti_scores", "retry", "--failed", stdout=out)
    assert not PendingScore.objects.exists()
    assert len(score_calls(lms)) == 1


def test_the_admin_action_sends_a_given_up_score_again(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, admin_client
):
    launch_on_lab(client, lms)
    submit(client, lab, django_capture_on_commit_callbacks)
    PendingScore.objects.update(failed_at=timezone.now(), tries=30, last_error="HTTPError: 500")
    assert outbox.deliver_due().sent == 0
    pending = PendingScore.objects.get()
    response = admin_client.post(
        "/admin/lti/pendingscore/",
        {"action": "send_again", "_selected_action": [pending.pk]},
    )
    assert response.status_code == 302
    assert PendingScore.objects.get().failed_at is None
    assert outbox.deliver_due().sent == 1
    assert not PendingScore.objects.exists()


def test_the_next_submission_replaces_a_waiting_score(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    launch_on_lab(client, lms)
    lms.score_status = 500
    submit(client, lab, django_capture_on_commit_callbacks, answer="FROM scratch\n")
    outbox.deliver_due()
    first = PendingScore.objects.get()
    assert first.tries == 1 and first.next_attempt_at > timezone.now()
    lms.score_status = 200
    submit(client, lab, django_capture_on_commit_callbacks)
    latest = LabAttempt.objects.latest("pk")
    # One row still, now the newer score: due at once, its tries and error forgotten.
    replaced = PendingScore.objects.get()
    assert replaced.pk == first.pk
    assert replaced.score_given == latest.score and replaced.scored_at == latest.created_at
    assert replaced.tries == 0 and replaced.last_error == "" and replaced.failed_at is None
    assert replaced.next_attempt_at <= timezone.now()
    lms.requests.clear()
    assert outbox.deliver_due().sent == 1
    (score,) = score_calls(lms)
    assert score["scoreGiven"] == latest.score
    assert not PendingScore.objects.exists()


def test_a_score_replaced_while_its_older_one_is_being_sent_is_sent_next(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    launch_on_lab(client, lms)
    submit(client, lab, django_capture_on_commit_callbacks, answer="FROM scratch\n")
    older = outbox.claim()
    assert older is not None
    # A newer submission lands while the deliverer is sending the older score.
    submit(client, lab, django_capture_on_commit_callbacks)
    newer = LabAttempt.objects.latest("pk")
    assert outbox.send(older) == outbox.SENT
    waiting = PendingScore.objects.get()  # not deleted: it holds the newer score
    assert waiting.score_given == newer.score and waiting.leased_until is None
    assert outbox.deliver_due().sent == 1
    assert [s["scoreGiven"] for s in score_calls(lms)] == [older.score_given, newer.score]
    assert not PendingScore.objects.exists()


def test_a_claimed_score_is_not_claimed_again_until_its_lease_runs_out(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    """The SQLite claim (and PostgreSQL's, after the row lock): a conditional UPDATE sets the
    lease only if none is held, so a second deliverer gets nothing; a deliverer that died
    mid-send leaves a lease that runs out, and the score is claimed again."""
    launch_on_lab(client, lms)
    submit(client, lab, django_capture_on_commit_callbacks)
    first = outbox.claim()
    assert first is not None and first.leased_until > timezone.now()
    assert outbox.claim() is None
    assert outbox.claim(now_all=True, include_failed=True) is None
    assert outbox.deliver_due().sent == 0 and lms.requests == []
    later = first.leased_until + timedelta(seconds=1)
    again = outbox.claim(later)
    assert again is not None and again.pk == first.pk
    # The first deliverer wakes up: its lease is gone, so it settles nothing of the new claim.
    assert outbox.send(first) == outbox.SENT  # the LMS took it (timestamps make that harmless)
    assert PendingScore.objects.get().leased_until == again.leased_until


def test_the_sqlite_claim_is_a_conditional_update(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, monkeypatch
):
    """Two deliverers read the same candidate (no row locks on SQLite); the one whose UPDATE
    comes second changes nothing and does not get the row."""
    launch_on_lab(client, lms)
    submit(client, lab, django_capture_on_commit_callbacks)
    from django.db.models import QuerySet

    real_first = QuerySet.first
    rival = []

    def first_then_rival_claims(self):
        row = real_first(self)
        if self.model is PendingScore and row is not None and not rival:
            rival.append(
                PendingScore.objects.filter(pk=row.pk).update(
                    leased_until=timezone.now() + outbox.LEASE
                )
            )
        return row

    monkeypatch.setattr(QuerySet, "first", first_then_rival_claims)
    assert outbox.claim() is None
    assert rival == [1]


def test_a_dead_platform_costs_one_try_per_run_not_one_per_score(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, django_user_model
):
    launch_on_lab(client, lms)
    lms.score_status = 500
    submit(client, lab, django_capture_on_commit_callbacks)
    link = ResourceLink.objects.get()
    learner = link.learners.get()
    # More learners of the same placement waiting (made directly: launching each is slow).
    for i in range(3):
        user = django_user_model.objects.create_user(f"lms-{i}")
        other = learner.platform.users.create(sub=f"lms-user-x{i}", user=user)
        link.learners.add(other)
        grades.queue_score([(link.pk, other.pk, link.ags_endpoint)], 1, 2, timezone.now())
    assert PendingScore.objects.count() == 4
    outcome = outbox.deliver_due()
    assert (outcome.sent, outcome.failed) == (0, 1)
    assert len(score_calls(lms)) == 1
    assert PendingScore.objects.filter(tries=0).count() == 3


def test_an_error_while_queueing_never_reaches_the_learner(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, monkeypatch
):
    launch_on_lab(client, lms)

    def broken(*args, **kwargs):
        raise RuntimeError("bug in the passback")

    monkeypatch.setattr("quizzes.teach.lti.grades.queue_score", broken)
    response, _ = submit(client, lab, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert LabAttempt.objects.filter(lab=lab).exists()
    assert not PendingScore.objects.exists()


def test_the_class_page_counts_scores_given_up(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, django_user_model
):
    from quizzes.teach.lti.models import LtiContext

    launch_on_lab(client, lms)
    submit(client, lab, django_capture_on_commit_callbacks)
    context = LtiContext.objects.get()
    teacher = django_user_model.objects.create_user("teacher")
    context.classroom.teachers.add(teacher)
    page = _class_page(client, teacher, context.classroom)
    assert "could not be sent to the LMS gradebook" not in page
    PendingScore.objects.update(failed_at=timezone.now())
    page = _class_page(client, teacher, context.classroom)
    assert "1 score could not be sent to the LMS gradebook" in page


def _class_page(client, teacher, classroom) -> str:
    from django.contrib.auth.models import Group

    from quizzes.models import TEACHERS_GROUP

    teacher.groups.add(Group.objects.get(name=TEACHERS_GROUP))
    client.force_login(teacher)
    response = client.get(classroom.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()
