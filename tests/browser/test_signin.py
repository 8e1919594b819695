"""Signing in with OpenID Connect in a real browser, against a real provider
(tests/support/oidc), and landing on one's own page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalog.ingest.provided import apply_provided, provider_location
from people.directory import Directory, Person, Team, documents


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


@pytest.mark.django_db(transaction=True)
def test_sign_in_with_the_identity_provider_lands_on_my_page(page, oidc, server):
    found = Directory(
        people=[
            Person("alice", display_name="Alice Liddell", email="alice@example.com")
        ],
        teams=[Team("platform", display_name="Platform", members=["alice"])],
    )
    location = provider_location("scim", "okta")
    apply_provided(location, documents(found), version="1", removal_reason="left")

    page.goto("/catalog")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/catalog$"))
    page.get_by_role("link", name="Sign in with Test IdP").click()
    # The provider's own sign-in form, on its own port.
    expect(page).to_have_url(re.compile(re.escape(oidc.issuer)))
    page.fill("#id_username", "alice")
    page.fill("#id_password", oidc.users["alice"].password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"^http://[^/]+/catalog$"))
    me = page.locator("header a.me")
    expect(me).to_have_text("Alice Liddell")
    me.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alice Liddell")
    expect(page.locator("#teams-heading + ul")).to_contain_text(
        re.compile("platform", re.IGNORECASE)
    )
