"""Ports (interfaces) for the card reader device (DESIGN.md sections 2 and 9).

The UI and the read orchestration depend on these Protocols only; the pyscard adapter in
:mod:`kiosk.devices.card` implements them. One worker thread owns the device: callers never
touch PC/SC themselves, they submit a job and get a :class:`concurrent.futures.Future`, and
they learn about cards through listener callbacks (the UI never polls).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar

from kiosk.errors import KioskError

T = TypeVar("T")


# A document shifted on the reader loses the field; when it is back within this time the
# read starts over (docs/chip.md, "Reader and transport quirks"). pcscd needs up to 400 ms
# to notice each change, a hand resettling the document about a second.
REJOIN_S = 3.0


class CardEventKind(StrEnum):
    """What happened at a reader."""

    READERS_CHANGED = "readers_changed"
    CARD_INSERTED = "card_inserted"
    CARD_REMOVED = "card_removed"
    SERVICE_LOST = "service_lost"


@dataclass(frozen=True, slots=True)
class CardEvent:
    """An event from the device thread: a card came or went, readers changed, PC/SC failed."""

    kind: CardEventKind
    reader: str = ""
    atr: bytes = b""
    readers: tuple[str, ...] = ()
    error: KioskError | None = field(default=None, compare=False)


CardListener = Callable[[CardEvent], None]


class CardChannel(Protocol):
    """A connected, exclusively held card; valid only inside a submitted job."""

    @property
    def reader(self) -> str:
        """The PC/SC name of the reader holding the card."""

    @property
    def atr(self) -> bytes:
        """The card's answer to reset."""

    @property
    def extended_length(self) -> bool:
        """Whether extended-length APDUs (ISO 7816-4 section 5.1) work end to end."""

    @property
    def apdu_count(self) -> int:
        """How many command APDUs went to the card in this session."""

    def transmit(self, command: bytes) -> bytes:
        """Send a raw command APDU; return response data || SW1 || SW2."""


class CardReaderPort(Protocol):
    """A PC/SC card reader owned by one worker thread."""

    def add_listener(self, listener: CardListener) -> Callable[[], None]:
        """Call ``listener`` (on the device thread) for every :class:`CardEvent`.

        Returns a function that removes the listener again.
        """

    def readers(self) -> list[str]:
        """Return the names of the readers PC/SC knows now."""

    def submit(
        self,
        job: Callable[[CardChannel], T],
        *,
        reader: str | None = None,
        rejoin_s: float = 0.0,
    ) -> Future[T]:
        """Run ``job`` on the device thread with the card connected exclusively.

        ``rejoin_s`` > 0: a card that leaves the field during the job and is back within
        that many seconds gets the job once more on a fresh connection (:data:`REJOIN_S`).
        """

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the device thread without touching the card."""

    def close(self) -> None:
        """Stop the device thread and release PC/SC."""
