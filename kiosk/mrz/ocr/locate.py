"""Find the MRZ in a camera frame, undo rotation and perspective, and place the character grid.

Three stages, all OpenCV + numpy:

1. **Find line candidates** on a downscaled frame: a black-hat transform keeps small dark
   marks on a lighter background (text) and drops paper texture, shading and the desk; a
   short horizontal closing joins the characters of a line into one blob. MRZ lines are long
   thin blobs; lines of one MRZ are parallel, about equally long and regularly spaced, which
   groups them into a candidate band of 3 (TD1), 2 (TD2/TD3) or 1 (eDL) lines.
2. **Coarse rectification**: a homography from the ends of the first and last line of the
   band (perspective needs two lines; one eDL line gets a similarity) warps a *padded*
   region of the full-resolution frame to a canonical strip. The padding (two cells left and
   right, one and a half line heights above and below) keeps the first and last characters
   inside even when the blob ends were estimated short: losing edge characters was the
   failure mode measured here before (DESIGN.md section 10).
3. **Fit the grid** in that strip from the characters themselves: connected components of
   the binarised strip give, per line, a baseline fitted by least squares (so residual
   slope is removed line by line), the character pitch (phase coherence of the component
   centres over plausible pitches; OCR-B is monospaced, 9303 part 3 section 4.4) and the
   first and last character; the number of characters per line is then known (30, 36 or
   44), which fixes the grid. A second homography from those fitted grid ends, composed with
   the first, warps the original frame once more so the grid is exactly canonical, and the
   fit is repeated there to place every character centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import cv2
import numpy as np

from kiosk.mrz.ocr.features import GLYPH_H, PITCH

#: Width of the frame copy used to find candidates (speed; characters stay 6-15 px wide).
DETECT_WIDTH = 640
THRESHOLD_FACTOR = 0.6
CLOSE = (17, 3)
#: Padding of the canonical strip in character cells (x) and line spacings (y).
PAD_X = 2.0 * PITCH
PAD_Y = 1.5 * PITCH
#: Typical centre-to-centre spacing of MRZ lines in cells (about 4.2 mm / 2.54 mm).
LINE_SPACING = 1.65 * PITCH
#: Ink width of an OCR-B glyph relative to its cell (0.68 em-advance on the Debian font).
INK = 0.68

#: Layout candidates by number of lines: characters per line (9303 parts 4-7, ISO 18013).
CHARS_FOR_LINES: dict[int, tuple[int, ...]] = {3: (30,), 2: (44, 36), 1: (30,)}


@dataclass(frozen=True)
class Blob:
    """One text-line candidate in full-frame coordinates."""

    centre: tuple[float, float]
    direction: tuple[float, float]  # unit vector along the line, pointing right
    length: float
    thickness: float

    def end(self, sign: int) -> tuple[float, float]:
        """Left end (``sign=-1``) or right end (``sign=+1``) of the centre line."""
        (cx, cy), (ux, uy) = self.centre, self.direction
        return (cx + sign * ux * self.length / 2, cy + sign * uy * self.length / 2)

    @cached_property
    def angle(self) -> float:
        """Direction in degrees."""
        return math.degrees(math.atan2(self.direction[1], self.direction[0]))


@dataclass(frozen=True)
class Band:
    """A group of parallel line blobs that may be an MRZ, top line first."""

    lines: tuple[Blob, ...]

    @property
    def score(self) -> float:
        """Preference among candidates: more lines, then longer lines."""
        return len(self.lines) * 1e4 + sum(b.length for b in self.lines)


@dataclass(frozen=True)
class LineGrid:
    """The character grid of one line in a strip: centre ``x0 + j * pitch``, baseline fit."""

    x0: float
    pitch: float
    y0: float  # centre-line y at x = 0
    slope: float
    glyph_h: float
    #: Quadratic term of the cell positions: foreshortening along a single tilted line,
    #: which a similarity transform cannot remove (a one-line eDL has no second line to
    #: fix the perspective).
    curve: float = 0.0

    def centre(self, j: int) -> tuple[float, float]:
        """Centre of character ``j`` (0-based)."""
        x = self.x0 + j * self.pitch + self.curve * j * j
        return x, self.y0 + self.slope * x


@dataclass(frozen=True)
class Located:
    """A rectified MRZ: the canonical grey strip and one grid per line."""

    strip: np.ndarray
    grids: tuple[LineGrid, ...]
    chars: int
    homography: np.ndarray  # frame -> strip
    band: Band


def _grey(image: np.ndarray) -> np.ndarray:
    out: np.ndarray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return out


def find_bands(image: np.ndarray, max_bands: int = 4) -> list[Band]:
    """Return MRZ band candidates in a grey or BGR ``image`` (best first)."""
    h, w = image.shape[:2]
    s = DETECT_WIDTH / w
    small = _grey(
        cv2.resize(image, (DETECT_WIDTH, max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    )
    # A light blur first: sensor noise on a low-contrast page otherwise survives the
    # black-hat and glues the MRZ lines to specks around them.
    small = cv2.GaussianBlur(small, (3, 3), 0)
    blackhat = cv2.morphologyEx(
        small, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 11))
    )
    otsu, _ = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Below Otsu's level: thin or faint strokes (fillers, low contrast) must still count.
    _, bw = cv2.threshold(blackhat, THRESHOLD_FACTOR * otsu, 255, cv2.THRESH_BINARY)
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, CLOSE))
    bw = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    contours, _ = cv2.findContours(bw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    blobs: list[Blob] = []
    for contour in contours:
        if len(contour) < 5:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        length, thick = max(rw, rh), min(rw, rh)
        if length < 70 or thick < 3 or length < 6 * thick:
            continue
        theta = math.radians(angle if rw >= rh else angle + 90)
        ux, uy = math.cos(theta), math.sin(theta)
        if ux < 0:
            ux, uy = -ux, -uy
        if abs(uy) > 0.5:  # more than 30 degrees: not a document held up to the camera
            continue
        blobs.append(Blob((cx / s, cy / s), (ux, uy), length / s, thick / s))
    blobs = _merge_collinear(blobs)
    return _group(blobs)[:max_bands]


def text_angles(image: np.ndarray) -> list[float]:
    """Rotations (degrees, counter-clockwise) that could bring a turned MRZ upright.

    :func:`find_bands` looks for lines within 30 degrees of horizontal; a card laid
    sideways, a phone screenshot or a page upside down needs the frame turned first. Here an
    isotropic closing joins the characters *and* lines of a text block into one elongated
    blob, whatever its direction; the longest such blob gives the text direction modulo 180
    degrees, so the two candidates are that angle and the opposite one (upside down). A
    block already near horizontal gives only the half turn: the upright reading was tried.
    """
    h, w = image.shape[:2]
    s = DETECT_WIDTH / w
    small = _grey(
        cv2.resize(image, (DETECT_WIDTH, max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    )
    small = cv2.GaussianBlur(small, (3, 3), 0)
    square = cv2.MORPH_RECT  # separable: several times cheaper than an ellipse
    blackhat = cv2.morphologyEx(
        small, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(square, (13, 13))
    )
    otsu, _ = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, bw = cv2.threshold(blackhat, THRESHOLD_FACTOR * otsu, 255, cv2.THRESH_BINARY)
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(square, (9, 9)))
    contours, _ = cv2.findContours(bw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    best: tuple[float, float] | None = None  # (length, angle)
    for contour in contours:
        if len(contour) < 5:
            continue
        (_cx, _cy), (rw, rh), angle = cv2.minAreaRect(contour)
        length, thick = max(rw, rh), min(rw, rh)
        if length < 80 or thick < 4 or length < 5 * thick:
            continue
        if best is None or length > best[0]:
            best = (length, angle if rw >= rh else angle + 90)
    if best is None:
        return []
    angle = (best[1] + 90) % 180 - 90  # the line direction in [-90, 90)
    if abs(angle) < 20:
        return [180.0]
    return [angle, angle + 180 if angle < 0 else angle - 180]


def rotate(image: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """``image`` turned counter-clockwise by ``degrees`` on a canvas that holds all of it,
    and the 2x3 affine matrix from original to turned coordinates. Quarter turns are exact
    (no resampling)."""
    h, w = image.shape[:2]
    quarter = round(degrees / 90) % 4
    if abs(degrees - round(degrees / 90) * 90) < 1e-6:
        codes = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}
        matrices = {
            0: np.array([[1, 0, 0], [0, 1, 0]], np.float64),
            1: np.array([[0, 1, 0], [-1, 0, w - 1]], np.float64),
            2: np.array([[-1, 0, w - 1], [0, -1, h - 1]], np.float64),
            3: np.array([[0, -1, h - 1], [1, 0, 0]], np.float64),
        }
        turned = image if quarter == 0 else cv2.rotate(image, codes[quarter])
        return turned, matrices[quarter]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    c, s = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * s + w * c), int(h * c + w * s)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    turned = cv2.warpAffine(image, matrix, (nw, nh), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    return turned, matrix


def _merge_collinear(blobs: list[Blob]) -> list[Blob]:
    """Join pieces of one line broken by glare or a faint stretch of fillers."""
    blobs = sorted(blobs, key=lambda b: -b.length)
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(blobs):
            for j in range(i + 1, len(blobs)):
                b = blobs[j]
                if abs(a.angle - b.angle) > 4:
                    continue
                dx, dy = b.centre[0] - a.centre[0], b.centre[1] - a.centre[1]
                along = dx * a.direction[0] + dy * a.direction[1]
                across = -dx * a.direction[1] + dy * a.direction[0]
                gap = abs(along) - (a.length + b.length) / 2
                if abs(across) > 0.5 * max(a.thickness, b.thickness) or gap > 2.5 * a.thickness:
                    continue
                lo = min(-a.length / 2, along - b.length / 2)
                hi = max(a.length / 2, along + b.length / 2)
                mid = (lo + hi) / 2
                centre = (a.centre[0] + mid * a.direction[0], a.centre[1] + mid * a.direction[1])
                blobs[i] = Blob(centre, a.direction, hi - lo, max(a.thickness, b.thickness))
                del blobs[j]
                merged = True
                break
            if merged:
                break
    return blobs


def _group(blobs: list[Blob]) -> list[Band]:
    """Group parallel, equally long, regularly spaced blobs into bands."""
    bands: list[Band] = []
    used: set[tuple[int, ...]] = set()
    for i, seed in enumerate(blobs):
        ux, uy = seed.direction
        members = []
        for j, other in enumerate(blobs):
            if abs(other.angle - seed.angle) > 4:
                continue
            if not 0.75 < other.length / seed.length < 1.33:
                continue
            dx, dy = other.centre[0] - seed.centre[0], other.centre[1] - seed.centre[1]
            along = dx * ux + dy * uy
            across = -dx * uy + dy * ux
            if abs(along) > 0.08 * seed.length or abs(across) > 0.2 * seed.length:
                continue
            members.append((across, j))
        members.sort()
        # Keep runs of lines whose spacing is regular and plausible for an MRZ.
        chain = [members[0]] if members else []
        for m in members[1:]:
            step = m[0] - chain[-1][0]
            ok = 0.025 * seed.length < step < 0.1 * seed.length
            if ok and (len(chain) < 2 or abs(step - (chain[-1][0] - chain[-2][0])) < 0.3 * step):
                chain.append(m)
            elif any(j == i for _, j in chain):
                break
            else:
                chain = [m]
        if not any(j == i for _, j in chain):
            chain = [(0.0, i)]
        for size in sorted({min(len(chain), 3), 1}, reverse=True):
            # A TD1 band has 3 lines; a longer chain is not an MRZ, take a window around seed.
            pos = next(k for k, (_, j) in enumerate(chain) if j == i)
            start = max(0, min(pos, len(chain) - size))
            key = tuple(j for _, j in chain[start : start + size])
            if key in used:
                continue
            used.add(key)
            bands.append(Band(tuple(blobs[j] for j in key)))
    bands.sort(key=lambda b: -b.score)
    return bands


def _coarse_homography(band: Band, chars: int) -> tuple[np.ndarray, float]:
    """Homography frame -> strip from the blob ends; also the strip's line spacing."""
    first, last = band.lines[0], band.lines[-1]
    width = (chars - 1 + INK) * PITCH
    x_left, x_right = PAD_X + (1 - INK) * PITCH / 2, PAD_X + (1 - INK) * PITCH / 2 + width
    if len(band.lines) == 1:
        (lx, ly), (rx, ry) = first.end(-1), first.end(1)
        k = width / first.length
        nx, ny = -first.direction[1], first.direction[0]
        src = np.array([[lx, ly], [rx, ry], [lx + nx * 10, ly + ny * 10]], np.float32)
        dst = np.array([[x_left, PAD_Y], [x_right, PAD_Y], [x_left, PAD_Y + 10 * k]], np.float32)
        affine = cv2.getAffineTransform(src, dst)
        return np.vstack([affine, [0, 0, 1]]), 0.0
    # MRZ lines are left- and right-aligned: extend each end to the band's outermost end, so
    # a line shortened by glare does not skew the homography.
    ux, uy = first.direction

    def along(p: tuple[float, float]) -> float:
        return (p[0] - first.centre[0]) * ux + (p[1] - first.centre[1]) * uy

    lo = min(along(b.end(-1)) for b in band.lines)
    hi = max(along(b.end(1)) for b in band.lines)

    def at(b: Blob, t: float) -> tuple[float, float]:
        shift = t - along(b.centre)
        return (b.centre[0] + ux * shift, b.centre[1] + uy * shift)

    l1, r1, ln, rn = at(first, lo), at(first, hi), at(last, lo), at(last, hi)
    mean_len = (math.dist(l1, r1) + math.dist(ln, rn)) / 2
    spacing = (math.dist(l1, ln) + math.dist(r1, rn)) / 2 * width / mean_len
    y_last = PAD_Y + spacing
    src = np.array([l1, r1, ln, rn], np.float32)
    dst = np.array(
        [[x_left, PAD_Y], [x_right, PAD_Y], [x_left, y_last], [x_right, y_last]], np.float32
    )
    return cv2.getPerspectiveTransform(src, dst), spacing / (len(band.lines) - 1)


