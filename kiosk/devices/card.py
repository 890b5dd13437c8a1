"""The PC/SC card reader adapter (pyscard), owned by one worker thread.

DESIGN.md section 9 ("one thread owns the device"): every pyscard call in this module happens
on the :class:`PcscCardReader` worker thread (a :class:`~kiosk.devices.owner.DeviceOwner`).
Other threads submit jobs through it and get a :class:`concurrent.futures.Future`; the
worker reports card insertion and removal to
listeners as :class:`~kiosk.devices.ports.CardEvent` (it watches PC/SC with
``SCardGetStatusChange`` between jobs, so nobody polls the reader from the UI).

A job runs with the card connected in exclusive mode inside a PC/SC transaction, so no other
process can interleave APDUs with a secure-messaging session. The whole read (access control,
file reads, verification) runs as one job on this thread, which keeps per-APDU latency at the
PC/SC round trip instead of a thread hand-over per command.

PC/SC failures become typed errors: ``SCARD_W_REMOVED_CARD``, ``SCARD_E_NO_SMARTCARD``,
``SCARD_W_RESET_CARD`` and a vanished reader become :class:`~kiosk.emrtd.errors.CardRemoved`;
a missing pcscd (``SCARD_E_NO_SERVICE``, 0x8010001D) becomes :class:`PcscUnavailable`.

Reader quirks come from ``[reader] quirks`` in the configuration (see :data:`KNOWN_QUIRKS`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from smartcard import scard

from kiosk.config import ReaderConfig
from kiosk.devices.owner import DeviceOwner
from kiosk.devices.ports import CardChannel, CardEvent, CardEventKind, CardListener
from kiosk.emrtd.apdu import follow_t0
from kiosk.emrtd.errors import CardRemoved
from kiosk.errors import EnvironmentFailure, InputError, KioskError
from kiosk.events import Listeners

log = logging.getLogger(__name__)

T = TypeVar("T")

# pcsc-lite's pseudo reader that changes state when readers are plugged or unplugged.
PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

KNOWN_QUIRKS: dict[str, str] = {
    "no-extended-length": "never send extended-length APDUs (reader firmware breaks on them)",
    "shared": "connect in shared mode (a middleware holds the reader exclusively)",
    "no-transaction": "do not wrap a job in SCardBeginTransaction (broken drivers)",
    "leave-card": "leave the card powered on disconnect instead of resetting it",
}

# How long after an event or a job the device thread stays quick to pick up the next job.
ACTIVE_PERIOD_S = 2.0

# PC/SC return codes (pcsc-lite pcsclite.h) that mean the card or reader went away.
_REMOVED = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_NO_READERS_AVAILABLE,
}
_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}
# Codes a transmit fails with when the card left the field mid-exchange (vpcd, and most
# contactless drivers, report 'not transacted' before pcscd's next 400 ms poll notices the
# removal); whether the card really went is then confirmed with SCardGetStatusChange.
_MAYBE_REMOVED = {
    scard.SCARD_E_NOT_TRANSACTED,
    scard.SCARD_E_COMM_DATA_LOST,
    scard.SCARD_W_UNRESPONSIVE_CARD,
}
# pcscd polls readers every 400 ms (DESIGN.md section 10); wait a little longer than that.
_REMOVAL_CONFIRM_MS = 1000
_SW_OK = (0x90, 0x00)


class PcscUnavailable(EnvironmentFailure):
    """The PC/SC service (pcscd) is not running or not reachable."""

    message_key = "chip_reader.error.no_service"


class NoReader(EnvironmentFailure):
    """No card reader is connected (or none matches ``[reader] name``)."""

    message_key = "chip_reader.error.no_reader"


class NoCard(CardRemoved):
    """No document lies on the reader when a read starts."""

    message_key = "chip_reader.error.no_card"


class ReaderBusy(EnvironmentFailure):
    """Another program holds the reader exclusively."""

    message_key = "chip_reader.error.busy"


class ReaderFailure(EnvironmentFailure):
    """The reader reported a PC/SC error we have no more specific name for."""

    message_key = "chip_reader.error.failure"


class DeviceClosed(EnvironmentFailure):
    """The device thread was stopped; jobs can no longer run."""

    message_key = "chip_reader.error.closed"


def pcsc_error(hresult: int, *, during: str) -> KioskError:
    """Map a PC/SC return code to the kiosk's typed error."""
    code = hresult & 0xFFFFFFFF
    if code in _NO_SERVICE:
        return PcscUnavailable()
    if code in _REMOVED:
        return CardRemoved()
    if code == scard.SCARD_E_SHARING_VIOLATION & 0xFFFFFFFF:
        return ReaderBusy()
    return ReaderFailure(code=f"0x{code:08X}", during=during)


