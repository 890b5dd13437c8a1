"""Glyph windows and their features, shared by the training script and the reader.

Every character is classified from a window of a *canonical line strip*: the MRZ line
rectified so that one character cell is :data:`PITCH` pixels wide and the line's centre runs
horizontally. OCR-B glyphs are :data:`GLYPH_H` pixels tall there (cap height 0.71 em,
advance 0.723 em on the Debian font), so windows are comparable across documents and cameras.
The window is a little wider than a cell so a glyph that the segmenter placed a few pixels
off is still wholly inside it; training crops are jittered in the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import cv2
import numpy as np

#: Canonical character pitch in pixels (9303 part 3 section 4.4: 2.54 mm per character).
PITCH = 20
#: Canonical OCR-B cap height in pixels at :data:`PITCH`.
GLYPH_H = 20
#: Window around a character centre that is classified.
WIN_W, WIN_H = 24, 36
#: 37-character MRZ alphabet (9303 part 3 section 4.3), in the classifier's class order.
ALPHABET = "<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PAD = WIN_H // 2 + 2  # half a window: every centre inside the strip fits


@cache
def _hog() -> cv2.HOGDescriptor:
    # 6x6-pixel cells with 2x2-cell blocks: a stroke is about 3 px wide at this scale.
    return cv2.HOGDescriptor((WIN_W, WIN_H), (12, 12), (6, 6), (6, 6), 9)


def feature_size() -> int:
    """Length of one feature vector."""
    return int(_hog().getDescriptorSize()) + (WIN_W // 4) * (WIN_H // 4)


def window_features(strip: np.ndarray, centres: Sequence[tuple[float, float]]) -> np.ndarray:
    """Return one feature row per character centre ``(x, y)`` in the grey ``strip``.

    Features are HOG (shape, insensitive to contrast and glare) plus a coarse 6x9 grid of the
    contrast-normalised window (ink mass, which separates e.g. ``O`` from ``0`` and ``D``).
    """
    if not centres:
        return np.zeros((0, feature_size()), np.float32)
    padded = cv2.copyMakeBorder(strip, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_REPLICATE)
    # Windows are clamped to the padded strip: a grid cell may fall outside the strip when a
    # character is missing at the edge, and then is classified from the border (blank).
    max_x, max_y = padded.shape[1] - WIN_W, padded.shape[0] - WIN_H
    locations = [
        (
            min(max(round(x - WIN_W / 2) + _PAD, 0), max_x),
            min(max(round(y - WIN_H / 2) + _PAD, 0), max_y),
        )
        for x, y in centres
    ]
    raw = _hog().compute(padded, (6, 6), (0, 0), locations)
    hog = np.asarray(raw, np.float32).reshape(len(centres), -1)
    # Coarse ink grid of every window at once. Each window is stretched to its own
    # ink..paper range, and the mean of a linear stretch is the stretch of the mean, so the
    # grid needs only 4x4 block means (one box filter) and each window's min and max (one
    # erosion and one dilation with the window as kernel), sampled at the window origins.
    flt = padded.astype(np.float32)
    block = cv2.blur(flt, (4, 4), anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    kernel = np.ones((WIN_H, WIN_W), np.uint8)
    low = cv2.erode(padded, kernel, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    high = cv2.dilate(padded, kernel, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    ox = np.array([x for x, _ in locations])
    oy = np.array([y for _, y in locations])
    lo = low[oy, ox].astype(np.float32)[:, None, None]
    hi = high[oy, ox].astype(np.float32)[:, None, None]
    bx = ox[:, None, None] + 4 * np.arange(WIN_W // 4)[None, None, :]
    by = oy[:, None, None] + 4 * np.arange(WIN_H // 4)[None, :, None]
    means = block[by, bx]
    grids = ((hi - means) / np.maximum(hi - lo, 8.0)).reshape(len(locations), -1)
    return np.hstack([hog, grids])
