"""A small in-memory chip built only from the chip-side classes of kiosk.emrtd.

It is the counterpart the terminal code is tested against (the full emulator lives in
kiosk.emulator): BAC or PACE, secure messaging, CA and AA, and a tiny file system with
EF.COM readable by short file identifier.
"""

from __future__ import annotations

from kiosk.emrtd import bac, pace
from kiosk.emrtd.aa import ChipAa
from kiosk.emrtd.apdu import CommandApdu, ResponseApdu
from kiosk.emrtd.ca import ChipCa
from kiosk.emrtd.sm import SecureMessaging, SmCommandError

COM = bytes.fromhex("60145F0104303130365F36063034303030305C026175")


class MiniChip:
    def __init__(
        self,
        *,
        bac_chip: bac.ChipBac | None = None,
        pace_chip: pace.ChipPace | None = None,
        ca_chip: ChipCa | None = None,
        aa_chip: ChipAa | None = None,
        files: dict[int, bytes] | None = None,
    ) -> None:
        self.bac = bac_chip
        self.pace = pace_chip
        self.ca = ca_chip
        self.aa = aa_chip
        self.files = {0x1E: COM} if files is None else files
        self.session: SecureMessaging | None = None
        self.log: list[bytes] = []

    def __call__(self, raw: bytes) -> bytes:
        self.log.append(raw)
        if self.session is not None and raw[0] & 0x0C == 0x0C:
            session = self.session
            try:
                cmd = session.unprotect_command(raw)
            except SmCommandError as exc:
                self.session = None  # 9.8.3: abort SM, answer in plain
                return exc.sw.to_bytes(2, "big")
            response, new_session = self._dispatch(cmd)
            out = session.protect_response(response)
            if new_session is not None:
                self.session = new_session
            return out
        self.session = None  # a plain APDU ends secure messaging (9.8.3)
        cmd = CommandApdu.decode(raw)
        response, _ = self._dispatch(cmd)
        for chip in (self.bac, self.pace):
            if chip is not None and chip.session is not None:
                self.session, chip.session = chip.session, None
        return response.encode()

    def _dispatch(self, cmd: CommandApdu) -> tuple[ResponseApdu, SecureMessaging | None]:
        if self.ca is not None and self.ca.handles(cmd) and self.session is not None:
            return self.ca.handle(cmd)
        if self.pace is not None and self.pace.handles(cmd) and self.session is None:
            return self.pace.handle(cmd), None
        if self.bac is not None and self.bac.handles(cmd) and self.session is None:
            return self.bac.handle(cmd), None
        if self.aa is not None and self.aa.handles(cmd) and self.session is not None:
            return self.aa.handle(cmd), None
        if self.session is None:
            return ResponseApdu(b"", 0x6982), None
        if cmd.ins == 0xB0 and cmd.p1 & 0x80:
            data = self.files.get(cmd.p1 & 0x1F)
            if data is None:
                return ResponseApdu(b"", 0x6A82), None
            le = cmd.le or 256
            return ResponseApdu(data[cmd.p2 : cmd.p2 + le], 0x9000), None
        if cmd.ins == 0xA4:
            return ResponseApdu(b"", 0x9000), None
        return ResponseApdu(b"", 0x6D00), None
