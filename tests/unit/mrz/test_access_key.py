"""AccessKey: typed fields, validation, masking, eDL seed."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from kiosk.mrz import AccessKey, MrzSyntaxError, format_edl, parse_mrz


@pytest.mark.parametrize(
    ("number", "birth", "expiry"),
    [
        ("", "690806", "940623"),
        ("L89-8902", "690806", "940623"),
        ("L898902C", "6908", "940623"),
        ("L898902C", "690806", "94O623"),
    ],
)
def test_from_fields_rejects_what_cannot_be_in_an_mrz(number, birth, expiry):
    with pytest.raises(MrzSyntaxError) as caught:
        AccessKey.from_fields(number, birth, expiry)
    assert caught.value.params["reason"] in ("document_number", "date")


def test_from_fields_keeps_long_numbers_whole():
    key = AccessKey.from_fields("D23145890734", date(1934, 7, 12), date(1995, 7, 12))
    assert key.mrz_information() == "D23145890734934071279507122"  # 9303-11 App. D.2


def test_repr_masks_the_number_and_hides_the_dates():
    key = AccessKey.from_fields("L898902C", "690806", "940623")
    text = repr(key)
    assert "L898902C" not in text and "690806" not in text and "940623" not in text
    assert "*****02C" in text


def test_edl_key_seed_uses_the_bap_string():
    line = format_edl(document_number="5012345678", random_data="K8R2M4T6Z1X3Q")
    key = parse_mrz(line).access_key
    assert key is not None and key.is_edl
    assert key.seed_string() == line[1:29]
    assert key.key_seed() == hashlib.sha1(line[1:29].encode()).digest()[:16]
    assert "K8R2M4T6Z1X3Q" not in repr(key)


def test_icao_key_has_no_bap_string():
    key = AccessKey.from_fields("L898902C", "690806", "940623")
    assert not key.is_edl
    with pytest.raises(ValueError, match="not an eDL"):
        key.bap_seed_string()
