"""Camera MRZ OCR on OpenCV and numpy alone: no tesseract, no network, no GPU (issue 5).

* :mod:`.locate` finds the MRZ band in a frame, removes rotation and perspective and places
  the fixed-pitch character grid;
* :mod:`.features` and :mod:`.model` classify the 37 OCR-B characters (HOG + small MLP);
* :mod:`.reader` reads one frame and validates it with :func:`kiosk.mrz.parser.parse_mrz`;
* :mod:`.train` retrains the shipped model from the OCR-B font.
"""

from __future__ import annotations

import argparse
from typing import Any


def read_command(args: argparse.Namespace, **kwargs: Any) -> int:
    """``kiosk mrz read``: see :mod:`kiosk.mrz.ocr.cli` (imported here lazily: OpenCV)."""
    from kiosk.mrz.ocr.cli import read_command as run

    return run(args, **kwargs)
