"""Read an MRZ from a video stream: vote per character over recent frames.

One frame can lose a character to glare, motion blur or a sensor speck; the next frame
usually has it. :class:`MrzVideoReader` keeps the per-character class probabilities of the
last few frames that showed an MRZ of the same shape, sums them (a soft vote), parses the
voted text (check digits, correction by field type only where the digits then pass) and
accepts when the voted MRZ is valid and the same in ``agree`` consecutive frames. It also
says what the person should do (:class:`Hint`) so the camera page can guide them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import cv2
import numpy as np

from kiosk.mrz.ocr.reader import (
    FrameRead,
    MrzFrameReader,
    corrected_text,
    decode,
    parse_lines,
)
from kiosk.mrz.result import MrzResult


class Hint(StrEnum):
    """What the person holding the document should do; the UI translates ``camera.hint.*``."""

    SHOW_DOCUMENT = "show_document"  # no MRZ in view
    CLOSER = "closer"  # too far: MRZ too small to read reliably
    FARTHER = "farther"  # too close: MRZ runs off the frame, or its characters are huge
    GLARE = "glare"  # saturated light on the MRZ
    NOT_SHARP = "not_sharp"  # out of focus or moving: no fine detail in the MRZ area
    HOLD_STILL = "hold_still"  # MRZ seen but not yet readable / moving
    READ = "read"  # accepted


#: An MRZ narrower than this share of the frame width is too small (~7 px per character).
MIN_WIDTH_SHARE = 0.35
#: Share of saturated pixels in the MRZ area above which we report glare.
GLARE_SHARE = 0.02
#: An MRZ wider than this share of the frame (or running off it) is too close.
MAX_WIDTH_SHARE = 0.95
#: Below this ratio of Laplacian to grey-level spread the area has no sharp edges: on the
#: synthetic corpus (tests/mrzcorpus) an MRZ in focus measures 0.34-0.95, one blurred by
#: defocus (Gaussian sigma 3.5) 0.03-0.12.
MIN_SHARPNESS = 0.2
#: Grey-level spread below which the area shows no document at all (an empty desk ~10).
MIN_CONTRAST = 20.0
#: Dark glyphs taller than this share of the frame height mean the document is too close
#: (a readable MRZ has characters of 2-4% of the frame height).
MAX_GLYPH_SHARE = 0.045
#: Where the person is asked to hold the MRZ (x0, y0, x1, y1 as shares of the frame); the
#: camera page draws it. Glare there explains a frame in which no MRZ could be found.
GUIDE = (0.15, 0.62, 0.85, 0.86)


@dataclass(frozen=True)
class VideoState:
    """The reader's state after a frame."""

    hint: Hint
    accepted: bool
    frames: int  # frames fed since the last reset
    ms: float  # clock time since the first frame after the last reset, this frame included
    busy_ms: float  # pipeline time spent on those frames
    text: str = field(default="", repr=False)
    result: MrzResult | None = field(default=None, repr=False)
    last: FrameRead | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FrameMeasure:
    """Measured properties of the MRZ area (or of the guide when no MRZ was located) that
    explain why a frame gave no MRZ; :func:`frame_hint` turns them into a :class:`Hint`."""

    width_share: float | None  # located MRZ width / frame width (None: not located)
    clipped: bool  # the located MRZ runs off the frame
    contrast: float  # grey-level standard deviation
    sharpness: float  # Laplacian standard deviation / grey-level standard deviation
    glyph_share: float  # median height of dark blobs / frame height
    saturated: float  # share of saturated pixels


