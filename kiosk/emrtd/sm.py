"""Secure messaging (ICAO 9303-11 section 9.8), both sides.

``SecureMessaging(cipher, ks_enc, ks_mac, ssc)`` holds the session keys and the send
sequence counter. The terminal uses :meth:`protect_command` / :meth:`unprotect_response`;
the chip (``kiosk.emulator``) uses :meth:`unprotect_command` / :meth:`protect_response`.
Both sides increment the SSC before each command and each response (9.8.2), so one object
per side, fed the same traffic, stays in step.

Message structure (9.8.4): command = [DO'85'|DO'87'] [DO'97'] DO'8E', response =
[DO'85'|DO'87'] [DO'99'] DO'8E'; CLA has bits '0C' set; the MAC input is
SSC || pad(header) || DOs, padded (ISO 9797-1 method 2). 3DES uses CBC with zero IV and the
retail MAC (9.8.6); AES uses CBC with IV = E(KSEnc, SSC) and CMAC-8 (9.8.7).
"""

from __future__ import annotations

import enum

from kiosk.emrtd import crypto, tlv
from kiosk.emrtd.apdu import (
    SHORT_MAX_LE,
    SW_OK,
    SW_SM_INCORRECT,
    SW_SM_MISSING,
    CommandApdu,
    ResponseApdu,
)
from kiosk.emrtd.crypto import CipherAlg
from kiosk.emrtd.errors import MalformedData, SecureMessagingError, UnsupportedProtocol

TAG_PLAIN_ODD = 0x85  # encrypted data, odd INS (no padding-content indicator)
TAG_CRYPTO = 0x87  # padding-content indicator 01 || encrypted data
TAG_LE = 0x97
TAG_SW = 0x99
TAG_MAC = 0x8E
MAX_SHORT_SM_LE = 223
"""Largest plain Le whose protected response still fits a short APDU (AES; 3DES: 231)."""


class SmCommandError(SecureMessagingError):
    """Chip side: a command is not properly protected; answer in plain with ``sw``."""

    def __init__(self, sw: int) -> None:
        super().__init__()
        self.sw = sw


class Role(enum.Enum):
    """Which side of the channel an object protects."""

    TERMINAL = "terminal"
    CHIP = "chip"


