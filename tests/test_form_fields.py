"""Every form on the site ties its help and errors to its inputs: each id that an input's
aria-describedby names is on the page, errors shown. One field template (_field.html) does it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from quizzes.models import Classroom

DESCRIBEDBY_RE = re.compile(r'aria-describedby="([^"]*)"')
ID_RE = re.compile(r'\bid="([^"]+)"')


def check_described_by(html: str) -> int:
    """Assert every id named in an aria-describedby exists; returns how many were named."""
    ids = set(ID_RE.findall(html))
    named = [name for value in DESCRIBEDBY_RE.findall(html) for name in value.split()]
    missing = sorted(set(named) - ids)
    assert not missing, f"aria-describedby names ids that are not on the page: {missing}"
    return len(named)


def field_error_ids(html: str) -> list[str]:
    return re.findall(r'<ul class="field-errors" id="([^"]+)"[^>]*><li>', html)


def assert_errors_tied(html: str) -> None:
    """At least one field shows an error, and each shown error is named by its input."""
    shown = field_error_ids(html)
    assert shown, "no field errors shown"
    named = {n for value in DESCRIBEDBY_RE.findall(html) for n in value.split()}
    assert set(shown) <= named, (shown, named)
    check_described_by(html)


def test_signup_errors_are_tied_to_their_inputs(client, db):
    html = client.post(
        reverse("signup"), {"username": "", "password1": "a", "password2": "b"}
    ).content.decode()
    assert_errors_tied(html)
    assert 'id="id_username_error"' in html


def test_login_and_password_pages_name_only_ids_that_exist(client, alice):
    html = client.post(reverse("login"), {"username": "alice", "password": "no"}).content.decode()
    check_described_by(html)
    html = client.post(reverse("password_reset"), {"email": "not an email"}).content.decode()
    assert_errors_tied(html)

    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    token = default_token_generator.make_token(alice)
    url = client.get(reverse("password_reset_confirm", args=[uid, token]))["Location"]
    html = client.post(url, {"new_password1": "a", "new_password2": "b"}).content.decode()
    assert_errors_tied(html)

    client.force_login(alice)
    html = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "a", "new_password2": "b"},
    ).content.decode()
    assert_errors_tied(html)
    assert check_described_by(client.get(reverse("password_change")).content.decode()) > 0


def test_teacher_forms_tie_errors_to_inputs(client, teacher, alice):
    client.force_login(teacher)
    assert_errors_tied(client.post(reverse("quizzes:teach"), {"name": ""}).content.decode())
    classroom = Classroom.objects.create(name="Cloud")
    classroom.teachers.add(teacher)
    html = client.post(
        reverse("quizzes:teach_add_teacher", args=[classroom.pk]), {"username": "nobody"}
    ).content.decode()
    assert_errors_tied(html)
    client.force_login(alice)
    html = client.post(reverse("quizzes:join"), {"code": "nope"}).content.decode()
    assert_errors_tied(html)


@pytest.mark.parametrize(
    "query",
    [
        "requests=lots&duration_ms=-1&memory_mb=64&storage_mb=1&arch=sparc&free_tier=maybe",
        "requests=3M&duration_ms=120&memory_mb=128",
    ],
)
def test_the_calculator_names_only_ids_that_exist(client, db, query):
    for url in (f"/tools/lambda-pricing/?{query}", f"/lessons/lambda/?{query}"):
        html = client.get(url).content.decode()
        assert check_described_by(html) >= 8
    html = client.get(f"/tools/lambda-pricing/?{query}").content.decode()
    if "lots" in query:
        assert_errors_tied(html)


def test_there_is_one_field_template():
    templates = Path(settings.BASE_DIR) / "templates"
    assert not (templates / "teach" / "_field.html").exists()
    hand_written = [
        path.relative_to(templates)
        for path in templates.rglob("*.html")
        if path.name not in {"_field.html", "_field_errors.html"}
        and 'class="field-error"' in path.read_text()
    ]
    assert hand_written == []
