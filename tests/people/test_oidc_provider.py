"""The test OpenID Connect provider (tests/support/oidc) on its own, before the
sign-in tests lean on it: discovery, the authorization code flow with and without
PKCE, ID tokens that verify against its JWKS, userinfo, and the refusals."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from tests.support.oidc import ProviderInfo, SignInRefused, running_provider, sign_in
from tests.support.oidc.fixtures import REDIRECT_URIS

# The fixture's redirect URIs; a live server's port is any port.
CALLBACK = "http://localhost:8123/oidc/callback/"


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderInfo]:
    with running_provider(REDIRECT_URIS) as running:
        yield running


def authorize_url(provider: ProviderInfo, scope: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "the-state",
        "nonce": "the-nonce",
        **extra,
    }
    return f"{provider.authorization_endpoint}?{urllib.parse.urlencode(query)}"


def post(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def get_json(url: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def code_from(redirect: str) -> str:
    parts = urllib.parse.urlsplit(redirect)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    query = urllib.parse.parse_qs(parts.query)
    assert query["state"] == ["the-state"]
    return query["code"][0]


def tokens(provider: ProviderInfo, code: str, **extra: str) -> dict[str, Any]:
    status, answer = post(provider.token_endpoint, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "client_id": provider.client_id, "client_secret": provider.client_secret,
        **extra,
    })  # fmt: skip
    assert status == 200, answer
    return answer


def verified(provider: ProviderInfo, id_token: str) -> dict[str, Any]:
    """The ID token's claims, its RS256 signature checked with the JWKS key."""
    assert jwt.get_unverified_header(id_token)["alg"] == "RS256"
    key = jwt.PyJWKClient(provider.jwks_uri).get_signing_key_from_jwt(id_token)
    claims: dict[str, Any] = jwt.decode(
        id_token, key.key, algorithms=["RS256"],
        audience=provider.client_id, issuer=provider.issuer,
    )  # fmt: skip
    return claims


def test_discovery_document(provider: ProviderInfo) -> None:
    with urllib.request.urlopen(provider.discovery_url, timeout=10) as response:
        document = json.load(response)
    assert document["issuer"] == provider.issuer
    assert document["authorization_endpoint"] == provider.authorization_endpoint
    assert document["jwks_uri"] == provider.jwks_uri
    assert document["response_types_supported"] == ["code"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert {"openid", "profile", "email"} <= set(document["scopes_supported"])
    assert {"sub", "email", "email_verified", "preferred_username", "name"} <= set(
        document["claims_supported"]
    )


@pytest.mark.parametrize(
    ("username", "pkce"), [("alice", True), ("bob", False), ("eve", False)]
)
def test_code_flow_gives_a_verified_id_token(
    provider: ProviderInfo, username: str, pkce: bool
) -> None:
    user = provider.users[username]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    extra = (
        {
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
        if pkce
        else {}
    )
    redirect = sign_in(
        authorize_url(provider, "openid profile email", **extra),
        username,
        user.password,
    )
    answer = tokens(
        provider, code_from(redirect), **({"code_verifier": verifier} if pkce else {})
    )

    claims = verified(provider, answer["id_token"])
    expected = {
        "sub": user.sub,
        "email": user.email,
        "email_verified": user.email_verified,
        "preferred_username": username,
        "name": user.name,
    }
    assert claims | expected == claims
    assert claims["nonce"] == "the-nonce"
    userinfo = get_json(provider.userinfo_endpoint, answer["access_token"])
    assert userinfo | expected == userinfo


def test_claims_follow_the_scopes(provider: ProviderInfo) -> None:
    alice = provider.users["alice"]
    redirect = sign_in(authorize_url(provider, "openid email"), "alice", alice.password)
    claims = verified(provider, tokens(provider, code_from(redirect))["id_token"])
    assert claims["email"] == alice.email
    assert "preferred_username" not in claims
    assert "name" not in claims


def test_a_wrong_password_is_refused(provider: ProviderInfo) -> None:
    with pytest.raises(SignInRefused, match="login form came back"):
        sign_in(authorize_url(provider, "openid"), "alice", "not-her-password")


def test_an_unregistered_redirect_uri_is_refused(provider: ProviderInfo) -> None:
    url = authorize_url(provider, "openid", redirect_uri="http://localhost:8123/other/")
    alice = provider.users["alice"]
    with pytest.raises(SignInRefused, match="HTTP 400"):
        sign_in(url, "alice", alice.password)


def test_the_token_endpoint_checks_the_client_secret(provider: ProviderInfo) -> None:
    alice = provider.users["alice"]
    redirect = sign_in(authorize_url(provider, "openid"), "alice", alice.password)
    status, answer = post(provider.token_endpoint, {
        "grant_type": "authorization_code", "code": code_from(redirect),
        "redirect_uri": CALLBACK, "client_id": provider.client_id,
        "client_secret": "not-the-secret",
    })  # fmt: skip
    assert status == 401
    assert answer["error"] == "invalid_client"
