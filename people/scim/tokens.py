"""SCIM bearer tokens: one per SCIM provider, shown once, kept as its SHA-256.

Okta and Entra ID send the token as `Authorization: Bearer <token>`; the token
names the provider, so one Greenroom can take pushes from several directories,
each seeing only its own users and groups. A new token replaces the last one at
once (the old one stops working).
"""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from audit import log as audit
from core.tokens import digest
from people.models import OrgProvider

PREFIX = "grscim_"
MAX_LENGTH = 200  # longer texts are not ours, and are not hashed


class TokenError(ValueError):
    """A token that cannot be issued for this provider; the message says why."""


def issue_token(provider: OrgProvider) -> str:
    """A new token for the SCIM provider; the returned text is the only copy."""
    if provider.kind != OrgProvider.Kind.SCIM:
        raise TokenError(f"{provider.name} is not a SCIM provider")
    text = PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        replaced = bool(
            OrgProvider.objects.filter(pk=provider.pk)
            .exclude(scim_token_digest="")
            .exists()
        )
        OrgProvider.objects.filter(pk=provider.pk).update(
            scim_token_digest=digest(text), scim_token_issued_at=now
        )
        audit.record("provider.scim-token", provider.name, replaced=replaced)
    provider.scim_token_digest, provider.scim_token_issued_at = digest(text), now
    return text


def find_provider(text: str) -> OrgProvider | None:
    """The SCIM provider this token was issued to, or None.

    The row is found by the digest's index, then the digests are compared in
    constant time: what an index lookup's timing could tell is about digests of
    random 256-bit tokens, which says nothing about any token.
    """
    if not text.startswith(PREFIX) or len(text) > MAX_LENGTH:
        return None
    wanted = digest(text)
    provider = (
        OrgProvider.objects.select_related("location")
        .filter(kind=OrgProvider.Kind.SCIM, scim_token_digest=wanted)
        .first()
    )
    if provider is None or not hmac.compare_digest(
        provider.scim_token_digest.encode(), wanted.encode()
    ):
        return None
    return provider
