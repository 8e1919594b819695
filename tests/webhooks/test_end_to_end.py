"""A push, end to end: a repository served over git's own protocol, the running
server taking the signed delivery, a real Celery worker on Redis crawling, and the
change read back through Backstage's catalog API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from catalog.locations import register_location
from catalog.models import CrawlRun, Location
from core.tokens import issue_token
from tests.support.deliveries import COMPONENT, github_push, signed
from tests.support.worker import wait_for
from webhooks.models import Delivery, DeliveryCrawl
from webhooks.registry import create_webhook

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ENTITY = "/api/catalog/entities/by-name/component/default/billing"


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def read(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def hooked(server, repos, git_daemon) -> tuple:
    """A repository served by git daemon, crawled by the worker, with a webhook."""
    repo = repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )
    url = git_daemon.url(repo)
    location, _ = register_location(url)
    wait_for(lambda: Location.objects.get(pk=location.pk).last_commit == repo.head())
    created = create_webhook("github", location=location)
    endpoint = f"{server}/webhooks/github/{created.webhook.uid}"
    return repo, url, location, created, endpoint


def test_pushes_reach_the_catalog_api_through_a_real_worker(
    server, repos, git_daemon, viewer, live_worker
):
    repo, url, location, created, endpoint = hooked(server, repos, git_daemon)
    token = issue_token(viewer, "e2e")[1]
    deliveries = iter(range(1, 100))

    def push(before: str, after: str, files: list[str] | None = None) -> int:
        body = github_push(
            url, ref="refs/heads/main", before=before, after=after, files=files
        )
        headers = {
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"d-{next(deliveries)}",
        }
        status, _ = post(
            endpoint, body, signed("github", created.secret, body, headers)
        )
        return status

    def description() -> str | None:
        status, entity = read(server + ENTITY, token)
        return entity["metadata"].get("description") if status == 200 else None

    assert description() == "v1"
    # A change to the descriptor shows in the API.
    before = repo.head()
    after = repo.commit({"catalog-info.yaml": COMPONENT.format(description="v2")})
    assert push(before, after) == 202
    wait_for(lambda: description() == "v2", timeout=20)

    # A push that only touches an unrelated file: recorded, no crawl.
    runs = CrawlRun.objects.filter(location=location).count()
    before, after = after, repo.commit({"src/app.py": "print('hello')\n"})
    assert push(before, after, files=["src/app.py"]) == 202
    wait_for(lambda: Delivery.objects.filter(verdict="skipped").exists())
    assert CrawlRun.objects.filter(location=location).count() == runs
    assert description() == "v2"

    # A push that removes catalog-info.yaml: the entity leaves the catalog.
    before = Location.objects.get(pk=location.pk).last_commit
    after = repo.commit({"catalog-info.yaml": None})
    assert push(before, after, files=["catalog-info.yaml"]) == 202
    wait_for(lambda: read(server + ENTITY, token)[0] == 404, timeout=20)


def test_concurrent_copies_of_one_delivery_crawl_once(
    server, repos, git_daemon, live_worker
):
    repo, url, location, created, endpoint = hooked(server, repos, git_daemon)
    before = repo.head()
    after = repo.commit({"catalog-info.yaml": COMPONENT.format(description="v2")})
    body = github_push(url, ref="refs/heads/main", before=before, after=after)
    headers = signed(
        "github",
        created.secret,
        body,
        {"X-GitHub-Event": "push", "X-GitHub-Delivery": "once"},
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: post(endpoint, body, headers), range(8)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 7 + [202]
    assert sum(1 for _, answer in answers if answer.get("status") == "duplicate") == 7
    waiting = Delivery.objects.filter(verdict__in=["queued", "processing"])
    wait_for(lambda: not waiting.exists())
    assert DeliveryCrawl.objects.count() == 1
    wait_for(lambda: Location.objects.get(pk=location.pk).last_commit == after)
