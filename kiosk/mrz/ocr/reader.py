"""Read the MRZ of one camera frame: locate, rectify, classify, validate.

The reader returns what it saw even when the check digits fail (the video voter combines
such frames); ``result.valid`` says whether the text passed :func:`kiosk.mrz.parser.parse_mrz`,
which corrects OCR confusions by field type only where the check digits then pass
(DESIGN.md section 4).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np

from kiosk.mrz.countries import MRZ_STATE_CODES
from kiosk.mrz.ocr.features import ALPHABET, window_features
from kiosk.mrz.ocr.locate import Located, find_bands, rectify, rotate, text_angles
from kiosk.mrz.ocr.model import GlyphModel, default_model
from kiosk.mrz.parser import _CONFUSION, field_grammar, parse_mrz  # _CONFUSION: O/0, I/1...
from kiosk.mrz.result import MrzFormat, MrzResult, MrzSyntaxError

#: How many band candidates one frame may try before giving up (bounds the time per frame).
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class FrameRead:
    """What one frame gave.

    ``lines`` is the text as classified (before correction); ``probabilities`` has one row
    of 37 class probabilities per character (all lines concatenated, :data:`ALPHABET`
    order). ``result`` is the parsed MRZ (or None when the text is not MRZ-shaped);
    ``text`` is the corrected text when ``result`` is valid.
    """

    lines: tuple[str, ...] = field(repr=False)  # raw MRZ: never in a log line (DESIGN 7)
    probabilities: np.ndarray = field(repr=False)
    result: MrzResult | None = field(repr=False)
    ms: float
    quad: np.ndarray | None = field(default=None, repr=False)
    doubtful: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when every check digit passed (after correction by field type), the field
        grammar holds, and no field without a check digit was read with doubt."""
        return self.result is not None and self.result.valid and not self.doubtful

    @property
    def confidence(self) -> float:
        """Lowest per-character probability of the classified text (0..1)."""
        if self.probabilities.size == 0:
            return 0.0
        return float(self.probabilities.max(axis=1).min())

    @property
    def text(self) -> str:
        """The MRZ lines joined by newlines, with the parser's corrections applied."""
        return corrected_text(self.lines, self.result)


def corrected_text(lines: tuple[str, ...], result: MrzResult | None) -> str:
    """Apply ``result.corrections`` to the classified ``lines``.

    The parser hides corrections inside fields that may carry a BSN (``'*'`` for both
    characters); such a correction is always one of its confusion pairs (O/0, I/1, ...), so
    the corrected character is the read character's twin.
    """
    chars = [list(line) for line in lines]
    if result is not None:
        for c in result.corrections:
            row, col = c.line - 1, c.column - 1
            if c.to_char != "*":
                chars[row][col] = c.to_char
            else:
                chars[row][col] = _CONFUSION.get(chars[row][col], chars[row][col])
    return "\n".join("".join(line) for line in chars)


EMPTY = FrameRead((), np.zeros((0, len(ALPHABET)), np.float32), None, 0.0)


_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_LETTER_MASK = np.array([c.isalpha() for c in ALPHABET])
_STATE_CODES = sorted(c.ljust(3, "<") for c in MRZ_STATE_CODES)
_STATE_INDEX = np.array([[_INDEX[c] for c in code] for code in _STATE_CODES])
#: The OCR-B pairs that are nearly one shape (O/0: a slightly narrower oval; I/1: a flag),
#: as class indices both ways round (see :func:`decode`). B/8, S/5, Z/2 and G/6 are told
#: apart by their strokes, and folding them measured a valid-but-wrong name on a real scan
#: (a blurred D read as G, with the 6 mass added).
_TWINS = [(_INDEX[a], _INDEX[b]) for a, b in ("O0", "0O", "I1", "1I")]
#: A twin's probability is folded into a cell's allowed character only when the
#: classifier gave that character at least this much itself.
TWIN_FOLD_ABOVE = 0.2

#: A character of a field no check digit protects, read with less probability than this,
#: makes the read doubtful: the frame is not accepted on its own (the video vote waits for
#: more frames) rather than risk a valid-looking wrong name or state. 0.8: at 0.6 the
#: retrained ensemble read a synthetic real-conditions name D as B at 0.78 and accepted it.
DOUBT_BELOW = 0.8


@cache
def _mask(allowed: frozenset[str]) -> np.ndarray:
    return np.array([c in allowed for c in ALPHABET])


def _split(text: str, n: int, count: int) -> tuple[str, ...]:
    return tuple(text[k * n : (k + 1) * n] for k in range(count))


