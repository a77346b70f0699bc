"""End to end against a test platform: real OIDC login, real signed id_tokens, JWKS fetched
over HTTP from 127.0.0.1, scores and roster through the platform's endpoints."""

import json
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from quizzes.models import TEACHERS_GROUP, Quiz
from quizzes.teach.lti import keys, outbox
from quizzes.teach.lti.models import LtiContext, PendingScore
from tests.lti.platform import launch, login_step

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def test_good_launch_signs_in_a_new_learner_and_opens_the_quiz(client, lms):
    response, _, _ = launch(client, lms)
    assert response.status_code == 303
    assert response["Location"] == Quiz.objects.get(lesson__slug="docker").get_absolute_url()
    user = response.wsgi_request.user
    assert user.is_authenticated and not user.has_usable_password()
    assert (user.first_name, user.email) == ("Ada", "ada@example.test")
    context = LtiContext.objects.get(context_id="course-42")
    assert list(context.classroom.enrollments.values_list("student", flat=True)) == [user.pk]
    assert not user.groups.filter(name=TEACHERS_GROUP).exists()
    # Framed by the platform only, and cookies fit for its iframe.
    assert "X-Frame-Options" not in response
    assert f"frame-ancestors {lms.url('')}" in response["Content-Security-Policy"].replace(
        lms.url("") + "/", lms.url("")
    )
    assert response.cookies["sessionid"]["samesite"] == "None"
    assert response.cookies["sessionid"]["secure"]
    # The launch's id_token signature was checked against the JWKS fetched over HTTP.
    assert any(r["path"] == "/jwks" for r in lms.requests)


def test_the_same_launch_again_links_the_same_account(client, lms):
    first, _, _ = launch(client, lms)
    second, _, _ = launch(client, lms)
    assert first.wsgi_request.user.pk == second.wsgi_request.user.pk


def refused(response):
    assert 400 <= response.status_code < 500
    assert "_auth_user_id" not in response.wsgi_request.session
    assert response["X-Frame-Options"] == "DENY"
    return response.content.decode()


def test_bad_signature_is_refused(client, lms):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    response, _, _ = launch(client, lms, key=other)
    assert "Signature verification failed" in refused(response)


def test_wrong_audience_is_refused(client, lms):
    response, _, _ = launch(client, lms, aud="someone-else")
    assert "launch was refused" in refused(response)


def test_expired_token_is_refused(client, lms):
    response, _, _ = launch(client, lms, exp_in=-600)
    assert "expired" in refused(response)


def test_replayed_launch_is_refused(client, lms):
    response, token, state = launch(client, lms)
    assert response.status_code == 303
    client.logout()
    replay = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert "Invalid Nonce" in refused(replay)


def test_launch_without_login_state_is_refused(client, lms):
    token = lms.id_token("made-up-nonce")
    response = client.post("/lti/launch/", {"id_token": token, "state": "state-nope"})
    assert "State not found" in refused(response)


def test_launch_is_post_only_and_garbage_is_a_4xx(client, lms):
    assert client.get("/lti/launch/").status_code == 405
    refused(client.post("/lti/launch/", {"id_token": "not.a.jwt", "state": "x"}))


def test_login_from_an_unknown_platform_is_refused(client, lms):
    response = client.get("/lti/login/", {"iss": "https://nope.test", "login_hint": "x"})
    assert response.status_code == 400


def test_jwks_serves_the_tool_key(client, lms):
    data = client.get("/lti/jwks/").json()
    assert data["keys"][0]["kty"] == "RSA" and data["keys"][0]["kid"]


