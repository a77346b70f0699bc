"""Production promises: health check, security headers, database outages, log-in throttling."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_ok_without_session_or_template(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert "sessionid" not in response.cookies
    assert not response.templates


def test_healthz_503_when_the_database_is_unreachable(client, db):
    with mock.patch("course.server.views.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_security_headers_on_every_page(client, db):
    response = client.get("/lessons/docker/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_third_party_origins(client, db):
    html = client.get("/lessons/lambda/").content.decode()
    import re

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag
    assert "cdn" not in html.lower().split("<body")[0]
    assert "style=" not in html


def test_a_database_outage_is_a_friendly_503(client, db):
    with mock.patch(
        "course.lessons.views.Lesson.objects.outline", side_effect=OperationalError("no such host")
    ):
        response = client.get("/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "We'll be back in a moment" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert response["Retry-After"] == "30"


def deploy_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="course.example.org",
        DJANGO_SECURE_COOKIES="1",
        DJANGO_SECURE_SSL_REDIRECT="1",
        DJANGO_HSTS_SECONDS="31536000",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="1",
        DJANGO_HSTS_PRELOAD="1",
        DJANGO_SECURE_PROXY_SSL_HEADER="1",
        DJANGO_SETTINGS_MODULE="course.settings",
    )
    env.update(extra)
    return env


@pytest.mark.server
def test_check_deploy_passes_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=deploy_env(DJANGO_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.server
def test_missing_allowed_hosts_is_a_startup_error(tmp_path):
    env = deploy_env(DJANGO_VAR_DIR=str(tmp_path))
    del env["DJANGO_ALLOWED_HOSTS"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr


# --- Log-in throttling ----------------------------------------------------------------------


def login(client, username, password, address="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@override_settings(LOGIN_THROTTLE_PER_ACCOUNT=3, LOGIN_THROTTLE_PER_ADDRESS=100)
def test_account_is_throttled_after_repeated_failures(client, alice, bob, fresh_cache):
    for _ in range(3):
        response = login(client, "alice", "wrong")
        assert "Please enter a correct username and password" in response.content.decode()
    blocked = login(client, "alice", "correct horse battery")
    assert blocked.status_code == 200
    assert "Too many failed log-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is unaffected.
    assert login(client, "bob", "correct horse battery").status_code == 302


@override_settings(LOGIN_THROTTLE_PER_ACCOUNT=3, LOGIN_THROTTLE_PER_ADDRESS=100)
def test_throttling_does_not_reveal_whether_an_account_exists(client, alice, fresh_cache):
    for _ in range(3):
        login(client, "alice", "wrong")
        login(client, "nobody-by-this-name", "wrong")
    real = login(client, "alice", "x").content.decode()
    fake = login(client, "nobody-by-this-name", "x").content.decode()
    assert "Too many failed log-in attempts" in real
    assert "Too many failed log-in attempts" in fake


@override_settings(LOGIN_THROTTLE_PER_ACCOUNT=100, LOGIN_THROTTLE_PER_ADDRESS=4)
def test_an_address_guessing_many_accounts_is_throttled(client, alice, fresh_cache):
    for name in ["u1", "u2", "u3", "u4"]:
        login(client, name, "wrong", address="10.9.9.9")
    assert (
        "Too many failed"
        in login(client, "alice", "correct horse battery", "10.9.9.9").content.decode()
    )
    assert login(client, "alice", "correct horse battery", "10.1.1.1").status_code == 302


@override_settings(LOGIN_THROTTLE_PER_ACCOUNT=3)
def test_a_successful_login_clears_the_account_counter(client, alice, fresh_cache):
    login(client, "alice", "wrong")
    login(client, "alice", "wrong")
    assert login(client, "alice", "correct horse battery").status_code == 302
    client.post("/accounts/logout/")
    login(client, "alice", "wrong")
    assert login(client, "alice", "correct horse battery").status_code == 302


def readme_deployment_exports():
    """What the README's "A typical deployment" block exports, as a shell would set it."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("A typical deployment:", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    exports = "\n".join(line for line in block.splitlines() if line.startswith("export "))
    assert "DJANGO_SECRET_KEY" in exports and "DJANGO_HSTS_SECONDS" in exports
    # Let a real shell read the block, so quoting and several assignments per line count exactly
    # as they would for someone pasting it.
    result = subprocess.run(
        ["bash", "-c", exports + "\nenv -0"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    variables = dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    return {k: v for k, v in variables.items() if k not in ("PATH", "PWD", "SHLVL", "_")}


@pytest.mark.server
def test_check_deploy_passes_with_the_readmes_documented_environment(tmp_path):
    documented = readme_deployment_exports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(documented)
    # The one placeholder the README asks the reader to fill in ("long and random"); everything
    # else is checked exactly as written. Nothing connects to the database or Redis in `check`.
    assert documented["DJANGO_SECRET_KEY"] == "..."
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DJANGO_VAR_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "course.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("error", [IntegrityError, DataError, ProgrammingError])
def test_a_request_s_own_database_error_is_not_called_an_outage(client, db, error):
    # Not a 503 "try again shortly": a race or a refused value is a bug to see and fix.
    client.raise_request_exception = False
    with mock.patch(
        "course.lessons.views.Lesson.objects.outline", side_effect=error("constraint failed")
    ):
        response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_a_lost_connection_is_an_outage(client, db):
    with mock.patch(
        "course.lessons.views.Lesson.objects.outline", side_effect=InterfaceError("closed")
    ):
        response = client.get("/")
    assert response.status_code == 503
