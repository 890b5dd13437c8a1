"""The real PC/SC test stack: Debian's pcscd + vsmartcard-vpcd + the project's emulator.

Used by the pcsc integration tests, the step-2 chip page UI test and the chip-read benchmark.
pcscd is started in the foreground as a child process unless one already runs, and stopped
(SIGTERM, DESIGN.md section 10) only if this session started it. vpcd is configured by the
``vsmartcard-vpcd`` package in /etc/reader.conf.d/vpcd: it listens on 127.0.0.1:35963 for
slot 0 and 35964 for slot 1. A test 'places a document' by connecting the emulator to vpcd
and 'removes' it by disconnecting; pcscd notices within its 400 ms poll, so we wait for the
state change with SCardGetStatusChange instead of sleeping.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

VPCD_HOST = "127.0.0.1"
VPCD_BASE_PORT = 35963
# Slot 0 (port 35963) by default; KIOSK_TEST_VPCD_SLOT=1 moves a run to port 35964 so that
# two developers' runs on one machine do not place cards in each other's reader.
VPCD_SLOT = int(os.environ.get("KIOSK_TEST_VPCD_SLOT", "0"))
STARTUP_DEADLINE_S = 15.0
CARD_DEADLINE_S = 5.0


class StackError(RuntimeError):
    """The PC/SC stack could not be brought up (a broken machine, not a skipped test)."""


def skip_unless_linux() -> None:
    """Skip on non-Linux hosts only: the stack (pcscd + vpcd) is Debian's."""
    if not sys.platform.startswith("linux"):
        pytest.skip(
            f"the pcscd + vsmartcard-vpcd test stack needs Linux (this is {sys.platform}); "
            "CI runs these tests on Debian 12"
        )


def _context() -> int | None:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    return int(context) if hresult == scard.SCARD_S_SUCCESS else None


def _readers(context: int) -> list[str]:
    from smartcard import scard

    hresult, names = scard.SCardListReaders(context, [])
    return list(names) if hresult == scard.SCARD_S_SUCCESS else []


@dataclass
class PcscStack:
    """A running pcscd with the vpcd reader; ``reader`` is the slot the tests use."""

    reader: str
    port: int
    process: subprocess.Popen[bytes] | None
    log_path: Path | None
    context: int

    def wait_for_card(self, present: bool, deadline_s: float = CARD_DEADLINE_S) -> float:
        """Block until pcscd reports the card present (or absent); return the wait in s."""
        from smartcard import scard

        start = time.monotonic()
        state = scard.SCARD_STATE_UNAWARE
        while True:
            left_ms = int((start + deadline_s - time.monotonic()) * 1000)
            if left_ms <= 0:
                raise StackError(
                    f"card on {self.reader!r} not {'present' if present else 'absent'} "
                    f"after {deadline_s} s"
                )
            hresult, states = scard.SCardGetStatusChange(
                self.context, left_ms, [(self.reader, state)]
            )
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                raise StackError(f"SCardGetStatusChange failed: 0x{hresult & 0xFFFFFFFF:08X}")
            _name, event_state, _atr = states[0]
            is_present = bool(event_state & scard.SCARD_STATE_PRESENT)
            if is_present == present:
                return time.monotonic() - start
            state = event_state & ~scard.SCARD_STATE_CHANGED

    @contextmanager
    def card(self, profile: Any = "nl_passport_2024", **options: Any) -> Iterator[Any]:
        """Place an emulated document on the reader for the duration of the block."""
        from kiosk.emulator import Emulator

        emulator = Emulator(VPCD_HOST, self.port, profile, **options)
        emulator.start()
        try:
            self.wait_for_card(True)
            yield emulator
        finally:
            emulator.stop()
            self.wait_for_card(False)

    def close(self) -> None:
        """Release our PC/SC context; stop pcscd if (and only if) we started it."""
        from smartcard import scard

        scard.SCardReleaseContext(self.context)
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _die_with_parent() -> None:
    """In the child: have Linux SIGTERM it when the test process dies (prctl PR_SET_PDEATHSIG).

    A test run killed by a timeout must not leave its pcscd behind for the next run.
    """
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def start_stack(slot: int = VPCD_SLOT) -> PcscStack:
    """Make sure pcscd runs with the vpcd reader; start pcscd ourselves if needed."""
    skip_unless_linux()
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    context = _context()
    if context is None:
        # /usr/sbin is not on every PATH (sudo-less CI shells).
        pcscd = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
        if pcscd is None:
            raise StackError("pcscd is not installed: run ./dev setup (apt: pcscd vsmartcard-vpcd)")
        if not Path("/etc/reader.conf.d/vpcd").exists():
            raise StackError("vsmartcard-vpcd is not installed: run ./dev setup")
        # pcscd's socket directory is fixed; a fresh container does not have it.
        subprocess.run(["install", "-d", "/run/pcscd"], check=True)
        handle, name = tempfile.mkstemp(prefix="pcscd-", suffix=".log")
        log_path = Path(name)
        process = subprocess.Popen(
            [pcscd, "-f"], stdout=handle, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
        os.close(handle)
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    reader = ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            text = log_path.read_text(errors="replace") if log_path else ""
            raise StackError(f"pcscd exited with {process.returncode}:\n{text[-2000:]}")
        if context is None:
            context = _context()
        if context is not None:
            vpcd = sorted(name for name in _readers(context) if "Virtual PCD" in name)
            if len(vpcd) > slot:
                reader = vpcd[slot]
                break
        time.sleep(0.05)  # polling readers() against a deadline, as pcscd starts up
    if not reader or context is None:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        raise StackError(f"pcscd did not list the vpcd reader (slot {slot}) in time")
    return PcscStack(
        reader=reader,
        port=VPCD_BASE_PORT + slot,
        process=process,
        log_path=log_path,
        context=context,
    )
