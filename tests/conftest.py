from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.celery import app as celery_app
from tests.support.gitrepos import GitDaemon, Repo

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"


def shared_fixtures(*parts: str) -> Path:
    """A folder of ../shared/fixtures, or skip: tests never copy the fixtures."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"shared fixtures not present at {path} (they live beside the checkout)"
        )
    return path


@pytest.fixture(autouse=True)
def greenroom_settings(settings, tmp_path: Path) -> Iterator[None]:
    settings.DATA_DIR = tmp_path / "data"
    settings.GREENROOM_ALLOW_LOCAL_REPOS = True
    settings.GREENROOM_ALLOWED_GIT_HOSTS = []
    settings.GREENROOM_GIT_TIMEOUT = 20
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


class Repos:
    def __init__(self, base: Path) -> None:
        self.base = base

    def create(self, name: str, files: dict[str, object] | None = None) -> Repo:
        repo = Repo(self.base / name)
        if files is not None:
            repo.commit(files, "initial")  # type: ignore[arg-type]
        return repo


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
