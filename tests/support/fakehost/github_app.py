"""A GitHub App: an id, an RSA key pair, and RS256 JWTs checked with `cryptography`."""

from __future__ import annotations

import base64
import binascii
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _unpad(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class GitHubApp:
    app_id = 424242
    installation_id = 7070

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def verify(self, token: str | None) -> bool:
        """An RS256 JWT signed by this app's key, iss = app id, not expired.

        GitHub allows 60 s of clock drift on `iat` and at most ten minutes of life.
        """
        if not token or token.count(".") != 2:
            return False
        head, body, signature = token.split(".")
        try:
            header = json.loads(_unpad(head))
            claims = json.loads(_unpad(body))
            self.key.public_key().verify(
                _unpad(signature),
                f"{head}.{body}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, binascii.Error, InvalidSignature):
            return False
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            return False
        if not isinstance(claims, dict):
            return False
        now = time.time()
        try:
            issued, expires = float(claims["iat"]), float(claims["exp"])
        except (KeyError, TypeError, ValueError):
            return False
        return (
            str(claims.get("iss")) == str(self.app_id)
            and issued <= now + 60
            and now < expires
            and expires - issued <= 660
        )
