"""A card-reader port for tests: the emulator's chip on the reader, one worker thread.

Implements :class:`kiosk.devices.ports.CardReaderPort` the way the pyscard adapter does (a
single thread owns the "device", jobs get the connected card), without pcscd or vpcd.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from kiosk.devices.ports import CardEvent, CardEventKind, CardListener
from kiosk.emrtd.errors import CardRemoved
from kiosk.emulator.profiles import get_profile
from kiosk.emulator.security import build_chip

T = TypeVar("T")
READER = "Emulated reader 00"


class EmulatedChannel:
    """The chip of a document profile, powered on (a :class:`CardChannel`)."""

    def __init__(self, profile_name: str) -> None:
        profile = get_profile(profile_name)
        self._chip = build_chip(profile)
        self._chip.power_on()
        self.extended_length = profile.extended_length
        self.reader = READER
        self.atr = b"\x3b\x80\x80\x01\x01"
        self.apdu_count = 0

    def transmit(self, command: bytes) -> bytes:
        self.apdu_count += 1
        response: bytes = self._chip.transmit(command)
        return response


class EmulatedReader:
    """A :class:`~kiosk.devices.ports.CardReaderPort` holding at most one emulated card."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card")
        self._listeners: list[CardListener] = []
        self._channel: EmulatedChannel | None = None
        self.closed = False
        self.rejoin_s: float | None = None

    # -- test control ------------------------------------------------------------------
    def insert(self, profile_name: str) -> None:
        """Place a document on the reader (listeners hear it on the device thread)."""

        def place() -> None:
            self._channel = EmulatedChannel(profile_name)
            self._emit(CardEvent(CardEventKind.CARD_INSERTED, READER))

        self._pool.submit(place).result()

    def remove(self) -> None:
        def take() -> None:
            self._channel = None
            self._emit(CardEvent(CardEventKind.CARD_REMOVED, READER))

        self._pool.submit(take).result()

    def _emit(self, event: CardEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- CardReaderPort --------------------------------------------------------------
    def add_listener(self, listener: CardListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def readers(self) -> list[str]:
        return [READER]

    def submit(
        self, job: Callable[[Any], T], *, reader: str | None = None, rejoin_s: float = 0.0
    ) -> Future[T]:
        self.rejoin_s = rejoin_s  # what the caller asked for (the pcscd tests prove the rest)

        def run() -> T:
            if self._channel is None:
                raise CardRemoved()
            return job(self._channel)

        return self._pool.submit(run)

    def call(self, fn: Callable[[], T]) -> Future[T]:
        return self._pool.submit(fn)

    def close(self) -> None:
        self.closed = True
        self._pool.shutdown(wait=True)
