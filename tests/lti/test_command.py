import pytest
from django.core.management import CommandError, call_command

from quizzes.teach.lti.models import Deployment, Platform

ARGS = {
    "issuer": "https://canvas.instructure.com",
    "client_id": "10000000000001",
    "deployment_id": "1:abc",
    "auth_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "token_url": "https://sso.canvaslms.com/login/oauth2/token",
    "keyset_url": "https://sso.canvaslms.com/api/lti/security/jwks",
}


def add(**overrides):
    options = {**ARGS, **overrides}
    argv = ["add"]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", value]
    call_command("lti_platform", *argv)


def test_add_is_idempotent_for_the_same_issuer_and_client(db):
    add()
    add(token_url="https://sso.canvaslms.com/login/oauth2/token2")
    assert Platform.objects.count() == 1
    assert Platform.objects.get().token_url.endswith("token2")
    add(deployment_id="2:def")
    assert Deployment.objects.count() == 2


def test_bad_url_is_a_clear_error(db):
    with pytest.raises(CommandError, match="--keyset-url is not a valid URL"):
        add(keyset_url="not a url")
    assert not Platform.objects.exists()


def test_plain_http_only_with_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="must use https"):
        add(auth_url="http://127.0.0.1:8080/auth")
    settings.DEBUG = True
    add(auth_url="http://127.0.0.1:8080/auth")
    assert Platform.objects.count() == 1


def test_canvas_frames_from_the_schools_site_not_its_login_host(db):
    add()
    assert Platform.objects.get().origin == "https://sso.canvaslms.com"
    add(frame_origin="https://school.instructure.com/courses/1")
    assert Platform.objects.get().origin == "https://school.instructure.com"
    with pytest.raises(CommandError, match="--frame-origin is not a valid URL"):
        add(frame_origin="nope")
