"""Render synthetic identity documents in OCR-B and photograph them with a simulated webcam.

A sample is a full camera frame (1280x720 or 1920x1080, BGR ``uint8``) showing one document
(TD1 identity card, TD3 passport data page, or a one-line eDL driving licence) on a desk,
together with the exact MRZ lines printed on it. Everything is derived from the seed, so a
corpus is the same on every machine (given the same OpenCV, Pillow and OCR-B font).

Difficulty levels (issue 5):

* ``normal``: in-plane rotation up to ±3°, slight tilt, mild blur (σ ≤ 0.8) and noise,
  JPEG quality 80-95.
* ``hard``: in-plane rotation up to ±8° and out-of-plane tilt up to ±8° (perspective),
  low contrast, blur σ up to 1.6, more noise, uneven light and glare, JPEG quality 60.
* ``real``: the capture conditions measured on real specimen photos and scans (issue 8
  item 3), each one of :data:`CONDITIONS` drawn from its own seeded stream (so switching
  one on or off leaves the others' parameters alone): coloured guilloche and a hologram
  under the MRZ, faint grey print, keystone perspective, rotation (any angle, quarter turns
  included), light fall-off, a glare spot, blur, sensor noise, strong JPEG compression, low
  resolution (MRZ character height about 12 px) and a finger or an annotation frame over
  part of the document. :func:`make_sample` applies a random subset of them, or exactly
  the ``conditions`` it is given.

The MRZ is printed as 9303 part 3 section 4.4 says: OCR-B at 10 characters per 25.4 mm, so
one character cell is 2.54 mm wide; line spacing varies a little between issuers.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.mrz.build import format_edl, format_td1, format_td3

OCRB_FONT = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
KINDS = ("TD1", "TD3", "EDL")
DIFFICULTIES = ("normal", "hard", "real")
#: Capture conditions of the ``real`` difficulty (each can be applied on its own).
CONDITIONS = (
    "guilloche",
    "hologram",
    "faint",
    "perspective",
    "rotation",
    "vignette",
    "glare",
    "blur",
    "noise",
    "jpeg",
    "lowres",
    "occlusion",
)
#: OCR-B cap height in em (Debian OCRB.otf: capitals from 0.23 to 0.94 em).
CAP_EM = 0.71
FRAME_SIZES = ((1280, 720), (1920, 1080))

#: Document sizes in mm (9303 part 4 TD3 data page, part 5 TD1; ISO 18013 card = ID-1).
DOC_MM = {"TD1": (85.6, 54.0), "TD3": (125.0, 88.0), "EDL": (85.6, 54.0)}
PX_PER_MM = 12.0
PITCH_MM = 2.54
#: OCR-B advance width is 0.723 em (measured on Debian's OCRB.otf).
ADVANCE_EM = 0.7229

_SURNAMES = [
    "DE<BRUIJN",
    "JANSEN",
    "VAN<DER<BERG",
    "BAKKER",
    "VISSER",
    "SMIT",
    "MEIJER",
    "DE<VRIES",
    "MULDER",
    "BOS",
    "VOS",
    "PETERS",
    "HENDRIKS",
    "VAN<LEEUWEN",
    "DEKKER",
    "BRINKMAN",
    "OZTURK",
    "EL<AMRANI",
    "NGUYEN",
    "KOWALSKI",
    "SCHOLTEN",
    "WILLEMSEN",
    "VAN<DIJK",
]
_GIVEN = [
    "WILLEKE",
    "LISELOTTE",
    "JAN",
    "PIETER",
    "FATIMA",
    "SANNE",
    "DAAN",
    "LUCAS",
    "EMMA",
    "JULIA",
    "MOHAMMED",
    "SOPHIE",
    "THOMAS",
    "NOAH",
    "ANNA",
    "KEES",
    "YASMINA",
    "BRAM",
]
_ALNUM = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Sample:
    """One synthetic camera frame and the MRZ printed on the document it shows."""

    image: np.ndarray
    lines: tuple[str, ...]
    kind: str
    difficulty: str
    seed: int
    #: Conditions applied (``real`` difficulty only; empty otherwise).
    conditions: frozenset[str] = frozenset()
    #: Corners of the document and of the MRZ block in frame pixels (TL, TR, BR, BL).
    doc_quad: np.ndarray | None = None
    mrz_quad: np.ndarray | None = None
    #: MRZ character (cap) height in frame pixels, along the document's vertical.
    char_height: float = 0.0

    @property
    def text(self) -> str:
        """The MRZ as newline-separated lines."""
        return "\n".join(self.lines)


def _date(rng: random.Random, start: int, end: int) -> str:
    return f"{rng.randint(start, end) % 100:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def _docnum(rng: random.Random) -> str:
    # Dutch document numbers: two letters, six letters/digits, one digit; never the letter O.
    letters = string.ascii_uppercase.replace("O", "")
    middle = "".join(rng.choice(letters + string.digits) for _ in range(6))
    return rng.choice(letters) + rng.choice(letters) + middle + rng.choice(string.digits)


def _digits(rng: random.Random, n: int) -> str:
    """``n`` random digits."""
    return "".join(rng.choice(string.digits) for _ in range(n))


def random_mrz(kind: str, rng: random.Random) -> tuple[str, ...]:
    """Return the MRZ lines of a random, check-digit-valid document of ``kind``."""
    surname = rng.choice(_SURNAMES)
    given = "<".join(rng.sample(_GIVEN, rng.randint(1, 3)))
    sex = rng.choice("MF<")
    nat = rng.choice(["NLD", "NLD", "NLD", "BEL", "DEU", "POL", "TUR"])
    dob, expiry = _date(rng, 1940, 2008), _date(rng, 2026, 2036)
    number = _docnum(rng)
    names = {"surname": surname.replace("<", " "), "given_names": given.replace("<", " ")}
    common = {
        **names,
        "document_number": number,
        "birth_date": dob,
        "sex": sex,
        "expiry_date": expiry,
        "nationality": nat,
    }
    if kind == "TD3":
        personal = _digits(rng, 9) if rng.random() < 0.4 else ""
        text = format_td3(**common, issuing_country=nat, personal_number=personal)
        return tuple(text.split("\n"))
    if kind == "TD1":
        optional = _digits(rng, 9) if rng.random() < 0.4 else ""
        return tuple(format_td1(**common, optional_data=optional).split("\n"))
    if kind == "EDL":
        number = "".join(rng.choice(_ALNUM) for _ in range(10))
        random_data = "".join(rng.choice(_ALNUM) for _ in range(13))
        return (format_edl(document_number=number, random_data=random_data),)
    raise ValueError(kind)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(OCRB_FONT, size)


@cache
def _label_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size)


def _guilloche(img: np.ndarray, rng: random.Random, colour: tuple[int, int, int]) -> None:
    h, w = img.shape[:2]
    xs = np.linspace(0, w, 400)
    for _ in range(rng.randint(8, 16)):
        amp, freq = rng.uniform(h * 0.05, h * 0.3), rng.uniform(2, 9) / w * 2 * math.pi
        phase, base = rng.uniform(0, 6.3), rng.uniform(0, h)
        ys = base + amp * np.sin(xs * freq + phase) * np.cos(xs * freq * 0.37 + phase)
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(img, [pts], False, colour, 1, cv2.LINE_AA)


def render_document(kind: str, lines: tuple[str, ...], rng: random.Random) -> np.ndarray:
    """Render a document of ``kind`` with ``lines`` as its MRZ; return an RGB ``uint8`` image."""
    return _render(kind, lines, rng, {})[0]


def _colour_guilloche(img: np.ndarray, rng: random.Random) -> None:
    """Security print in several saturated pastel colours over the whole page, the MRZ
    clear zone included (many issuers print their pattern under the MRZ)."""
    h, w = img.shape[:2]
    xs = np.linspace(0, w, 600)
    layer = img.copy()
    for _ in range(rng.randint(25, 45)):
        hue = rng.randint(0, 179)
        hsv = np.uint8([[[hue, rng.randint(50, 140), rng.randint(170, 235)]]])
        colour = tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
        amp, freq = rng.uniform(h * 0.03, h * 0.25), rng.uniform(3, 14) / w * 2 * math.pi
        phase, base = rng.uniform(0, 6.3), rng.uniform(0, h)
        ys = base + amp * np.sin(xs * freq + phase) * np.cos(xs * freq * 0.43 + 2 * phase)
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(layer, [pts], False, colour, rng.randint(1, 2), cv2.LINE_AA)
    strength = rng.uniform(0.55, 0.85)
    img[:] = cv2.addWeighted(layer, strength, img, 1.0 - strength, 0.0)


def _hologram(img: np.ndarray, rng: random.Random, box: tuple[int, int, int, int]) -> None:
    """A rainbow foil patch (hue running across it) blended over part of the page, placed
    over the MRZ block ``box`` (x0, y0, x1, y1) at least in part."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box
    pw, ph = rng.uniform(0.2, 0.45) * w, rng.uniform(0.25, 0.6) * h
    cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    inside = np.exp(-(((xx - cx) / (pw / 2)) ** 8 + ((yy - cy) / (ph / 2)) ** 8))
    hue = ((xx * rng.uniform(0.3, 0.9) + yy * rng.uniform(-0.5, 0.5)) % 180).astype(np.uint8)
    hsv = np.dstack([hue, np.full_like(hue, rng.randint(120, 220)), np.full_like(hue, 235)])
    foil = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)
    alpha = (rng.uniform(0.2, 0.4) * inside)[:, :, None]
    img[:] = np.clip(img * (1 - alpha) + foil * alpha, 0, 255).astype(np.uint8)


