"""A real OpenID Connect provider for the sign-in tests (django-oauth-toolkit, a
separate Django project run in its own process): see server.py, and fixtures.py
for the pytest fixture."""

from tests.support.oidc.login import SignInRefused, sign_in
from tests.support.oidc.server import (
    DEFAULT_USERS,
    ProviderInfo,
    ProviderUser,
    running_provider,
)

__all__ = [
    "DEFAULT_USERS",
    "ProviderInfo",
    "ProviderUser",
    "SignInRefused",
    "running_provider",
    "sign_in",
]