def _strip_size(chars: int, n_lines: int, spacing: float) -> tuple[int, int]:
    return (
        round(chars * PITCH + 2 * PAD_X),
        round(2 * PAD_Y + max(spacing, LINE_SPACING) * (n_lines - 1)),
    )


def _components(strip: np.ndarray) -> np.ndarray:
    """Character-like connected components: rows of (x, y, w, h, area)."""
    blackhat = cv2.morphologyEx(
        strip, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (11, 11))
    )
    _, bw = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    st = stats[1:n].astype(np.float64)
    keep = (st[:, 3] >= 0.3 * GLYPH_H) & (st[:, 3] <= 2.2 * GLYPH_H) & (st[:, 4] >= 12)
    keep &= st[:, 2] <= 8 * PITCH
    out: np.ndarray = st[keep]
    return out


def _warp_components(comps: np.ndarray, homography: np.ndarray) -> np.ndarray:
    """Component boxes (x, y, w, h, area) mapped through ``homography`` (their bounding box)."""
    if len(comps) == 0:
        return comps
    x, y, w, h = comps[:, 0], comps[:, 1], comps[:, 2], comps[:, 3]
    corners = np.stack(
        [np.stack(p, axis=1) for p in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))], axis=1
    )
    moved = cv2.perspectiveTransform(corners.reshape(-1, 1, 2).astype(np.float32), homography)
    moved = moved.reshape(-1, 4, 2).astype(np.float64)
    lo, hi = moved.min(axis=1), moved.max(axis=1)
    out: np.ndarray = np.column_stack([lo, hi - lo, comps[:, 4]])
    return out


