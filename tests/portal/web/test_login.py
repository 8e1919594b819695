"""Password sign-in is throttled per account and per client address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from audit.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    settings.GREENROOM_LOGIN_FAILURES = 3
    settings.GREENROOM_LOGIN_ADDRESS_FAILURES = 5
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, username: str, password: str):
    return client.post(URL, {"username": username, "password": password})


def test_an_account_is_locked_after_failures_even_for_the_right_password(viewer):
    client = Client()
    for _ in range(3):
        assert sign_in(client, viewer.username, "guess").status_code == 200
    locked = sign_in(client, viewer.username, "pw-vera-viewer")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in client.session
    # From another address too: the account is what is being guessed.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert sign_in(other, viewer.username.upper(), "pw-vera-viewer").status_code == 429
    throttled = AuditEntry.objects.get(action="login.throttled")
    assert throttled.details == {"by": "account"}


def test_an_address_is_locked_after_failures_across_accounts(viewer):
    client = Client(REMOTE_ADDR="198.51.100.4")
    for name in ("a", "b", "c", "d", "e"):
        assert sign_in(client, name, "guess").status_code == 200
    assert sign_in(client, viewer.username, "pw-vera-viewer").status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.5")
    assert sign_in(elsewhere, viewer.username, "pw-vera-viewer").status_code == 302


def test_signing_in_clears_the_accounts_count(viewer):
    client = Client()
    for _ in range(2):
        sign_in(client, viewer.username, "guess")
    assert sign_in(client, viewer.username, "pw-vera-viewer").status_code == 302
    fresh = Client()
    for _ in range(2):
        assert sign_in(fresh, viewer.username, "guess").status_code == 200
    assert sign_in(fresh, viewer.username, "pw-vera-viewer").status_code == 302
