"""The `oidc_provider` pytest fixture: one provider for the whole test session.

Registered in tests/conftest.py with
`from tests.support.oidc.fixtures import oidc_provider  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.oidc.server import ProviderInfo, running_provider

# mozilla-django-oidc's callback, mounted at oidc/ (its urls' default name
# oidc_authentication_callback).
CALLBACK_PATH = "/oidc/callback/"
# Django's test client, and live servers on any port (loopback redirect URIs
# match on any port at this provider).
REDIRECT_URIS = tuple(
    f"http://{host}{CALLBACK_PATH}" for host in ("testserver", "localhost", "127.0.0.1")
)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[ProviderInfo]:
    with running_provider(REDIRECT_URIS) as provider:
        yield provider
