"""Test helpers: replayed randomness and transcript transports for the ICAO worked examples."""

from __future__ import annotations

from collections.abc import Iterable


def h(text: str) -> bytes:
    """Hex as printed in 9303 (spaces, newlines allowed)."""
    return bytes.fromhex("".join(text.split()))


class ReplayRng:
    """Returns the given byte strings in order and checks each requested length."""

    def __init__(self, values: Iterable[bytes]) -> None:
        self.values = list(values)

    def __call__(self, n: int) -> bytes:
        assert self.values, f"unexpected extra rng({n}) call"
        value = self.values.pop(0)
        assert len(value) == n, f"rng({n}) but the transcript has {len(value)} bytes"
        return value

    def exhausted(self) -> bool:
        return not self.values


class TranscriptTransport:
    """A transport that checks every command byte for byte and plays back the answers."""

    def __init__(self, exchanges: Iterable[tuple[bytes, bytes]]) -> None:
        self.exchanges = list(exchanges)
        self.sent: list[bytes] = []

    def __call__(self, command: bytes) -> bytes:
        assert self.exchanges, f"unexpected command {command.hex()}"
        expected, answer = self.exchanges.pop(0)
        assert command.hex().upper() == expected.hex().upper()
        self.sent.append(command)
        return answer

    def done(self) -> bool:
        return not self.exchanges
