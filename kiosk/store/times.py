"""The store's clock and how it writes instants: fixed-width UTC text that sorts like time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


def ts(moment: datetime) -> str:
    """``moment`` as stored text."""
    # Fixed-width UTC text sorts like the instants it encodes, so SQL can compare it.
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_ts(text: str) -> datetime:
    """The instant written by :func:`ts`."""
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