def atr_extended_length(atr: bytes) -> bool | None:
    """Read 'extended Lc and Le fields' from the ATR's card capabilities, if it has them.

    ISO 7816-3 section 8.2 gives the ATR layout (T0's low nibble counts the historical bytes,
    its high nibble and each TDi's say which interface bytes follow); ISO 7816-4 section 8.1.1
    the historical bytes: category 0x00 or 0x80, then COMPACT-TLV objects where tag 0x7 is
    the card capabilities and bit 0x40 of its third byte means extended Lc/Le. A contactless
    reader builds the ATR from the card's ATS historical bytes (PC/SC part 3 section 3.1.3.2.3).
    Returns ``None`` when the ATR does not say.
    """
    if len(atr) < 2:
        return None
    t0 = atr[1]
    count = t0 & 0x0F
    pos, indicator = 2, t0 >> 4
    while True:
        pos += bin(indicator & 0x07).count("1")  # TAi, TBi, TCi
        if not indicator & 0x08:  # no TDi
            break
        if pos >= len(atr):
            return None
        indicator = atr[pos] >> 4
        pos += 1
    historical = atr[pos : pos + count]
    if len(historical) != count or not historical or historical[0] not in (0x00, 0x80):
        return None
    body = historical[1:] if historical[0] == 0x80 else historical[1:-3]
    i = 0
    while i < len(body):
        tag, length = body[i] >> 4, body[i] & 0x0F
        value = body[i + 1 : i + 1 + length]
        if len(value) != length:
            return None
        if tag == 0x7 and length >= 3:
            return bool(value[2] & 0x40)
        i += 1 + length
    return None


# Extended READ BINARY of EF.CardAccess by short EF identifier 0x1C (ICAO 9303-10 section
# 3.11.2, ISO 7816-4 section 11.2.3): Lc absent, extended Le 00 00 00 (= up to 65536 bytes).
PROBE_EXTENDED = bytes.fromhex("00B09C00000000")


class _Session:
    """A connected card for the duration of one job (device thread only)."""

    def __init__(
        self,
        card: int,
        protocol: int,
        reader: str,
        atr: bytes,
        card_gone: Callable[[], bool],
    ) -> None:
        self._card = card
        self._card_gone = card_gone
        self._protocol = protocol
        self._reader = reader
        self._atr = atr
        self._extended = False
        self._count = 0
        self.owner = threading.get_ident()
        self._follow = follow_t0(self._raw)

    @property
    def reader(self) -> str:
        return self._reader

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def extended_length(self) -> bool:
        return self._extended

    @property
    def apdu_count(self) -> int:
        return self._count

    def transmit(self, command: bytes) -> bytes:
        """Send one APDU; follow 61xx (GET RESPONSE) and 6Cxx (wrong Le) per ISO 7816-3/4.

        PC/SC hands T=0 procedure answers to the application; :func:`follow_t0` turns them
        into one response, so the layers above never see them. :attr:`apdu_count` counts
        every APDU on the wire, GET RESPONSE included.
        """
        if threading.get_ident() != self.owner:
            raise RuntimeError("the card channel may only be used on the device thread")
        return self._follow(command)

    def _raw(self, command: bytes) -> bytes:
        self._count += 1
        hresult, response = scard.SCardTransmit(self._card, self._protocol, list(command))
        if hresult != scard.SCARD_S_SUCCESS:
            if (hresult & 0xFFFFFFFF) in _MAYBE_REMOVED and self._card_gone():
                raise CardRemoved()
            raise pcsc_error(hresult, during="transmit")
        if len(response) < 2:
            # No status word: vpcd (and some contactless drivers) report a card that left
            # mid-exchange as an empty success; anything else without SW1 SW2 is a failure.
            if self._card_gone():
                raise CardRemoved()
            raise ReaderFailure(code="no status word", during="transmit")
        return bytes(response)

    def detect_extended_length(self, setting: str) -> bool:
        """Decide on extended-length APDUs: config, then the ATR, then one probe READ BINARY."""
        if setting in ("yes", "no"):
            self._extended = setting == "yes"
            return self._extended
        from_atr = atr_extended_length(self._atr)
        if from_atr is not None:
            self._extended = from_atr
            return from_atr
        try:
            response = self.transmit(PROBE_EXTENDED)
        except ReaderFailure:
            # The reader or its driver refused the 7-byte extended APDU itself.
            self._extended = False
            return False
        # 9000/6282 (end of file reached early): the card parsed an extended Le and answered.
        # 6700 (wrong length) or anything else: stay with short APDUs, which every chip takes.
        self._extended = len(response) >= 2 and (
            (response[-2], response[-1]) in (_SW_OK, (0x62, 0x82))
        )
        return self._extended


