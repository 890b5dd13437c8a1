"""Exponential backoff with full jitter, capped, honouring Retry-After.

Full jitter (a uniformly random delay between 0 and the exponential ceiling) spreads the
retries of many kiosks that lost the same portal at the same moment, so they do not all
return in lock-step when it comes back (the "thundering herd"). A server's ``Retry-After``
is a floor, clamped so a wrong header cannot park the queue for days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay policy: ``uniform(0, min(cap_s, base_s * 2**(attempt-1)))``, at least Retry-After."""

    base_s: float = 2.0
    cap_s: float = 300.0
    max_retry_after_s: float = 3600.0

    def ceiling(self, attempt: int) -> float:
        """The largest delay for the ``attempt``-th consecutive failure (1-based)."""
        exponent = min(max(attempt - 1, 0), 32)  # 2**32 * base is far past any cap
        return min(self.cap_s, self.base_s * 2.0**exponent)

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before the next try after ``attempt`` consecutive failures."""
        delay = rng.uniform(0.0, self.ceiling(attempt))
        if retry_after is not None:
            delay = max(delay, min(max(retry_after, 0.0), self.max_retry_after_s))
        return delay