class SecureMessaging:
    """Session keys plus send sequence counter for one side of a secure channel."""

    def __init__(
        self,
        cipher: CipherAlg,
        ks_enc: bytes,
        ks_mac: bytes,
        ssc: int = 0,
        role: Role = Role.TERMINAL,
    ) -> None:
        if len(ks_enc) != cipher.key_size or len(ks_mac) != cipher.key_size:
            raise ValueError("session keys do not match the cipher")
        self.cipher = cipher
        self.ks_enc = ks_enc
        self.ks_mac = ks_mac
        self.ssc = ssc
        self.role = role
        self._block = cipher.block_size
        self._ssc_modulus = 1 << (8 * cipher.block_size)

    # ------------------------------------------------------------ helpers

    def _next_ssc(self) -> bytes:
        self.ssc = (self.ssc + 1) % self._ssc_modulus
        return self.ssc.to_bytes(self._block, "big")

    def _iv(self, ssc: bytes) -> bytes:
        if self.cipher.is_aes:
            return crypto.aes_ecb_block(self.ks_enc, ssc)
        return bytes(8)

    def _encrypt(self, ssc: bytes, data: bytes) -> bytes:
        return crypto.encrypt(
            self.cipher, self.ks_enc, crypto.pad(data, self._block), self._iv(ssc)
        )

    def _decrypt(self, ssc: bytes, data: bytes) -> bytes:
        return crypto.unpad(crypto.decrypt(self.cipher, self.ks_enc, data, self._iv(ssc)))

    def _mac(self, ssc: bytes, data: bytes) -> bytes:
        return crypto.mac(
            self.cipher, self.ks_mac, crypto.pad(ssc + data, self._block), padded=True
        )

    @staticmethod
    def _encode_le(le: int, extended_le: bool) -> bytes:
        """DO'97' value: one byte for short Le (256 -> '00'), two for extended (65536 and
        "maximum" (0) -> '0000')."""
        if le == 0:
            return b"\x00\x00" if extended_le else b"\x00"
        if le <= SHORT_MAX_LE:
            return bytes((le & 0xFF,))
        return (le & 0xFFFF).to_bytes(2, "big")

    # ------------------------------------------------------------ terminal side

    def protect_command(self, cmd: CommandApdu, *, extended: bool) -> bytes:
        """Wrap ``cmd`` into a protected APDU (Figure 5) and return its encoding."""
        ssc = self._next_ssc()
        cla = cmd.cla | 0x0C
        header = bytes((cla, cmd.ins, cmd.p1, cmd.p2))
        objects = b""
        if cmd.data:
            encrypted = self._encrypt(ssc, cmd.data)
            if cmd.ins & 1:
                objects += tlv.encode(TAG_PLAIN_ODD, encrypted)
            else:
                objects += tlv.encode(TAG_CRYPTO, b"\x01" + encrypted)
        # Extended length (when available) if the protected *response* may not fit 256
        # bytes: DO'87' header (4) + padded data + DO'99' (4) + DO'8E' (10) <= 256 holds
        # for up to 223 plain bytes with AES (231 with 3DES), or if the data is too long.
        extended_le = extended and cmd.le is not None and (cmd.le == 0 or cmd.le > MAX_SHORT_SM_LE)
        if cmd.le is not None:
            objects += tlv.encode(TAG_LE, self._encode_le(cmd.le, extended_le))
        mac = self._mac(ssc, crypto.pad(header, self._block) + objects)
        objects += tlv.encode(TAG_MAC, mac)
        # Le '00' / '0000' asks for everything
        protected = CommandApdu(cla, cmd.ins, cmd.p1, cmd.p2, objects, 0)
        use_extended = extended and (len(objects) > 255 or extended_le)
        if use_extended:
            return protected._encode_extended()
        if protected.needs_extended():
            # e.g. a 2048-bit DH key for CA: needs extended length (or chaining, which
            # 9303-11 9.3.2 does not allow for these commands)
            raise UnsupportedProtocol("chip.error.needs_extended_length")
        return protected.encode(extended=False)

    def unprotect_response(self, raw: bytes, *, strict: bool = False) -> ResponseApdu:
        """Verify and unwrap a protected response (Figure 6).

        A response with no data objects and an error status is the chip reporting an
        error in plain (9.8.5); it is returned as is (it carries no data to trust) unless
        ``strict``, where every response must carry a valid MAC (used to prove new keys,
        e.g. right after chip authentication). Anything else without a valid DO'8E'
        raises :class:`SecureMessagingError`.
        """
        ssc = self._next_ssc()
        response = ResponseApdu.decode(raw)
        if not response.data:
            if response.sw == SW_OK or strict:
                raise SecureMessagingError()
            return response
        try:
            objects = tlv.parse_all(response.data)
        except MalformedData as exc:
            raise SecureMessagingError() from exc
        mac_input = b""
        encrypted: bytes | None = None
        sw: int | None = None
        mac: bytes | None = None
        for index, item in enumerate(objects):
            if mac is not None:
                raise SecureMessagingError()  # nothing may follow DO'8E'
            if item.tag == TAG_MAC:
                if index != len(objects) - 1:
                    raise SecureMessagingError()
                mac = item.value
                continue
            if item.tag in (TAG_CRYPTO, TAG_PLAIN_ODD) and encrypted is None and sw is None:
                if item.tag == TAG_CRYPTO:
                    if not item.value or item.value[0] != 0x01:
                        raise SecureMessagingError()
                    encrypted = item.value[1:]
                else:
                    encrypted = item.value
            elif item.tag == TAG_SW and sw is None and len(item.value) == 2:
                sw = int.from_bytes(item.value, "big")
            else:
                raise SecureMessagingError()
            mac_input += item.encode()
        if mac is None or not crypto.mac_equal(mac, self._mac(ssc, mac_input)):
            raise SecureMessagingError()
        if sw is None:
            # Figure 6 always builds DO'99'; without it the status word would be
            # unauthenticated (an attacker could turn an error into 9000), so refuse.
            raise SecureMessagingError()
        # the MACed DO'99' is the truth; the outer SW is unauthenticated
        data = self._decrypt(ssc, encrypted) if encrypted else b""
        return ResponseApdu(data, sw)

    # ------------------------------------------------------------ chip side

    def unprotect_command(self, raw: bytes) -> CommandApdu:
        """Verify and unwrap a protected command (chip side).

        Raises :class:`SmCommandError` (``.sw`` 6987/6988) when the command is not
        properly protected; the chip must then answer in plain with that status word and
        drop the session (9.8.3).
        """
        ssc = self._next_ssc()
        cmd = CommandApdu.decode(raw)
        if cmd.cla & 0x0C != 0x0C:
            raise SmCommandError(SW_SM_MISSING)
        try:
            objects = tlv.parse_all(cmd.data)
        except MalformedData as exc:
            raise SmCommandError(SW_SM_INCORRECT) from exc
        mac_input = b""
        data = b""
        le: int | None = None
        mac: bytes | None = None
        for index, item in enumerate(objects):
            if item.tag == TAG_MAC and index == len(objects) - 1:
                mac = item.value
            elif item.tag in (TAG_CRYPTO, TAG_PLAIN_ODD) and index == 0:
                body = item.value
                if item.tag == TAG_CRYPTO:
                    if not body or body[0] != 0x01:
                        raise SmCommandError(SW_SM_INCORRECT)
                    body = body[1:]
                data = body  # decrypted after the MAC check
                mac_input += item.encode()
            elif item.tag == TAG_LE and le is None and len(item.value) <= 2:
                value = int.from_bytes(item.value, "big")
                le = value or (SHORT_MAX_LE if len(item.value) <= 1 else 65536)
                mac_input += item.encode()
            else:
                raise SmCommandError(SW_SM_INCORRECT)
        if mac is None:
            raise SmCommandError(SW_SM_MISSING)
        header = bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2))
        expected = self._mac(ssc, crypto.pad(header, self._block) + mac_input)
        if not crypto.mac_equal(mac, expected):
            raise SmCommandError(SW_SM_INCORRECT)
        try:
            plain = self._decrypt(ssc, data) if data else b""
        except SecureMessagingError as exc:
            raise SmCommandError(SW_SM_INCORRECT) from exc
        return CommandApdu(cmd.cla & ~0x0C & 0xFF, cmd.ins, cmd.p1, cmd.p2, plain, le)

    def protect_response(self, response: ResponseApdu) -> bytes:
        """Wrap a response on the chip side: DO'87' (if data), DO'99', DO'8E', SW."""
        ssc = self._next_ssc()
        objects = b""
        if response.data:
            objects += tlv.encode(TAG_CRYPTO, b"\x01" + self._encrypt(ssc, response.data))
        objects += tlv.encode(TAG_SW, response.sw.to_bytes(2, "big"))
        objects += tlv.encode(TAG_MAC, self._mac(ssc, objects))
        return objects + response.sw.to_bytes(2, "big")
