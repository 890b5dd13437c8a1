"""Benchmark: the real specimen development set (photos and scans) and the synthetic sets,
ours side by side with PassportEye (tesseract) in the same run (issue 8).

Run with ``./dev bench -k specimens`` (PassportEye needs ``tesseract-ocr`` and
``pip install -e '.[bench]'``; without them only our rows are printed). Per set: exact
reads (reported valid with exactly the printed MRZ), per-character accuracy (characters
equal to the printed ones at the same position, over all printed characters), false
accepts (reported valid with any other text, or valid at all for a non-conforming
specimen) and the median milliseconds per image, one thread. PassportEye has no
validity gate of its own that the kiosk could use, so its "valid" is its ``mrz.valid``.
``MRZ_BENCH_SYN_N`` synthetic frames per difficulty (normal, hard and real-conditions:
guilloche, hologram, faint print, keystone, rotation, fall-off, glare, blur, noise, JPEG,
12 px characters, occlusion; default 40; PassportEye gets the
first ``MRZ_BENCH_PE_N``, default 10). The table goes to
``artifacts/mrz_specimens_benchmark.md`` for docs/mrz-ocr.md.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import pytest

from kiosk.mrz.ocr.reader import MrzFrameReader
from tests.mrzcorpus import make_corpus
from tests.mrzcorpus.specimens import Specimen, load_specimens, outcome

pytestmark = pytest.mark.benchmark

SYN_N = int(os.environ.get("MRZ_BENCH_SYN_N", "40"))
PE_N = int(os.environ.get("MRZ_BENCH_PE_N", "10"))
SEED = 200_000  # disjoint from the unit-test, tuning and other benchmark seeds

Engine = Callable[[np.ndarray], tuple[bool, str]]


@dataclass
class Row:
    engine: str
    name: str
    exact: int = 0
    total: int = 0
    right: int = 0
    chars: int = 0
    false_accepts: int = 0
    ms: list[float] = field(default_factory=list)

    def cells(self) -> str:
        median = statistics.median(self.ms) if self.ms else 0.0
        return (
            f"| {self.engine} | {self.name} | {self.exact}/{self.total} "
            f"({100 * self.exact / max(1, self.total):.0f}%) "
            f"| {100 * self.right / max(1, self.chars):.1f}% | {self.false_accepts} "
            f"| {median:.0f} |"
        )


def _ours() -> Engine:
    reader = MrzFrameReader()

    def run(image: np.ndarray) -> tuple[bool, str]:
        read = reader.read(image)
        return read.valid, read.text

    return run


def _passporteye() -> Engine | None:
    try:
        from passporteye import read_mrz
    except ImportError:
        return None
    if shutil.which("tesseract") is None:
        return None

    def run(image: np.ndarray) -> tuple[bool, str]:
        ok, png = cv2.imencode(".png", image)
        assert ok
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # skimage deprecations inside PassportEye
            try:
                mrz = read_mrz(io.BytesIO(png.tobytes()))
            except Exception:  # any failure of the other engine is a miss
                mrz = None
        if mrz is None:
            return False, ""
        return bool(mrz.valid), str(mrz.aux.get("text", "")).strip()

    return run


def _score(engine: str, name: str, run: Engine, items: Sequence[Specimen]) -> Row:
    row = Row(engine, name)
    for s in items:
        image = s.image()
        started = time.perf_counter()
        valid, text = run(image)
        row.ms.append((time.perf_counter() - started) * 1000)
        o = outcome(s, valid, text)
        row.exact += o.exact
        row.total += s.conforming
        row.right += o.chars_right
        row.chars += o.chars_total
        row.false_accepts += o.false_accept
    return row


@dataclass(frozen=True)
class _Synthetic(Specimen):
    """A synthetic frame posing as a specimen so that it is scored the same way."""

    pixels: np.ndarray = field(default_factory=lambda: np.zeros((1, 1, 3), np.uint8))

    def image(self) -> np.ndarray:
        return self.pixels


def _synthetic(difficulty: str, n: int) -> list[Specimen]:
    return [
        _Synthetic(f"{difficulty}-{k}", "synthetic", s.lines, True, "", s.image)
        for k, s in enumerate(make_corpus(n, difficulty, seed=SEED, frame=(1280, 720)))
    ]


def test_specimens_against_passporteye(artifacts_dir):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    cv2.setNumThreads(1)
    with threadpoolctl.threadpool_limits(1):
        _run(artifacts_dir)


def _run(artifacts_dir) -> None:
    specimens = load_specimens()
    sets: list[tuple[str, list[Specimen]]] = [
        ("real scans", [s for s in specimens if s.kind == "scan"]),
        ("real photos", [s for s in specimens if s.kind == "photo"]),
    ]
    synthetic = [(f"synthetic {d} 720p", _synthetic(d, SYN_N)) for d in ("normal", "hard")]
    # The capture conditions of real documents, rendered (tests.mrzcorpus CONDITIONS).
    synthetic.append(("synthetic real-conditions 720p", _synthetic("real", SYN_N)))
    ours, pe = _ours(), _passporteye()
    ours(np.zeros((720, 1280, 3), np.uint8))  # load the model outside the timing
    rows: list[Row] = []
    for name, items in sets + synthetic:
        rows.append(_score("ours", name, ours, items))
        if pe is not None:
            subset = items if name.startswith("real") else items[:PE_N]
            rows.append(_score("PassportEye", name, pe, subset))
    header = [
        "| engine | set | exact reads | per-character | false accepts | median ms |",
        "|---|---|---|---|---|---|",
    ]
    note = (
        f"\nOne thread each. Real sets: tests/data/specimens ({len(specimens)} images, "
        f"{sum(s.conforming for s in specimens)} with a conforming MRZ; exact reads count "
        "those, false accepts and per-character accuracy count all). Synthetic: "
        f"seed {SEED}, {SYN_N} frames per difficulty for ours, the first {PE_N} for "
        "PassportEye." + ("" if pe is not None else " PassportEye/tesseract not installed.")
    )
    table = "\n".join(header + [r.cells() for r in rows])
    print("\n" + table + "\n" + note)
    (artifacts_dir / "mrz_specimens_benchmark.md").write_text(
        table + "\n" + note + "\n", encoding="utf-8"
    )
    for r in rows:
        if r.engine == "ours":
            assert r.false_accepts == 0, r.cells()
