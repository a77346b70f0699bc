"""Static URLs in stored HTML, resolved when a page is served.

Lesson HTML is rendered once, at sync_content, but the static storage that names the files is a
property of the server: plain names under `make run` (served from the finders), hashed names
under `make serve` (ManifestStaticFilesStorage after collectstatic). Both may share a database,
and either may have synced last, so the stored HTML keeps `src="static:<path>"` and each process
turns it into its own URL here: one precompiled regex pass, and one storage lookup per path per
process (cached; cleared when tests change the storage settings).
"""

import functools
import html
import re

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "static:"
# src of a diagram, and href of the link around it that opens it full size.
STATIC_SRC_RE = re.compile(r'(?:(?<=src=")|(?<=href="))static:([^"<>\s]+)(?=")')


def deferred(path: str) -> str:
    """What sync stores for a diagram: a placeholder for the URL the serving process chooses."""
    return PREFIX + path.lstrip("/")


@functools.lru_cache(maxsize=1024)
def url(path: str) -> str:
    try:
        return staticfiles_storage.url(path)
    except ValueError:
        # Not in the manifest (collectstatic not run since the file appeared): WhiteNoise and the
        # finders both serve the plain name, which is better than a page that fails.
        return settings.STATIC_URL + path


def resolve(text: str) -> str:
    if PREFIX not in text:
        return text
    return STATIC_SRC_RE.sub(lambda match: html.escape(url(html.unescape(match[1]))), text)


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs) -> None:
    if setting in {"STORAGES", "STATIC_URL", "STATIC_ROOT", "DEBUG"}:
        url.cache_clear()
