"""A minimal terminal for driving the emulated chip through its transport (no pcscd)."""

from __future__ import annotations

from kiosk.emrtd import bac
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu, Transport
from kiosk.emrtd.sm import SecureMessaging
from kiosk.emulator.security import access_seed_string


class Terminal:
    """Counts APDUs and reads files under secure messaging, like a reader would."""

    def __init__(self, transport: Transport, extended: bool = True) -> None:
        self._transport = transport
        self.extended = extended
        self.count = 0
        self.sm: SecureMessaging | None = None

    def raw(self, apdu: bytes) -> bytes:
        self.count += 1
        return self._transport(apdu)

    def plain(self, cmd: CommandApdu) -> ResponseApdu:
        return ResponseApdu.decode(self.raw(cmd.encode(self.extended)))

    def send(self, cmd: CommandApdu) -> ResponseApdu:
        if self.sm is None:
            return self.plain(cmd)
        wire = self.raw(self.sm.protect_command(cmd, extended=self.extended))
        return self.sm.unprotect_response(wire)

    def select_application(self, aid: bytes) -> ResponseApdu:
        return self.send(CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid))

    def bac(self, mrz: str) -> None:
        keys = bac.derive_keys(bac.key_seed(access_seed_string(mrz)))
        self.sm = bac.perform_bac(self.raw, *keys, extended=self.extended)

    def read_file(self, fid: int) -> bytes:
        answer = self.send(CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
        if answer.sw != 0x9000:
            raise FileNotFoundError(f"{fid:04X}: {answer.sw:04X}")
        chunk = 65536 if self.extended else 0xDF
        full = 0xFF00 if self.extended else 0xDF  # what the chip returns when more follows
        data = b""
        while True:
            answer = self.send(
                CommandApdu(0x00, 0xB0, (len(data) >> 8) & 0x7F, len(data) & 0xFF, le=chunk)
            )
            data += answer.data
            if answer.sw != 0x9000 or len(answer.data) < full:
                return data
