"""Webhook secrets: strong, shown once, kept encrypted.

A host signs deliveries with the secret itself, so it cannot be hashed like an API
token: it is sealed with Fernet (AES and HMAC, from `cryptography`) under a key
derived from GREENROOM_SECRETS_KEY, or SECRET_KEY when that is not set. Changing
that key makes the stored secrets unreadable: rotate every webhook after it.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

SECRET_BYTES = 32


class UnreadableSecret(ValueError):
    """The stored secret was sealed under another key."""


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def _fernet() -> Fernet:
    material = (settings.GREENROOM_SECRETS_KEY or settings.SECRET_KEY).encode()
    kdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"greenroom webhooks"
    )
    return Fernet(base64.urlsafe_b64encode(kdf.derive(material)))


@sensitive_variables()  # the secret, and the key below
def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


@sensitive_variables()
def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("sealed under another key") from None
