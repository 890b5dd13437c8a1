"""Run an emulated document against vpcd, in a thread or as the main loop of a process."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.emulator.vpcd import DEFAULT_HOST, DEFAULT_PORT, VpcdSession, connect

log = logging.getLogger(__name__)

# Two of pcscd's 400 ms presence polls (DESIGN.md section 10).
REMOVAL_SETTLE_S = 0.9


class Emulator:
    """Serve one document profile to vpcd: placing the document on the virtual reader.

    ``start()`` connects in a background thread and returns once vpcd accepted the
    connection (pcscd then reports the card present within its 400 ms poll); ``stop()``
    disconnects, which pcscd reports as the card being removed. When vpcd closes the
    connection (pcscd restarted) the emulator reconnects, unless the profile simulates a
    card pulled away after N APDUs, which stays away.

    ``profile`` is a :class:`~kiosk.emulator.profile.ChipProfile`, the name of one in
    :data:`kiosk.emulator.profiles.PROFILES`, or a directory written by
    :meth:`ChipProfile.save`.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        profile: object = "nl_passport_2024",
        *,
        remove_after: int | None = None,
        delay_s: float | None = None,
        on_apdu: Callable[[bytes, bytes], None] | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        from kiosk.emulator.profile import ChipProfile
        from kiosk.emulator.profiles import load_profile

        self.host = host
        self.port = port
        self.profile: ChipProfile = load_profile(profile)
        self._remove_after = remove_after if remove_after is not None else self.profile.remove_after
        self._delay_s = delay_s if delay_s is not None else self.profile.delay_s
        self._on_apdu = on_apdu
        self._connect_timeout_s = connect_timeout_s
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._session: VpcdSession | None = None
        self._lock = threading.Lock()
        self.apdu_count = 0
        self.error: BaseException | None = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Emulator:
        """Connect to vpcd in a daemon thread; raise ``OSError`` if vpcd is not there."""
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        from kiosk.emulator.security import warm_up

        warm_up(self.profile)
        self._stop.clear()
        self._connected.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"emulator-{self.profile.name}", daemon=True
        )
        self._thread.start()
        if not self._connected.wait(self._connect_timeout_s + 1.0):
            self.stop()
            raise OSError(f"vpcd not reachable on {self.host}:{self.port}")
        if self.error is not None:
            err = self.error
            self.stop()
            raise OSError(f"vpcd not reachable on {self.host}:{self.port}") from err
        return self

    def stop(self) -> None:
        """Disconnect (the card leaves the reader) and wait for the thread to end."""
        self._stop.set()
        with self._lock:
            session = self._session
        if session is not None:
            session.close()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    @property
    def running(self) -> bool:
        """True while the document is 'on the reader'."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the document left the reader (stopped or pulled away); True if it did."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` (from another thread) or removal."""
        self._run()

    def _count(self, command: bytes, response: bytes) -> None:
        self.apdu_count += 1
        if self._on_apdu is not None:
            self._on_apdu(command, response)

    def _run(self) -> None:
        from kiosk.emulator.security import build_chip

        drop = self.profile.drop_after_access
        try:
            while not self._stop.is_set():
                try:
                    sock = connect(self.host, self.port, timeout_s=self._connect_timeout_s)
                except OSError as exc:
                    self.error = exc
                    self._connected.set()
                    return
                session = VpcdSession(
                    sock,
                    build_chip(self.profile),
                    remove_after=self._remove_after,
                    delay_s=self._delay_s,
                    on_apdu=self._count,
                    slow_ins=self.profile.slow_ins,
                    drop_after_access=drop,
                )
                with self._lock:
                    self._session = session
                self._connected.set()
                if self._stop.is_set():
                    session.close()
                    return
                session.serve()
                with self._lock:
                    self._session = None
                if self._remove_after is not None and session.apdu_count >= self._remove_after:
                    # The card was pulled away in the middle of an APDU and stays away. vpcd
                    # then ejects it inside the failed transmit, which pcscd's event thread
                    # never sees; only a presence poll of the empty slot (every 400 ms) lets it
                    # record the removal. Until that poll ran, a new card on this slot would
                    # look like the old one and never be reported inserted (measured with
                    # Debian's pcscd + vpcd), so this emulator ends only after two polls.
                    time.sleep(REMOVAL_SETTLE_S)
                    return
                if session.dropped:
                    # The field dropped once; the document comes back after pcscd noticed
                    # it was gone (the same two polls as above), and stays this time.
                    drop = False
                    if self._stop.wait(REMOVAL_SETTLE_S):
                        return
                    continue
                if self._stop.wait(0.2):
                    return
        finally:
            self._connected.set()


def _log_apdu(command: bytes, response: bytes) -> None:
    ins = command[1] if len(command) > 1 else 0
    log.info("APDU INS %02X -> SW %s", ins, response[-2:].hex().upper())


def run_emulator(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    profile: str | Path | object = "nl_passport_2024",
    *,
    remove_after: int | None = None,
    delay_s: float | None = None,
    stop: threading.Event | None = None,
    trace: bool = False,
) -> int:
    """Serve ``profile`` to vpcd in the calling thread until interrupted; returns 0.

    This is what ``kiosk chip emulate`` and ``python -m kiosk.emulator`` call. ``stop``
    (set from another thread) ends it too. ``trace`` logs each APDU's INS and status word
    (never data: the files hold personal data, even if synthetic).
    """
    emulator = Emulator(
        host,
        port,
        profile,
        remove_after=remove_after,
        delay_s=delay_s,
        on_apdu=_log_apdu if trace else None,
    )
    log.info("emulating %s on vpcd %s:%d", emulator.profile.name, host, port)
    if stop is None:
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (a harness stopping us) takes the card away cleanly, like Ctrl-C.
            signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    emulator.start()
    try:
        while emulator.running and not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0
