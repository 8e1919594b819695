"""Signing in with OpenID Connect against a real provider (tests/support/oidc):
the account is the provider's subject, never an address alone."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEntry
from catalog.ingest.provided import apply_provided, provider_location
from core.roles import role_of
from people.directory import Directory, Person, Team, documents
from people.models import OidcIdentity
from tests.support.oidc import sign_in
from tests.support.users import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def oidc(settings, oidc_provider):
    for name, value in oidc_provider.mozilla_django_oidc_settings().items():
        setattr(settings, name, value)
    settings.GREENROOM_OIDC = True
    settings.GREENROOM_OIDC_ISSUER = oidc_provider.issuer
    settings.GREENROOM_OIDC_NAME = "Test IdP"
    settings.AUTHENTICATION_BACKENDS = [
        "people.signin.OidcBackend",
        *settings.AUTHENTICATION_BACKENDS,
    ]
    return oidc_provider


def sign_in_as(client, provider, username: str, start: str = "/oidc/authenticate/"):
    """Greenroom → the provider's login form → back to Greenroom's callback."""
    leave = client.get(start)
    assert leave.status_code == 302
    authorize = leave["Location"]
    assert authorize.startswith(provider.authorization_endpoint)
    assert "code_challenge=" in authorize  # PKCE
    assert "nonce=" in authorize
    user = provider.users[username]
    callback = sign_in(authorize, user.username, user.password)
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def test_first_sign_in_creates_the_account_linked_to_the_subject(client, oidc):
    landed = sign_in_as(client, oidc, "alice")
    assert landed.status_code == 302
    assert landed["Location"] == "/"
    user = get_user_model().objects.get(oidc_identity__subject=oidc.users["alice"].sub)
    assert user.username == "alice"
    assert user.email == "alice@example.com"
    assert role_of(user) == "viewer"
    assert AuditEntry.objects.filter(action="user.create", target="alice").exists()
    home = client.get("/")
    assert home.status_code == 200
    assert home.context["user"] == user


def test_the_signed_in_person_lands_on_their_own_page(client, oidc):
    found = Directory(
        people=[Person("alice", display_name="Alice L.", email="alice@example.com")],
        teams=[Team("platform", members=["alice"])],
    )
    location = provider_location("scim", "okta")
    apply_provided(location, documents(found), version="1", removal_reason="left")
    sign_in_as(client, oidc, "alice")
    home = client.get("/")
    assert home.context["me"]["ref"] == "user:default/alice"
    assert home.context["teams"] == ["group:default/platform"]
    assert "Hello, Alice L." in home.content.decode()


def test_an_address_does_not_open_someone_elses_account(client, oidc):
    admin = make_user("alice", "admin")
    admin.email = "alice@example.com"
    admin.save()
    sign_in_as(client, oidc, "alice")
    linked = OidcIdentity.objects.get(subject=oidc.users["alice"].sub).user
    assert linked != admin
    assert linked.username == "alice-2"
    assert role_of(linked) == "viewer"
    assert client.get("/").context["user"] == linked
    # The second sign-in finds the same account.
    client.logout()
    sign_in_as(client, oidc, "alice")
    assert client.get("/").context["user"] == linked
    assert OidcIdentity.objects.count() == 1


def test_an_unverified_address_is_refused(client, oidc):
    landed = sign_in_as(client, oidc, "eve")
    assert landed.status_code == 302
    assert landed["Location"] == "/accounts/login/?sso=failed"
    assert not get_user_model().objects.filter(email="eve@example.com").exists()
    page = client.get(landed["Location"])
    assert "did not work" in page.content.decode()


def test_the_return_goes_where_the_person_was_going(client, oidc):
    landed = sign_in_as(
        client, oidc, "bob", start="/oidc/authenticate/?next=/catalog%3Fkind%3Dgroup"
    )
    assert landed["Location"] == "/catalog?kind=group"


def test_the_login_page_offers_it_only_when_configured(client, settings, oidc):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Test IdP" in page
    settings.GREENROOM_OIDC = False
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_a_forged_callback_signs_nobody_in(client, oidc):
    landed = client.get("/oidc/callback/?code=forged&state=forged")
    assert landed.status_code == 302
    assert "sso=failed" in landed["Location"] or landed["Location"].startswith(
        "/accounts/login/"
    )
    assert client.get("/").status_code == 302  # still signed out
