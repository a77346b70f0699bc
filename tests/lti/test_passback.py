"""Lab scores back to the LMS gradebook (AGS), end to end: a learner launched on a deep-linked
lab submits it in the browser form and the test platform's score endpoint receives the score.
A platform that fails or hangs never costs the learner their result or shows them an error."""

import json
from io import StringIO

import jwt
import pytest
from django.core.management import call_command

from course.labs.models import Lab, LabAttempt
from quizzes.teach.lti import keys, tool
from quizzes.teach.lti.models import PendingScore, ResourceLink
from tests.lti.platform import launch

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
    return response.wsgi_request.user


def submit(client, lab, captured):
    with captured(execute=True):
        response = client.post(
            f"{PAGE}check", {"answer": lab.solution, "action": "submit"}, HTTP_HX_REQUEST="true"
        )
    return response


def score_calls(lms, path="/lineitems/9/scores"):
    return [json.loads(r["body"]) for r in lms.requests if r["path"] == path]


def test_a_submitted_lab_score_reaches_the_lms_gradebook(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    user = launch_on_lab(client, lms)
    response = submit(client, lab, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    attempt = LabAttempt.objects.get(user=user, lab=lab)
    assert attempt.passed and attempt.max_score
    # The service token was asked for with a JWT signed by the tool's key (client credentials).
    token_call = next(r for r in lms.requests if r["path"] == "/token")
    assertion = token_call["body"].split("client_assertion=")[1].split("&")[0]
    claims = jwt.decode(
        assertion, keys.public_key_pem(), algorithms=["RS256"], audience=lms.url("/token")
    )
    assert claims["iss"] == lms.client_id
    # One score, on this placement's line item, for this learner's LMS identity.
    (score,) = score_calls(lms)
    score_call = next(r for r in lms.requests if r["path"] == "/lineitems/9/scores")
    assert score_call["headers"]["Authorization"] == "Bearer platform-token"
    assert score_call["headers"]["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert score["userId"] == "lms-user-1"
    assert score["scoreGiven"] == attempt.score
    assert score["scoreMaximum"] == attempt.max_score
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"]
    assert not PendingScore.objects.exists()


def test_a_placement_without_a_line_item_gets_one_made(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    """No lineitem in the launch: the tool looks for its column and, not finding it, makes one
    (tagged lab:<key>, tied to the placement), then posts the score there."""
    launch_on_lab(client, lms, lineitem=None)
    submit(client, lab, django_capture_on_commit_callbacks)
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
    assert score_calls(lms) == []


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_a_failing_lms_keeps_the_result_and_the_score_is_sent_later(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, monkeypatch, failure
):
    user = launch_on_lab(client, lms)
    if failure == "500":
        lms.score_status = 500
    else:
        monkeypatch.setattr(tool, "HTTP_TIMEOUT_S", 0.2)
        lms.score_delay_s = 1.0
    response = submit(client, lab, django_capture_on_commit_callbacks)
    # The learner sees their result, not an error page; the attempt is recorded.
    assert response.status_code == 200
    assert "Traceback" not in response.content.decode()
    attempt = LabAttempt.objects.get(user=user, lab=lab)
    pending = PendingScore.objects.get()
    assert (pending.score_given, pending.score_maximum) == (attempt.score, attempt.max_score)
    assert pending.learner.sub == "lms-user-1"
    assert pending.link == ResourceLink.objects.get(resource_link_id="link-lab")
    assert pending.tries == 1 and pending.last_error
    # Still failing: the retry counts the try and keeps the score.
    out = StringIO()
    call_command("lti_scores", "retry", stdout=out)
    assert "0 score(s) sent; 1 still waiting" in out.getvalue()
    assert PendingScore.objects.get().tries == 2
    # The LMS is back: the retry delivers the very score, with its submission time.
    lms.score_status, lms.score_delay_s = 200, 0.0
    lms.requests.clear()
    out = StringIO()
    call_command("lti_scores", "retry", stdout=out)
    assert "1 score(s) sent; 0 still waiting" in out.getvalue()
    (score,) = score_calls(lms)
    assert score["scoreGiven"] == attempt.score and score["userId"] == "lms-user-1"
    assert score["timestamp"] == pending.scored_at.isoformat()
    assert not PendingScore.objects.exists()


def test_the_next_submission_replaces_a_waiting_score(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks
):
    launch_on_lab(client, lms)
    lms.score_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{PAGE}check", {"answer": "FROM scratch\n", "action": "submit"})
    assert PendingScore.objects.count() == 1
    lms.score_status = 200
    submit(client, lab, django_capture_on_commit_callbacks)
    assert not PendingScore.objects.exists()
    assert score_calls(lms)[-1]["scoreGiven"] == LabAttempt.objects.latest("pk").score


def test_an_error_inside_the_passback_never_reaches_the_learner(
    client, lms, lab, fresh_limits, django_capture_on_commit_callbacks, monkeypatch
):
    launch_on_lab(client, lms)

    def broken(*args, **kwargs):
        raise RuntimeError("bug in the passback")

    monkeypatch.setattr("quizzes.teach.lti.grades.send_score", broken)
    response = submit(client, lab, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert LabAttempt.objects.filter(lab=lab).exists()