def decode(probs: np.ndarray, chars: int, count: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Turn per-cell class probabilities into MRZ lines under the field grammar.

    ICAO 9303-3/4/5/6 say which characters each position may hold
    (:func:`kiosk.mrz.parser.field_grammar`): letters in names, codes and states, digits in
    dates and check digits, and states from the 9303-3 code list. Each cell takes the most
    probable character its field allows, and each state field the most probable 9303 code
    (joint probability of its three cells), so "0LIVIA", "NLD" read as "MLD" or "UT0" never
    come out of the decoder; the check digits then decide the rest in the parser. A
    forbidden character's probability goes to its OCR-B twin when the field allows that
    (O/0, I/1). Returns the lines and the probability of each chosen character (with
    its forbidden twin's), one per cell.
    """
    masked = probs.copy()
    masked[0, ~_LETTER_MASK] = -1.0  # the document code starts with a letter (9303-3 4.2.2)
    text = "".join(ALPHABET[i] for i in masked.argmax(axis=1))
    lines = _split(text, chars, count)
    try:
        grammar = field_grammar("\n".join(lines))
    except MrzSyntaxError:
        chosen = probs[np.arange(len(probs)), masked.argmax(axis=1)]
        return lines, chosen
    flat = [allowed for line in grammar.allowed for allowed in line]
    if len(flat) != len(probs):  # pragma: no cover - the grid always matches its layout
        return lines, probs.max(axis=1)
    allow = np.array([_mask(allowed) for allowed in flat])
    # OCR-B twins (O/0, I/1) are nearly one shape to the eye and to the classifier: where
    # the field forbids one of a pair, its probability belongs to the other (a "1" in a
    # name is an I, not whichever letter came second).
    # Only when the classifier itself hesitated between the twins: a glyph it took for a
    # sure 0 may as well be a D or a Q as an O (measured on a small real scan: KINGDOM's
    # D read as 0 at 0.77), so that stays doubtful.
    folded = probs.copy()
    for a, b in _TWINS:
        hesitated = probs[:, a] >= TWIN_FOLD_ABOVE
        folded[:, a] += probs[:, b] * (~allow[:, b] & allow[:, a] & hesitated)
    masked = np.where(allow, folded, -1.0)
    best = masked.argmax(axis=1)
    for triple in grammar.states:
        rows = [row * chars + col for row, col in triple]
        scores = np.prod(folded[rows][np.arange(3), _STATE_INDEX], axis=1)
        best[rows] = _STATE_INDEX[int(scores.argmax())]
    text = "".join(ALPHABET[i] for i in best)
    # The certainty of a cell is its character's probability with its twin's folded in, not
    # renormalised over the allowed characters: mass the classifier gave to a forbidden
    # character other than the twin means it saw something else there, which stays doubt.
    chosen = folded[np.arange(len(probs)), best]
    return _split(text, chars, count), chosen


def _raw_lines(probs: np.ndarray, lines: tuple[str, ...]) -> tuple[str, ...]:
    """The classifier's most probable characters, split like ``lines`` (no grammar)."""
    text = "".join(ALPHABET[i] for i in probs.argmax(axis=1))
    return _split(text, len(lines[0]), len(lines)) if lines else ()


def doubtful_fields(lines: tuple[str, ...], chosen: np.ndarray) -> tuple[str, ...]:
    """Fields without a check digit holding a character read with too little certainty."""
    try:
        grammar = field_grammar("\n".join(lines))
    except MrzSyntaxError:
        return ()
    chars = len(lines[0])
    found = {
        grammar.fields.get((row, col), "unknown")
        for row, line in enumerate(lines)
        for col in range(len(line))
        if (row, col) not in grammar.checked and chosen[row * chars + col] < DOUBT_BELOW
    }
    return tuple(sorted(found))


#: A check-digit guided correction (:func:`kiosk.mrz.parser.parse_mrz`) is only believed
#: when the classifier gave the corrected character at least this probability in that cell.
#: The parser knows nothing of the image: on a frame with a few misread cells it can find a
#: confusion swap elsewhere that happens to satisfy the check digits (measured on a real
#: specimen photo: three wrong letters and a sure "0" turned into "O"), a valid-but-wrong read.
CORRECT_ABOVE = 0.02


def implausible_corrections(
    result: MrzResult | None, lines: tuple[str, ...], probs: np.ndarray
) -> tuple[str, ...]:
    """Fields the parser corrected to a character the image does not support."""
    if result is None or not lines:
        return ()
    chars = len(lines[0])
    found = set()
    for c in result.corrections:
        row, col = c.line - 1, c.column - 1
        read = lines[row][col]
        to = c.to_char if c.to_char != "*" else _CONFUSION.get(read, read)
        if probs[row * chars + col, _INDEX[to]] < CORRECT_ABOVE:
            found.add(c.field)
    return tuple(sorted(found))


def classify(located: Located, model: GlyphModel) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Classify every character cell of a rectified MRZ: the lines as :func:`decode` reads
    them, every class probability per cell, and the probability of each chosen character."""
    centres = [g.centre(j) for g in located.grids for j in range(located.chars)]
    probs = model.probabilities(window_features(located.strip, centres))
    lines, chosen = decode(probs, located.chars, len(located.grids))
    return lines, probs, chosen


def parse_lines(lines: tuple[str, ...]) -> MrzResult | None:
    """Parse classified lines; None when they are not MRZ-shaped."""
    try:
        return parse_mrz("\n".join(lines))
    except MrzSyntaxError:
        return None


def _back(quad: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    """Map points from a turned frame back to the frame it came from."""
    if matrix is None:
        return quad
    inverse = cv2.invertAffineTransform(matrix)
    back: np.ndarray = cv2.transform(quad.reshape(1, -1, 2), inverse)[0]
    return back


def _band_quad(located: Located) -> np.ndarray:
    h, w = located.strip.shape
    corners = np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32)
    inverse = np.linalg.inv(located.homography)
    quad: np.ndarray = cv2.perspectiveTransform(corners, inverse)[0]
    return quad


def ink_gray(frame: np.ndarray) -> np.ndarray:
    """Grey image in which only dark, uncoloured marks stay dark: the brightest channel.

    The MRZ is printed in black (9303 part 3 section 4.1: OCR-B in a colour that absorbs in
    the near infrared, in practice black); coloured guilloche, holograms, tinted security
    backgrounds and coloured pen or annotation marks are bright in at least one channel,
    so taking the per-pixel maximum of B, G and R fades them while the ink stays as dark as
    in a luminance image.
    """
    if frame.ndim == 2:
        return frame
    out: np.ndarray = cv2.max(cv2.max(frame[:, :, 0], frame[:, :, 1]), frame[:, :, 2])
    return out


class MrzFrameReader:
    """Reads MRZs from single frames with the shipped (or a given) glyph model."""

    def __init__(
        self,
        model: GlyphModel | None = None,
        clock: Callable[[], float] = time.perf_counter,
        *,
        rotations: bool = True,
    ) -> None:
        self._model = model or default_model()
        self._clock = clock
        self._rotations = rotations

    def _read_upright(self, gray: np.ndarray, matrix: np.ndarray | None) -> FrameRead | None:
        """The best read of up to :data:`MAX_CANDIDATES` bands of a frame taken as upright;
        ``matrix`` maps the original frame to ``gray`` (None: it is the original)."""
        best: FrameRead | None = None
        for band in find_bands(gray)[:MAX_CANDIDATES]:
            located = rectify(gray, band)
            if located is None:
                continue
            lines, probs, chosen = classify(located, self._model)
            result = parse_lines(lines)
            doubt = doubtful_fields(lines, chosen)
            doubt += tuple(
                f for f in implausible_corrections(result, lines, probs) if f not in doubt
            )
            # The eDL's one line has a single mod-10 check digit over 29 characters: a line of
            # other print in 30 cells (a label like "Documentnummer") passes it one time in
            # ten. Every character must then be read with confidence.
            edl = result is not None and result.format is MrzFormat.EDL
            if edl and not doubt and float(chosen.min()) < DOUBT_BELOW:
                doubt = ("mrz_line",)
            quad = _back(_band_quad(located), matrix)
            read = FrameRead(lines, probs, result, 0.0, quad, doubt)
            if read.valid:
                return read
            # An invalid read counts as "an MRZ is here" (for the vote and the hints) only
            # when the classifier's own text is MRZ-shaped: the grammar forces letters and
            # digits into place and would make any line of text look like one (a printed
            # label "Documentnummer" becomes an eDL line starting with D).
            shaped = result is not None and parse_lines(_raw_lines(probs, lines)) is not None
            if shaped and (best is None or read.confidence > best.confidence):
                best = read
        return best

    def _read_any(self, gray: np.ndarray) -> FrameRead | None:
        """Upright first, then turned the way the text points (when rotations are on)."""
        best = self._read_upright(gray, None)
        if best is None or not best.valid:
            for angle in text_angles(gray) if self._rotations else ():
                turned, matrix = rotate(gray, angle)
                read = self._read_upright(turned, matrix)
                # Only a valid turned read replaces the upright one: an invalid read of a
                # turned frame would steer the hints (too close, clipped) by a band that is
                # not the document's.
                if read is not None and read.valid:
                    best = read
                    break
        return best

    def read(self, frame: np.ndarray) -> FrameRead:
        """Read one BGR or grey frame; never raises for a frame without an MRZ.

        Upright first; when that gives no valid MRZ, the frame turned the way the text
        block points (:func:`~kiosk.mrz.ocr.locate.text_angles`: sideways, upside down or
        anywhere between); for a colour frame still without a valid MRZ, the same on the
        colour-faded grey image (:func:`ink_gray`). ``quad`` is always in the coordinates
        of ``frame``.
        """
        started = self._clock()
        # Grey once: converting the full frame is cheaper than converting each warp.
        luminance = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        best = self._read_any(luminance)
        if frame.ndim == 3 and (best is None or not best.valid):
            # Coloured security print, holograms or a coloured annotation over the MRZ: read
            # once more with the colours faded (:func:`ink_gray`); the surer read is kept.
            inked = self._read_any(ink_gray(frame))
            if inked is not None and (
                inked.valid or best is None or inked.confidence > best.confidence
            ):
                best = inked
        ms = (self._clock() - started) * 1000
        if best is None:
            return FrameRead((), EMPTY.probabilities, None, ms)
        return FrameRead(best.lines, best.probabilities, best.result, ms, best.quad, best.doubtful)
