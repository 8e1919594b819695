"""API access: tokens (hashed, scoped, revocable, throttled), sessions, anonymous."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.core.management import call_command

from catalog.api.tokens import digest, issue_token, revoke_token
from catalog.models import ApiToken

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
    assert token.scope == "read"  # viewers cannot mint write tokens
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
