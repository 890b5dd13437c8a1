"""DG2 face image parsing: ISO/IEC 19794-5 ('FAC' record) and ISO/IEC 39794-5 (ASN.1).

DG2 (ICAO 9303-10 section 4.7.2) is ``'75' { '7F61' biometric group template { '02' count,
'7F60' BIT { 'A1' header, '5F2E' 19794 data block | '7F2E' 39794 data } ... } }``.

- ``5F2E`` holds an ISO/IEC 19794-5:2005 facial record: header ``'FAC\\0' '010\\0'`` record
  length (4) image count (2), then per image: facial information (20 bytes, with the
  number of feature points), feature points (8 bytes each), image information (12 bytes:
  face image type, image data type 0 = JPEG / 1 = JPEG 2000, width, height, ...) and the
  image bytes.
- ``7F2E { A1 { 65 FaceImageDataBlock } }`` holds ISO/IEC 39794-5: context-tagged DER
  where the image is ``representationData2D [0] OCTET STRING`` of the
  ``ImageRepresentation2DBlock`` (path: ``65 / A1 representations / 30 / A1 / A0 / A0 / 80``).

Only the first face image is returned: that is the portrait (9303-10: "the first biometric
recorded in each Data Group SHALL be encoded as per ISO/IEC 19794-5"). Every failure is a
:class:`~kiosk.emrtd.errors.MalformedData`; decoding the image itself (:func:`decode_face`)
is done by OpenCV and returns ``None`` on truncated or corrupt images.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.emrtd import tlv
from kiosk.emrtd.errors import MalformedData

DG2_TAG = 0x75
GROUP_TEMPLATE = 0x7F61
BIT = 0x7F60
BDB_19794 = 0x5F2E
BDB_39794 = 0x7F2E
FACE_39794 = 0x65

_FAC_HEADER = b"FAC\x00"
_FACIAL_INFO_LEN = 20
_FEATURE_POINT_LEN = 8
_IMAGE_INFO_LEN = 12


class ImageFormat(StrEnum):
    """Encoding of the face image."""

    JPEG = "jpeg"
    JPEG2000 = "jpeg2000"


@dataclass(frozen=True)
class FaceImage:
    """The portrait from DG2. Keep it in memory only while it is shown (DESIGN.md s. 7)."""

    image: bytes = field(repr=False)
    format: ImageFormat
    width: int
    height: int
    encoding: str  # "ISO/IEC 19794-5" or "ISO/IEC 39794-5"


def sniff_format(image: bytes) -> ImageFormat | None:
    """Recognise JPEG / JPEG 2000 (JP2 box or raw J2K codestream) by magic bytes."""
    if image.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if image.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or image.startswith(b"\xff\x4f\xff\x51"):
        return ImageFormat.JPEG2000
    return None


def parse_dg2(data: bytes) -> FaceImage:
    """Return the first face image of DG2 (either encoding)."""
    outer = tlv.parse_prefix(data, DG2_TAG)
    group = outer.child(GROUP_TEMPLATE)
    for item in group.children():
        if item.tag != BIT:
            continue
        for part in item.children():
            if part.tag == BDB_19794:
                return parse_19794_5(part.value)
            if part.tag == BDB_39794:
                return parse_39794_5(part.value)
        raise MalformedData()
    raise MalformedData()


def parse_19794_5(record: bytes) -> FaceImage:
    """Parse an ISO/IEC 19794-5 facial record; return its first image."""
    if len(record) < 14 or record[:4] != _FAC_HEADER:
        raise MalformedData()
    record_length = int.from_bytes(record[8:12], "big")
    count = int.from_bytes(record[12:14], "big")
    if count < 1 or record_length > len(record) or record_length < 14:
        raise MalformedData()
    pos = 14
    if pos + _FACIAL_INFO_LEN > record_length:
        raise MalformedData()
    block_length = int.from_bytes(record[pos : pos + 4], "big")
    points = int.from_bytes(record[pos + 4 : pos + 6], "big")
    end = pos + block_length
    info_pos = pos + _FACIAL_INFO_LEN + points * _FEATURE_POINT_LEN
    image_pos = info_pos + _IMAGE_INFO_LEN
    if end > record_length or image_pos > end:
        raise MalformedData()
    image_data_type = record[info_pos + 1]
    width, height = struct.unpack(">HH", record[info_pos + 2 : info_pos + 6])
    image = bytes(record[image_pos:end])
    fmt = {0: ImageFormat.JPEG, 1: ImageFormat.JPEG2000}.get(image_data_type)
    if fmt is None or not image:
        raise MalformedData()
    return FaceImage(image, fmt, width, height, "ISO/IEC 19794-5")


def _context(item: tlv.Tlv, number: int) -> tlv.Tlv | None:
    """Child with context tag [number], primitive or constructed."""
    for child in item.children():
        if child.tag in (0x80 | number, 0xA0 | number):
            return child
    return None


def _need(item: tlv.Tlv | None) -> tlv.Tlv:
    if item is None:
        raise MalformedData()
    return item


def parse_39794_5(value: bytes) -> FaceImage:
    """Parse the content of DO'7F2E' with an ISO/IEC 39794-5 face image data block."""
    template = tlv.parse_all(value)
    standardized = next((t for t in template if t.tag == 0xA1), None)
    block = _need(standardized).find(FACE_39794)
    block = _need(block)
    representations = _need(_context(block, 1))
    first = representations.children()
    if not first:
        raise MalformedData()
    # SEQUENCE OF RepresentationBlock: each a SEQUENCE ('30'); tolerate a bare single block.
    rep = first[0] if first[0].tag == 0x30 else representations
    image_rep = _need(_context(rep, 1))
    base = _need(_context(image_rep, 0))
    rep2d = _need(_context(base, 0))
    data = _need(_context(rep2d, 0))
    if data.tag != 0x80 or not data.value:
        raise MalformedData()
    image = data.value
    info = _context(rep2d, 1)
    fmt = _format_39794(info) or sniff_format(image)
    if fmt is None:
        raise MalformedData()
    width, height = _size_39794(info)
    return FaceImage(image, fmt, width, height, "ISO/IEC 39794-5")


def _small_int(item: tlv.Tlv | None) -> int | None:
    if item is None or item.constructed or not 0 < len(item.value) <= 4:
        return None
    return int.from_bytes(item.value, "big")


def _format_39794(info: tlv.Tlv | None) -> ImageFormat | None:
    # imageDataFormat [0] ImageDataFormat ::= CHOICE { code [0] ENUMERATED { unknown 0,
    # other 1, jpeg 2, jpeg2000Lossy 3, jpeg2000Lossless 4, png 5 ... }, extensionBlock [1] }
    if info is None:
        return None
    fmt = _context(info, 0)
    if fmt is None:
        return None
    code = _small_int(_context(fmt, 0)) if fmt.constructed else _small_int(fmt)
    return {2: ImageFormat.JPEG, 3: ImageFormat.JPEG2000, 4: ImageFormat.JPEG2000}.get(code or 0)


def _size_39794(info: tlv.Tlv | None) -> tuple[int, int]:
    # imageSizeBlock [7] { width [0] INTEGER, height [1] INTEGER } (0 when absent)
    if info is None:
        return 0, 0
    size = _context(info, 7)
    if size is None or not size.constructed:
        return 0, 0
    return _small_int(_context(size, 0)) or 0, _small_int(_context(size, 1)) or 0


def decode_face(image_bytes: bytes) -> Any:
    """Decode a JPEG / JPEG 2000 portrait to a BGR numpy array, or None when it is broken.

    OpenCV returns None (rather than raising) on truncated data (DESIGN.md section 10); we
    also turn its rare exceptions on garbage into None so callers have one case to handle.
    """
    import cv2
    import numpy as np

    if not image_bytes:
        return None
    try:
        decoded = cv2.imdecode(np.frombuffer(image_bytes, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    return decoded
