"""``kiosk mrz read [--json] PATH...``: read MRZs from image files or folders.

Registered by :mod:`kiosk.cli.mrz`, which imports this module only when the command runs.
Per image it prints the MRZ text, the parse result (:func:`kiosk.mrz.parser.parse_mrz`), a
confidence (the lowest per-character probability) and the milliseconds the pipeline took.
Exit status 0 when every image was read with valid check digits, 1 otherwise. Images are
only read, never written, and nothing is logged.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np

from kiosk.i18n import tr
from kiosk.mrz.ocr.reader import FrameRead, MrzFrameReader
from kiosk.mrz.ocr.video import Hint, frame_hint
from kiosk.mrz.result import MrzFormat

#: Extensions OpenCV decodes that a camera, scanner or test corpus produces.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2"})


#: Optional-data / personal-number columns (0-based line, start, end) per layout. Dutch
#: documents issued before August 2021 carry the BSN there (DESIGN.md section 4), so the
#: command masks them: 9303 part 4 section 4.2.2 (TD3 line 2 positions 29-43), part 5
#: (TD1 line 1 positions 16-30, line 2 positions 19-29), part 6 (TD2 line 2 positions 29-35),
#: part 7 (MRV-A line 2 positions 29-44, MRV-B 29-36).
OPTIONAL_DATA: dict[MrzFormat, tuple[tuple[int, int, int], ...]] = {
    MrzFormat.TD3: ((1, 28, 43),),
    MrzFormat.TD1: ((0, 15, 30), (1, 18, 29)),
    MrzFormat.TD2: ((1, 28, 35),),
    MrzFormat.MRV_A: ((1, 28, 44),),
    MrzFormat.MRV_B: ((1, 28, 36),),
    MrzFormat.EDL: (),
}


def masked_lines(read: FrameRead) -> list[str]:
    """The read MRZ lines with optional data and personal numbers replaced by ``*``."""
    lines = [list(line) for line in read.text.split("\n")] if read.lines else []
    if read.result is not None:
        for line, start, end in OPTIONAL_DATA.get(read.result.format, ()):
            if line < len(lines):
                for col in range(start, min(end, len(lines[line]))):
                    lines[line][col] = "*"
    return ["".join(line) for line in lines]


def image_paths(paths: list[str]) -> Iterator[Path]:
    """Expand folders (sorted, not recursive) into their image files; keep files as given."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield path


def load_image(path: Path) -> np.ndarray | None:
    """Decode an image file; None when it is missing or not an image (OpenCV returns None)."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if image is None else np.asarray(image)


def _hint(image: np.ndarray | None, read: FrameRead | None) -> Hint | None:
    """Why an image gave no valid MRZ (too far, too close, glare, not sharp), else None."""
    if image is None or read is None or read.valid:
        return None
    return frame_hint(image, read)


def _record(path: Path, read: FrameRead | None, hint: Hint | None = None) -> dict[str, Any]:
    if read is None:
        return {"path": str(path), "read": False, "error": "not_an_image"}
    return {
        "hint": hint.value if hint is not None else None,
        "path": str(path),
        "read": read.valid,
        "mrz": masked_lines(read) if read.lines else None,
        "confidence": round(read.confidence, 4),
        "ms": round(read.ms, 1),
        "result": read.result.to_json() if read.result is not None else None,
    }


def _print_text(path: Path, read: FrameRead | None, out: TextIO, hint: Hint | None = None) -> None:
    if read is None:
        print(tr("camera.cli.not_an_image", path=str(path)), file=out)
        return
    key = "camera.cli.read" if read.valid else "camera.cli.not_read"
    print(
        tr(key, path=str(path), ms=f"{read.ms:.1f}", confidence=f"{read.confidence:.3f}"), file=out
    )
    if hint is not None and hint is not Hint.HOLD_STILL:
        print("  " + tr("camera.cli.hint", hint=tr(f"camera.hint.{hint.value}")), file=out)
    for line in masked_lines(read):
        print(f"  {line}", file=out)
    if read.result is not None:
        data = read.result.to_json()
        for name in (
            "format",
            "valid",
            "document_type",
            "issuing_country",
            "document_number",
            "surname",
            "given_names",
            "birth_date",
            "expiry_date",
        ):
            value = data[name]
            print(f"  {name}: {'' if value is None else value}", file=out)
        for key_, params in read.result.problems():
            print(f"  - {tr(key_, **params)}", file=out)


def read_command(
    args: argparse.Namespace,
    stdout: TextIO | None = None,
    reader: MrzFrameReader | None = None,
) -> int:
    """Run ``kiosk mrz read``; ``args`` has ``json: bool`` and ``paths: list[str]``."""
    out = stdout or sys.stdout
    reader = reader or MrzFrameReader()
    records = []
    count, read_ok = 0, 0
    for path in image_paths(list(args.paths)):
        image = load_image(path)
        read = reader.read(image) if image is not None else None
        count += 1
        read_ok += read is not None and read.valid
        hint = _hint(image, read)
        if args.json:
            records.append(_record(path, read, hint))
        else:
            _print_text(path, read, out, hint)
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False), file=out)
    if count == 0:
        print(tr("camera.cli.no_images"), file=sys.stderr)
        return 1
    return 0 if read_ok == count else 1
