"""Access control and secure messaging on the chip side (BAC/BAP, PACE, CA, AA)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.emulator.chip import AccessHandler
    from kiosk.emulator.profile import ChipProfile


def build_access_handler(profile: ChipProfile) -> AccessHandler | None:
    """Return the security command handler for ``profile`` (None: no access control)."""
    del profile
    return None