def _render(
    kind: str, lines: tuple[str, ...], rng: random.Random, extra: dict[str, random.Random]
) -> tuple[np.ndarray, tuple[float, float, float, float], float]:
    """The document image, the MRZ block (x0, y0, x1, y1) and its cap height in page pixels.

    ``extra`` maps conditions of the ``real`` difficulty that act on the page (guilloche,
    hologram, faint, occlusion) to their own random streams; ``rng`` is drawn from exactly
    as before, so the ``normal`` and ``hard`` corpora do not change.
    """
    w_mm, h_mm = DOC_MM[kind]
    w, h = round(w_mm * PX_PER_MM), round(h_mm * PX_PER_MM)
    tint = np.array([rng.randint(215, 250) for _ in range(3)], dtype=np.float32)
    grad = np.linspace(0.93, 1.0, w, dtype=np.float32)[None, :, None]
    img = np.clip(np.ones((h, w, 3), np.float32) * tint * grad, 0, 255).astype(np.uint8)
    light = tuple(int(c) for c in (tint - rng.randint(25, 45)))
    _guilloche(img, rng, (light[0], light[1], light[2]))

    pitch = PITCH_MM * PX_PER_MM
    font = _font(round(pitch / ADVANCE_EM))
    n_chars = len(lines[0])
    line_gap = rng.uniform(3.9, 4.5) * PX_PER_MM
    mrz_h = line_gap * len(lines)
    mrz_top = h - rng.uniform(1.2, 2.4) * PX_PER_MM - mrz_h
    left = (w - n_chars * pitch) / 2 + rng.uniform(-1.5, 1.5) * PX_PER_MM
    # The MRZ clear zone (9303 part 3 section 4.2): plain background behind the OCR lines.
    clear_top = int(mrz_top - 1.5 * PX_PER_MM)
    img[clear_top:, :] = np.clip(
        img[clear_top:, :].astype(np.int16) * 0 + (tint + 4).astype(np.int16), 0, 255
    ).astype(np.uint8)

    if "guilloche" in extra:
        _colour_guilloche(img, extra["guilloche"])
    mrz_box = (left, mrz_top, left + n_chars * pitch, mrz_top + mrz_h)
    if "hologram" in extra:
        box = tuple(int(v) for v in mrz_box)
        _hologram(img, extra["hologram"], (box[0], box[1], box[2], box[3]))
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    # Photo box with a face-like silhouette.
    px0, py0 = int(w * 0.05), int(h * 0.12)
    px1, py1 = int(w * 0.05 + w * 0.26), int(min(clear_top - 10, h * 0.12 + w * 0.33))
    grey = rng.randint(90, 180)
    photo = Image.new("RGB", (px1 - px0, py1 - py0), (grey, grey - 10, grey - 20))
    pdraw = ImageDraw.Draw(photo)
    cx, cy = (px1 - px0) // 2, (py1 - py0) // 2
    face = rng.randint(150, 220)
    pdraw.ellipse([cx - 45, cy - 80, cx + 45, cy + 30], fill=(face, face - 25, face - 45))
    pdraw.ellipse([cx - 110, cy + 35, cx + 110, py1 - py0 + 120], fill=(40, 40, 60))
    pil.paste(photo, (px0, py0))
    # Printed labels and values (the visual inspection zone), a source of distractor text.
    ink = (rng.randint(10, 60),) * 3
    y = py0
    title = {"TD1": "IDENTITEITSKAART", "TD3": "PASPOORT", "EDL": "RIJBEWIJS"}[kind]
    draw.text((px1 + 30, max(8, py0 - 60)), f"NEDERLAND  {title}", font=_label_font(30), fill=ink)
    for label in (
        "Naam / Surname",
        "Voornamen / Given names",
        "Geboortedatum / Date of birth",
        "Documentnummer / Document no.",
    ):
        draw.text((px1 + 30, y), label, font=_label_font(22), fill=(90, 90, 110))
        value = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(5, 14)))
        draw.text((px1 + 30, y + 26), value, font=_label_font(36), fill=ink)
        y += int((clear_top - py0) / 4.6)

    mrz_ink = rng.randint(0, 45)
    if "faint" in extra:  # light grey print, as on the Dutch passport's data page
        mrz_ink = extra["faint"].randint(95, 145)
    for i, text in enumerate(lines):
        top = mrz_top + i * line_gap + (line_gap - font.size) / 2
        draw.text((left, top), text, font=font, fill=(mrz_ink, mrz_ink, mrz_ink + 5))
    if "occlusion" in extra and extra["occlusion"].random() < 0.5:
        # An annotation: a coloured frame drawn around the MRZ (stock photos, marked-up
        # specimens), touching the outer characters now and then.
        orng = extra["occlusion"]
        colour = orng.choice([(220, 30, 30), (30, 60, 220), (240, 200, 0), (30, 160, 60)])
        m = orng.uniform(-0.3, 1.2) * PX_PER_MM
        box = [mrz_box[0] - m, mrz_box[1] - m, mrz_box[2] + m, mrz_box[3] + m]
        draw.rectangle(box, outline=colour, width=orng.randint(3, 8))
    return np.asarray(pil), mrz_box, CAP_EM * font.size


