"""LDS parsers over the factory's documents, plus hostile input (hypothesis)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.emrtd import dg2, lds, tlv
from kiosk.emrtd.errors import ChipProtocolError, MalformedData
from kiosk.emulator import factory as f
from kiosk.emulator.profiles import TEST_BSN, get_profile

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def id_card() -> dict[int, bytes]:
    return get_profile("nl_id_card_2019").files


@pytest.fixture(scope="module")
def passport() -> dict[int, bytes]:
    return get_profile("nl_passport_2024").files


def test_com_lists_versions_and_data_groups(id_card: dict[int, bytes]) -> None:
    com = lds.parse_com(id_card[lds.FID_COM])
    assert com == lds.Com("1.7", "4.0.0", (1, 2, 11, 12, 14, 15))


def test_dg1_is_parsed_without_the_bsn(id_card: dict[int, bytes]) -> None:
    raw = id_card[0x0101]
    assert TEST_BSN.encode() in raw  # the chip carries it ...
    result = lds.parse_dg1(raw, today=dt.date(2026, 11, 28))
    assert result.valid and result.document_number == "IB2H8D3F9"
    assert result.birth_date == dt.date(1971, 11, 2)
    # ... the parsed result holds it nowhere.
    assert TEST_BSN not in repr(result) and TEST_BSN not in str(vars_of(result))


def vars_of(obj: object) -> dict[str, object]:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]


def test_dg11_drops_the_personal_number(id_card: dict[int, bytes]) -> None:
    raw = id_card[0x010B]
    assert TEST_BSN.encode() in raw
    dg11 = lds.parse_dg11(raw)
    assert dg11.full_name == "VAN DER MEER<<JOHANNES PIETER"
    assert dg11.place_of_birth == "Zwolle" and dg11.full_birth_date == dt.date(1971, 11, 2)
    assert all(TEST_BSN not in str(getattr(dg11, n)) for n in dg11.__dataclass_fields__)
    assert "personal_number" not in dg11.__dataclass_fields__


def test_dg12(id_card: dict[int, bytes]) -> None:
    assert lds.parse_dg12(id_card[0x010C]) == lds.Dg12(
        "Burgemeester van Zwolle", dt.date(2019, 6, 30)
    )


def test_dg14_and_dg15_keys(passport: dict[int, bytes], id_card: dict[int, bytes]) -> None:
    infos = lds.parse_dg14(passport[0x010E])
    assert infos[0] == 0x31 and len(tlv.parse_single(infos).children()) == 4
    assert isinstance(lds.parse_dg15(passport[0x010F]), ec.EllipticCurvePublicKey)
    assert isinstance(lds.parse_dg15(id_card[0x010F]), rsa.RSAPublicKey)


@pytest.mark.parametrize("encoding", ["19794", "39794"])
@pytest.mark.parametrize("fmt", ["jpeg", "jpeg2000"])
def test_dg2_both_encodings_and_formats_decode(encoding: str, fmt: str) -> None:
    image, width, height = f.face_image(5, fmt=fmt)  # type: ignore[arg-type]
    assert 15_000 < len(image) < 30_000
    data = f.build_dg2(image, width, height, jpeg2000=fmt == "jpeg2000", encoding=encoding)  # type: ignore[arg-type]
    face = lds.parse_dg2(data)
    assert face.image == image and (face.width, face.height) == (360, 480)
    assert face.format is (dg2.ImageFormat.JPEG2000 if fmt == "jpeg2000" else dg2.ImageFormat.JPEG)
    assert dg2.sniff_format(image) is face.format
    pixels = lds.decode_face(face.image)
    assert pixels is not None and pixels.shape == (480, 360, 3)


def test_truncated_jpeg2000_decodes_to_none() -> None:
    image, _, _ = f.face_image(6, fmt="jpeg2000")
    assert lds.decode_face(image[: len(image) // 3]) is None
    assert lds.decode_face(b"") is None
    assert lds.decode_face(b"not an image") is None


def test_edl_dg1_dates_are_ddmmyyyy() -> None:
    files = get_profile("nl_driving_licence").files
    dg1 = lds.parse_edl_dg1(files[0x0101])
    assert dg1.birth_date == dt.date(1995, 1, 9) and dg1.issuing_country == "NLD"


def test_wrong_tags_are_malformed(id_card: dict[int, bytes]) -> None:
    with pytest.raises(MalformedData):
        lds.parse_com(id_card[0x0101])
    with pytest.raises(MalformedData):
        lds.parse_dg1(id_card[lds.FID_COM])
    with pytest.raises(MalformedData):
        lds.parse_dg2(tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01"))))
    with pytest.raises(MalformedData):
        lds.parse_dg1(tlv.encode(0x61, tlv.encode(0x5F1F, b"P<NLD")))


PARSERS = [
    lds.parse_com,
    lds.parse_dg1,
    lds.parse_dg2,
    lds.parse_dg11,
    lds.parse_dg12,
    lds.parse_dg14,
    lds.parse_dg15,
    lds.parse_edl_dg1,
    lds.parse_sod,
]


def _only_typed_errors(data: bytes) -> None:
    for parser in PARSERS:
        with contextlib.suppress(ChipProtocolError):
            parser(data)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_give_only_typed_errors(data: bytes) -> None:
    _only_typed_errors(data)


@FUZZ
@given(st.data())
def test_mutated_genuine_files_give_only_typed_errors(data: st.DataObject) -> None:
    files = get_profile("nl_id_card_2019").files
    fid = data.draw(st.sampled_from(sorted(files)))
    original = bytearray(files[fid][:3000])
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(original) - 1))
        original[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(original)))
    _only_typed_errors(bytes(original[:cut]))


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFF))
def test_hostile_19794_headers(body: bytes, length: int, count: int) -> None:
    record = b"FAC\x00010\x00" + length.to_bytes(4, "big") + count.to_bytes(2, "big") + body
    with contextlib.suppress(MalformedData):
        dg2.parse_19794_5(record)
