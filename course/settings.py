"""Settings for Cloud Compute Course: one file, driven by environment variables.

Bad values fail at startup with a message naming the variable (see course/env.py).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from course.env import (
    database_from_url,
    development_secret_key,
    envbool,
    envint,
    envlist,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))

DEBUG = envbool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off a secret key is required; "
            "set DJANGO_SECRET_KEY, or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = development_secret_key(VAR_DIR / "secret_key")

ALLOWED_HOSTS = envlist(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set. With DJANGO_DEBUG off, list the host names the site "
        "answers to, e.g. DJANGO_ALLOWED_HOSTS=course.example.org"
    )
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "course.lessons",  # label "course": its tables and migrations kept that name
    "course.calculator",
    "course.runner.web",
    "quizzes",
    "course.labs",
    "quizzes.teach.lti",
    "course.accounts",
    "course.functions",
    "course.functions.monitoring",
    "course.functions.schedules",
    "course.functions.endpoints",
    "course.search",
    "course.glossary",
    "course",  # the project itself, for the sync_content command that sees every feature
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "course.server.middleware.StaticFilesMiddleware",  # WhiteNoise
    # Outside every middleware that sets cookies or CSP: /fn/ answers are learner content.
    "course.functions.endpoints.middleware.endpoint_responses",
    "quizzes.teach.lti.middleware.lti_frame_policy",  # outside sessions: sees their cookies
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "course.lessons.reads.clear_claimed_reads",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "course.server.middleware.content_security_policy",
    "course.server.middleware.DatabaseUnavailableMiddleware",
]

# The first loads the user with whether they teach (the "Teach" link, every page) in one query;
# Django's own stays listed so sessions signed in before it keep working.
AUTHENTICATION_BACKENDS = [
    "quizzes.auth.TeacherAwareBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "course.urls"
WSGI_APPLICATION = "course.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
DATABASES = {
    "default": database_from_url(DATABASE_URL)
    if DATABASE_URL
    else sqlite_database(VAR_DIR / "db.sqlite3")
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "course@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development WhiteNoise serves straight from the app and STATICFILES_DIRS folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Caches and sessions: one cache shared by every worker process (and, with Redis, by every
# machine), because log-in throttling and other limits must hold across them.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "course",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "course_cache",
        }
    }

# Rendered pages for anonymous readers, per process (see course/server/page_cache.py).
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 60, minimum=0)
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "course-pages",
    "TIMEOUT": PAGE_CACHE_SECONDS,
    "OPTIONS": {"MAX_ENTRIES": 500},
}

# Security. Behind a TLS-terminating proxy, set DJANGO_SECURE_PROXY_SSL_HEADER=1 so Django
# trusts X-Forwarded-Proto, and turn on the HTTPS-only settings below.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", False)
if envbool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

# LTI 1.3: the tool's RSA private key (PEM). Unset, one is generated once into var/.
LTI_PRIVATE_KEY = os.environ.get("LTI_PRIVATE_KEY", "").strip()
LTI_PRIVATE_KEY_FILE = Path(os.environ.get("LTI_PRIVATE_KEY_FILE", VAR_DIR / "lti_private_key.pem"))

# Log-in throttling (course/accounts/throttle.py).
LOGIN_THROTTLE_PER_ACCOUNT = envint("LOGIN_THROTTLE_PER_ACCOUNT", 5, minimum=1)
LOGIN_THROTTLE_PER_ADDRESS = envint("LOGIN_THROTTLE_PER_ADDRESS", 30, minimum=1)
LOGIN_THROTTLE_WINDOW_S = envint("LOGIN_THROTTLE_WINDOW_S", 900, minimum=1)
LOGIN_THROTTLE_TRUST_FORWARDED_FOR = envbool("LOGIN_THROTTLE_TRUST_FORWARDED_FOR", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Course settings.
COURSE_CONTENT_DIR = BASE_DIR / "course" / "lessons" / "content"
QUIZ_CONTENT_DIR = BASE_DIR / "quizzes" / "content"
LAB_CONTENT_DIR = BASE_DIR / "course" / "labs" / "content"
GLOSSARY_FILE = BASE_DIR / "course" / "glossary" / "content" / "glossary.yaml"
QUIZ_PASS_MARK = envint("QUIZ_PASS_MARK", 70, minimum=0)
if QUIZ_PASS_MARK > 100:
    raise ImproperlyConfigured(f"QUIZ_PASS_MARK must be 0-100; got {QUIZ_PASS_MARK}")
# "Needs attention" on the teacher's matrix: no activity for this many days, or still below the
# pass mark after this many submitted attempts at one quiz.
ATTENTION_INACTIVE_DAYS = envint("ATTENTION_INACTIVE_DAYS", 7, minimum=1)
ATTENTION_FAILED_ATTEMPTS = envint("ATTENTION_FAILED_ATTEMPTS", 2, minimum=1)

# Function runner limits (see course/runner/).
RUNNER_MAX_MEMORY_MB = envint("RUNNER_MAX_MEMORY_MB", 1024, minimum=128)
RUNNER_MAX_TIMEOUT_S = envint("RUNNER_MAX_TIMEOUT_S", 10, minimum=1)
RUNNER_MAX_CONCURRENCY = envint("RUNNER_MAX_CONCURRENCY", os.cpu_count() or 1, minimum=1)
RUNNER_RATE_PER_MINUTE = envint("RUNNER_RATE_PER_MINUTE", 30, minimum=1)
RUNNER_STATE_DIR = Path(os.environ.get("RUNNER_STATE_DIR", VAR_DIR / "runner"))
# Functions' HTTP endpoints (course/functions/endpoints): site-wide requests a minute per
# endpoint and per client address, on top of each endpoint's own usage plan.
ENDPOINT_RATE_PER_MINUTE = envint("ENDPOINT_RATE_PER_MINUTE", 120, minimum=1)
ENDPOINT_ADDRESS_RATE_PER_MINUTE = envint("ENDPOINT_ADDRESS_RATE_PER_MINUTE", 120, minimum=1)
