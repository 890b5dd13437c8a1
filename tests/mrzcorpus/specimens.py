"""The real-image development set: public specimen documents nobody here made (issue 8).

``tests/data/specimens/`` holds the images, ``truth.json`` the MRZ printed on each (checked
by its check digits and by eye) and ``SOURCES.md`` where each image comes from. A specimen
is *conforming* when its printed MRZ passes :func:`kiosk.mrz.parser.parse_mrz`; the others
(pre-standard state codes, wrong printed check digits) must never be read as valid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SPECIMEN_DIR = Path(__file__).resolve().parent.parent / "data" / "specimens"


@dataclass(frozen=True)
class Specimen:
    """One image of the development set and the MRZ printed on it."""

    name: str
    kind: str  # "photo" (camera) or "scan" (flatbed scan or rendered page)
    lines: tuple[str, ...]
    conforming: bool
    note: str = ""

    @property
    def text(self) -> str:
        """The printed MRZ as newline-separated lines."""
        return "\n".join(self.lines)

    @property
    def path(self) -> Path:
        return SPECIMEN_DIR / self.name

    def image(self) -> np.ndarray:
        """The image as BGR (OpenCV applies any EXIF orientation)."""
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        assert image is not None, self.path
        return np.asarray(image)


def load_specimens() -> list[Specimen]:
    """Every specimen of ``truth.json``, sorted by file name."""
    truth = json.loads((SPECIMEN_DIR / "truth.json").read_text(encoding="utf-8"))
    return [
        Specimen(name, e["kind"], tuple(e["mrz"]), e["conforming"], e.get("note", ""))
        for name, e in sorted(truth.items())
    ]


@dataclass(frozen=True)
class Outcome:
    """How one read compares with the printed MRZ.

    ``exact``: reported valid with exactly the printed text. ``false_accept``: reported
    valid with any other text (or valid at all for a non-conforming specimen).
    ``chars_right`` counts characters equal to the printed ones at the same position.
    """

    exact: bool
    false_accept: bool
    chars_right: int
    chars_total: int


def outcome(specimen: Specimen, valid: bool, text: str) -> Outcome:
    """Score one read (``valid`` as the reader reported it, ``text`` as it read it)."""
    got, want = text.split("\n"), specimen.lines
    chars = sum(len(line) for line in want)
    right = 0
    if len(got) == len(want):
        pairs = zip(got, want, strict=True)
        right = sum(a == b for g, w in pairs if len(g) == len(w) for a, b in zip(g, w, strict=True))
    exact = valid and specimen.conforming and text == specimen.text
    return Outcome(exact, valid and not exact, right, chars)