def test_deep_linking_answers_with_a_jwt_signed_by_our_key(client, lms):
    deep = {
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest",
        "https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR],
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": None,
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
            "deep_link_return_url": "https://lms.example.test/deep-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "data": "opaque-1",
        },
    }
    response, _, _ = launch(client, lms, **deep)
    assert response.status_code == 200
    launch_id = response.context["form"].initial["launch_id"]
    picked = client.post("/lti/deep-link/", {"launch_id": launch_id, "target": "quiz:docker"})
    assert picked.status_code == 200
    assert "form-action 'self' https://lms.example.test" in picked["Content-Security-Policy"]
    token = picked.context["jwt"]
    public = JWK(**client.get("/lti/jwks/").json()["keys"][0]).export_to_pem()
    body = jwt.decode(token, public, algorithms=["RS256"], audience=lms.issuer)
    assert body["iss"] == lms.client_id
    assert body["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-1"
    item = body["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0]
    assert item["url"] == "http://testserver/lti/launch/"
    assert item["custom"] == {"target": "quiz:docker"}
    assert item["lineItem"]["scoreMaximum"] == 100
    # Someone else's launch id is refused.
    client.logout()
    again = client.post("/lti/deep-link/", {"launch_id": launch_id, "target": "quiz:docker"})
    assert again.status_code == 403


def test_deep_linking_is_for_teachers_only(client, lms):
    response, _, _ = launch(
        client,
        lms,
        **{
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest",
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": None,
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
                "deep_link_return_url": "https://lms.example.test/deep-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe"],
            },
        },
    )
    assert response.status_code == 403


def test_quiz_score_goes_back_to_the_gradebook(client, lms, django_capture_on_commit_callbacks):
    response, _, _ = launch(client, lms)
    assert response.status_code == 303
    from quizzes import attempts

    user = response.wsgi_request.user
    quiz = Quiz.objects.get(lesson__slug="docker")
    attempt, _ = attempts.start_attempt(quiz, user)
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts.submit_attempt(attempt)
    attempt.refresh_from_db()
    # Queued with the result; the LMS hears of it when the background deliverer runs.
    queued = PendingScore.objects.get()
    assert (queued.score_given, queued.scored_at) == (attempt.score, attempt.submitted_at)
    assert lms.requests_to("/token") == [] and lms.requests_to("/lineitems/7/scores") == []
    assert outbox.deliver_due().sent == 1
    token_call = next(r for r in lms.requests if r["path"] == "/token")
    form = parse_qs(token_call["body"])
    assert form["grant_type"] == ["client_credentials"]
    assertion = jwt.decode(
        form["client_assertion"][0],
        keys.public_key_pem(),
        algorithms=["RS256"],
        audience=lms.url("/token"),
    )
    assert assertion["iss"] == lms.client_id
    score_call = next(r for r in lms.requests if r["path"] == "/lineitems/7/scores")
    assert score_call["headers"]["Authorization"] == "Bearer platform-token"
    score = json.loads(score_call["body"])
    assert score["userId"] == "lms-user-1"
    assert score["scoreGiven"] == attempt.score
    assert score["scoreMaximum"] == attempt.max_score
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"


def test_scores_of_unlinked_resources_stay_here(
    client, lms, alice, django_capture_on_commit_callbacks
):
    from quizzes import attempts

    quiz = Quiz.objects.get(lesson__slug="docker")
    attempt, _ = attempts.start_attempt(quiz, alice)
    with django_capture_on_commit_callbacks(execute=True):
        attempts.submit_attempt(attempt)
    assert not PendingScore.objects.exists()
    outbox.deliver_due()
    assert lms.requests == []


