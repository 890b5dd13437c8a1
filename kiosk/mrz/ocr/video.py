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
    CLOSER = "closer"  # MRZ too small to read reliably
    GLARE = "glare"  # saturated light on the MRZ
    HOLD_STILL = "hold_still"  # MRZ seen but not yet readable / moving
    READ = "read"  # accepted


#: An MRZ narrower than this share of the frame width is too small (~7 px per character).
MIN_WIDTH_SHARE = 0.35
#: Share of saturated pixels in the MRZ area above which we report glare.
GLARE_SHARE = 0.02
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
            hint = Hint.GLARE if _glare_in_guide(frame) else Hint.SHOW_DOCUMENT
            return VideoState(hint, False, *counts, last=read)
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
        return VideoState(_hint(frame, read), False, *counts, text, result, read)

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


def _hint(frame: np.ndarray, read: FrameRead) -> Hint:
    """Guidance for a frame that showed an MRZ that was not (yet) accepted."""
    if read.quad is None:
        return Hint.HOLD_STILL
    width = float(np.ptp(read.quad[:, 0]))
    if width < MIN_WIDTH_SHARE * frame.shape[1]:
        return Hint.CLOSER
    x0, y0 = np.floor(read.quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(read.quad.max(axis=0)).astype(int)
    area = frame[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    if _saturated_share(area) > GLARE_SHARE:
        return Hint.GLARE
    return Hint.HOLD_STILL
