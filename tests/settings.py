"""Test settings: production settings with a throwaway key and fast, local pieces."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from course.settings import *  # noqa: E402,F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
RUNNER_STATE_DIR = Path(tempfile.mkdtemp(prefix="runner-state-"))  # noqa: F405
STATIC_ROOT = None  # WhiteNoise serves from the finders in tests

# A file, not SQLite's in-memory database: pytest-django gives the live server one shared
# in-memory connection for all its threads, so concurrent requests would collide instead of
# queueing on the lock as they do in production (WAL, BEGIN IMMEDIATE, busy timeout).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="course-test-db-")) / "test.sqlite3")  # noqa: F405
    }