def _homography(
    doc_w: int,
    doc_h: int,
    frame: tuple[int, int],
    rng: random.Random,
    hard: bool,
    share: float | None = None,
) -> np.ndarray:
    fw, fh = frame
    rot = math.radians(rng.uniform(-8, 8) if hard else rng.uniform(-3, 3))
    tilt = 8.0 if hard else 2.0
    tx, ty = (math.radians(rng.uniform(-tilt, tilt)) for _ in range(2))
    # Document size on screen: a realistic share of the frame, bounded by the frame height.
    share = rng.uniform(0.55, 0.8) if share is None else share
    width_px = min(share * fw, 0.82 * fh * doc_w / doc_h)
    focal = fw * rng.uniform(0.8, 1.1)
    z = focal * doc_w / width_px
    rx = np.array([[1, 0, 0], [0, math.cos(tx), -math.sin(tx)], [0, math.sin(tx), math.cos(tx)]])
    ry = np.array([[math.cos(ty), 0, math.sin(ty)], [0, 1, 0], [-math.sin(ty), 0, math.cos(ty)]])
    cr, sr = math.cos(rot), math.sin(rot)
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    r = rz @ ry @ rx
    corners = np.array([[0, 0], [doc_w, 0], [doc_w, doc_h], [0, doc_h]], dtype=np.float64)
    centred = np.hstack([corners - [doc_w / 2, doc_h / 2], np.zeros((4, 1))])
    cam = centred @ r.T + [0, 0, z]
    proj = focal * cam[:, :2] / cam[:, 2:3]
    span = proj.max(axis=0) - proj.min(axis=0)
    cx = fw / 2 + rng.uniform(-1, 1) * max(0.0, (fw - span[0]) / 2 - 10)
    cy = fh / 2 + rng.uniform(-1, 1) * max(0.0, (fh - span[1]) / 2 - 10)
    dst = (proj + np.array([cx, cy])).astype(np.float32)
    return cv2.getPerspectiveTransform(corners.astype(np.float32), dst)


