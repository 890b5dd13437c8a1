"""A tiny scripted virtual card for testing the device adapter through pcscd and vpcd.

It speaks vpcd's protocol (2-byte big-endian length, then the payload; a 1-byte payload is a
control message: 0 power off, 1 power on, 2 reset, 4 get ATR) and answers each APDU with a
function of the test's choosing, so the adapter's own behaviour (ATR parsing, the
extended-length probe, GET RESPONSE, removal mid-job) can be tested without the eMRTD
emulator's protocol logic in the way.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable


def atr_with_historical(historical: bytes) -> bytes:
    """Build a contactless-style ATR (PC/SC part 3) around ``historical`` bytes."""
    body = bytes((0x80 | len(historical), 0x80, 0x01)) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes((tck,))


class ScriptedCard:
    """Connect to vpcd and answer APDUs with ``answer``; ``remove_after`` pulls the card."""

    def __init__(
        self,
        port: int,
        answer: Callable[[bytes], bytes],
        *,
        atr: bytes = atr_with_historical(b"TEST"),
        remove_after: int | None = None,
    ) -> None:
        self.port = port
        self.answer = answer
        self.atr = atr
        self.remove_after = remove_after
        self.commands: list[bytes] = []
        self.controls: list[int] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ScriptedCard:
        self._sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self._sock.settimeout(None)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        if self._thread is not None:
            self._thread.join(5)

    def _recv(self, size: int) -> bytes:
        assert self._sock is not None
        data = b""
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise OSError("vpcd closed")
            data += chunk
        return data

    def _send(self, payload: bytes) -> None:
        assert self._sock is not None
        self._sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self) -> None:
        try:
            while True:
                (size,) = struct.unpack(">H", self._recv(2))
                message = self._recv(size)
                if len(message) == 1:
                    self.controls.append(message[0])
                    if message[0] == 4:
                        self._send(self.atr)
                    continue
                if self.remove_after is not None and len(self.commands) >= self.remove_after:
                    self.stop_socket()
                    return
                self.commands.append(message)
                self._send(self.answer(message))
        except OSError:
            return

    def stop_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
