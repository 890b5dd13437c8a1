"""The named document profiles the emulator serves (``PROFILES``: name -> factory)."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.emulator.profile import ChipProfile

PROFILES: dict[str, Callable[[], ChipProfile]] = {}
