"""`make serve` and what the production server promises about static files and user input."""

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path

from tests.servers import Server, prepare, production_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.server
@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "make serve: DJANGO_SECRET_KEY is not set"),
        ("DJANGO_ALLOWED_HOSTS", "make serve: DJANGO_ALLOWED_HOSTS is not set"),
    ],
)
def test_make_serve_refuses_to_start_without_its_settings(missing, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="course.example.org")
    del env[missing]
    result = subprocess.run(
        ["make", "--no-print-directory", "serve", "PORT=1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_static_files_are_hashed_compressed_and_cached_for_a_year(tmp_path, collected_static):
    manifest = json.loads((collected_static / "staticfiles.json").read_text())
    hashed_css = manifest["paths"]["css/site.css"]
    assert hashed_css != "css/site.css"
    env = production_env(tmp_path, collected_static)
    prepare(env)
    server = Server(env, workers=1, threads=2).start()
    try:
        html = urllib.request.urlopen(f"{server.url}/").read().decode()
        assert f"/static/{hashed_css}" in html
        for encoding in ("br", "gzip"):
            request = urllib.request.Request(
                f"{server.url}/static/{hashed_css}", headers={"Accept-Encoding": encoding}
            )
            with urllib.request.urlopen(request) as response:
                assert response.headers["Content-Encoding"] == encoding
                assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    finally:
        server.stop()


def broken_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("broken/", broken_view)]


def test_server_errors_show_the_friendly_500_page(settings, db):
    settings.ROOT_URLCONF = "tests.server.test_serve"
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "boom" not in html and "Traceback" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/tools/lambda-pricing/?requests=<script>alert(1)</script>&duration_ms=1&memory_mb=128",
        '/tools/lambda-pricing/?memory_mb="><script>alert(1)</script>',
    ],
)
def test_what_a_user_types_is_escaped(client, db, url):
    html = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_runner_echoes_code_escaped(client, alice, settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path
    client.force_login(alice)
    response = client.post(
        "/tools/function-runner/run",
        {"runtime": "python", "code": "</textarea><script>alert(1)</script>", "event": "{oops"},
    )
    html = response.content.decode()
    assert "</textarea><script>" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;" in html
