"""The claims the provider gives: `sub` (the user's primary key, from
django-oauth-toolkit) and the standard profile and email claims, each only with
the scope that carries it (OpenID Connect Core, section 5.4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

# Members of this group have an address the provider calls unverified.
UNVERIFIED_EMAIL = "unverified-email"


def _email_verified(request: Any) -> bool:
    return not request.user.groups.filter(name=UNVERIFIED_EMAIL).exists()


class ClaimsValidator(OAuth2Validator):  # type: ignore[misc]
    # No `request` parameter: django-oauth-toolkit then lists these claims in the
    # discovery document's claims_supported too.
    def get_additional_claims(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "email": lambda request: request.user.email,
            "email_verified": _email_verified,
            "preferred_username": lambda request: request.user.username,
            "name": lambda request: request.user.get_full_name(),
            "given_name": lambda request: request.user.first_name,
            "family_name": lambda request: request.user.last_name,
        }
