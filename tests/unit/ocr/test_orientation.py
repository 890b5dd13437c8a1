"""Documents at any orientation (issue 8 item 2): quarter turns, upside down and angles in
between, and EXIF orientation on image files."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from kiosk.mrz.ocr.cli import load_image
from kiosk.mrz.ocr.locate import rotate, text_angles
from kiosk.mrz.ocr.reader import MrzFrameReader
from tests.mrzcorpus import make_sample


@pytest.fixture(scope="module")
def reader() -> MrzFrameReader:
    return MrzFrameReader()


@pytest.mark.parametrize("degrees", [45, 90, 135, 180, 210, 270, 300])
@pytest.mark.parametrize(("seed", "kind"), [(0, "TD3"), (1, "TD1"), (2, "EDL")])
def test_turned_documents_read_exactly(reader, degrees, seed, kind):
    sample = make_sample(seed, kind, "normal")
    turned, _matrix = rotate(sample.image, degrees)
    read = reader.read(turned)
    assert read.valid and read.text == sample.text
    # The band outline comes back in the coordinates of the frame that was given.
    h, w = turned.shape[:2]
    assert read.quad is not None
    assert (read.quad[:, 0] > -5).all() and (read.quad[:, 0] < w + 5).all()
    assert (read.quad[:, 1] > -5).all() and (read.quad[:, 1] < h + 5).all()


def test_turning_is_off_when_asked_and_upright_frames_need_no_turn(reader):
    sample = make_sample(3, "TD3", "normal")
    upright = MrzFrameReader(rotations=False)
    assert upright.read(sample.image).valid
    assert not upright.read(rotate(sample.image, 90)[0]).valid
    assert reader.read(rotate(sample.image, 90)[0]).valid


def test_text_angles_point_back_upright():
    sample = make_sample(4, "TD3", "normal")
    for degrees in (40, 90, 150):
        turned, _ = rotate(sample.image, degrees)
        angles = text_angles(turned)
        assert any(abs((a + degrees + 180) % 360 - 180) < 5 for a in angles), (degrees, angles)


def test_quarter_turn_matrices_map_pixels_exactly():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for degrees in (90, 180, 270):
        turned, matrix = rotate(image, degrees)
        for y in range(3):
            for x in range(4):
                tx, ty = matrix @ np.array([x, y, 1.0])
                assert turned[round(ty), round(tx)] == image[y, x]


def test_exif_orientation_is_applied_when_a_file_is_loaded(tmp_path, reader):
    # A phone stores the sensor's pixels and says "turn 90 degrees clockwise to show" in
    # EXIF (orientation 6); the file must read like the upright document.
    sample = make_sample(5, "TD3", "normal")
    stored = cv2.rotate(sample.image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    rgb = Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    rgb.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    path = tmp_path / "phone.jpg"
    path.write_bytes(buffer.getvalue())
    loaded = load_image(path)
    assert loaded is not None and loaded.shape[:2] == sample.image.shape[:2]
    read = MrzFrameReader(rotations=False).read(loaded)  # upright after EXIF, no turn needed
    assert read.valid and read.text == sample.text
