"""API access: tokens (hashed, scoped, revocable, throttled), sessions, anonymous."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from django.core.cache import cache
from django.core.management import call_command

from catalog.models import ApiToken
from core.tokens import digest, issue_token, revoke_token

API = "/api/catalog/entities/by-name/component/default/billing"


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


def test_anonymous_callers_get_401_in_backstage_shape(client, org):
    response = client.get(API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["name"] == "AuthenticationError"


def test_a_token_reads_and_is_stored_only_as_a_digest(client, viewer, org):
    token, text = issue_token(viewer, "ci job")
    response = client.get(API, headers=bearer(text))
    assert response.status_code == 200
    assert response.json()["metadata"]["name"] == "billing"
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == digest(text) != text
    assert text not in str(list(ApiToken.objects.values_list()))
    assert stored.last_used_at is not None
    reads = client.post(
        "/api/catalog/entities/by-refs",
        {"entityRefs": ["component:default/billing"]},
        content_type="application/json",
        headers=bearer(text),
    )
    assert reads.status_code == 200  # a POST that only reads


def test_revoked_unknown_and_malformed_tokens_are_refused(client, viewer, org):
    token, text = issue_token(viewer, "old")
    assert revoke_token(viewer, token.pk)
    for header in (bearer(text), bearer("gr_nope"), {"Authorization": "Bearer a b"}):
        response = client.get(API, headers=header)
        assert response.status_code == 401, header
        assert response.json()["error"]["name"] == "AuthenticationError"


def test_tokens_never_reach_the_logs(client, viewer, org, caplog):
    _, text = issue_token(viewer, "x")
    with caplog.at_level(logging.DEBUG):
        client.get(API, headers=bearer(text + "tampered"))
        client.get(API, headers=bearer(text))
    assert text not in caplog.text


def test_requests_are_throttled_per_token(client, viewer, org, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/min"},
    }
    _, first = issue_token(viewer, "a")
    _, second = issue_token(viewer, "b")
    statuses = [client.get(API, headers=bearer(first)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(API, headers=bearer(second)).status_code == 200
    cache.clear()


def test_the_tokens_page_shows_a_new_token_once_and_revokes(viewer_client, viewer):
    page = viewer_client.post("/settings/tokens", {"name": "laptop", "write": "on"})
    text = page.context["new_token"]
    assert text.startswith("gr_")
    assert text in page.content.decode()
    token = ApiToken.objects.get(user=viewer)
    # A viewer's write token writes only what the ownership rules allow.
    assert token.scope == "write"
    listing = viewer_client.get("/settings/tokens").content.decode()
    assert text not in listing
    assert token.prefix in listing
    viewer_client.post("/settings/tokens", {"revoke": token.pk})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_editors_mint_write_tokens(editor_client, editor):
    editor_client.post("/settings/tokens", {"name": "deploys", "write": "on"})
    assert ApiToken.objects.get(user=editor).scope == "write"


def test_create_token_command(client, viewer, org, capsys):
    call_command("create_token", viewer.username)
    text = capsys.readouterr().out.strip()
    assert client.get(API, headers=bearer(text)).status_code == 200


SHARED_CACHE = "redis://127.0.0.1:6379/13"
OTHER_WORKER = """
import django, os, sys
django.setup()
from django.test import Client
response = Client().get(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
print(response.status_code)
"""


def test_web_workers_share_one_budget_per_token(
    client, viewer, transactional_db, repos, settings
):
    """With CACHE_URL (Redis), a token's budget holds across processes: what one
    gunicorn worker counted, another sees."""
    from django.db import connection

    from tests.support.catalog import crawl_repo
    from tests.support.descriptors import ORG

    crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": SHARED_CACHE,
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/min"},
    }
    cache.clear()
    _, token = issue_token(viewer, "shared")
    assert [client.get(API, headers=bearer(token)).status_code for _ in range(3)] == [
        200,
        200,
        200,
    ]
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "CACHE_URL": SHARED_CACHE,
        "GREENROOM_API_RATE": "3/min",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
    }
    other = subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, API, token],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert other.stdout.strip().splitlines()[-1] == "429"
    cache.clear()
