"""Symmetric primitives of ICAO 9303-11: 3DES/AES CBC, retail MAC, AES-CMAC, padding, KDF.

- ISO/IEC 9797-1 padding method 2 (``80 00..``), section 9.8.6.1.
- ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC") with DES, IV zero, section 9.8.6.2.
- AES-CMAC (SP 800-38B) truncated to 8 bytes, section 9.8.7.2.
- KDF(K, c) = H(K || c) of section 9.7.1, with SHA-1 for 3DES/AES-128 and SHA-256 for
  AES-192/256, and DES parity adjustment (9.7.1.1, App. D.1).

The block ciphers come from ``cryptography``; 3DES lives in its ``decrepit`` module since it
is deprecated for general use (it is still mandatory for BAC).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
from collections.abc import Callable

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kiosk.emrtd.errors import SecureMessagingError

Rng = Callable[[int], bytes]
"""A source of random bytes: ``rng(n)`` returns n bytes. Injected so tests can replay
the ICAO worked examples; production uses :data:`system_rng`."""

system_rng: Rng = os.urandom


class CipherAlg(enum.Enum):
    """A secure-messaging cipher: 2-key 3DES or AES with 128/192/256-bit keys."""

    DES3 = ("3DES", 16, 8)
    AES128 = ("AES-128", 16, 16)
    AES192 = ("AES-192", 24, 16)
    AES256 = ("AES-256", 32, 16)

    def __init__(self, label: str, key_size: int, block_size: int) -> None:
        self.label = label
        self.key_size = key_size
        self.block_size = block_size

    @property
    def is_aes(self) -> bool:
        """True for the AES variants."""
        return self is not CipherAlg.DES3


# ---------------------------------------------------------------- padding


def pad(data: bytes, block_size: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 80 then 00s to a multiple of the block."""
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % block_size)


def unpad(data: bytes) -> bytes:
    """Strip padding method 2; raises :class:`SecureMessagingError` when it is absent."""
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise SecureMessagingError()
    return stripped[:-1]


# ---------------------------------------------------------------- block ciphers


def _des3_key(key: bytes) -> bytes:
    if len(key) == 16:
        return key + key[:8]  # 2-key 3DES: K1 K2 K1
    if len(key) == 24:
        return key
    raise ValueError("3DES key must be 16 or 24 bytes")


def _cbc(cipher: CipherAlg, key: bytes, iv: bytes) -> Cipher[modes.CBC]:
    if cipher is CipherAlg.DES3:
        return Cipher(TripleDES(_des3_key(key)), modes.CBC(iv))
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def encrypt(cipher: CipherAlg, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """CBC-encrypt block-aligned ``data`` (IV zero unless given)."""
    if len(data) % cipher.block_size:
        raise ValueError("data not block aligned")
    enc = _cbc(cipher, key, iv or bytes(cipher.block_size)).encryptor()
    return enc.update(data) + enc.finalize()


def decrypt(cipher: CipherAlg, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """CBC-decrypt; misaligned ciphertext from a chip raises SecureMessagingError."""
    if len(data) % cipher.block_size:
        raise SecureMessagingError()
    dec = _cbc(cipher, key, iv or bytes(cipher.block_size)).decryptor()
    return dec.update(data) + dec.finalize()


def aes_ecb_block(key: bytes, block: bytes) -> bytes:
    """E(K, block) for one 16-byte block (SM IV = E(KSEnc, SSC), section 9.8.7.1)."""
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 (one block: E(K, SSC))
    return enc.update(block) + enc.finalize()


# ---------------------------------------------------------------- MACs


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES over already padded ``data``.

    CBC-MAC with single DES under Ka over all blocks, then the last block goes through
    D(Kb) and E(Ka); that equals single-DES CBC over all but the last block followed by
    a 3DES (Ka, Kb, Ka) encryption of the last one, which is how we compute it.
    """
    if len(key) != 16 or not data or len(data) % 8:
        raise ValueError("retail MAC needs a 16-byte key and padded data")
    ka = key[:8]
    head, last = data[:-8], data[-8:]
    iv = bytes(8)
    if head:
        enc = Cipher(TripleDES(ka * 3), modes.CBC(iv)).encryptor()
        iv = (enc.update(head) + enc.finalize())[-8:]
    enc = Cipher(TripleDES(key + ka), modes.CBC(iv)).encryptor()
    return enc.update(last) + enc.finalize()


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """AES-CMAC truncated to 8 bytes (section 9.8.7.2)."""
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:8]


def mac(cipher: CipherAlg, key: bytes, data: bytes, *, padded: bool) -> bytes:
    """The 8-byte MAC of ``data`` for ``cipher``.

    ``padded`` says ``data`` is already padded by the caller (secure messaging pads
    itself, section 9.8.1); PACE tokens are MACed unpadded and the MAC pads internally
    (section 4.4.3.4), which for the retail MAC means padding method 2.
    """
    if cipher is CipherAlg.DES3:
        return retail_mac(key, data if padded else pad(data, 8))
    return aes_cmac(key, data)


def mac_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of MACs/tokens."""
    return hmac.compare_digest(a, b)


# ---------------------------------------------------------------- key derivation

KDF_ENC = 1
KDF_MAC = 2
KDF_PACE = 3


def adjust_parity(key: bytes) -> bytes:
    """Set the DES odd-parity bit (lowest bit) of every byte (App. D.1 step 4)."""
    out = bytearray()
    for byte in key:
        high = byte & 0xFE
        out.append(high | ((bin(high).count("1") + 1) & 1))
    return bytes(out)


def kdf(secret: bytes, counter: int, cipher: CipherAlg) -> bytes:
    """KDF(K, c) of 9303-11 section 9.7.1 producing a key for ``cipher``."""
    data = secret + counter.to_bytes(4, "big")
    if cipher is CipherAlg.DES3:
        return adjust_parity(hashlib.sha1(data).digest()[:16])  # noqa: S324 (ICAO 9303-11 mandates SHA-1 here)
    if cipher is CipherAlg.AES128:
        return hashlib.sha1(data).digest()[:16]  # noqa: S324 (ICAO 9303-11 mandates SHA-1 here)
    return hashlib.sha256(data).digest()[: cipher.key_size]
