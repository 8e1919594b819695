"""Deliveries through the endpoint: verified, recorded once, and acted on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog.locations import register_location
from catalog.models import Entity, Location
from tests.support.catalog import crawl
from tests.support.deliveries import COMPONENT, Host, github_push, recorded, signed
from tests.support.gitrepos import git
from webhooks.models import Delivery, DeliveryCrawl, Webhook
from webhooks.registry import create_webhook, payload_url, rotate_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(repos):
    repo = repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )
    location = crawl(register_location(repo.url)[0])
    return repo, location


@pytest.fixture
def github(billing):
    _, location = billing
    created = create_webhook("github", location=location)
    return Host("github", created.webhook, created.secret)


def test_a_push_to_the_tracked_branch_crawls_the_location(
    billing, github, django_capture_on_commit_callbacks
):
    repo, location = billing
    before = repo.head()
    after = repo.commit({"catalog-info.yaml": COMPONENT.format(description="v2")})
    body = github_push(repo.url, ref="refs/heads/main", before=before, after=after)
    with django_capture_on_commit_callbacks(execute=True):
        answer = github.post(body)
    assert answer.status_code == 202
    assert answer.json()["status"] == "queued"
    delivery = Delivery.objects.get()
    assert (delivery.verdict, delivery.ref, delivery.commit) == (
        "crawled",
        "refs/heads/main",
        after,
    )
    assert delivery.crawls.get().location == location
    entity = Entity.objects.get(name="billing")
    assert entity.processed["metadata"]["description"] == "v2"
    assert Location.objects.get(pk=location.pk).last_commit == after


def test_forged_missing_and_replayed_deliveries_change_nothing(
    billing, github, django_capture_on_commit_callbacks
):
    repo, _ = billing
    body = github_push(repo.url, ref="refs/heads/main", before="", after=repo.head())
    with django_capture_on_commit_callbacks(execute=True):
        forged = github.post(body, secret="guessed")
        unsigned = github.client.post(
            github.url, body, content_type="application/json",
            headers={"X-GitHub-Event": "push"},
        )  # fmt: skip
        tampered = github.client.post(
            github.url,
            body.replace(b"refs/heads/main", b"refs/heads/evil"),
            content_type="application/json",
            headers=signed("github", github.secret, body, {"X-GitHub-Event": "push"}),
        )
    assert (forged.status_code, unsigned.status_code, tampered.status_code) == (
        403, 401, 403,
    )  # fmt: skip
    assert not DeliveryCrawl.objects.exists()
    verdicts = list(Delivery.objects.values_list("verdict", "status_code"))
    assert sorted(verdicts) == [("rejected", 401), ("rejected", 403), ("rejected", 403)]

    with django_capture_on_commit_callbacks(execute=True):
        first = github.post(body, delivery="same-id")
        again = github.post(body, delivery="same-id")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    assert Delivery.objects.filter(verdict="duplicate").count() == 1
    assert Delivery.objects.filter(delivery_id="same-id").count() == 2


def test_unknown_repositories_and_wrong_addresses_say_nothing(
    billing, github, django_capture_on_commit_callbacks
):
    repo, _ = billing
    elsewhere = github_push(
        "https://github.com/someone/else",
        ref="refs/heads/main",
        before="",
        after="a" * 40,
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = github.post(elsewhere)
    assert answer.status_code == 202  # as for a repository we have
    assert set(answer.json()) == {"status", "delivery"}
    delivery = Delivery.objects.get()
    assert delivery.verdict == "ignored"
    assert "no registered location" in delivery.detail
    assert not DeliveryCrawl.objects.exists()

    body = github_push(repo.url, ref="refs/heads/main", before="", after=repo.head())
    client = Client()
    headers = signed("github", github.secret, body, {"X-GitHub-Event": "push"})
    uid = github.webhook.uid
    for address in (
        f"/webhooks/gitlab/{uid}",  # the right secret, the wrong host kind
        f"/webhooks/github/{'0' * 8}-0000-0000-0000-{'0' * 12}",
        "/webhooks/github/not-a-uuid",
        f"/webhooks/nohost/{uid}",
    ):
        response = client.post(
            address, body, content_type="application/json", headers=headers
        )
        assert response.status_code == 404, address
    assert Delivery.objects.count() == 1
    assert client.get(github.url).status_code == 405


def test_big_and_malformed_bodies(billing, github, settings):
    settings.GREENROOM_WEBHOOK_MAX_BODY = 1000
    huge = github.post(b"{" + b" " * 2000 + b"}")
    assert huge.status_code == 413
    for body in (b"not json", b"[1]", b'{"ref": "main"}'):
        response = github.post(body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    verdicts = Delivery.objects.values_list("verdict", flat=True)
    assert sorted(verdicts) == ["invalid"] * 4
    assert not DeliveryCrawl.objects.exists()


def test_a_ping_is_answered_and_recorded(github):
    ping = recorded("github/ping.go-playground")
    response = github.post(ping.body, event="ping")
    assert response.status_code == 200
    assert Delivery.objects.get().verdict == "ping"


def test_other_branches_tags_and_known_commits_cost_no_crawl(
    billing, github, django_capture_on_commit_callbacks
):
    repo, location = billing
    head, url = repo.head(), repo.url
    pushes = {
        "other-branch": github_push(
            url, ref="refs/heads/feature", before=head, after="b" * 40
        ),
        "tag": github_push(url, ref="refs/tags/v1", before=ZERO, after="c" * 40),
        "known": github_push(url, ref="refs/heads/main", before="d" * 40, after=head),
    }
    with django_capture_on_commit_callbacks(execute=True):
        for body in pushes.values():
            assert github.post(body).status_code == 202
    details = list(Delivery.objects.order_by("id").values_list("verdict", "detail"))
    assert [verdict for verdict, _ in details] == ["ignored", "ignored", "skipped"]
    assert "refs/heads/feature pushed, the location tracks main" in details[0][1]
    assert "already at" in details[2][1]
    assert not DeliveryCrawl.objects.exists()


ZERO = "0" * 40


def test_a_push_that_touches_no_catalog_or_docs_file_is_skipped(
    billing, github, django_capture_on_commit_callbacks
):
    repo, location = billing
    before = repo.head()
    after = repo.commit({"src/main.py": "print('hi')\n"})
    body = github_push(
        repo.url,
        ref="refs/heads/main",
        before=before,
        after=after,
        files=["src/main.py"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        github.post(body)
    delivery = Delivery.objects.get()
    assert delivery.verdict == "skipped"
    assert "no catalog or docs file changed" in delivery.detail
    # The same files, but the location missed a push in between: crawl to be sure.
    later = repo.commit({"src/other.py": "x = 1\n"})
    body = github_push(
        repo.url,
        ref="refs/heads/main",
        before=after,
        after=later,
        files=["src/other.py"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        github.post(body)
    assert Delivery.objects.order_by("-id").first().verdict == "crawled"


def test_a_deleted_tracked_branch_is_a_visible_error_not_a_removal(
    repos, django_capture_on_commit_callbacks
):
    repo = repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )
    repo.commit({"README.md": "release\n"}, branch="release")
    location = crawl(register_location(repo.url, branch="release")[0])
    created = create_webhook("github", location=location)
    host = Host("github", created.webhook, created.secret)
    git(repo.path, "checkout", "--quiet", "main")
    repo.delete_branch("release")
    payload = json.loads(
        github_push(repo.url, ref="refs/heads/release", before=repo.head(), after=ZERO)
    )
    payload["deleted"] = True
    with django_capture_on_commit_callbacks(execute=True):
        assert host.post(json.dumps(payload).encode()).status_code == 202
    assert Delivery.objects.get().verdict == "crawled"
    location.refresh_from_db()
    assert location.status == Location.Status.FAILED
    assert "release" in location.last_error
    assert Entity.objects.filter(name="billing").exists()  # kept, not removed


def test_rotation_keeps_the_old_secret_for_a_while(billing, github):
    repo, _ = billing
    # Four pushes (one body sent twice would be a replay: a duplicate).
    one, two, three, four = (
        github_push(repo.url, ref="refs/heads/main", before=c * 40, after=repo.head())
        for c in "1234"
    )
    old = github.secret
    new = rotate_secret(github.webhook)
    assert github.post(one, secret=old).status_code == 202
    assert github.post(two, secret=new).status_code == 202
    Webhook.objects.filter(pk=github.webhook.pk).update(
        previous_valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert github.post(three, secret=old).status_code == 403
    assert github.post(four, secret=new).status_code == 202


def test_secrets_are_sealed_and_never_logged(billing, caplog):
    repo, location = billing
    created = create_webhook("gitlab", location=location)
    stored = Webhook.objects.get(pk=created.webhook.pk)
    assert created.secret not in stored.sealed_secret
    gitlab = recorded("gitlab/push-hook.go-playground")
    payload = gitlab.payload
    payload["project"] |= {"git_http_url": repo.url}
    body = json.dumps(payload).encode()
    headers = signed("gitlab", created.secret, body, gitlab.headers)
    headers["Authorization"] = "Bearer leak-me"
    response = Client().post(
        payload_url(created.webhook),
        body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    kept = json.dumps(delivery.headers)
    assert created.secret not in kept
    assert "leak-me" not in kept
    assert "X-Gitlab-Event" in kept
    assert created.secret not in caplog.text


def test_an_organisation_webhook_reaches_every_location_under_it(
    repos, django_capture_on_commit_callbacks
):
    billing = repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )
    location = crawl(register_location(billing.url)[0])
    owner = billing.url.rsplit("/", 1)[0]
    created = create_webhook("github", owner_url=owner)
    host = Host("github", created.webhook, created.secret)
    after = billing.commit({"catalog-info.yaml": COMPONENT.format(description="v2")})
    with django_capture_on_commit_callbacks(execute=True):
        host.post(
            github_push(billing.url, ref="refs/heads/main", before="", after=after)
        )
    assert Delivery.objects.get().crawls.get().location == location
    assert (
        Entity.objects.get(name="billing").processed["metadata"]["description"] == "v2"
    )


def test_old_and_surplus_deliveries_are_pruned(billing, github, settings):
    from webhooks.tasks import prune_deliveries_task

    settings.GREENROOM_WEBHOOK_KEEP_DELIVERIES = 3
    settings.GREENROOM_WEBHOOK_KEEP_DAYS = 30
    for _ in range(5):
        github.post(b"{}", secret="forged")
    other = create_webhook("gitlab", location=billing[1]).webhook
    Delivery.objects.create(
        webhook=other, status_code=403, verdict="rejected", detail="old",
        received_at=timezone.now() - timedelta(days=31),
    )  # fmt: skip
    Delivery.objects.create(webhook=other, status_code=403, verdict="rejected")
    newest = list(github.webhook.deliveries.values_list("pk", flat=True)[:3])
    assert prune_deliveries_task() == 3
    assert list(github.webhook.deliveries.values_list("pk", flat=True)) == newest
    assert other.deliveries.count() == 1


@pytest.fixture
def broker_down():
    """The real Celery app publishing to a broker nobody listens on."""
    from portal.celery import app

    conf = app.conf
    saved = (conf.broker_url, conf.broker_write_url, conf.task_publish_retry)
    conf.task_always_eager = False
    conf.broker_url = conf.broker_write_url = "redis://127.0.0.1:9/0"
    conf.task_publish_retry = False
    app._pool, app.amqp._producer_pool = None, None
    yield
    conf.broker_url, conf.broker_write_url, conf.task_publish_retry = saved
    app._pool, app.amqp._producer_pool = None, None


def test_a_delivery_that_cannot_be_queued_is_503_and_its_retry_is_taken(
    billing, github, broker_down, django_capture_on_commit_callbacks
):
    from portal.celery import app

    repo, _ = billing
    body = github_push(repo.url, ref="refs/heads/main", before="", after=repo.head())
    failed = github.post(body, delivery="retry-me")
    assert failed.status_code == 503
    first = Delivery.objects.get()
    assert (first.verdict, first.dedupe_key) == ("unavailable", None)
    app.conf.task_always_eager = True  # the queue is back
    with django_capture_on_commit_callbacks(execute=True):
        again = github.post(body, delivery="retry-me")
    assert again.status_code == 202  # not a duplicate
    assert Delivery.objects.filter(delivery_id="retry-me", verdict="skipped").exists()


def test_stuck_deliveries_are_queued_again(
    billing, github, django_capture_on_commit_callbacks
):
    from webhooks.tasks import requeue_stuck_deliveries_task

    repo, _ = billing
    body = github_push(repo.url, ref="refs/heads/main", before="", after=repo.head())
    github.post(body)
    delivery = Delivery.objects.get()
    old = timezone.now() - timedelta(minutes=5)
    # As if the web process died before queueing it (or a worker mid-way).
    Delivery.objects.filter(pk=delivery.pk).update(
        verdict="processing", received_at=old
    )
    assert requeue_stuck_deliveries_task() == 1
    assert Delivery.objects.get(pk=delivery.pk).verdict == "skipped"  # already at it
    assert requeue_stuck_deliveries_task() == 0
