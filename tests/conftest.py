from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.models import Location
from portal.celery import app as celery_app
from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG
from tests.support.gitrepos import GitDaemon, Repos
from tests.support.oidc.fixtures import oidc_provider  # noqa: F401 (a fixture)
from tests.support.scorecards import RULES
from tests.support.users import make_user
from tests.support.worker import running_worker


@pytest.fixture(autouse=True)
def greenroom_settings(settings, tmp_path: Path) -> Iterator[None]:
    settings.DATA_DIR = tmp_path / "data"
    settings.GREENROOM_ALLOW_LOCAL_REPOS = True
    settings.GREENROOM_ALLOWED_GIT_HOSTS = []
    settings.GREENROOM_GIT_TIMEOUT = 20
    # Most tests register organisation repositories (groups, users): every location
    # may publish every kind here. Tests of the rule itself set it back to [].
    settings.GREENROOM_ORG_LOCATIONS = ["*"]
    # Pages are tested over plain http on localhost, with static files found in
    # the apps (tests/ops/test_container.py checks the collected, hashed production
    # set).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "techdocs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "data" / "techdocs"},
        },
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def repos(tmp_path: Path) -> Repos:
    return Repos(tmp_path / "repos")


@pytest.fixture
def git_daemon(repos: Repos, settings) -> Iterator[GitDaemon]:
    repos.base.mkdir(parents=True, exist_ok=True)
    daemon = GitDaemon(repos.base)
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [daemon.host]
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    yield daemon
    daemon.stop()


@pytest.fixture
def org(repos, db) -> Location:
    """The small organisation (tests/support/descriptors.py), crawled from a real
    git repository."""
    return crawl_repo(repos, "org", {"catalog-info.yaml": ORG})


@pytest.fixture
def rules(settings, tmp_path: Path) -> Path:
    """The scorecard rules of tests/support/scorecards.py, as the rules file."""
    path = tmp_path / "scorecards.yaml"
    path.write_text(RULES)
    settings.GREENROOM_SCORECARDS_FILE = path
    return path


@pytest.fixture
def viewer(db):
    """A read-only person, e.g. compliance staff."""
    return make_user("vera-viewer", "viewer")


@pytest.fixture
def editor(db):
    return make_user("eddie-editor", "editor")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def server(live_server) -> Iterator[str]:
    """The live server's address, its handler built under this test's settings.

    `live_server` is session-scoped and builds its middleware once, before any
    test's settings apply: SecurityMiddleware would still redirect to https.
    Requested after the autouse settings fixtures, this rebuilds the handler the
    way LiveServerThread does, and puts the old one back afterwards.
    """
    from django.core.handlers.wsgi import WSGIHandler

    httpd = live_server.thread.httpd
    original = httpd.get_app()
    httpd.set_app(live_server.thread.static_handler(WSGIHandler()))
    yield live_server.url
    httpd.set_app(original)


@pytest.fixture
def live_worker() -> Iterator[None]:
    """A real Celery worker on the test broker (use with transactional tests)."""
    with running_worker():
        yield