def _trim(line: np.ndarray) -> np.ndarray:
    """Keep the run of components around the line's middle that has no wide gap.

    MRZ lines have a glyph in every cell (fillers are printed), so a gap of several cells
    means the component beyond it belongs to something else (document edge, photo, print).
    """
    if len(line) < 2:
        return line
    line = line[np.argsort(line[:, 0])]
    height = _median(line[:, 3])
    gaps = line[1:, 0] - (line[:-1, 0] + line[:-1, 2])
    core = int(np.argmin(np.abs(np.cumsum(line[:, 2]) - line[:, 2].sum() / 2)))
    lo, hi = core, core
    while lo > 0 and gaps[lo - 1] < 2.5 * height:
        lo -= 1
    while hi < len(line) - 1 and gaps[hi] < 2.5 * height:
        hi += 1
    out: np.ndarray = line[lo : hi + 1]
    return out


def _line_rows(comps: np.ndarray) -> list[float]:
    """Centre rows of the text lines in a strip, from clusters of component centres."""
    if len(comps) == 0:
        return []
    height = _median(comps[:, 3])
    cy = np.sort(comps[:, 1] + comps[:, 3] / 2)
    clusters: list[list[float]] = [[float(cy[0])]]
    for y in cy[1:]:
        if y - clusters[-1][-1] > 0.5 * height:
            clusters.append([])
        clusters[-1].append(float(y))
    big = max(len(c) for c in clusters)
    rows = [_median(np.array(c)) for c in clusters if len(c) >= max(8, 0.4 * big)]
    return rows


