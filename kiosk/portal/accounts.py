"""Credentials of the reference portal: scrypt password hashes and RFC 6238 TOTP.

Passwords are stored as ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can be
raised later without invalidating stored hashes. TOTP is optional per account: when an
account has a secret, sign-in needs the current 6-digit code (RFC 6238, HMAC-SHA1, 30 s
steps, one step of clock drift either way); without one the ``totp`` field is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_DKLEN = 32
TOTP_STEP_S = 30
TOTP_DIGITS = 6


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """Return a salted scrypt hash of ``password`` in the self-describing storage form."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=_DKLEN
    )
    return "$".join(
        (
            "scrypt",
            str(n),
            str(SCRYPT_R),
            str(SCRYPT_P),
            base64.b64encode(salt).decode("ascii"),
            base64.b64encode(digest).decode("ascii"),
        )
    )


def verify_password(password: str, stored: str) -> bool:
    """Return True when ``password`` matches ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


# Verified against when the username is unknown, so a wrong username costs as much time as a
# wrong password and response timing does not reveal which accounts exist.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def new_totp_secret() -> str:
    """Return a random TOTP secret in base32 (what authenticator apps accept)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def totp(secret_b32: str, moment: datetime, *, step: int = 0, digits: int = TOTP_DIGITS) -> str:
    """Return the RFC 6238 code for ``moment`` (shifted by ``step`` time steps)."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int(moment.timestamp()) // TOTP_STEP_S + step
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    # RFC 4226 section 5.3: dynamic truncation.
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_counter(secret_b32: str, code: str, moment: datetime) -> int | None:
    """Return the time step (RFC 6238 counter) ``code`` is valid for at ``moment``, else None.

    One step of clock drift either way is allowed; the caller makes each step usable once.
    """
    if not code.isascii() or not code.isdigit() or len(code) != TOTP_DIGITS:
        return None
    now = int(moment.timestamp()) // TOTP_STEP_S
    found: int | None = None
    for step in (-1, 0, 1):
        # No early exit: the comparison time does not depend on which step matched.
        if hmac.compare_digest(totp(secret_b32, moment, step=step), code):
            found = now + step if found is None else found
    return found


def verify_totp(secret_b32: str, code: str, moment: datetime) -> bool:
    """Return True when ``code`` is valid at ``moment``, allowing one step of drift."""
    return totp_counter(secret_b32, code, moment) is not None