class PcscCardReader:
    """The pyscard adapter: one worker thread owns the PC/SC context and every card handle.

    Use as a context manager or call :meth:`start` and :meth:`close`. :meth:`start` raises
    :class:`PcscUnavailable` when pcscd is not running.
    """

    def __init__(
        self,
        config: ReaderConfig | None = None,
        *,
        watch_interval_s: float = 0.1,
        active_interval_s: float = 0.005,
        name: str = "card-reader",
    ) -> None:
        self.config = config or ReaderConfig()
        unknown = [q for q in self.config.quirks if q not in KNOWN_QUIRKS]
        if unknown:
            raise InputError("chip_reader.error.unknown_quirk", quirk=unknown[0])
        if self.config.extended_length not in ("auto", "yes", "no"):
            raise InputError("config.error.value", key="reader.extended_length")
        # Jobs wait while the thread blocks in SCardGetStatusChange, so right after a card
        # event or a job (when the next job is likely: the UI reacts to an insertion) the
        # thread watches in short slices; idle, it blocks longer and costs pcscd nothing.
        self._watch_ms = max(1, int(watch_interval_s * 1000))
        self._active_ms = max(1, int(active_interval_s * 1000))
        self._active_until = 0.0
        self._owner = DeviceOwner(name, DeviceClosed)
        self._listeners: Listeners[CardEvent] = Listeners(
            log=log, name="card event", describe=lambda event: event.kind.value
        )
        self._started: Future[None] = Future()
        self._context: int | None = None
        # reader name -> last PC/SC event state; only touched on the device thread.
        self._states: dict[str, int] = {}
        self._present: dict[str, bytes] = {}
        # pcsc-lite keeps the reader count in the high word of the PnP pseudo reader's state;
        # handing back the last state makes the call block until the count changes.
        self._pnp_state = scard.SCARD_STATE_UNAWARE

    # -- lifecycle (any thread) ---------------------------------------------------------
    def start(self) -> PcscCardReader:
        """Start the device thread; raise :class:`PcscUnavailable` without pcscd.

        A reader starts once; after :meth:`close` make a new one.
        """
        if self._owner.started:
            raise RuntimeError("a card reader starts only once")
        self._owner.start(self._main)
        self._started.result()
        return self

    def close(self) -> None:
        """Stop the device thread (pending jobs fail with :class:`DeviceClosed`)."""
        self._owner.stop(timeout=5)

    @property
    def running(self) -> bool:
        """True while the device thread runs (between :meth:`start` and :meth:`close`)."""
        return self._owner.running

    def __enter__(self) -> PcscCardReader:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API (any thread) ------------------------------------------------------------
    def add_listener(self, listener: CardListener) -> Callable[[], None]:
        """Register ``listener``; it is called on the device thread for every event.

        Listeners must return quickly (hand over to their own thread, e.g. with a Qt signal).
        Cards already present are reported to a new listener as CARD_INSERTED.
        """
        remove = self._listeners.subscribe(listener)
        # Tell the newcomer what is on the readers right now (on the device thread).
        self._call(lambda: self._replay_present(listener))
        return remove

    def readers(self) -> list[str]:
        """Return the reader names PC/SC knows now."""
        return self._call(self._list_readers).result()

    def submit(
        self,
        job: Callable[[CardChannel], T],
        *,
        reader: str | None = None,
        rejoin_s: float = 0.0,
    ) -> Future[T]:
        """Run ``job(channel)`` on the device thread with the card held exclusively.

        ``rejoin_s`` > 0: when the card leaves the field during the job (it raised
        :class:`CardRemoved` after the card was connected) and is back on the reader within
        that many seconds, the job runs once more on a fresh connection; otherwise the
        removal is reported. A contactless document that is shifted on the reader loses
        power, and with it every session key (ICAO 9303-11 section 9.8), so the job must
        start over from access control; the job itself must be safe to run again (a chip
        read is) and keep its own access decision (:class:`kiosk.emrtd.reader.AccessPin`).
        """
        return self._call(lambda: self._run_session(job, reader, rejoin_s))

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the device thread without a card (e.g. warming crypto tables)."""
        return self._call(fn)

    def card_present(self, reader: str | None = None) -> bool:
        """Return whether a card lies on ``reader`` (default: the configured reader)."""
        return self._call(lambda: self._pick_reader(reader) in self._present).result()

    def _call(self, fn: Callable[[], T]) -> Future[T]:
        return self._owner.call(fn)

    # -- device thread ------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._context = self._establish()
        except KioskError as exc:
            self._started.set_exception(exc)
            return
        self._started.set_result(None)
        try:
            self._refresh_readers(initial=True)
            while not self._owner.stopping:
                if self._owner.run_jobs():
                    self._active_until = time.monotonic() + ACTIVE_PERIOD_S
                if not self._owner.stopping:
                    self._watch()
        finally:
            # The owner fails the jobs still queued once this returns.
            if self._context is not None:
                scard.SCardReleaseContext(self._context)
                self._context = None

    @staticmethod
    def _establish() -> int:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise pcsc_error(hresult, during="establish")
        return int(context)

    def _context_or_raise(self) -> int:
        if self._context is None:
            self._context = self._establish()
        return self._context

    def _list_readers(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self._context_or_raise(), [])
        if hresult in (scard.SCARD_E_NO_READERS_AVAILABLE, scard.SCARD_S_SUCCESS) and not names:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            raise pcsc_error(hresult, during="list")
        return list(names)

    def _pick_reader(self, wanted: str | None) -> str:
        names = self._list_readers()
        wanted = wanted or self.config.name
        if wanted:
            for candidate in names:
                if candidate == wanted:
                    return candidate
            for candidate in names:
                if wanted.lower() in candidate.lower():
                    return candidate
            raise NoReader()
        if not names:
            raise NoReader()
        with_card = [n for n in names if n in self._present]
        return (with_card or names)[0]

    def _emit(self, event: CardEvent) -> None:
        self._active_until = time.monotonic() + ACTIVE_PERIOD_S
        self._listeners.emit(event)

    def _replay_present(self, listener: CardListener) -> None:
        for reader, atr in self._present.items():
            listener(CardEvent(CardEventKind.CARD_INSERTED, reader=reader, atr=atr))

    def _refresh_readers(self, *, initial: bool = False) -> None:
        try:
            names = self._list_readers()
        except KioskError:
            names = []
        changed = set(names) != set(self._states)
        for gone in set(self._states) - set(names):
            del self._states[gone]
            if self._present.pop(gone, None) is not None:
                self._emit(CardEvent(CardEventKind.CARD_REMOVED, reader=gone))
        for name in names:
            self._states.setdefault(name, scard.SCARD_STATE_UNAWARE)
        if changed and not initial:
            self._emit(CardEvent(CardEventKind.READERS_CHANGED, readers=tuple(names)))
        if changed:
            # Learn the current state of new readers at once (timeout 0).
            self._status_change(0)

    def _watch(self) -> None:
        """Wait up to the watch interval for a reader or card change, then report it."""
        try:
            active = time.monotonic() < self._active_until
            self._status_change(self._active_ms if active else self._watch_ms)
        except PcscUnavailable as exc:
            # pcscd stopped under us: report it, drop the context and try again later.
            self._emit(CardEvent(CardEventKind.SERVICE_LOST, error=exc))
            for reader in list(self._present):
                self._emit(CardEvent(CardEventKind.CARD_REMOVED, reader=reader))
            self._present.clear()
            self._states.clear()
            self._pnp_state = scard.SCARD_STATE_UNAWARE
            if self._context is not None:
                scard.SCardReleaseContext(self._context)
                self._context = None
            self._owner.wait(1.0)
            try:
                self._context = self._establish()
                self._refresh_readers()
            except KioskError:
                self._context = None

    def _status_change(self, timeout_ms: int) -> None:
        context = self._context_or_raise()
        states = [(name, state) for name, state in self._states.items()]
        states.append((PNP_NOTIFICATION, self._pnp_state))
        hresult, new_states = scard.SCardGetStatusChange(context, timeout_ms, states)
        if hresult == scard.SCARD_E_TIMEOUT:
            return
        if hresult in (scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE):
            self._refresh_readers()
            return
        if hresult != scard.SCARD_S_SUCCESS:
            error = pcsc_error(hresult, during="status")
            if isinstance(error, PcscUnavailable):
                raise error
            log.warning("SCardGetStatusChange failed", extra={"code": f"0x{hresult:08X}"})
            time.sleep(self._watch_ms / 1000)
            return
        readers_changed = False
        for name, event_state, atr in new_states:
            if name == PNP_NOTIFICATION:
                readers_changed = self._pnp_state != scard.SCARD_STATE_UNAWARE and bool(
                    event_state & scard.SCARD_STATE_CHANGED
                )
                self._pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
                continue
            if name not in self._states:
                continue
            self._states[name] = event_state & ~scard.SCARD_STATE_CHANGED
            present = bool(event_state & scard.SCARD_STATE_PRESENT) and not (
                event_state & scard.SCARD_STATE_MUTE
            )
            if present and name not in self._present:
                self._present[name] = bytes(atr)
                self._emit(CardEvent(CardEventKind.CARD_INSERTED, reader=name, atr=bytes(atr)))
            elif not present and name in self._present:
                del self._present[name]
                self._emit(CardEvent(CardEventKind.CARD_REMOVED, reader=name))
        if readers_changed:
            self._refresh_readers()

    def _card_gone(self, reader: str) -> bool:
        """Return whether the card left ``reader``, waiting for pcscd's next poll."""
        context = self._context_or_raise()
        state = scard.SCARD_STATE_UNAWARE
        deadline = time.monotonic() + _REMOVAL_CONFIRM_MS / 1000
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                return False
            hresult, states = scard.SCardGetStatusChange(context, left_ms, [(reader, state)])
            if hresult == scard.SCARD_E_TIMEOUT:
                return False
            if hresult != scard.SCARD_S_SUCCESS:
                return (hresult & 0xFFFFFFFF) in _REMOVED
            _name, event_state, _atr = states[0]
            if not event_state & scard.SCARD_STATE_PRESENT:
                return True
            state = event_state & ~scard.SCARD_STATE_CHANGED

    def _wait_present(self, reader: str, seconds: float) -> bool:
        """Wait up to ``seconds`` for a card on ``reader`` (device thread)."""
        context = self._context_or_raise()
        state = scard.SCARD_STATE_UNAWARE
        deadline = time.monotonic() + seconds
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                return False
            hresult, states = scard.SCardGetStatusChange(context, left_ms, [(reader, state)])
            if hresult == scard.SCARD_E_TIMEOUT:
                return False
            if hresult != scard.SCARD_S_SUCCESS:
                return False
            _name, event_state, _atr = states[0]
            if event_state & scard.SCARD_STATE_PRESENT and not (
                event_state & scard.SCARD_STATE_MUTE
            ):
                return True
            state = event_state & ~scard.SCARD_STATE_CHANGED

    def _run_session(
        self, job: Callable[[CardChannel], T], wanted: str | None, rejoin_s: float = 0.0
    ) -> T:
        try:
            return self._run_connected(job, wanted)
        except NoCard:
            raise
        except CardRemoved:
            if rejoin_s <= 0:
                raise
            reader = self._pick_reader(wanted)
            if not self._wait_present(reader, rejoin_s):
                raise
            log.info("card left the field and came back; running the job again")
            return self._run_connected(job, reader)

    def _run_connected(self, job: Callable[[CardChannel], T], wanted: str | None) -> T:
        reader = self._pick_reader(wanted)
        quirks = set(self.config.quirks)
        share = scard.SCARD_SHARE_SHARED if "shared" in quirks else scard.SCARD_SHARE_EXCLUSIVE
        hresult, card, protocol = scard.SCardConnect(
            self._context_or_raise(),
            reader,
            share,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult != scard.SCARD_S_SUCCESS:
            error = pcsc_error(hresult, during="connect")
            raise NoCard() if isinstance(error, CardRemoved) else error
        disposition = scard.SCARD_LEAVE_CARD if "leave-card" in quirks else scard.SCARD_RESET_CARD
        in_transaction = False
        try:
            if "no-transaction" not in quirks:
                hresult = scard.SCardBeginTransaction(card)
                if hresult != scard.SCARD_S_SUCCESS:
                    raise pcsc_error(hresult, during="transaction")
                in_transaction = True
            hresult, _reader, _state, _protocol, atr = scard.SCardStatus(card)
            if hresult != scard.SCARD_S_SUCCESS:
                raise pcsc_error(hresult, during="status")
            session = _Session(card, protocol, reader, bytes(atr), lambda: self._card_gone(reader))
            setting = self.config.extended_length
            if "no-extended-length" in quirks:
                setting = "no"
            session.detect_extended_length(setting)
            return job(session)
        finally:
            # Reset on the way out: no secure-messaging session survives the job
            # (DESIGN.md section 7), and the next read must authenticate afresh.
            if in_transaction:
                scard.SCardEndTransaction(card, scard.SCARD_LEAVE_CARD)
            scard.SCardDisconnect(card, disposition)