def _grid_phase(xs: np.ndarray, pitch: float) -> tuple[float, float]:
    """Grid origin and pitch fitted to glyph centres: phase first, then least squares.

    Used where the homography from two lines has already removed the perspective, so the
    grid is straight; the phase is robust to stray components and broken glyphs.
    """
    angle = 2 * np.pi * xs / pitch
    phase = math.atan2(float(np.sin(angle).sum()), float(np.cos(angle).sum()))
    x0 = phase / (2 * np.pi) * pitch
    j = np.round((xs - x0) / pitch)
    ok = np.abs(xs - x0 - j * pitch) < 0.3 * pitch
    if ok.sum() >= 4 and np.ptp(j[ok]) >= 4:
        a = np.vstack([np.ones(int(ok.sum())), j[ok]]).T
        (x0_fit, p_fit), *_ = np.linalg.lstsq(a, xs[ok], rcond=None)
        if abs(p_fit - pitch) < 0.06 * pitch:
            return float(x0_fit), float(p_fit)
    return float(x0), pitch


def _chain_fit(xs: np.ndarray, pitch: float) -> tuple[float, float, float]:
    """Fit x = x0 + p j + q j^2 to sorted glyph centres ``xs``.

    Cell indices are assigned by walking along the line with a running pitch, so a pitch
    that drifts along the line (foreshortening of a tilted document) is followed; the
    quadratic term then models that drift.
    """
    j = np.zeros(len(xs))
    fragment = np.zeros(len(xs), bool)
    local = pitch
    last = 0
    for k in range(1, len(xs)):
        d = float(xs[k] - xs[last])
        step = round(d / local)
        if step == 0:  # a broken glyph: a second piece in the same cell
            fragment[k] = True
            continue
        j[k] = j[last] + step
        if step == 1:
            local = 0.8 * local + 0.2 * d
        last = k
    xs, j = xs[~fragment], j[~fragment]
    if len(xs) < 6 or np.ptp(j) < 4:
        return float(xs[0]) if len(xs) else 0.0, pitch, 0.0
    a = np.vstack([np.ones(len(j)), j, j * j]).T
    keep = np.ones(len(j), bool)
    coef = np.zeros(3)
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(a[keep], xs[keep], rcond=None)
        keep = np.abs(a @ coef - xs) < 0.25 * pitch
        if keep.sum() < 6:
            break
    x0, p, q = (float(v) for v in coef)
    if abs(q) * np.ptp(j) ** 2 / 8 > 0.5 * pitch or not 0.7 * pitch < p < 1.4 * pitch:
        slope, x0 = _fit(j, xs)
        return x0, slope, 0.0
    return x0, p, q


