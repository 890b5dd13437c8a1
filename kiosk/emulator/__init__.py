"""An emulated eMRTD / eDL chip for tests and demos, served to pcscd through vsmartcard's vpcd.

TEST ONLY: every document, key and certificate it serves is synthetic, made by
:mod:`kiosk.emulator.factory`. Use :class:`Emulator` in-process (a thread) or
``python -m kiosk.emulator --port P --profile NAME|DIR`` / ``kiosk chip emulate`` as a
process; :data:`kiosk.emulator.profiles.PROFILES` lists the documents.
"""

from __future__ import annotations

from kiosk.emulator.server import Emulator, run_emulator

__all__ = ["Emulator", "run_emulator"]
