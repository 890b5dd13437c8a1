"""ISO/IEC 7816-4 APDU encoding: the four cases, short and extended (section 5.1)."""

from __future__ import annotations

import pytest

from kiosk.emrtd.apdu import CommandApdu, ResponseApdu
from kiosk.emrtd.errors import ChipProtocolError, StatusWordError


@pytest.mark.parametrize(
    ("cmd", "short", "extended"),
    [
        (CommandApdu(0x00, 0xA4, 0x04, 0x0C), "00A4040C", "00A4040C"),  # case 1
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=4), "00B0000004", "00B0000004"),  # case 2
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256), "00B0000000", "00B0000000"),
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=65536), None, "00B00000000000"),  # case 2E
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=1000), None, "00B000000003E8"),
        (CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e"), "00A4020C02011E", "00A4020C02011E"),
        (CommandApdu(0x00, 0x88, 0x00, 0x00, bytes(8), 256), "0088000008" + "00" * 8 + "00", None),
        (CommandApdu(0x00, 0x86, 0x00, 0x00, bytes(300)), None, "0086000000012C" + "00" * 300),
        (
            CommandApdu(0x00, 0x86, 0x00, 0x00, bytes(300), 65536),
            None,
            "0086000000012C" + "00" * 300 + "0000",
        ),
    ],
)
def test_command_encodings(cmd, short, extended):
    if short is None:
        assert cmd.needs_extended()
        with pytest.raises(ValueError):
            cmd.encode(extended=False)
    else:
        assert cmd.encode(extended=False).hex().upper() == short
    if extended is not None:
        assert cmd.encode(extended=True).hex().upper() == extended
        assert CommandApdu.decode(bytes.fromhex(extended)) == cmd


def test_fields_are_range_checked():
    with pytest.raises(ValueError):
        CommandApdu(0x100, 0, 0, 0)
    with pytest.raises(ValueError):
        CommandApdu(0, 0, 0, 0, le=65537)


def test_response():
    response = ResponseApdu.decode(bytes.fromhex("0102039000"))
    assert (response.data, response.sw, response.ok, response.sw1, response.sw2) == (
        b"\x01\x02\x03",
        0x9000,
        True,
        0x90,
        0x00,
    )
    assert response.encode() == bytes.fromhex("0102039000")
    assert ResponseApdu.decode(b"\x62\x82").check(0x6282).sw == 0x6282
    with pytest.raises(StatusWordError) as err:
        ResponseApdu.decode(b"\x6a\x82").check()
    assert err.value.params == {"sw": "6A82"}
    with pytest.raises(ChipProtocolError):
        ResponseApdu.decode(b"\x90")
