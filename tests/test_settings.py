"""Settings fail loudly on bad environment values, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each test starts a Python process that imports the settings afresh.
pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent


def load_settings(tmp_path, **env):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    clean.update({"DJANGO_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", "import course.settings as s; print(s.DEBUG, s.DATABASES)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_missing_secret_key_with_debug_off_is_a_startup_error(tmp_path):
    result = load_settings(tmp_path, DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_generates_a_secret_key_once_into_var(tmp_path):
    first = load_settings(tmp_path, DJANGO_DEBUG="1")
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key.strip()) >= 40
    load_settings(tmp_path, DJANGO_DEBUG="1")
    assert (tmp_path / "secret_key").read_text() == key


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be one of"),
        ("RUNNER_MAX_MEMORY_MB", "lots", "RUNNER_MAX_MEMORY_MB must be a whole number"),
        ("RUNNER_MAX_MEMORY_MB", "64", "RUNNER_MAX_MEMORY_MB must be at least 128"),
        ("RUNNER_RATE_PER_MINUTE", "0", "RUNNER_RATE_PER_MINUTE must be at least 1"),
        ("QUIZ_PASS_MARK", "120", "QUIZ_PASS_MARK must be 0-100"),
        ("ATTENTION_INACTIVE_DAYS", "a week", "ATTENTION_INACTIVE_DAYS must be a whole number"),
        ("ATTENTION_FAILED_ATTEMPTS", "0", "ATTENTION_FAILED_ATTEMPTS must be at least 1"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must start with sqlite:/// or postgres://"),
        (
            "DATABASE_URL",
            "postgres://host:99999999/db",
            "DATABASE_URL: the postgres URL has a bad port",
        ),
        ("DATABASE_URL", "postgres://host/", "DATABASE_URL: the postgres URL has no database name"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, variable, value, message):
    result = load_settings(tmp_path, **{"DJANGO_DEBUG": "1", variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_default_database_is_sqlite_in_var_with_immediate_transactions(tmp_path):
    result = load_settings(tmp_path, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "db.sqlite3") in result.stdout
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout
    assert "journal_mode=WAL" in result.stdout


def test_database_url_parses_postgres(tmp_path):
    result = load_settings(
        tmp_path,
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://course:s%40cret@db.internal:5433/course",
    )
    assert result.returncode == 0, result.stderr
    assert "'ENGINE': 'django.db.backends.postgresql'" in result.stdout
    assert "'PASSWORD': 's@cret'" in result.stdout
    assert "'PORT': '5433'" in result.stdout
