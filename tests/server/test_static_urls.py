"""Stored lesson HTML does not depend on the static storage that was in force at sync time.

`make run` (debug, plain StaticFilesStorage served from the finders) and `make serve` (debug off,
ManifestStaticFilesStorage after collectstatic, hashed names) may share one database, and either
may have run sync_content last. Every diagram must load under both, whichever synced.
"""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from course.lessons.models import Lesson
from course.server import page_cache

PLAIN = {
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    "STATIC_ROOT": None,
    "WHITENOISE_USE_FINDERS": True,
}


def manifest(static_root):
    return {
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        },
        "STATIC_ROOT": static_root,
        "WHITENOISE_USE_FINDERS": False,
    }


IMG_SRC_RE = re.compile(r'<img [^>]*src="([^"]+)"')


def lesson_images(client: Client) -> dict[str, list[str]]:
    """Every lesson's <img> sources as a fresh anonymous reader gets them."""
    page_cache.clear()
    images = {}
    for lesson in Lesson.objects.published():
        response = client.get(lesson.get_absolute_url())
        assert response.status_code == 200
        images[lesson.slug] = IMG_SRC_RE.findall(response.content.decode())
    return images


def assert_every_image_loads(client: Client, images: dict[str, list[str]]) -> None:
    assert sum(len(sources) for sources in images.values()) >= 5
    for slug, sources in images.items():
        for src in sources:
            # WhiteNoise answers static files; a fresh Client builds its middleware under the
            # settings in force now.
            response = client.get(src)
            assert response.status_code == 200, f"{slug}: {src}"
            if hasattr(response, "close"):
                response.close()


@pytest.fixture
def collected(tmp_path):
    root = tmp_path / "staticfiles"
    with override_settings(**manifest(root)):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


def test_synced_under_manifest_storage_served_by_the_debug_server(db, collected):
    with override_settings(**manifest(collected)):
        call_command("sync_content", verbosity=0)
    with override_settings(**PLAIN):
        client = Client()
        images = lesson_images(client)
        assert_every_image_loads(client, images)
    assert all(
        ".svg" in src and not re.search(r"\.[0-9a-f]{12}\.", src)
        for sources in images.values()
        for src in sources
    )


def test_synced_under_plain_storage_served_in_production_with_hashed_names(db, collected):
    with override_settings(**PLAIN):
        call_command("sync_content", verbosity=0)
    with override_settings(**manifest(collected)):
        client = Client()
        images = lesson_images(client)
        assert_every_image_loads(client, images)
    # Hashed names, so WhiteNoise can send them with a year's immutable caching.
    for sources in images.values():
        for src in sources:
            assert re.search(r"\.[0-9a-f]{12}\.svg$", src), src
