"""The ``real`` synthetic corpus applies each capture condition it names (issue 8 item 4).

Each condition is rendered alone and compared with the same seed rendered with none: the
statistic that condition must change (saturation, ink level, sharpness, noise, geometry...)
changes in the expected direction, and nothing else about the sample does.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest

from kiosk.mrz.parser import parse_mrz
from tests.mrzcorpus import CONDITIONS, Sample, make_sample

SEED, KIND = 11, "TD3"


@cache
def _sample(*conditions: str) -> Sample:
    return make_sample(SEED, KIND, "real", conditions=frozenset(conditions))


def _mask(sample: Sample, quad: np.ndarray) -> np.ndarray:
    mask = np.zeros(sample.image.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, quad.astype(np.int32), 1)
    return mask.astype(bool)


def _gray(sample: Sample) -> np.ndarray:
    return cv2.cvtColor(sample.image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def _saturation(sample: Sample) -> float:
    assert sample.doc_quad is not None
    hsv = cv2.cvtColor(sample.image, cv2.COLOR_BGR2HSV)
    # The upper decile: coloured lines and foil cover part of the page, the tint all of it.
    return float(np.percentile(hsv[:, :, 1][_mask(sample, sample.doc_quad)], 90))


def _sharpness(sample: Sample) -> float:
    return float(cv2.Laplacian(_gray(sample), cv2.CV_32F).var())


def _side_ratio(quad: np.ndarray) -> float:
    top, bottom = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])
    left, right = np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    return float(max(top / bottom, bottom / top, left / right, right / left))


def _blockiness(sample: Sample) -> float:
    """Mean step across 8-pixel JPEG block borders over the mean step elsewhere."""
    steps = np.abs(np.diff(_gray(sample), axis=1))
    border = steps[:, 7::8].mean()
    inside = np.delete(steps, np.s_[7::8], axis=1).mean()
    return float(border / inside)


def test_base_sample_is_clean_and_every_condition_set_is_deterministic():
    base = _sample()
    assert base.conditions == frozenset()
    again = make_sample(SEED, KIND, "real", conditions=frozenset())
    assert np.array_equal(base.image, again.image)
    full = make_sample(SEED, KIND, "real", conditions=frozenset(CONDITIONS))
    assert full.conditions == frozenset(CONDITIONS)
    assert parse_mrz(full.text, correct=False).valid
    # The default picks a seeded subset, and the same one every time.
    picks = {make_sample(s, "TD1", "real").conditions for s in range(6)}
    assert len(picks) > 1
    assert make_sample(3, "TD1", "real").conditions == make_sample(3, "TD1", "real").conditions


def test_unknown_condition_or_conditions_outside_real_are_refused():
    with pytest.raises(ValueError):
        make_sample(1, "TD1", "real", conditions=frozenset({"rain"}))
    with pytest.raises(ValueError):
        make_sample(1, "TD1", "normal", conditions=frozenset({"blur"}))


@pytest.mark.parametrize("condition", CONDITIONS)
def test_a_condition_leaves_the_mrz_text_alone(condition: str):
    assert _sample(condition).lines == _sample().lines


def test_guilloche_and_hologram_colour_the_page():
    base = _saturation(_sample())
    assert _saturation(_sample("guilloche")) > base + 8
    assert _saturation(_sample("hologram")) > base + 5


def test_faint_print_lightens_the_mrz_ink():
    def ink(sample: Sample) -> float:
        assert sample.mrz_quad is not None
        return float(np.percentile(_gray(sample)[_mask(sample, sample.mrz_quad)], 3))

    assert ink(_sample("faint")) > ink(_sample()) + 50


def test_perspective_makes_a_keystone_and_rotation_turns_the_page():
    base, tilted, turned = _sample(), _sample("perspective"), _sample("rotation")
    assert base.doc_quad is not None and tilted.doc_quad is not None
    assert turned.doc_quad is not None
    assert _side_ratio(base.doc_quad) < 1.03
    assert _side_ratio(tilted.doc_quad) > 1.06

    def angle(quad: np.ndarray) -> float:
        dx, dy = quad[1] - quad[0]
        return float(np.degrees(np.arctan2(dy, dx)))

    assert abs(angle(base.doc_quad)) < 2.5
    assert abs((angle(turned.doc_quad) - angle(base.doc_quad) + 180) % 360 - 180) > 2.5


def test_vignetting_darkens_the_corners_more_than_the_centre():
    base, dim = _gray(_sample()), _gray(_sample("vignette"))
    h, w = base.shape
    ratio = (dim + 1) / (base + 1)
    corners = np.concatenate(
        [ratio[:40, :40].ravel(), ratio[:40, -40:].ravel(), ratio[-40:, :40].ravel()]
    )
    centre = ratio[h // 2 - 20 : h // 2 + 20, w // 2 - 20 : w // 2 + 20]
    assert corners.mean() < 0.85 * centre.mean()


def test_glare_brightens_a_spot_on_the_document():
    lift = _gray(_sample("glare")) - _gray(_sample())
    assert (lift > 60).sum() > 500
    assert np.percentile(lift, 50) < 5  # a spot, not the whole frame


def test_blur_softens_and_noise_roughens():
    base = _sharpness(_sample())
    assert _sharpness(_sample("blur")) < 0.6 * base
    residual = _gray(_sample("noise")) - _gray(_sample())
    assert 3 < residual.std() < 20 and abs(residual.mean()) < 2


def test_jpeg_leaves_block_borders():
    assert _blockiness(_sample("jpeg")) > _blockiness(_sample()) + 0.05


def test_low_resolution_brings_the_mrz_characters_to_about_12_px():
    assert _sample().char_height > 13
    assert 8 <= _sample("lowres").char_height <= 12.5
    assert _sample("lowres").char_height < 0.8 * _sample().char_height


def test_occlusion_covers_part_of_the_document():
    base, covered = _sample(), _sample("occlusion")
    assert base.doc_quad is not None
    diff = np.abs(covered.image.astype(np.int16) - base.image.astype(np.int16)).max(axis=2)
    changed = (diff > 40) & _mask(base, base.doc_quad)
    share = changed.sum() / _mask(base, base.doc_quad).sum()
    assert 0.005 < share < 0.3
