"""Secrets Greenroom must use again, so cannot hash: kept sealed in the database.

Webhook secrets (a host signs deliveries with the secret itself) and git host
credentials (sent to the host's API and to git) are sealed with Fernet (AES and
HMAC, from `cryptography`) under a key derived from GREENROOM_SECRETS_KEY, or
SECRET_KEY when that is not set, one derived key per purpose. Changing that key
makes the stored secrets unreadable: rotate every webhook and host credential
after it.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.views.decorators.debug import sensitive_variables


class UnreadableSecret(ValueError):
    """The stored secret was sealed under another key."""


@sensitive_variables()
def _fernet(purpose: str) -> Fernet:
    material = (settings.GREENROOM_SECRETS_KEY or settings.SECRET_KEY).encode()
    kdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"greenroom {purpose}".encode(),
    )
    return Fernet(base64.urlsafe_b64encode(kdf.derive(material)))


@sensitive_variables()  # the secret, and the key below
def seal(secret: str, purpose: str) -> str:
    return _fernet(purpose).encrypt(secret.encode()).decode()


@sensitive_variables()
def unseal(sealed: str, purpose: str) -> str:
    try:
        return _fernet(purpose).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("sealed under another key") from None
