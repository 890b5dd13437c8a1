"""The pyscard device adapter against the real pcscd + vpcd, with a scripted virtual card."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from kiosk.config import ReaderConfig
from kiosk.devices.card import NoCard, NoReader, PcscCardReader
from kiosk.devices.ports import CardEvent, CardEventKind
from kiosk.emrtd.errors import CardRemoved
from tests.integration.pcsc.stack import PcscStack
from tests.integration.pcsc.vicc import ScriptedCard, atr_with_historical

# Card capabilities (ISO 7816-4 section 8.1.1.2.7): tag 0x73, third byte 0x40 = extended Lc/Le.
ATR_EXTENDED = atr_with_historical(bytes.fromhex("8073C021C0"))
ATR_SHORT_ONLY = atr_with_historical(bytes.fromhex("8073C02180"))
ATR_SILENT = atr_with_historical(b"TEST")


def ok(data: bytes = b"") -> Callable[[bytes], bytes]:
    return lambda _command: data + b"\x90\x00"


class Events:
    """Collects device events from the device thread; waits without sleeping blindly."""

    def __init__(self) -> None:
        self.seen: list[CardEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: CardEvent) -> None:
        with self._cond:
            self.seen.append(event)
            self._cond.notify_all()

    def wait_for(self, kind: CardEventKind, count: int = 1, timeout: float = 5.0) -> None:
        with self._cond:
            ok = self._cond.wait_for(
                lambda: sum(e.kind == kind for e in self.seen) >= count, timeout
            )
        assert ok, f"no {kind} event in {timeout} s: {self.seen}"


@pytest.fixture
def place(pcsc_stack: PcscStack):
    """Place scripted cards on the test reader; remove them after the test."""
    cards: list[ScriptedCard] = []

    def _place(answer: Callable[[bytes], bytes], **options) -> ScriptedCard:
        card = ScriptedCard(pcsc_stack.port, answer, **options).start()
        cards.append(card)
        pcsc_stack.wait_for_card(True)
        return card

    yield _place
    for card in cards:
        card.stop()
    pcsc_stack.wait_for_card(False)


def test_lists_the_vpcd_readers(card_reader, pcsc_stack):
    assert pcsc_stack.reader in card_reader.readers()


def test_insertion_and_removal_are_reported_as_events(card_reader, pcsc_stack):
    events = Events()
    remove = card_reader.add_listener(events)
    card = ScriptedCard(pcsc_stack.port, ok(), atr=ATR_SILENT).start()
    try:
        events.wait_for(CardEventKind.CARD_INSERTED)
        inserted = next(e for e in events.seen if e.kind == CardEventKind.CARD_INSERTED)
        assert inserted.reader == pcsc_stack.reader
        assert inserted.atr == ATR_SILENT
        assert card_reader.card_present()
    finally:
        card.stop()
    events.wait_for(CardEventKind.CARD_REMOVED)
    assert not card_reader.card_present()
    remove()


def test_a_late_listener_learns_about_the_card_already_present(card_reader, place):
    place(ok(), atr=ATR_SILENT)
    # The device thread may not have seen the insertion yet; wait for it through a listener.
    first = Events()
    card_reader.add_listener(first)
    first.wait_for(CardEventKind.CARD_INSERTED)
    late = Events()
    card_reader.add_listener(late)
    late.wait_for(CardEventKind.CARD_INSERTED)


def test_jobs_run_on_the_device_thread_with_the_card_held(card_reader, place):
    card = place(ok(b"\x01\x02"), atr=ATR_SILENT)

    def job(channel):
        return threading.current_thread().name, channel.transmit(bytes.fromhex("00B0000002"))

    name, response = card_reader.submit(job).result(timeout=5)
    assert name == "card-reader"
    assert response == b"\x01\x02\x90\x00"
    assert card.commands[-1] == bytes.fromhex("00B0000002")


def test_the_channel_refuses_use_from_another_thread(card_reader, place):
    place(ok(), atr=ATR_SILENT)
    channel = card_reader.submit(lambda ch: ch).result(timeout=5)
    with pytest.raises(RuntimeError):
        channel.transmit(bytes.fromhex("00B0000001"))


def test_extended_length_from_the_atr_needs_no_probe(card_reader, place):
    card = place(ok(), atr=ATR_EXTENDED)
    extended, count = card_reader.submit(lambda ch: (ch.extended_length, ch.apdu_count)).result(5)
    assert (extended, count) == (True, 0)
    assert card.commands == []


def test_atr_without_extended_bit_means_short_apdus(card_reader, place):
    place(ok(), atr=ATR_SHORT_ONLY)
    assert card_reader.submit(lambda ch: ch.extended_length).result(5) is False


def test_silent_atr_probes_with_an_extended_read_binary(card_reader, place):
    card = place(ok(b"\x31\x00"), atr=ATR_SILENT)
    assert card_reader.submit(lambda ch: ch.extended_length).result(5) is True
    assert card.commands == [bytes.fromhex("00B09C00000000")]


def test_probe_answered_wrong_length_falls_back_to_short(card_reader, place):
    place(lambda _c: b"\x67\x00", atr=ATR_SILENT)
    assert card_reader.submit(lambda ch: ch.extended_length).result(5) is False


@pytest.mark.parametrize(
    ("config", "quirks", "expected"),
    [("no", (), False), ("yes", (), True), ("auto", ("no-extended-length",), False)],
)
def test_config_and_quirks_override_detection(pcsc_stack, place, config, quirks, expected):
    card = place(ok(), atr=ATR_EXTENDED if not expected else ATR_SHORT_ONLY)
    settings = ReaderConfig(name=pcsc_stack.reader, extended_length=config, quirks=quirks)
    with PcscCardReader(settings) as device:
        assert device.submit(lambda ch: ch.extended_length).result(5) is expected
    assert card.commands == []


def test_get_response_is_followed(card_reader, place):
    def answer(command: bytes) -> bytes:
        return b"\x61\x03" if command[1] != 0xC0 else b"\xaa\xbb\xcc\x90\x00"

    card = place(answer, atr=ATR_SHORT_ONLY)
    response = card_reader.submit(lambda ch: ch.transmit(bytes.fromhex("00B0000000"))).result(5)
    assert response == b"\xaa\xbb\xcc\x90\x00"
    assert card.commands[-1] == bytes.fromhex("00C0000003")


def test_wrong_le_is_repeated_with_the_length_the_card_gives(card_reader, place):
    # T=0 case 2 with Le too large: '6Cxx', then the same command with Le = xx
    # (ISO 7816-3 section 12.2.2); and '6Cxx' to a GET RESPONSE as well.
    def answer(command: bytes) -> bytes:
        if command == bytes.fromhex("00B0000000"):
            return b"\x6c\x02"
        if command == bytes.fromhex("00B0000002"):
            return b"\x61\x04"
        if command == bytes.fromhex("00C0000004"):
            return b"\x6c\x03"
        return b"\xaa\xbb\xcc\x90\x00"

    card = place(answer, atr=ATR_SHORT_ONLY)
    job = card_reader.submit(lambda ch: (ch.transmit(bytes.fromhex("00B0000000")), ch.apdu_count))
    response, count = job.result(5)
    assert response == b"\xaa\xbb\xcc\x90\x00"
    assert card.commands[-4:] == [
        bytes.fromhex(h) for h in ("00B0000000", "00B0000002", "00C0000004", "00C0000003")
    ]
    assert count == 4  # the device counts every APDU on the wire


def test_card_pulled_mid_job_raises_card_removed(card_reader, place):
    place(ok(b"\x00"), atr=ATR_SHORT_ONLY, remove_after=2)

    def job(channel):
        for _ in range(5):
            channel.transmit(bytes.fromhex("00B0000001"))

    with pytest.raises(CardRemoved):
        card_reader.submit(job).result(timeout=10)


def test_no_card_on_the_reader(card_reader):
    with pytest.raises(NoCard) as caught:
        card_reader.submit(lambda ch: None).result(5)
    assert isinstance(caught.value, CardRemoved)
    assert caught.value.message_key == "chip_reader.error.no_card"


def test_unknown_reader_name(pcsc_stack):
    with PcscCardReader(ReaderConfig(name="No Such Reader 99")) as device, pytest.raises(NoReader):
        device.submit(lambda ch: None).result(5)


def test_exclusive_mode_locks_out_a_second_process_context(card_reader, place, pcsc_stack):
    from smartcard import scard

    place(ok(), atr=ATR_SHORT_ONLY)
    entered, release = threading.Event(), threading.Event()

    def hold(_channel):
        entered.set()
        release.wait(5)

    future = card_reader.submit(hold)
    assert entered.wait(5)
    try:
        hresult, card, _protocol = scard.SCardConnect(
            pcsc_stack.context,
            pcsc_stack.reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult == scard.SCARD_S_SUCCESS:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        assert hresult == scard.SCARD_E_SHARING_VIOLATION
    finally:
        release.set()
    future.result(5)


def test_close_fails_later_jobs(pcsc_stack):
    from kiosk.devices.card import DeviceClosed

    device = PcscCardReader(ReaderConfig(name=pcsc_stack.reader)).start()
    device.close()
    with pytest.raises(DeviceClosed):
        device.readers()
    time.sleep(0)  # nothing left running: the thread has ended
    assert not device.running


def test_call_runs_on_the_device_thread_without_a_card(card_reader):
    assert card_reader.call(lambda: threading.current_thread().name).result(5) == "card-reader"