def measure_frame(frame: np.ndarray, read: FrameRead | None = None) -> FrameMeasure:
    """Measure ``frame`` where the MRZ was located in ``read``, else inside :data:`GUIDE`."""
    h, w = frame.shape[:2]
    quad = read.quad if read is not None else None
    if quad is not None:
        x0, y0 = np.floor(quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
        clipped = bool(x0 < 1 or y0 < 1 or x1 > w - 1 or y1 > h - 1)
        width_share: float | None = float(np.ptp(quad[:, 0])) / w
    else:
        gx0, gy0, gx1, gy1 = GUIDE
        x0, y0, x1, y1 = round(gx0 * w), round(gy0 * h), round(gx1 * w), round(gy1 * h)
        clipped, width_share = False, None
    area = frame[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    if area.size == 0:
        return FrameMeasure(width_share, clipped, 0.0, 0.0, 0.0, 0.0)
    gray = cv2.cvtColor(area, cv2.COLOR_BGR2GRAY) if area.ndim == 3 else area
    contrast = float(gray.std())
    laplacian = cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F)
    sharpness = float(laplacian.std()) / (contrast + 1e-6)
    glyphs = _glyph_share(gray, h) if contrast >= MIN_CONTRAST else 0.0
    if quad is not None and (read is None or not read.valid):
        # The band found may be other text than the MRZ (a printed label): an MRZ held too
        # close shows as huge glyphs in the guide area whatever band was located.
        gx0, gy0, gx1, gy1 = GUIDE
        guide = frame[round(gy0 * h) : round(gy1 * h), round(gx0 * w) : round(gx1 * w)]
        guide_gray = cv2.cvtColor(guide, cv2.COLOR_BGR2GRAY) if guide.ndim == 3 else guide
        if guide_gray.size and float(guide_gray.std()) >= MIN_CONTRAST:
            glyphs = max(glyphs, _glyph_share(guide_gray, h))
    return FrameMeasure(
        width_share,
        clipped,
        contrast,
        sharpness,
        glyphs,
        float((gray >= 250).mean()),
    )


def _glyph_share(gray: np.ndarray, frame_height: int) -> float:
    """Median height of the dark connected blobs (text) as a share of the frame height."""
    _, dark = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    heights = [
        int(stats[i, cv2.CC_STAT_HEIGHT])
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= 12 and stats[i, cv2.CC_STAT_HEIGHT] < gray.shape[0]
    ]
    if len(heights) < 5:
        return 0.0
    return float(np.median(heights)) / frame_height


def frame_hint(frame: np.ndarray, read: FrameRead | None = None) -> Hint:
    """Why ``frame`` gave no (accepted) MRZ, as a hint for the person holding the document:
    too far, too close, glare, not sharp; ``read`` is the frame reader's result."""
    measure = measure_frame(frame, read)
    located = read is not None and read.lines and read.quad is not None
    if not located:
        if read is not None and read.lines:
            return Hint.HOLD_STILL
        if _glare_in_guide(frame):
            return Hint.GLARE
        if measure.contrast < MIN_CONTRAST:
            return Hint.SHOW_DOCUMENT
        # Huge glyphs first: an MRZ enlarged past the frame also loses its fine detail.
        if measure.glyph_share > MAX_GLYPH_SHARE:
            return Hint.FARTHER
        if measure.sharpness < MIN_SHARPNESS:
            return Hint.NOT_SHARP
        return Hint.SHOW_DOCUMENT
    assert measure.width_share is not None
    if measure.glyph_share > MAX_GLYPH_SHARE:
        return Hint.FARTHER  # huge glyphs in view: too close, whichever band was located
    if measure.width_share < MIN_WIDTH_SHARE:
        return Hint.CLOSER
    if measure.clipped or measure.width_share > MAX_WIDTH_SHARE:
        return Hint.FARTHER
    if measure.saturated > GLARE_SHARE:
        return Hint.GLARE
    if measure.sharpness < MIN_SHARPNESS:
        return Hint.NOT_SHARP
    return Hint.HOLD_STILL


class MrzVideoReader:
    """Feed it frames; it answers with a :class:`VideoState`. Not thread-safe: one owner."""

    def __init__(
        self,
        frame_reader: MrzFrameReader | None = None,
        *,
        window: int = 5,
        agree: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = frame_reader or MrzFrameReader()
        self._window = window
        self._agree = agree
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget every frame and any accepted MRZ (new person, or after :meth:`clear`)."""
        self._history: deque[FrameRead] = deque(maxlen=self._window)
        self._streak_text = ""
        self._streak = 0
        self._frames = 0
        self._busy = 0.0
        self._started: float | None = None
        self._accepted: VideoState | None = None

    def clear(self) -> None:
        """Alias of :meth:`reset`: drop every trace of the document from memory."""
        self.reset()

    def feed(self, frame: np.ndarray) -> VideoState:
        """Read one frame and update the vote; once accepted the state stays accepted."""
        if self._accepted is not None:
            return self._accepted
        now = self._clock()
        if self._started is None:
            self._started = now
        self._frames += 1
        read = self._reader.read(frame)
        self._busy += read.ms
        elapsed = (now - self._started) * 1000 + read.ms
        counts = (self._frames, elapsed, self._busy)
        if not read.lines:
            self._streak, self._streak_text = 0, ""
            return VideoState(frame_hint(frame, read), False, *counts, last=read)
        shape = tuple(len(line) for line in read.lines)
        if self._history and tuple(len(x) for x in self._history[-1].lines) != shape:
            self._history.clear()  # another document (or format) came into view
        self._history.append(read)
        text, result = self._vote(shape)
        # A frame that read a field without a check digit with doubt (a name, a state) does
        # not count towards acceptance: the vote waits for frames that see it clearly.
        if result is not None and result.valid and not read.doubtful:
            self._streak = self._streak + 1 if text == self._streak_text else 1
            self._streak_text = text
        else:
            self._streak, self._streak_text = 0, ""
        if self._streak >= self._agree and result is not None:
            self._accepted = VideoState(Hint.READ, True, *counts, text, result, read)
            return self._accepted
        return VideoState(frame_hint(frame, read), False, *counts, text, result, read)

    def _vote(self, shape: tuple[int, ...]) -> tuple[str, MrzResult | None]:
        total = np.zeros_like(self._history[-1].probabilities)
        for read in self._history:
            total += read.probabilities
        # The vote decodes the summed probabilities under the same field grammar as one frame.
        lines, _chosen = decode(total / len(self._history), shape[0], len(shape))
        result = parse_lines(lines)
        if result is None:
            return "\n".join(lines), None
        return corrected_text(lines, result), result


def _saturated_share(area: np.ndarray) -> float:
    if area.size == 0:
        return 0.0
    gray = cv2.cvtColor(area, cv2.COLOR_BGR2GRAY) if area.ndim == 3 else area
    return float((gray >= 250).mean())


def _glare_in_guide(frame: np.ndarray) -> bool:
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = GUIDE
    area = frame[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)]
    return _saturated_share(area[::4, ::4]) > 2 * GLARE_SHARE
