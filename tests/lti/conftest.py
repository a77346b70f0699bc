"""The test LMS, registered with the tool, for every LTI test."""

import pytest
from django.core.cache import cache

from quizzes.teach.lti import keys
from quizzes.teach.lti.models import Deployment, Platform
from tests.lti.platform import PlatformServer


@pytest.fixture
def lms(db, tmp_path, settings):
    settings.LTI_PRIVATE_KEY_FILE = tmp_path / "lti.pem"
    keys.private_key_pem.cache_clear()
    keys.public_key_pem.cache_clear()
    cache.clear()
    test_platform = PlatformServer()
    platform = Platform.objects.create(
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
        auth_url=test_platform.url("/auth"),
        token_url=test_platform.url("/token"),
        keyset_url=test_platform.url("/jwks"),
    )
    Deployment.objects.create(platform=platform, deployment_id=test_platform.deployment_id)
    yield test_platform
    test_platform.close()
    keys.private_key_pem.cache_clear()
    keys.public_key_pem.cache_clear()
