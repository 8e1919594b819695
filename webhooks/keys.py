"""Webhook secrets: strong, shown once, kept sealed (core/secrets.py).

A host signs deliveries with the secret itself, so it cannot be hashed like an API
token. Changing GREENROOM_SECRETS_KEY makes the stored secrets unreadable: rotate
every webhook after it.
"""

from __future__ import annotations

import secrets

from django.views.decorators.debug import sensitive_variables

from core import secrets as sealed
from core.secrets import UnreadableSecret

__all__ = ["UnreadableSecret", "new_secret", "seal", "unseal"]

SECRET_BYTES = 32
PURPOSE = "webhooks"  # the key derivation's label: existing secrets stay readable


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


@sensitive_variables()
def seal(secret: str) -> str:
    return sealed.seal(secret, PURPOSE)


@sensitive_variables()
def unseal(value: str) -> str:
    return sealed.unseal(value, PURPOSE)
