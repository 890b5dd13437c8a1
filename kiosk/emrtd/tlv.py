"""BER-TLV encoding and decoding (ISO/IEC 7816-4 section 5.2, X.690 definite lengths).

Hostile input is expected: everything here is bounded by the input length. A length field
that claims more bytes than are present (e.g. 2 GB) is rejected at once, tags are at most
3 bytes, length fields at most 4 bytes, parsing is one level at a time (no recursion on
input), and every failure is a
:class:`kiosk.emrtd.errors.MalformedData`.

Tags are ints holding their encoded bytes (``0x7F49``, ``0x5F1F``), as in 9303 tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.emrtd.errors import MalformedData


@dataclass(frozen=True)
class Tlv:
    """One decoded data object."""

    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        """True when bit 6 of the first tag byte is set."""
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    def children(self) -> list[Tlv]:
        """Parse the value as a sequence of data objects (one level; callers recurse)."""
        return parse_all(self.value)

    def child(self, tag: int) -> Tlv:
        """The first child with ``tag``; raises MalformedData when absent."""
        for item in self.children():
            if item.tag == tag:
                return item
        raise MalformedData()

    def find(self, tag: int) -> Tlv | None:
        """The first child with ``tag`` or None."""
        for item in self.children():
            if item.tag == tag:
                return item
        return None

    def encode(self) -> bytes:
        """Encode back to bytes."""
        return encode(self.tag, self.value)


def encode_tag(tag: int) -> bytes:
    """Tag int to bytes (0x7F49 -> b'\\x7f\\x49')."""
    if tag < 0:
        raise ValueError("negative tag")
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    """Definite length in the shortest form (X.690 8.1.3)."""
    if length < 0:
        raise ValueError("negative length")
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def encode(tag: int, value: bytes) -> bytes:
    """Encode one data object."""
    return encode_tag(tag) + encode_length(len(value)) + value


def decode_tag(data: bytes, offset: int) -> tuple[int, int]:
    """Read a tag at ``offset``; returns (tag, offset after it)."""
    end = len(data)
    if offset >= end:
        raise MalformedData()
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F == 0x1F:  # subsequent bytes follow (X.690 8.1.2.4)
        for count in range(3):
            if offset >= end or count == 2:
                raise MalformedData()
            byte = data[offset]
            tag = (tag << 8) | byte
            offset += 1
            if not byte & 0x80:
                break
    return tag, offset


def decode_length(data: bytes, offset: int) -> tuple[int, int]:
    """Read a definite length at ``offset``; returns (length, offset after it)."""
    end = len(data)
    if offset >= end:
        raise MalformedData()
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    count = first & 0x7F
    if count == 0 or count > 4 or offset + count > end:  # indefinite or absurd
        raise MalformedData()
    length = int.from_bytes(data[offset : offset + count], "big")
    return length, offset + count


def decode_one(data: bytes, offset: int = 0) -> tuple[Tlv, int]:
    """Decode the data object at ``offset``; returns it and the offset after it."""
    tag, offset = decode_tag(data, offset)
    length, offset = decode_length(data, offset)
    if length > len(data) - offset:
        raise MalformedData()
    return Tlv(tag, bytes(data[offset : offset + length])), offset + length


def iter_tlv(data: bytes) -> Iterator[Tlv]:
    """Iterate over consecutive data objects filling ``data`` exactly."""
    offset = 0
    while offset < len(data):
        item, offset = decode_one(data, offset)
        yield item


def parse_all(data: bytes) -> list[Tlv]:
    """Decode consecutive data objects that must fill ``data`` exactly."""
    return list(iter_tlv(data))


def parse_single(data: bytes, tag: int | None = None) -> Tlv:
    """Decode exactly one data object spanning all of ``data`` (with ``tag`` if given)."""
    item, end = decode_one(data)
    if end != len(data) or (tag is not None and item.tag != tag):
        raise MalformedData()
    return item


def parse_prefix(data: bytes, tag: int | None = None) -> Tlv:
    """Decode the first data object of ``data``; trailing bytes are ignored (file padding)."""
    item, _ = decode_one(data)
    if tag is not None and item.tag != tag:
        raise MalformedData()
    return item


def header_length(data: bytes) -> int:
    """Total size (header + value) of the object that starts ``data``, from its header only.

    Used to size a file read from its first few bytes; ``data`` need not hold the value.
    """
    _, offset = decode_tag(data, 0)
    length, offset = decode_length(data, offset)
    return offset + length


def encode_oid(dotted: str) -> bytes:
    """The DER content octets of an OBJECT IDENTIFIER ("0.4.0.127.0.7.2.2.4.2.2")."""
    arcs = [int(part) for part in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2:
        raise ValueError(f"bad OID {dotted}")
    out = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        rest = arc
        chunk = [rest & 0x7F]
        rest >>= 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def decode_oid(content: bytes) -> str:
    """Dotted form of OBJECT IDENTIFIER content octets; raises MalformedData."""
    if not content or content[-1] & 0x80 or len(content) > 64:
        raise MalformedData()
    arcs: list[int] = []
    value = 0
    for byte in content:
        if value == 0 and byte == 0x80:
            raise MalformedData()  # non-minimal encoding
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def decode_unsigned(content: bytes) -> int:
    """Content of a DER INTEGER that must be non-negative; raises MalformedData."""
    if not content or content[0] & 0x80 or len(content) > 1024:
        raise MalformedData()
    return int.from_bytes(content, "big")
