"""Greenroom settings: every value comes from the environment, with a safe default.

Nothing set gives the embedded default (SQLite under GREENROOM_DATA_DIR, tasks run
eagerly, plain http on localhost). DATABASE_URL and CELERY_BROKER_URL give
production behaviour. DEBUG is off unless DEBUG=1 (`make demo` sets it).
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def envbool(name: str, default: bool = False) -> bool:
    value = env(name).lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), not {value!r}"
    )


def envint(name: str, default: int) -> int:
    value = env(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, not {value!r}"
        ) from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def envnetworks(name: str) -> list[str]:
    """Addresses or CIDRs (comma-separated), checked and written as networks."""
    networks = []
    for item in envlist(name):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks, not {item!r}"
            ) from None
    return networks


def envsecret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    path = env(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return env(name)


def kept_secret_key(folder: Path) -> str:
    """The embedded default's SECRET_KEY: made once, kept (mode 0600) in the data
    directory, so sessions survive a restart and no key is shared by everyone."""
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)  # atomic: a second process keeps the first key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


# Django's debug page shows every frame's locals (secrets among them) to whoever
# causes an error: only when asked for (DEBUG=1; `make demo` asks), and then only
# to this machine (portal/debug.py).
DEBUG = envbool("DEBUG")
DEFAULT_EXCEPTION_REPORTER = "portal.debug.LoopbackOnlyExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.debug.SecretsFilter"
# One person's machine: the embedded default (no DATABASE_URL) or DEBUG. Plain
# http on localhost, static files from the apps (no collectstatic), a kept key.
LOCAL = DEBUG or not env("DATABASE_URL")

DATA_DIR = Path(env("GREENROOM_DATA_DIR") or BASE_DIR / "data").resolve()

SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured("SECRET_KEY is required with DATABASE_URL")
    SECRET_KEY = kept_secret_key(DATA_DIR)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if LOCAL else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "catalog",
    "discovery",
    "people",
    "techdocs",
    "webhooks",
    "audit",
    "compliance",
]

# Single sign-on: a trusted proxy in front of the portal authenticates people and
# passes the user name in this header (e.g. X-Forwarded-User). Empty: Django logins.
SSO_HEADER = env("GREENROOM_SSO_HEADER")
# The proxies allowed to set that header (addresses or CIDRs, comma-separated):
# from any other address it is ignored. A header without them is refused at
# start, since anyone reaching the portal directly could name any user.
GREENROOM_SSO_TRUSTED_PROXIES = envnetworks("GREENROOM_SSO_TRUSTED_PROXIES")
if SSO_HEADER and not GREENROOM_SSO_TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "GREENROOM_SSO_HEADER is set but GREENROOM_SSO_TRUSTED_PROXIES is not: "
        "list the addresses of the proxies that set it (e.g. 10.0.0.0/24)"
    )

MIDDLEWARE = [
    # /healthz and /readyz, answered before host checks and the https redirect.
    "portal.health.HealthProbeMiddleware",
    # Request id for every log line (core/logs.py), echoed as X-Request-ID.
    "core.logs.RequestIdMiddleware",
    # Reads from replicas when DATABASE_REPLICA_URLS names some (core/replicas.py).
    "core.replicas.ReplicaMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Counts and times /api/ requests (portal/metrics.py), middleware included.
    "portal.metrics.ApiMetricsMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    *(["portal.sso.HeaderUserMiddleware"] if SSO_HEADER else []),
    "core.logs.UserContextMiddleware",
    # Restricted entities: what the request's person may see (catalog/visibility.py).
    "catalog.viewers.ViewerMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Signed in without a role (e.g. new from single sign-on): a 403 page.
    "core.roles.RoleRequiredMiddleware",
    "audit.log.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "people.identity.context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'greenroom.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
    )
}
# Read replicas (core/replicas.py): pages and API requests read from one that keeps
# up, with read-your-writes; tasks and every write use the primary above.
for _number, _url in enumerate(envlist("DATABASE_REPLICA_URLS")):
    DATABASES[f"replica_{_number}"] = dj_database_url.parse(
        _url, conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60)
    ) | {
        "OPTIONS": {"connect_timeout": envint("GREENROOM_REPLICA_CONNECT_TIMEOUT", 2)},
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"] if len(DATABASES) > 1 else []
GREENROOM_REPLICA_MAX_LAG = float(env("GREENROOM_REPLICA_MAX_LAG", "5"))
GREENROOM_REPLICA_PIN_SECONDS = envint("GREENROOM_REPLICA_PIN_SECONDS", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Eager tasks and a dev server share one file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

# OpenID Connect sign-in (people/signin.py, mozilla-django-oidc), on when a client
# id is set. The provider's endpoints are given, not discovered at start: its
# discovery document (<issuer>/.well-known/openid-configuration) lists them.
OIDC_RP_CLIENT_ID = env("GREENROOM_OIDC_CLIENT_ID")
GREENROOM_OIDC = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = envsecret("GREENROOM_OIDC_CLIENT_SECRET")
GREENROOM_OIDC_ISSUER = env("GREENROOM_OIDC_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("GREENROOM_OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("GREENROOM_OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("GREENROOM_OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("GREENROOM_OIDC_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env("GREENROOM_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = envint("GREENROOM_OIDC_TIMEOUT", 10)
OIDC_CALLBACK_CLASS = "people.signin.CallbackView"
OIDC_AUTHENTICATE_CLASS = "people.signin.AuthenticateView"
# The button's words on the sign-in page, and the role a person's first sign-in
# gives them (viewer, editor, compliance, admin; empty: none until an admin gives one).
GREENROOM_OIDC_NAME = env("GREENROOM_OIDC_NAME", "single sign-on")
GREENROOM_OIDC_DEFAULT_ROLE = env("GREENROOM_OIDC_DEFAULT_ROLE", "viewer")
if GREENROOM_OIDC:
    _missing = [
        name
        for name, value in (
            ("GREENROOM_OIDC_CLIENT_SECRET", OIDC_RP_CLIENT_SECRET),
            ("GREENROOM_OIDC_ISSUER", GREENROOM_OIDC_ISSUER),
            ("GREENROOM_OIDC_AUTHORIZATION_ENDPOINT", OIDC_OP_AUTHORIZATION_ENDPOINT),
            ("GREENROOM_OIDC_TOKEN_ENDPOINT", OIDC_OP_TOKEN_ENDPOINT),
            ("GREENROOM_OIDC_USERINFO_ENDPOINT", OIDC_OP_USER_ENDPOINT),
            ("GREENROOM_OIDC_JWKS_ENDPOINT", OIDC_OP_JWKS_ENDPOINT),
        )
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(
            f"GREENROOM_OIDC_CLIENT_ID is set but {', '.join(_missing)} not"
        )
# Who may refresh, unregister, delete and manage webhooks beyond the editors: a
# YAML file of rules (catalog/permissions.py); empty: the defaults (owners may).
GREENROOM_PERMISSIONS_FILE = env("GREENROOM_PERMISSIONS_FILE")
# How a signed-in person is found in the catalog (catalog/identity.py), in order.
GREENROOM_USER_ENTITY_MATCH = envlist("GREENROOM_USER_ENTITY_MATCH", "email,name")

AUTHENTICATION_BACKENDS = [
    *(["people.signin.OidcBackend"] if GREENROOM_OIDC else []),
    # Django's own backends, loading with the user whether they hold a role.
    *(["core.roles.RoleAwareRemoteUserBackend"] if SSO_HEADER else []),
    "core.roles.RoleAwareModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Password sign-in throttle (portal/login.py): failures allowed per account and
# per client address within the window (seconds) before attempts get a 429.
GREENROOM_LOGIN_FAILURES = envint("GREENROOM_LOGIN_FAILURES", 5)
GREENROOM_LOGIN_ADDRESS_FAILURES = envint("GREENROOM_LOGIN_ADDRESS_FAILURES", 20)
GREENROOM_LOGIN_WINDOW = envint("GREENROOM_LOGIN_WINDOW", 900)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes. The image sets /app/static: files built with the code,
# not kept in the data volume, whose first contents would outlive an upgrade.
STATIC_ROOT = Path(env("GREENROOM_STATIC_ROOT") or DATA_DIR / "static").resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Built documentation sites (techdocs/sites.py), one prefix per build: a
    # local folder, or any Django storage backend with its options as JSON (an
    # object store through django-storages, for example).
    "techdocs": {
        "BACKEND": env(
            "GREENROOM_DOCS_STORAGE", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(env("GREENROOM_DOCS_STORAGE_OPTIONS"))
        if env("GREENROOM_DOCS_STORAGE_OPTIONS")
        else {"location": DATA_DIR / "techdocs"},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not LOCAL
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Locally WhiteNoise serves the apps' files as they are (runserver serves none
# without DEBUG); production serves the collected, hashed set.
WHITENOISE_USE_FINDERS = LOCAL

# Logs (core/logs.py): LOG_FORMAT=json writes one JSON object a line with the
# request, user, token, task and location ids; plain (the default) stays as it was.
LOG_FORMAT = env("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
# Celery would replace the root handler with its own plain format in workers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"git": {"level": "WARNING"}},
}

# Production hardening, effective whenever the portal is not LOCAL and not told it
# is served over plain http on a trusted network (GREENROOM_PLAIN_HTTP=1: no https
# redirect, cookies sent over http, no HSTS; `check --deploy` then warns, rightly).
SECURE_CONTENT_TYPE_NOSNIFF = True
HTTPS = not LOCAL and not envbool("GREENROOM_PLAIN_HTTP")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=HTTPS)
# How many proxies in front of the portal append to X-Forwarded-For: the audit
# log then records the client address the outermost one saw (0: REMOTE_ADDR).
GREENROOM_TRUSTED_PROXIES = envint("GREENROOM_TRUSTED_PROXIES", 0)
# X-Forwarded-Proto says "this came over https" only behind those proxies (they
# set it); reached directly, any client could claim it.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if GREENROOM_TRUSTED_PROXIES > 0 else None
)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS

# Health and metrics (portal/health.py, portal/metrics.py). Probes and scrapes
# come over plain http from inside the network: no https redirect for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Seconds each readiness check (and the broker reads of /metrics) may wait.
GREENROOM_HEALTH_TIMEOUT = envint("GREENROOM_HEALTH_TIMEOUT", 2)
# Who may read /metrics: these addresses or CIDRs (default: this machine), or
# anyone sending "Authorization: Bearer <GREENROOM_METRICS_TOKEN>".
GREENROOM_METRICS_ALLOWED = envnetworks("GREENROOM_METRICS_ALLOWED") or [
    "127.0.0.0/8",
    "::1/128",
]
GREENROOM_METRICS_TOKEN = envsecret("GREENROOM_METRICS_TOKEN")
# How many of the latest crawls and docs builds the duration quantiles cover.
GREENROOM_METRICS_DURATION_WINDOW = envint("GREENROOM_METRICS_DURATION_WINDOW", 200)

# The cache holds the API's per-token request counts: with several web workers
# (gunicorn processes, hosts) they must share one, so CACHE_URL names a Redis
# database (redis://host:6379/1). Without it each process counts on its own.
CACHE_URL = env("CACHE_URL")
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
CACHES = {
    "default": (
        {"BACKEND": REDIS_CACHE, "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: with no broker, tasks run eagerly in the calling process.
CELERY_TASK_ALWAYS_EAGER = not env("CELERY_BROKER_URL")
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "memory://"
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks run in the command itself: no per-task chatter, and no warning
    # about the in-memory broker that eager publishing never uses.
    LOGGING["loggers"] |= {
        "celery.app.trace": {"level": "WARNING"},
        "kombu.connection": {"level": "ERROR"},
    }
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 360)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", 300_000
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Three queues, so that a burst of docs builds or scoring never delays a crawl:
# `crawl` (crawls, webhooks, discovery, organisation providers: the catalog's data
# path), `docs` (TechDocs builds) and `scoring` (scorecards and coverage counts).
# A worker started without -Q consumes all three; pools per queue are started with
# `-Q crawl`, `-Q docs`, `-Q scoring` (README, "Worker pools").
CELERY_TASK_QUEUES = [Queue(name) for name in ("crawl", "docs", "scoring")]
CELERY_TASK_DEFAULT_QUEUE = "crawl"
CELERY_TASK_ROUTES = {
    "techdocs.tasks.*": {"queue": "docs"},
    "compliance.tasks.*": {"queue": "scoring"},
}
# Without this Celery's Django fix-up closes the database connection around every
# task, and each crawl pays for a new PostgreSQL connection (measured: 7 ms).
CELERY_DB_REUSE_MAX = envint("CELERY_DB_REUSE_MAX", 1000)
CELERY_BEAT_SCHEDULE = {
    "refresh-due-locations": {
        "task": "catalog.tasks.refresh_due_task",
        "schedule": float(envint("GREENROOM_REFRESH_TICK_SECONDS", 60)),
    },
    "prune-webhook-deliveries": {
        "task": "webhooks.tasks.prune_deliveries_task",
        "schedule": 3600.0,
    },
    "warm-coverage": {
        "task": "compliance.tasks.warm_coverage_task",
        "schedule": 60.0,
    },
    "score-stale-entities": {
        "task": "compliance.tasks.score_stale_task",
        "schedule": 60.0,
    },
    "requeue-stuck-webhook-deliveries": {
        "task": "webhooks.tasks.requeue_stuck_deliveries_task",
        "schedule": 60.0,
    },
    "discover-due-sources": {
        "task": "discovery.tasks.discover_due_task",
        "schedule": 60.0,
    },
    "refresh-descriptor-requests": {
        "task": "discovery.tasks.refresh_requests_task",
        "schedule": 300.0,
    },
    "refresh-statistics": {
        "task": "catalog.tasks.refresh_statistics_task",
        "schedule": 60.0,
    },
    "run-due-org-providers": {
        "task": "people.tasks.run_due_providers_task",
        "schedule": 60.0,
    },
}

# Catalog limits and crawling.
GREENROOM_ALLOWED_GIT_HOSTS = envlist("GREENROOM_ALLOWED_GIT_HOSTS")
GREENROOM_ALLOW_LOCAL_REPOS = envbool("GREENROOM_ALLOW_LOCAL_REPOS")
# Hosts whose plain http(s) URLs $text/$json/$yaml placeholders may read, as
# Backstage's backend.reading.allow: `example.com`, `*.example.com`, optional
# `:port` (catalog/urlpolicy.py, check_read_url). Empty: no plain URL is read.
GREENROOM_READ_ALLOWED_HOSTS = envlist("GREENROOM_READ_ALLOWED_HOSTS")
GREENROOM_REFRESH_INTERVAL = envint("GREENROOM_REFRESH_INTERVAL", 1800)
GREENROOM_GIT_TIMEOUT = envint("GREENROOM_GIT_TIMEOUT", 120)
# Seconds a git host's API has to connect and to answer each read (discovery).
GREENROOM_HOST_API_TIMEOUT = envint("GREENROOM_HOST_API_TIMEOUT", 15)
GREENROOM_CRAWL_MAX_ATTEMPTS = envint("GREENROOM_CRAWL_MAX_ATTEMPTS", 3)
GREENROOM_CRAWL_MAX_RETRIES = envint("GREENROOM_CRAWL_MAX_RETRIES", 3)
# Per file (catalog/descriptor/loading.py, Limits). Backstage has none; these admit
# an exported organisation file of 10,000 users (about 2.5 MB, 240,000 YAML nodes,
# read in about 2 s) and still stop an alias bomb at the node budget. Documents
# per file: 0 is no count of its own, every document costs at least one node of
# the budget. A file over a limit is a processing error naming the limit.
GREENROOM_MAX_FILE_BYTES = envint("GREENROOM_MAX_FILE_BYTES", 4 * 1024 * 1024)
GREENROOM_MAX_DOCUMENTS = envint("GREENROOM_MAX_DOCUMENTS", 0)
GREENROOM_MAX_DEPTH = envint("GREENROOM_MAX_DEPTH", 50)
GREENROOM_MAX_NODES = envint("GREENROOM_MAX_NODES", 1_000_000)
GREENROOM_MAX_FILES_PER_LOCATION = envint("GREENROOM_MAX_FILES_PER_LOCATION", 1000)
# Entities one location (its files and those its Location entities name) may hold:
# a 10,000-entity organisation in one repository, with room to grow (measured:
# about 40 s and 300 MB of worker memory per 10,000 entities in one crawl).
GREENROOM_MAX_ENTITIES_PER_LOCATION = envint(
    "GREENROOM_MAX_ENTITIES_PER_LOCATION", 20_000
)
# Bytes that $text/$json/$yaml placeholders may substitute into one location's
# entities (catalog/descriptor/substitution.py); over it, a processing error.
GREENROOM_MAX_SUBSTITUTED_BYTES = envint(
    "GREENROOM_MAX_SUBSTITUTED_BYTES", 64 * 1024 * 1024
)
# Per-document limits (catalog/descriptor/validation.py, EntityLimits): a document
# over one is a processing error naming the field; the rest of its file is read.
GREENROOM_MAX_DOCUMENT_BYTES = envint("GREENROOM_MAX_DOCUMENT_BYTES", 256 * 1024)
GREENROOM_MAX_ENTITY_BYTES = envint("GREENROOM_MAX_ENTITY_BYTES", 2 * 1024 * 1024)
GREENROOM_MAX_ENTITY_TAGS = envint("GREENROOM_MAX_ENTITY_TAGS", 100)
GREENROOM_MAX_ENTITY_LINKS = envint("GREENROOM_MAX_ENTITY_LINKS", 100)
GREENROOM_MAX_ENTITY_LABELS = envint("GREENROOM_MAX_ENTITY_LABELS", 100)
GREENROOM_MAX_ENTITY_ANNOTATIONS = envint("GREENROOM_MAX_ENTITY_ANNOTATIONS", 200)
GREENROOM_MAX_RELATION_TARGETS = envint("GREENROOM_MAX_RELATION_TARGETS", 5000)
# Which kinds a location may publish (Backstage's catalog.rules): these from any
# location; every kind (Group and User too) only from locations whose repository
# URL matches one of GREENROOM_ORG_LOCATIONS (fnmatch patterns, `*` crosses `/`)
# or that an administrator flagged (Location.allow_org_kinds), or their children.
GREENROOM_ALLOWED_KINDS = envlist(
    "GREENROOM_ALLOWED_KINDS",
    "Component,API,Resource,System,Domain,Location,Template",
)
GREENROOM_ORG_LOCATIONS = envlist("GREENROOM_ORG_LOCATIONS")
# Search results are counted up to this many; beyond it the page says "more than".
GREENROOM_SEARCH_MAX_COUNT = envint("GREENROOM_SEARCH_MAX_COUNT", 1000)

# The API (catalog/api/): Backstage's error shape, JSON only, sign-in required.
# Tasks queued (with the location's id) after every crawl that read a new commit.
GREENROOM_AFTER_CRAWL = envlist(
    "GREENROOM_AFTER_CRAWL",
    "techdocs.tasks.check_docs_task,compliance.tasks.warm_coverage_task",
)

# Called (inside the transaction) with the refs of entities that changed.
GREENROOM_ON_ENTITIES_CHANGED = envlist(
    "GREENROOM_ON_ENTITIES_CHANGED", "compliance.tasks.entities_changed"
)
# Scorecard rules (compliance/rules.py); rules saved in the admin take precedence.
GREENROOM_SCORECARDS_FILE = Path(
    env("GREENROOM_SCORECARDS_FILE") or BASE_DIR / "portal" / "scorecards.yaml"
)
# How often the scorecards' standing is stored for the trend.
GREENROOM_SCORECARD_SNAPSHOT_SECONDS = envint(
    "GREENROOM_SCORECARD_SNAPSHOT_SECONDS", 6 * 3600
)

# TechDocs builds: the docs folder exported from git, and the MkDocs process.
# Webhooks: the largest delivery read (GitHub sends up to 25 MB), how long a
# rotated secret is still accepted, and how many deliveries each webhook keeps.
GREENROOM_WEBHOOK_MAX_BODY = envint("GREENROOM_WEBHOOK_MAX_BODY", 25 * 1024 * 1024)
GREENROOM_WEBHOOK_ROTATION_GRACE = envint("GREENROOM_WEBHOOK_ROTATION_GRACE", 86400)
GREENROOM_WEBHOOK_KEEP_DELIVERIES = envint("GREENROOM_WEBHOOK_KEEP_DELIVERIES", 500)
GREENROOM_WEBHOOK_KEEP_DAYS = envint("GREENROOM_WEBHOOK_KEEP_DAYS", 30)
# The key webhook secrets are sealed with (webhooks/keys.py); empty: SECRET_KEY.
GREENROOM_SECRETS_KEY = envsecret("GREENROOM_SECRETS_KEY")
# The portal's address as git hosts reach it, for payload URLs; empty: the
# address the page was asked for.
GREENROOM_PUBLIC_URL = env("GREENROOM_PUBLIC_URL").rstrip("/")

GREENROOM_DOCS_MAX_FILES = envint("GREENROOM_DOCS_MAX_FILES", 5000)
GREENROOM_DOCS_MAX_BYTES = envint("GREENROOM_DOCS_MAX_BYTES", 200 * 1024 * 1024)
GREENROOM_DOCS_MAX_FILE_BYTES = envint(
    "GREENROOM_DOCS_MAX_FILE_BYTES", 20 * 1024 * 1024
)
GREENROOM_DOCS_BUILD_SECONDS = envint("GREENROOM_DOCS_BUILD_SECONDS", 300)
GREENROOM_DOCS_BUILD_MEMORY = envint("GREENROOM_DOCS_BUILD_MEMORY", 1024 * 1024 * 1024)

GREENROOM_API_MAX_PAGE = envint("GREENROOM_API_MAX_PAGE", 1000)
GREENROOM_API_MAX_BODY = envint("GREENROOM_API_MAX_BODY", 1024 * 1024)  # bytes
# Facets one /entity-facets request may count (each is a grouped count).
GREENROOM_API_MAX_FACETS = envint("GREENROOM_API_MAX_FACETS", 100)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.access.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.access.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["core.access.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env("GREENROOM_API_RATE", "1200/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JsonBodyParser"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI schema of the APIs (each app's schema.py describes its operations).
SPECTACULAR_SETTINGS = {
    "TITLE": "Greenroom API",
    "DESCRIPTION": (
        "Backstage's catalog API at /api/catalog/ (what @backstage/catalog-client "
        "calls) and Greenroom's own additions at /api/. Send "
        "`Authorization: Bearer <token>`; tokens are made on /settings/tokens."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["core.access.ApiAccess"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalog.api.schema.add_components",
        "catalog.api.schema.add_links",  # OpenAPI links, for stateful clients
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
