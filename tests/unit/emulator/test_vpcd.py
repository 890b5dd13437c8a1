"""The vpcd wire protocol, against a local TCP listener that plays vpcd's side."""

from __future__ import annotations

import socket
import struct

from kiosk.emulator.chip import EMRTD_AID
from kiosk.emulator.profile import DEFAULT_ATR, ChipProfile
from kiosk.emulator.server import Emulator


def _profile(**changes: object) -> ChipProfile:
    base = ChipProfile(
        name="plain",
        description="unprotected test files",
        files={0x011E: b"\x60\x01\x00"},
        mf_files={0x011C: b"\x31\x00"},
        aid=EMRTD_AID,
        bac=False,
        protected=False,
    )
    return base.with_changes(**changes)


def _send(conn: socket.socket, payload: bytes) -> None:
    conn.sendall(struct.pack(">H", len(payload)) + payload)


def _recv(conn: socket.socket) -> bytes:
    header = b""
    while len(header) < 2:
        chunk = conn.recv(2 - len(header))
        if not chunk:
            raise EOFError
        header += chunk
    (size,) = struct.unpack(">H", header)
    data = b""
    while len(data) < size:
        data += conn.recv(size - len(data))
    return data


def _listener() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    return server, server.getsockname()[1]


def test_atr_power_and_apdus_follow_the_vpcd_framing() -> None:
    server, port = _listener()
    with server, Emulator("127.0.0.1", port, _profile()) as emulator:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            _send(conn, b"\x04")  # get ATR
            assert _recv(conn) == DEFAULT_ATR
            _send(conn, b"\x01")  # power on: no answer
            _send(conn, bytes.fromhex("00A4040C07A0000002471001"))
            assert _recv(conn) == b"\x90\x00"
            _send(conn, bytes.fromhex("00B09E0000"))
            assert _recv(conn) == b"\x60\x01\x00\x90\x00"
            _send(conn, b"\x02")  # reset drops the selection
            _send(conn, bytes.fromhex("00B09E0000"))
            assert _recv(conn) == b"\x6a\x82"
        assert emulator.apdu_count == 3


def test_card_removed_after_n_apdus_closes_the_connection() -> None:
    server, port = _listener()
    with server, Emulator("127.0.0.1", port, _profile(remove_after=2)) as emulator:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            for _ in range(2):
                _send(conn, bytes.fromhex("00A4040C07A0000002471001"))
                assert _recv(conn) == b"\x90\x00"
            _send(conn, bytes.fromhex("00B09E0000"))
            try:
                answer = _recv(conn)
            except (EOFError, ConnectionResetError):
                answer = None
            assert answer is None
        assert emulator.wait(5)
        assert not emulator.running


def test_stop_disconnects_and_start_fails_without_vpcd() -> None:
    server, port = _listener()
    with server:
        emulator = Emulator("127.0.0.1", port, _profile()).start()
        conn, _ = server.accept()
        emulator.stop()
        conn.settimeout(5)
        assert conn.recv(1) == b""
        conn.close()
    dead = Emulator("127.0.0.1", port, _profile(), connect_timeout_s=0.2)
    try:
        dead.start()
    except OSError:
        pass
    else:
        raise AssertionError("start() should fail without a listening vpcd")
