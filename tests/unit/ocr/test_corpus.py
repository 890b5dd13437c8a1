"""The synthetic corpus is deterministic and its MRZs are valid."""

from __future__ import annotations

import numpy as np

from kiosk.mrz.parser import parse_mrz
from tests.mrzcorpus import KINDS, make_sample


def test_same_seed_same_pixels_other_seed_other_pixels():
    a = make_sample(3, "TD1", "hard")
    b = make_sample(3, "TD1", "hard")
    c = make_sample(4, "TD1", "hard")
    assert a.lines == b.lines and np.array_equal(a.image, b.image)
    assert a.lines != c.lines


def test_every_kind_renders_a_valid_mrz_in_both_frame_sizes():
    for i, kind in enumerate(KINDS):
        for frame in ((1280, 720), (1920, 1080)):
            sample = make_sample(i, kind, "normal", frame)
            assert sample.image.shape == (frame[1], frame[0], 3)
            result = parse_mrz(sample.text, correct=False)
            assert result.valid, (kind, result.problems())
