"""API tokens: issuing (shown once), checking and revoking; only digests are kept."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils import timezone

from catalog.models import ApiToken

PREFIX = "gr_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: Any, name: str, *, write: bool = False) -> tuple[ApiToken, str]:
    """A new token for `user`; the returned text is the only copy there will be."""
    text = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100] or "token",
        scope=ApiToken.Scope.WRITE if write else ApiToken.Scope.READ,
        prefix=text[:10],
        digest=digest(text),
    )
    return token, text


def find_token(text: str) -> ApiToken | None:
    """The live token with this text, or None; notes when it was last used."""
    if not text.startswith(PREFIX) or len(text) > 100:
        return None
    # The digest is unique: one row at most, so no ORDER BY (as .first() adds).
    found = ApiToken.objects.select_related("user").filter(
        digest=digest(text), revoked_at=None, user__is_active=True
    )
    token = next(iter(found[:1]), None)
    if token is not None:
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > 60
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke_token(user: Any, token_id: int) -> bool:
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None).update(
            revoked_at=timezone.now()
        )
    )
