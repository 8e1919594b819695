"""Settings of the OpenID Connect provider that the sign-in tests run beside
Greenroom: a separate Django project (django-oauth-toolkit) in its own process.

`server.py` starts it with GREENROOM_OIDC_PROVIDER_DIR (the folder holding its
SQLite database and RSA key) and GREENROOM_OIDC_PROVIDER_ISSUER set. Tests only:
a fixed secret key, fast password hashing, plain http.
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ["GREENROOM_OIDC_PROVIDER_DIR"])
KEY_FILE = STATE / "key.pem"

SECRET_KEY = "greenroom-oidc-provider-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.support.oidc.urls"
WSGI_APPLICATION = "tests.support.oidc.wsgi.application"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": STATE / "db.sqlite3"}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Cheap hashing: the provider's users are made for each run.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Greenroom also runs on 127.0.0.1 or localhost, and a browser keeps cookies per
# host, not per port: names of the provider's own keep the two sessions apart.
SESSION_COOKIE_NAME = "oidc_provider_session"
CSRF_COOKIE_NAME = "oidc_provider_csrftoken"
LOGIN_URL = "/accounts/login/"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # Fixed, so that `iss` is the same whichever host name a client uses.
    "OIDC_ISS_ENDPOINT": os.environ.get("GREENROOM_OIDC_PROVIDER_ISSUER", ""),
    # Written by server.py before the provider starts; migrate runs without it.
    "OIDC_RSA_PRIVATE_KEY": KEY_FILE.read_text() if KEY_FILE.exists() else "",
    "OAUTH2_VALIDATOR_CLASS": "tests.support.oidc.claims.ClaimsValidator",
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Your name and user name",
        "email": "Your e-mail address",
    },
    "DEFAULT_SCOPES": ["openid"],
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "PKCE_REQUIRED": False,
    # RFC 8252 loopback redirects: a registered http://127.0.0.1/... or
    # http://localhost/... redirect URI matches on any port, so one provider
    # serves every live server a test session starts.
    "ALLOW_LOCALHOST_LOOPBACK": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
