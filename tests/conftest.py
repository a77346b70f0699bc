import os
import shutil

import pytest

from tests.helpers import require_tool

# Fixtures live in conftest.py files and plugins, registered once; helpers that tests import live
# in tests/helpers.py. Teacher fixtures (class_teacher, ...) are used by the teach tests and by the
# e2e page lists, so they are registered here for the whole run.
pytest_plugins = ["tests.teach.fixtures"]


def _long_listen_queue() -> None:
    """Django's test server listens with a backlog of 10, so 50 simultaneous connections get
    "connection reset" before Django sees them; production servers queue far more (gunicorn:
    2048), so the live server does too."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class LongQueueWSGIServer(ThreadedWSGIServer):
        request_queue_size = 128

    LiveServerThread.server_class = LongQueueWSGIServer


def pytest_configure(config):
    _long_listen_queue()
    # Tests never reach a warm daemon a developer's `make run` may have left running: those that
    # need one start their own and pass its socket (tests/runner/test_warm.py).
    os.environ.setdefault("RUNNER_WARM_SOCKET", "/nonexistent/ccc-warm-for-tests.sock")


# Tests that use these fixtures start a server or a sandbox; they are marked here, once, so that
# `make test-fast` (-m "not e2e and not sandbox and not server") leaves every one of them out.
MARKED_BY_FIXTURE = {
    "live_server": "server",
    "collected_static": "server",
    "sandbox": "sandbox",  # tests/runner/web: the real sandbox, behind the web views
    "limits": "sandbox",  # tests/runner: SandboxLimits for real runs
}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in MARKED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real course content once into the test database."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("sync_content", verbosity=0)


@pytest.fixture
def alice(db):
    from django.contrib.auth.models import User

    return User.objects.create_user("alice", "alice@example.com", "correct horse battery")


@pytest.fixture
def bob(db):
    from django.contrib.auth.models import User

    return User.objects.create_user("bob", "bob@example.com", "correct horse battery")


@pytest.fixture
def charlie(db):
    """The outsider: signed in, but neither Alice's nor Bob's business."""
    from django.contrib.auth.models import User

    return User.objects.create_user("charlie", "charlie@example.com", "correct horse battery")


@pytest.fixture
def content_dir(tmp_path, settings):
    """A writable copy of the real lessons, quizzes and labs, for tests that edit content."""
    lessons = tmp_path / "lessons"
    quizzes = tmp_path / "quizzes"
    labs = tmp_path / "labs"
    shutil.copytree(settings.COURSE_CONTENT_DIR, lessons)
    shutil.copytree(settings.QUIZ_CONTENT_DIR, quizzes)
    shutil.copytree(settings.LAB_CONTENT_DIR, labs)
    settings.COURSE_CONTENT_DIR = lessons
    settings.QUIZ_CONTENT_DIR = quizzes
    settings.LAB_CONTENT_DIR = labs
    glossary = tmp_path / "glossary.yaml"
    shutil.copy(settings.GLOSSARY_FILE, glossary)
    settings.GLOSSARY_FILE = glossary
    return tmp_path


def start_service(script: str) -> str:
    """Start a throwaway service with tests/services/<script> and return its URL."""
    import subprocess
    from pathlib import Path

    path = Path(__file__).parent / "services" / script
    result = subprocess.run(["bash", str(path), "start"], capture_output=True, text=True)
    require_tool(result.returncode == 0, f"{script} could not start: {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    from tests.servers import collect_static

    return collect_static(tmp_path_factory.mktemp("collected") / "static")


@pytest.fixture(scope="session")
def redis_url():
    return os.environ.get("REDIS_URL") or start_service("redis.sh")


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else start_service("postgres.sh")


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Each test sees pages rendered from its own database state."""
    from course.server import page_cache

    page_cache.clear()
    yield
    page_cache.clear()