def test_teacher_launch_syncs_the_roster(client, lms):
    lms.members = [
        {"user_id": "lms-user-1", "roles": [INSTRUCTOR], "status": "Active", "name": "Ada"},
        {"user_id": "s-1", "roles": [LEARNER], "status": "Active", "given_name": "Sam"},
        {"user_id": "s-2", "roles": [LEARNER], "status": "Active"},
        {"user_id": "s-3", "roles": [LEARNER], "status": "Inactive"},
    ]
    response, _, _ = launch(
        client, lms, **{"https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR]}
    )
    assert response.status_code == 303
    teacher = response.wsgi_request.user
    assert teacher.groups.filter(name=TEACHERS_GROUP).exists()
    classroom = LtiContext.objects.get(context_id="course-42").classroom
    assert list(classroom.teachers.all()) == [teacher]
    names = sorted(classroom.enrollments.values_list("student__lti_links__sub", flat=True))
    assert names == ["s-1", "s-2"]
    membership_call = next(r for r in lms.requests if r["path"].startswith("/memberships"))
    assert membership_call["headers"]["Authorization"] == "Bearer platform-token"
    # A learner dropped from the LMS roster leaves the class on the next sync.
    lms.members = lms.members[:2]
    launch(client, lms, **{"https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR]})
    names = sorted(classroom.enrollments.values_list("student__lti_links__sub", flat=True))
    assert names == ["s-1"]


def test_pages_outside_lti_keep_deny_framing(client, lms):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


# --- Forged and malformed tokens: a 403 refusal, never a 500 or a session ----------------------


def b64(data) -> str:
    import base64

    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "payload",
    [[1], "text", 7, None, {"nonce": ["x"]}, {"nonce": {"a": 1}}, {"iss": ["x"]}],
    ids=["list", "string", "number", "null", "nonce-list", "nonce-object", "iss-list"],
)
def test_an_unsigned_token_with_a_payload_of_any_shape_is_refused(client, lms, payload):
    state, _ = login_step(client, lms)
    header = {"alg": "RS256", "kid": "test-platform-key"}
    token = f"{b64(header)}.{b64(payload)}.AAAA"
    response = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert response.status_code == 403
    assert "launch was refused" in refused(response)


@pytest.mark.parametrize(
    "token",
    ["a.b.c", "...", f"{b64([1])}.{b64({})}.AAAA", f"{b64({'alg': 'none'})}.{b64({})}."],
)
def test_garbage_tokens_are_refused(client, lms, token):
    state, _ = login_step(client, lms)
    response = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert response.status_code == 403
    refused(response)


CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@pytest.mark.parametrize(
    "claims",
    [
        {CONTEXT: "course-42"},
        {CONTEXT: ["course-42"]},
        {CUSTOM: ["quiz:docker"]},
        {CUSTOM: "quiz:docker"},
        {RESOURCE: "link-1"},
        {AGS: ["x"]},
        {NRPS: "x"},
        {ROLES: 5},
        {ROLES: {"a": 1}},
        {"given_name": {"a": 1}},
    ],
    ids=lambda claims: (
        f"{next(iter(claims)).rsplit('/', 1)[-1]}-{type(next(iter(claims.values()))).__name__}"
    ),
)
def test_a_signed_token_with_malformed_claims_is_refused(client, lms, claims):
    response, _, _ = launch(client, lms, **claims)
    assert response.status_code == 403
    assert "launch was refused" in refused(response)
    assert not LtiContext.objects.exists()


def test_malformed_roster_members_are_skipped(client, lms):
    lms.members = [
        "not-an-object",
        ["s-9"],
        {"user_id": "s-1", "roles": [LEARNER], "status": "Active", "given_name": {"x": 1}},
        {"user_id": "s-2", "roles": "Learner", "status": "Active"},
    ]
    response, _, _ = launch(client, lms, **{ROLES: [INSTRUCTOR]})
    assert response.status_code == 303
    classroom = LtiContext.objects.get(context_id="course-42").classroom
    names = sorted(classroom.enrollments.values_list("student__lti_links__sub", flat=True))
    assert names == ["s-2"]


@pytest.mark.parametrize(
    "claims",
    [{"sub": "u\x00x"}, {"given_name": "A\x00"}, {CONTEXT: {"id": "c", "title": "T\x00"}}],
    ids=["sub", "given_name", "context-title"],
)
def test_a_signed_token_with_nul_in_a_claim_is_refused(client, lms, claims):
    response, _, _ = launch(client, lms, **claims)
    assert response.status_code == 403
    assert "NUL" in refused(response)
    assert not LtiContext.objects.exists()
