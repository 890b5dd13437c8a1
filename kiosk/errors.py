"""The kiosk's typed error tree.

Every failure a person can see carries a translation key (``message_key``) and parameters,
never a ready-made sentence, so the UI shows it in the chosen language::

    KioskError                      anything the kiosk reports on purpose
    +-- InputError                  bad input from a person or a document (malformed MRZ,
    |                               wrong access key, invalid employee data); fix the input
    +-- SecurityFailure             evidence failed verification (tampered data, untrusted or
    |                               expired signer, clone detected); never retried silently
    +-- EnvironmentFailure          the world around the kiosk failed (card removed, no
    |   |                           reader, camera unplugged, network down, disk full); retry
    |   +-- StorageFailure          the local database could not be read or written
    +-- ProtocolError               a peer (chip, portal) answered outside its contract

Anything else that escapes is a bug in the kiosk, and is reported as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose.

    ``message_key`` names a message in ``resources/i18n``; ``params`` fill its placeholders.
    ``str(err)`` gives the key and parameter names only, never parameter values, so an error
    that ends up in a log cannot leak personal data through its parameters.
    """

    message_key: str = "error.unexpected"

    def __init__(self, message_key: str | None = None, /, **params: Any) -> None:
        if message_key is not None:
            self.message_key = message_key
        self.params: Mapping[str, Any] = dict(params)
        super().__init__(self.message_key)

    def __str__(self) -> str:
        names = ",".join(sorted(self.params))
        return f"{self.message_key}({names})" if names else self.message_key

    def translated(self) -> str:
        """Return the message in the current UI language."""
        from kiosk.i18n import tr

        return tr(self.message_key, **self.params)


class InputError(KioskError):
    """Input from a person or a document is wrong; the person can correct it."""

    message_key = "error.input"


class SecurityFailure(KioskError):
    """Evidence did not verify; the document must not be accepted on this evidence."""

    message_key = "error.security"


class EnvironmentFailure(KioskError):
    """Hardware, network or the operating system failed; retrying may help."""

    message_key = "error.environment"


class StorageFailure(EnvironmentFailure):
    """The local database or its key could not be read or written."""

    message_key = "error.storage"


class ProtocolError(KioskError):
    """A peer (chip or portal) answered outside its specification or contract."""

    message_key = "error.protocol"
