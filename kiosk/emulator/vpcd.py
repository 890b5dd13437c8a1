"""Client side of vsmartcard's vpcd protocol: the emulated chip connects to the virtual reader.

vpcd (the PC/SC driver of the virtual reader, loaded by pcscd from /etc/reader.conf.d/vpcd)
LISTENS on a TCP port (35963 by default; slot 1 on 35964) and the virtual card connects to it.
Every message in either direction is a 2-byte big-endian length followed by that many bytes.
From vpcd, a 1-byte payload is a control message (0 power off, 1 power on, 2 reset, 4 get ATR);
anything longer is a command APDU. The card answers "get ATR" and every APDU with a message of
its own and stays silent on the other control messages.

The socket sets ``TCP_QUICKACK`` before and after every ``recv``: Linux turns quick-ack off
again by itself, and without it the delayed ACK interacts with vpcd's small writes so that
every APDU round trip stalls about 48 ms (DESIGN.md section 3).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable, Mapping
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963

CTRL_POWER_OFF = 0
CTRL_POWER_ON = 1
CTRL_RESET = 2
CTRL_GET_ATR = 4

# Largest payload the 2-byte length prefix can carry.
MAX_MESSAGE = 0xFFFF


class VirtualCard(Protocol):
    """What vpcd needs from a card: an ATR, power events and APDU processing."""

    @property
    def atr(self) -> bytes:
        """Answer to reset."""
        ...

    def power_on(self) -> None:
        """The reader powered the card (a new session starts)."""
        ...

    def power_off(self) -> None:
        """The reader removed power (all session state is lost)."""
        ...

    def transmit(self, apdu: bytes) -> bytes:
        """Process one command APDU; return response data || SW1 || SW2."""
        ...


class VpcdClosed(Exception):
    """vpcd closed the connection (pcscd stopped or the card was pulled away)."""


def _quickack(sock: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:  # Linux only; elsewhere there is no 48 ms stall to avoid
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        _quickack(sock)
        chunk = sock.recv(size - len(chunks))
        _quickack(sock)
        if not chunk:
            raise VpcdClosed("vpcd closed the connection")
        chunks += chunk
    return bytes(chunks)


def _send(sock: socket.socket, payload: bytes) -> None:
    if len(payload) > MAX_MESSAGE:
        raise ValueError("response too long for the vpcd length prefix")
    sock.sendall(struct.pack(">H", len(payload)) + payload)


class VpcdSession:
    """One connection to vpcd, serving ``card`` until vpcd or :meth:`close` ends it.

    ``remove_after`` closes the connection after that many APDUs, which pcscd reports as the
    card being pulled off the reader mid-read; ``delay_s`` sleeps before every answer (a slow
    chip), and ``slow_ins`` adds seconds for particular INS bytes (a chip whose PACE or RSA
    takes long). ``drop_after_access`` closes the connection at the first command after
    access control succeeded (the card's ``authenticated``), which pcscd reports as the card
    having left the field; :attr:`dropped` then says so. ``on_apdu`` is called with each
    command and response (for tracing and counting).
    """

    def __init__(
        self,
        sock: socket.socket,
        card: VirtualCard,
        *,
        remove_after: int | None = None,
        delay_s: float = 0.0,
        on_apdu: Callable[[bytes, bytes], None] | None = None,
        slow_ins: Mapping[int, float] | None = None,
        drop_after_access: bool = False,
    ) -> None:
        self._sock = sock
        self._slow_ins = dict(slow_ins or {})
        self._drop_after_access = drop_after_access
        self.dropped = False
        self._card = card
        self._remove_after = remove_after
        self._delay_s = delay_s
        self._on_apdu = on_apdu
        self.apdu_count = 0
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        """Close the connection; vpcd then reports the card as absent."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def serve(self) -> None:
        """Answer vpcd until it closes the connection (returns) or the card is 'removed'."""
        try:
            while True:
                (size,) = struct.unpack(">H", _recv_exact(self._sock, 2))
                message = _recv_exact(self._sock, size) if size else b""
                if not self._handle(message):
                    return
        except (VpcdClosed, OSError):
            return
        finally:
            self.close()

    def _handle(self, message: bytes) -> bool:
        if len(message) == 1:
            ctrl = message[0]
            if ctrl == CTRL_GET_ATR:
                _send(self._sock, self._card.atr)
            elif ctrl == CTRL_POWER_ON:
                self._card.power_on()
            elif ctrl in (CTRL_POWER_OFF, CTRL_RESET):
                self._card.power_off()
                if ctrl == CTRL_RESET:
                    self._card.power_on()
            else:
                log.warning("vpcd sent unknown control byte %d", ctrl)
            return True
        if self._remove_after is not None and self.apdu_count >= self._remove_after:
            log.info("emulated card removed after %d APDUs", self.apdu_count)
            return False
        if self._drop_after_access and getattr(self._card, "authenticated", False):
            log.info("emulated card left the field after access control")
            self.dropped = True
            return False
        self.apdu_count += 1
        delay = self._delay_s + (self._slow_ins.get(message[1], 0.0) if len(message) > 1 else 0.0)
        if delay:
            time.sleep(delay)
        response = self._card.transmit(message)
        if self._on_apdu is not None:
            self._on_apdu(message, response)
        _send(self._sock, response)
        return True


def connect(host: str, port: int, *, timeout_s: float = 5.0) -> socket.socket:
    """Connect to vpcd, retrying until ``timeout_s`` (pcscd may still be starting)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=2.0)
            sock.settimeout(None)
            return sock
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
