"""Full-jitter exponential backoff: bounds, cap, Retry-After."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from kiosk.sync.backoff import Backoff


def test_ceiling_doubles_then_caps():
    policy = Backoff(base_s=2, cap_s=60)
    assert [policy.ceiling(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert policy.ceiling(10_000) == 60


def test_full_jitter_spreads_over_the_whole_range():
    policy = Backoff(base_s=1, cap_s=100)
    rng = random.Random(1)
    delays = [policy.delay(5, rng) for _ in range(2000)]
    assert min(delays) < 1 and max(delays) > 15  # ceiling is 16
    assert all(0 <= d <= 16 for d in delays)


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    retry_after=st.none() | st.floats(min_value=-10, max_value=1e9, allow_nan=False),
    seed=st.integers(0, 2**32),
)
def test_delay_bounds(attempt, retry_after, seed):
    policy = Backoff(base_s=2, cap_s=300, max_retry_after_s=3600)
    delay = policy.delay(attempt, random.Random(seed), retry_after)
    assert 0 <= delay <= 3600
    if retry_after is None:
        assert delay <= 300
    else:
        assert delay >= min(max(retry_after, 0), 3600)