def _best_pitch(lines: list[np.ndarray], lo: float, hi: float) -> float | None:
    """Pitch whose grid best explains the character centres (phase coherence).

    Each line keeps its own phase: after a coarse warp the lines need not start at exactly
    the same x.
    """
    lines = [xs for xs in lines if len(xs) >= 3]
    total = sum(len(xs) for xs in lines)
    if total < 4:
        return None
    pitches = np.linspace(lo, hi, 120)
    coherence = np.zeros(len(pitches))
    for xs in lines:
        phase = 2 * np.pi * xs[None, :] / pitches[:, None]
        coherence += np.hypot(np.cos(phase).sum(axis=1), np.sin(phase).sum(axis=1))
    coherence /= total
    best = int(coherence.argmax())
    if coherence[best] >= 0.5:
        return float(pitches[best])
    # Foreshortening along a tilted line (not yet removed by a coarse similarity) drifts the
    # phase; the spacing of neighbouring glyphs still gives the mean pitch.
    diffs = np.concatenate([np.diff(np.sort(xs)) for xs in lines])
    diffs = diffs[(diffs >= lo) & (diffs <= hi)]
    return _median(diffs) if len(diffs) >= 8 else None


def fit_lines(
    strip: np.ndarray,
    line_ys: list[float],
    chars_options: tuple[int, ...],
    *,
    expected_x0: float = PAD_X + PITCH / 2,
    pitch_range: tuple[float, float] = (0.7, 1.4),
    pitch_px: tuple[float, float] | None = None,
    follow_drift: bool = False,
    comps: np.ndarray | None = None,
) -> tuple[int, list[LineGrid]] | None:
    """Fit the character grid of each line near ``line_ys`` in a roughly canonical strip.

    ``comps`` are the strip's character components when already known (see
    :func:`_warp_components`). The pitch is searched in ``pitch_range`` times the glyph
    height, or in ``pitch_px`` pixels when given. ``follow_drift``: the strip still has
    perspective along its lines (a coarse similarity from one blob), so each line's pitch
    is followed along it as for a single line. Returns the number of characters per line
    and one grid per line, or None when the strip does not hold such an MRZ.
    """
    if comps is None:
        comps = _components(strip)
    if len(comps) < 8:
        return None
    cy = comps[:, 1] + comps[:, 3] / 2
    spacing = (line_ys[-1] - line_ys[0]) / (len(line_ys) - 1) if len(line_ys) > 1 else LINE_SPACING
    per_line: list[np.ndarray] = []
    for y in line_ys:
        sel = np.abs(cy - y) < 0.45 * max(spacing, GLYPH_H)
        line = _trim(comps[sel])
        if len(line) < 5:
            return None
        per_line.append(line)
    heights = np.concatenate([c[:, 3] for c in per_line])
    glyph_h = float(np.percentile(heights, 80))
    # Pitch from single glyphs of every line (widths below ~1 glyph height).
    singles = []
    for c in per_line:
        single = c[c[:, 2] < 1.0 * glyph_h]
        xs = single[:, 0] + single[:, 2] / 2
        singles.append(np.sort(xs))
    # One pitch fits all lines; search around the glyph height (OCR-B cap height is about
    # one pitch).
    lo, hi = pitch_px or (pitch_range[0] * glyph_h, pitch_range[1] * glyph_h)
    pitch = _best_pitch(singles, lo, hi)
    if pitch is None:
        return None
    lefts = [float(c[:, 0].min()) for c in per_line]
    rights = [float((c[:, 0] + c[:, 2]).max()) for c in per_line]
    extent = _median(np.array(rights) - np.array(lefts))
    n_est = (extent - INK * pitch) / pitch + 1
    chars = min(chars_options, key=lambda n: abs(n - n_est))
    if abs(chars - n_est) > max(2.5, 0.08 * chars):
        return None
    grids = []
    for c, xs in zip(per_line, singles, strict=True):
        tall = c[c[:, 3] >= 0.75 * glyph_h]
        if len(tall) < 3:
            tall = c
        tx = tall[:, 0] + tall[:, 2] / 2
        ty = tall[:, 1] + tall[:, 3] / 2
        slope, y0 = _robust_line(tx, ty, 0.2 * glyph_h)
        centres = xs if len(xs) >= 4 else np.sort(tx)
        if len(per_line) == 1 or follow_drift:
            # Perspective is not yet removed (one line, or several lines merged into one
            # blob at the detection scale): follow the pitch along the line, so the grid
            # ends that fix the second homography are where the glyphs are.
            x0, line_pitch, curve = _chain_fit(centres, pitch)
        else:
            x0, line_pitch = _grid_phase(centres, pitch)
            curve = 0.0

        def cell(
            x: np.ndarray, x0: float = x0, p: float = line_pitch, q: float = curve
        ) -> np.ndarray:
            j = (x - x0) / p
            for _ in range(2):  # invert x = x0 + p j + q j^2 (q is small)
                j = (x - x0 - q * j * j) / p
            return j

        # Which `chars` consecutive cells are the line: the window covering the most ink,
        # nearest to where the line was expected to start when two windows tie (a line whose
        # end glyphs are faint or lost).
        c_left = c[:, 0]
        c_right = c[:, 0] + c[:, 2]
        first = math.floor(float(cell(c_left.min()))) - 2
        last = math.ceil(float(cell(c_right.max()))) + 2
        size = max(last - first + 1, chars)
        j_lo = np.round(cell(c_left + 0.5 * INK * line_pitch)).astype(int) - first
        j_lo = np.clip(j_lo, 0, size - 1)
        j_hi = np.round(cell(c_right - 0.5 * INK * line_pitch)).astype(int) - first
        j_hi = np.clip(np.maximum(j_hi, j_lo), 0, size - 1)
        edges = np.zeros(size + 1, np.int64)
        np.add.at(edges, j_lo, 1)
        np.add.at(edges, j_hi + 1, -1)
        cells = (np.cumsum(edges)[:size] > 0).astype(np.int64)
        window = np.convolve(cells, np.ones(chars, np.int64), mode="valid")
        expected = float(cell(np.asarray(expected_x0))) - first
        score = window * 1000.0 - np.abs(np.arange(len(window)) - expected)
        best = int(score.argmax())
        s0 = first + best  # shift the polynomial so that j = 0 is the first character
        grids.append(
            LineGrid(
                x0 + line_pitch * s0 + curve * s0 * s0,
                line_pitch + 2 * curve * s0,
                y0,
                slope,
                glyph_h,
                curve,
            )
        )
    return chars, grids


