"""Field encryption and the audit-chain key, both derived from the one store key.

Each personal field is sealed on its own with AES-256-GCM under a random 96-bit nonce
(NIST SP 800-38D section 8.2.2: random nonces are safe far beyond the number of fields a
desk writes). The associated data binds the ciphertext to ``table``, ``row id`` and
``column``, so a ciphertext copied into another row or column fails to open instead of
silently showing someone else's name.

Stored form: ``b"\\x01" + nonce(12) + ciphertext||tag(16)``; the version byte leaves room for a
key rotation scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.errors import StorageFailure

VERSION = 1
NONCE_BYTES = 12


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class FieldCipher:
    """Seals and opens single column values with AAD ``table|row_id|column``."""

    def __init__(self, store_key: bytes) -> None:
        # Separate subkeys per purpose (HKDF, RFC 5869), so the audit MAC key and the
        # encryption key are independent even though one key is stored.
        self._aead = AESGCM(_derive(store_key, b"zorgid-kiosk store fields v1"))
        self.audit_key = _derive(store_key, b"zorgid-kiosk audit chain v1")

    @staticmethod
    def _aad(table: str, row_id: str, column: str) -> bytes:
        return f"{table}|{row_id}|{column}".encode()

    def seal(self, table: str, row_id: str, column: str, value: str | None) -> bytes | None:
        """Encrypt ``value`` for that cell; ``None`` stays ``None``."""
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), self._aad(table, row_id, column))
        return bytes([VERSION]) + nonce + sealed

    def open(self, table: str, row_id: str, column: str, blob: bytes | None) -> str | None:
        """Decrypt a cell; a wrong key, row or column raises ``store.error.decrypt``."""
        if blob is None:
            return None
        blob = bytes(blob)
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[0] != VERSION:
            raise StorageFailure("store.error.decrypt")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, self._aad(table, row_id, column))
        except InvalidTag as exc:
            raise StorageFailure("store.error.decrypt") from exc
        return plain.decode("utf-8")

    def audit_mac(self, previous: bytes, record: bytes) -> bytes:
        """HMAC-SHA256 over the previous link and this record: the hash chain."""
        return hmac.new(self.audit_key, previous + record, hashlib.sha256).digest()