def _desk(frame: tuple[int, int], rng: random.Random, nprng: np.random.Generator) -> np.ndarray:
    fw, fh = frame
    base = np.array([rng.randint(40, 140) for _ in range(3)], dtype=np.float32)
    small = nprng.normal(0, 18, (fh // 40 + 1, fw // 40 + 1, 3)).astype(np.float32)
    texture = cv2.resize(small, (fw, fh), interpolation=cv2.INTER_CUBIC)
    return np.clip(base + texture, 0, 255).astype(np.uint8)


def _photograph(
    doc_rgb: np.ndarray | None,
    frame: tuple[int, int],
    difficulty: str,
    rng: random.Random,
    share: float | None = None,
) -> np.ndarray:
    hard = difficulty == "hard"
    nprng = np.random.default_rng(rng.getrandbits(32))
    fw, fh = frame
    empty = doc_rgb is None  # the empty desk, before the document comes into view
    if doc_rgb is None:
        doc_rgb = np.zeros((8, 8, 3), np.uint8)
    doc = cv2.cvtColor(doc_rgb, cv2.COLOR_RGB2BGR)
    hmat = _homography(doc.shape[1], doc.shape[0], frame, rng, hard, share)
    out = _desk(frame, rng, nprng)
    if not empty:
        cv2.warpPerspective(
            doc, hmat, (fw, fh), dst=out, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_TRANSPARENT
        )
    img = out.astype(np.float32)
    # Uneven light: a smooth multiplicative field.
    low = 0.6 if hard else 0.85
    gx = np.linspace(rng.uniform(low, 1.0), rng.uniform(low, 1.0), fw, dtype=np.float32)
    gy = np.linspace(rng.uniform(low, 1.0), rng.uniform(low, 1.0), fh, dtype=np.float32)
    img *= (gy[:, None] * gx[None, :])[:, :, None]
    if hard:
        contrast = rng.uniform(0.45, 0.75)
        img = img.mean() + (img - img.mean()) * contrast
        if rng.random() < 0.7:  # specular glare: a bright soft spot somewhere on the document
            corners = cv2.perspectiveTransform(
                np.array([[[0, 0], [doc.shape[1], doc.shape[0]]]], np.float32), hmat
            )[0]
            gx0, gy0 = (rng.uniform(corners[0, k], corners[1, k]) for k in range(2))
            radius = rng.uniform(0.05, 0.14) * fw
            yy, xx = np.ogrid[:fh, :fw]
            spot = np.exp(-((xx - gx0) ** 2 + (yy - gy0) ** 2) / (2 * radius**2))
            img += (rng.uniform(60, 110) * spot)[:, :, None].astype(np.float32)
    sigma = rng.uniform(0.8, 1.6) if hard else rng.uniform(0.3, 0.8)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += nprng.normal(0, rng.uniform(4, 8) if hard else rng.uniform(1.5, 4), img.shape).astype(
        np.float32
    )
    quality = 60 if hard else rng.randint(80, 95)
    ok, buf = cv2.imencode(
        ".jpg", np.clip(img, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _real_pose(
    doc_w: int,
    doc_h: int,
    cap: float,
    frame: tuple[int, int],
    conds: dict[str, random.Random],
    rng: random.Random,
) -> tuple[np.ndarray, float]:
    """Homography page -> frame for the ``real`` difficulty, and the page-to-frame scale."""
    fw, fh = frame
    rot, tilt = rng.uniform(-2, 2), (math.radians(rng.uniform(-2, 2)) for _ in range(2))
    tx, ty = tilt
    if "rotation" in conds:
        r = conds["rotation"]
        rot = r.uniform(-25, 25) + (r.choice((90, 180, 270)) if r.random() < 0.35 else 0)
    if "perspective" in conds:  # keystone: the page held at a slant to the lens
        p = conds["perspective"]
        tx, ty = (math.radians(p.choice((-1, 1)) * p.uniform(8, 22)) for _ in range(2))
    quarter = round(rot / 90) % 2 == 1
    fit = 0.8 * (fw if quarter else fh) * doc_w / doc_h
    if "lowres" in conds:  # MRZ characters about 12 px high (issue 8 item 3)
        width_px = conds["lowres"].uniform(8.5, 12.0) / cap * doc_w
    else:
        width_px = rng.uniform(0.55, 0.8) * (fh if quarter else fw)
    width_px = min(width_px, fit)
    focal = fw * rng.uniform(0.8, 1.1)
    z = focal * doc_w / width_px
    rx = np.array([[1, 0, 0], [0, math.cos(tx), -math.sin(tx)], [0, math.sin(tx), math.cos(tx)]])
    ry = np.array([[math.cos(ty), 0, math.sin(ty)], [0, 1, 0], [-math.sin(ty), 0, math.cos(ty)]])
    cr, sr = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    corners = np.array([[0, 0], [doc_w, 0], [doc_w, doc_h], [0, doc_h]], dtype=np.float64)
    cam = np.hstack([corners - [doc_w / 2, doc_h / 2], np.zeros((4, 1))]) @ (rz @ ry @ rx).T
    proj = focal * cam[:, :2] / (cam[:, 2:3] + z)
    span = proj.max(axis=0) - proj.min(axis=0)
    cx = fw / 2 + rng.uniform(-1, 1) * max(0.0, (fw - span[0]) / 2 - 10)
    cy = fh / 2 + rng.uniform(-1, 1) * max(0.0, (fh - span[1]) / 2 - 10)
    dst = (proj + np.array([cx, cy])).astype(np.float32)
    return cv2.getPerspectiveTransform(corners.astype(np.float32), dst), width_px / doc_w


def _finger(img: np.ndarray, quad: np.ndarray, rng: random.Random) -> None:
    """A fingertip over one edge of the document (``quad`` in frame pixels)."""
    side = rng.randrange(4)
    a, b = quad[side], quad[(side + 1) % 4]
    t = rng.uniform(0.15, 0.85)
    centre = a + t * (b - a)
    edge = float(np.linalg.norm(b - a))
    inward = quad.mean(axis=0) - centre
    inward /= max(1e-6, float(np.linalg.norm(inward)))
    centre = centre + inward * rng.uniform(0.0, 0.06) * edge
    angle = math.degrees(math.atan2(inward[1], inward[0]))
    axes = (int(rng.uniform(0.12, 0.2) * edge), int(rng.uniform(0.05, 0.08) * edge))
    skin = (rng.randint(90, 140), rng.randint(120, 170), rng.randint(170, 225))  # BGR
    cv2.ellipse(img, (int(centre[0]), int(centre[1])), axes, angle, 0, 360, skin, -1, cv2.LINE_AA)


def _photograph_real(
    doc_rgb: np.ndarray,
    mrz_box: tuple[float, float, float, float],
    cap: float,
    frame: tuple[int, int],
    conds: dict[str, random.Random],
    rng: random.Random,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Photograph the page under ``conds``; also the page and MRZ quads and the cap height."""
    nprng = np.random.default_rng(rng.getrandbits(32))
    fw, fh = frame
    doc = cv2.cvtColor(doc_rgb, cv2.COLOR_RGB2BGR)
    hmat, scale = _real_pose(doc.shape[1], doc.shape[0], cap, frame, conds, rng)
    out = _desk(frame, rng, nprng)
    cv2.warpPerspective(
        doc, hmat, (fw, fh), dst=out, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_TRANSPARENT
    )
    dh, dw = doc.shape[:2]
    x0, y0, x1, y1 = mrz_box
    pts = np.array([[[0, 0], [dw, 0], [dw, dh], [0, dh], [x0, y0], [x1, y0], [x1, y1], [x0, y1]]])
    quads = cv2.perspectiveTransform(pts.astype(np.float32), hmat)[0]
    doc_quad, mrz_quad = quads[:4], quads[4:]
    if "occlusion" in conds:
        _finger(out, doc_quad, conds["occlusion"])
    img = out.astype(np.float32)
    yy, xx = np.mgrid[:fh, :fw].astype(np.float32)
    if "vignette" in conds:  # lens and lamp fall-off towards the corners
        v = conds["vignette"]
        cx, cy = fw / 2 + v.uniform(-0.15, 0.15) * fw, fh / 2 + v.uniform(-0.15, 0.15) * fh
        r2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / ((fw / 2) ** 2 + (fh / 2) ** 2)
        img *= (1.0 - v.uniform(0.35, 0.6) * r2)[:, :, None]
    if "glare" in conds:  # a specular spot, on the MRZ half the time
        g = conds["glare"]
        target = mrz_quad if g.random() < 0.5 else doc_quad
        w = np.array([g.random() for _ in range(4)])
        gx, gy = (w / w.sum()) @ target
        radius = g.uniform(0.03, 0.09) * fw
        spot = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * radius**2))
        img += (g.uniform(90, 170) * spot)[:, :, None]
    if "blur" in conds:
        b = conds["blur"]
        if b.random() < 0.6:  # focus
            img = cv2.GaussianBlur(img, (0, 0), b.uniform(1.0, 2.0))
        else:  # a hand moving: motion blur along a random direction
            length = b.randint(4, 8)
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1.0 / length
            turn = cv2.getRotationMatrix2D(
                (length / 2 - 0.5, length / 2 - 0.5), b.uniform(0, 180), 1
            )
            kernel = cv2.warpAffine(kernel, turn, (length, length))
            img = cv2.filter2D(img, -1, kernel / max(1e-6, float(kernel.sum())))
    if "noise" in conds:  # sensor noise, stronger in the dark (shot noise) plus read noise
        n = conds["noise"]
        sigma = n.uniform(5, 11)
        shot = np.sqrt(np.clip(img, 0, 255) / 255.0) * sigma
        img += nprng.normal(0, 1, img.shape).astype(np.float32) * (shot + sigma / 3)
    out8 = np.clip(img, 0, 255).astype(np.uint8)
    if "jpeg" in conds:
        ok, buf = cv2.imencode(
            ".jpg", out8, [cv2.IMWRITE_JPEG_QUALITY, conds["jpeg"].randint(25, 55)]
        )
        assert ok
        out8 = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out8, doc_quad, mrz_quad, cap * scale


#: Probability that a ``real`` sample gets each condition when none are given.
_REAL_ODDS = dict.fromkeys(CONDITIONS, 0.5) | {"lowres": 0.35, "occlusion": 0.35}


def make_sample(
    seed: int,
    kind: str,
    difficulty: str,
    frame: tuple[int, int] = (1280, 720),
    *,
    conditions: frozenset[str] | None = None,
) -> Sample:
    """Return the sample for ``seed`` (same seed, same pixels).

    ``conditions`` (``real`` difficulty only) chooses exactly which of :data:`CONDITIONS`
    are applied; by default a random subset is.
    """
    if kind not in KINDS or difficulty not in DIFFICULTIES:
        raise ValueError(f"{kind}/{difficulty}")
    rng = random.Random(f"{seed}/{kind}/{difficulty}/{frame}")
    lines = random_mrz(kind, rng)
    if difficulty != "real":
        if conditions:
            raise ValueError("conditions apply to the real difficulty only")
        doc = render_document(kind, lines, rng)
        return Sample(_photograph(doc, frame, difficulty, rng), lines, kind, difficulty, seed)
    if conditions is None:
        pick = random.Random(f"{seed}/{kind}/{frame}/conditions")
        conditions = frozenset(c for c in CONDITIONS if pick.random() < _REAL_ODDS[c])
    unknown = conditions - set(CONDITIONS)
    if unknown:
        raise ValueError(f"unknown conditions {sorted(unknown)}")
    streams = {c: random.Random(f"{seed}/{kind}/{frame}/{c}") for c in conditions}
    doc, mrz_box, cap = _render(kind, lines, rng, streams)
    image, doc_quad, mrz_quad, height = _photograph_real(doc, mrz_box, cap, frame, streams, rng)
    return Sample(
        image, lines, kind, difficulty, seed, frozenset(conditions), doc_quad, mrz_quad, height
    )


def make_corpus(
    count: int,
    difficulty: str,
    *,
    seed: int = 0,
    frame: tuple[int, int] = (1280, 720),
    kinds: tuple[str, ...] = KINDS,
) -> list[Sample]:
    """Return ``count`` samples cycling through ``kinds``."""
    return [make_sample(seed + i, kinds[i % len(kinds)], difficulty, frame) for i in range(count)]


def make_sequence(
    seed: int,
    kind: str,
    difficulty: str = "normal",
    *,
    frames: int = 12,
    empty: int = 2,
    far: int = 2,
    frame: tuple[int, int] = (1280, 720),
) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """A synthetic webcam clip: ``empty`` frames of desk, then the document held too far
    away for ``far`` frames, then held up at a readable size with a new hand pose (rotation,
    tilt, position, light, noise) in every frame. Returns the MRZ lines and the frames."""
    rng = random.Random(f"video/{seed}/{kind}/{difficulty}")
    lines = random_mrz(kind, rng)
    doc = render_document(kind, lines, rng)
    out = []
    for i in range(frames):
        frng = random.Random(f"video/{seed}/{i}")
        if i < empty:
            out.append(_photograph(None, frame, difficulty, frng))
        elif i < empty + far:
            out.append(_photograph(doc, frame, difficulty, frng, share=0.28))
        else:
            out.append(_photograph(doc, frame, difficulty, frng))
    return lines, out