def _median(values: np.ndarray) -> float:
    """Median of a small array (np.median's generality costs more than the sort here)."""
    ordered = np.sort(values, axis=None)
    n = len(ordered)
    return float(ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2)


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Closed-form least-squares line y = y0 + slope x."""
    mx, my = float(x.mean()), float(y.mean())
    dx = x - mx
    slope = float((dx * (y - my)).sum() / max(float((dx * dx).sum()), 1e-9))
    return slope, my - slope * mx


def _robust_line(x: np.ndarray, y: np.ndarray, tol: float) -> tuple[float, float]:
    """Least-squares line y = y0 + slope x, refitted without outliers."""
    if len(x) < 2 or np.ptp(x) < 1:
        return 0.0, _median(y)
    slope, y0 = _fit(x, y)
    resid = np.abs(y - (y0 + slope * x))
    ok = resid < max(tol, _median(resid) * 2)
    if ok.sum() >= 2 and np.ptp(x[ok]) >= 1:
        slope, y0 = _fit(x[ok], y[ok])
    return slope, y0


def rectify(image: np.ndarray, band: Band) -> Located | None:
    """Rectify ``band`` of the full-resolution grey or BGR frame and fit its character grid.

    Only the warped strips are converted to grey, never the whole frame.
    """
    n_lines = len(band.lines)
    guess = CHARS_FOR_LINES[n_lines][0]
    h1, spacing = _coarse_homography(band, guess)
    if n_lines == 1:
        # One blob may be one eDL line or several MRZ lines merged by blur at the detection
        # scale: rectify the whole blob with room for three lines and count the text rows.
        blob = band.lines[0]
        guess = 30
        h1, _ = _coarse_homography(band, guess)
        extra = blob.thickness * (guess - 1 + INK) * PITCH / blob.length
        shift = np.array([[1, 0, 0], [0, 1, 1.5 * LINE_SPACING], [0, 0, 1]])
        h1 = shift @ h1
        size = (round(guess * PITCH + 2 * PAD_X), round(2 * PAD_Y + 3 * LINE_SPACING + extra))
    else:
        size = _strip_size(guess, n_lines, spacing)
    coarse = _grey(
        cv2.warpPerspective(
            image, h1, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    )
    coarse_comps = _components(coarse)
    if n_lines == 1:
        rows = _line_rows(coarse_comps)
        if not 1 <= len(rows) <= 3:
            return None
        n_lines, ys = len(rows), rows
    else:
        ys = [PAD_Y + k * spacing for k in range(n_lines)]
    options = CHARS_FOR_LINES[n_lines]
    fitted = fit_lines(coarse, ys, options, comps=coarse_comps, follow_drift=len(band.lines) == 1)
    if fitted is None:
        return None
    chars, grids = fitted
    # Second homography: fitted grid ends of the first and last line -> exact canonical grid.
    first, last = grids[0], grids[-1]
    p0, p1 = first.centre(0), first.centre(chars - 1)
    q0, q1 = last.centre(0), last.centre(chars - 1)
    x_a, x_b = PAD_X + PITCH / 2, PAD_X + (chars - 0.5) * PITCH
    if n_lines == 1:
        k = (chars - 1) * PITCH / math.dist(p0, p1)
        ux, uy = (p1[0] - p0[0]) / math.dist(p0, p1), (p1[1] - p0[1]) / math.dist(p0, p1)
        src = np.array([p0, p1, (p0[0] - uy * 10, p0[1] + ux * 10)], np.float32)
        dst = np.array([[x_a, PAD_Y], [x_b, PAD_Y], [x_a, PAD_Y + 10 * k]], np.float32)
        h2 = np.vstack([cv2.getAffineTransform(src, dst), [0, 0, 1]])
        final_spacing = 0.0
    else:
        scale = (chars - 1) * PITCH / ((math.dist(p0, p1) + math.dist(q0, q1)) / 2)
        final_spacing = (math.dist(p0, q0) + math.dist(p1, q1)) / 2 * scale
        y_b = PAD_Y + final_spacing
        # Every fitted cell centre of every line, not only the four ends: foreshortening
        # along the lines (keystone) is then measured along the lines, where the pitch
        # drift shows it, instead of from the small height difference of two close lines.
        src_pts, dst_pts = [], []
        for k, grid in enumerate(grids):
            y_k = PAD_Y + k * final_spacing / (n_lines - 1)
            for j in range(chars):
                src_pts.append(grid.centre(j))
                dst_pts.append((x_a + j * PITCH, y_k))
        found = cv2.findHomography(np.array(src_pts, np.float32), np.array(dst_pts, np.float32))
        # OpenCV returns None for degenerate points (its stubs say it never does).
        fitted_h = cast("np.ndarray | None", found[0])
        if fitted_h is None:
            src = np.array([p0, p1, q0, q1], np.float32)
            dst = np.array([[x_a, PAD_Y], [x_b, PAD_Y], [x_a, y_b], [x_b, y_b]], np.float32)
            fitted_h = cv2.getPerspectiveTransform(src, dst)
        h2 = fitted_h
    homography = h2 @ h1
    size = _strip_size(chars, n_lines, final_spacing / max(1, n_lines - 1))
    strip = _grey(
        cv2.warpPerspective(
            image, homography, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    )
    step = final_spacing / max(1, n_lines - 1)
    ys = [PAD_Y + k * step for k in range(n_lines)]
    # The characters were already segmented in the coarse strip; carry their boxes over with
    # the second homography instead of binarising the final strip again.
    refit = fit_lines(
        strip,
        ys,
        (chars,),
        # The second homography made the pitch canonical: search around PITCH, not around
        # the glyph height (issuers' glyphs are 0.8-1.2 cells tall; a short font put the
        # true pitch outside a glyph-relative range, and the grid drifted half a cell).
        pitch_px=(0.9 * PITCH, 1.12 * PITCH),
        comps=_warp_components(coarse_comps, h2),
    )
    if refit is not None:
        grids = refit[1]
    else:
        grids = [LineGrid(PAD_X + PITCH / 2, PITCH, y, 0.0, GLYPH_H) for y in ys]
    return Located(strip, tuple(grids), chars, homography, band)
