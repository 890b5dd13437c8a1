"""``kiosk mrz read``: files and folders, text and JSON, exit status."""

from __future__ import annotations

import argparse
import io
import json

import cv2
import numpy as np

from kiosk.cli.main import main as kiosk_main
from kiosk.mrz.ocr import read_command
from tests.mrzcorpus import make_sample


def _write(path, image):
    ok, buf = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(buf.tobytes())


def test_folder_of_documents_reads_every_image_as_json(tmp_path):
    samples = [make_sample(i, kind, "normal") for i, kind in enumerate(("TD1", "TD3", "EDL"))]
    for i, s in enumerate(samples):
        _write(tmp_path / f"doc{i}.jpg", s.image)
    (tmp_path / "notes.txt").write_text("not an image")
    out = io.StringIO()
    code = read_command(argparse.Namespace(json=True, paths=[str(tmp_path)]), stdout=out)
    records = json.loads(out.getvalue())
    assert code == 0
    for r, s in zip(records, samples, strict=True):
        assert len(r["mrz"]) == len(s.lines)
        for got, want in zip(r["mrz"], s.lines, strict=True):
            assert all(g in (w, "*") for g, w in zip(got, want, strict=True))
    for r in records:
        assert r["read"] and r["result"]["valid"]
        assert 0 < r["confidence"] <= 1 and r["ms"] > 0


def test_unreadable_image_makes_exit_status_1_and_text_says_why(tmp_path):
    good = tmp_path / "good.png"
    _write(good, make_sample(1, "TD3", "normal").image)
    blank = tmp_path / "blank.png"
    _write(blank, np.full((720, 1280, 3), 230, np.uint8))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff truncated")
    out = io.StringIO()
    args = argparse.Namespace(json=False, paths=[str(good), str(blank), str(broken)])
    assert read_command(args, stdout=out) == 1
    text = out.getvalue()
    assert "good.png: MRZ gelezen" in text
    assert "blank.png: geen geldige MRZ" in text
    assert "broken.jpg: geen afbeelding" in text
    assert "format: TD3" in text


def test_registered_as_kiosk_mrz_read(tmp_path, capsys):
    path = tmp_path / "id.jpg"
    _write(path, make_sample(2, "TD1", "normal").image)
    assert kiosk_main(["mrz", "read", "--json", str(path)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["result"]["format"] == "TD1"
    assert kiosk_main(["mrz", "read", str(tmp_path / "missing")]) == 1


def test_optional_data_that_may_hold_a_bsn_is_never_printed(tmp_path):
    # A TD1 with 9 digits of optional data (a BSN on Dutch cards before 2021).
    sample = next(
        s for s in (make_sample(i, "TD1", "normal") for i in range(40)) if s.lines[0][15].isdigit()
    )
    bsn = sample.lines[0][15:24]
    path = tmp_path / "card.png"
    _write(path, sample.image)
    for as_json in (True, False):
        out = io.StringIO()
        assert read_command(argparse.Namespace(json=as_json, paths=[str(path)]), stdout=out) == 0
        assert bsn not in out.getvalue()
        assert "*********" in out.getvalue()
