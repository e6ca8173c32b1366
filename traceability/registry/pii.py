"""ID-card numbers at rest: encrypted (AES-256-GCM), found by a keyed digest, shown masked.

Both keys come from the instance secret `PII_SECRET` (HKDF with separate labels), not
from the signing passphrase, so rotating signing keys never strands stored numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"


def _derive(secret: str, label: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label)
    return hkdf.derive(secret.encode("utf-8"))


class IdNumberVault:
    """Encrypts, decrypts and digests ID numbers with keys derived from one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("PII_SECRET is empty")
        self._aead = AESGCM(_derive(secret, b"traceability/id-number/encrypt/v1"))
        self._mac_key = _derive(secret, b"traceability/id-number/digest/v1")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IdNumberVault:
        return cls(str(config["PII_SECRET"]))

    def encrypt(self, number: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, number.encode("ascii"), VERSION.encode())
        return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, stored: str) -> str:
        version, _, body = stored.partition(":")
        if version != VERSION:
            raise ValueError(f"unknown ID-number encryption version {version!r}")
        raw = base64.urlsafe_b64decode(body)
        return self._aead.decrypt(raw[:12], raw[12:], VERSION.encode()).decode("ascii")

    def digest(self, number: str) -> str:
        """Same number, same digest: duplicates are found without decrypting anything."""
        return hmac.new(self._mac_key, number.encode("ascii"), hashlib.sha256).hexdigest()
