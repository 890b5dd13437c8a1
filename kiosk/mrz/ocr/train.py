"""Train the OCR-B glyph classifier from the font alone, reproducibly.

    python -m kiosk.mrz.ocr.train [--samples N] [--epochs E] [--seed S] [--real-share R] [--out DIR]
    python -m kiosk.mrz.ocr.train --merge DIR [DIR ...] [--out DIR]   # ensemble of trained models

The shipped model is an ensemble of two members: ``./dev train-ocr`` runs the commands
recorded in ``resources/ocr/manifest.json``.

Renders random MRZ-like lines in OCR-B (Debian ``fonts-ocr-b``; its glyph sources are
"freely use, modify and/or distribute", so only the trained weights are shipped, not the
font), degrades them the way a webcam and the segmenter do, cuts the same windows the reader
cuts (:mod:`kiosk.mrz.ocr.features`) and fits a small MLP with numpy. Augmentations:

* capture: downscale to a random source pitch (5.5-30 px per character), blur, noise,
  JPEG (quality 50-95), ink and paper levels (contrast down to faint grey print), uneven
  light and glare, guilloche curves under the text;
* geometry: residual rotation, shear and scale (what rectification leaves behind), and
  glyphs 0.8-1.22 cells tall (printers differ);
* mis-segmentation: windows shifted horizontally by up to a quarter cell and vertically by
  up to a sixth of the glyph height, and scaled ±8%, so the classifier tolerates the grid
  placement errors of the segmenter.

Everything is seeded, so the same command gives the same weights (and the same SHA-256,
recorded with the command in ``resources/ocr/manifest.json``) with the same numpy, OpenCV
and Pillow builds on the same CPU family and one BLAS thread (set below). Pillow is a
development dependency; the reader never needs it.
"""

from __future__ import annotations

import os

# Bit-for-bit reproducible weights need one BLAS thread: OpenBLAS splits sums differently
# with more threads. This only works when numpy is imported here first (``python -m``);
# the same numpy/OpenBLAS build on the same CPU family is needed as well.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from kiosk.mrz.ocr.features import ALPHABET, GLYPH_H, PITCH, window_features
from kiosk.mrz.ocr.model import MANIFEST_FILE, MODEL_FILE, GlyphModel, sha256_file
from kiosk.paths import resource

OCRB_FONT = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
#: Render scale: glyphs are drawn at this many times the canonical pitch, then degraded.
_HI = 3


def _random_text(rng: random.Random, length: int) -> str:
    if rng.random() < 0.35:  # MRZ-like: fields separated by runs of fillers
        out = ""
        while len(out) < length:
            out += "".join(rng.choice(ALPHABET[1:]) for _ in range(rng.randint(1, 9)))
            out += "<" * rng.randint(1, 6)
        return out[:length]
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def render_strip(
    text: str,
    rng: random.Random,
    nprng: np.random.Generator,
    font_path: Path = OCRB_FONT,
    *,
    real: bool = True,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Render ``text`` as a degraded canonical strip; return it and the true glyph centres.

    ``real`` adds the conditions measured on real specimen scans and photos (issue 8):
    faint print, guilloche under the text, glyphs taller or shorter than a cell, and
    sources down to 5.5 px per character.
    """
    from PIL import Image, ImageDraw, ImageFont

    size = round(_HI * PITCH / 0.7229)
    font = ImageFont.truetype(str(font_path), size)
    pitch_hi = font.getlength("A")
    margin = int(3 * pitch_hi)
    line_gap = rng.uniform(1.5, 1.8) * pitch_hi
    width, height = int(len(text) * pitch_hi + 2 * margin), int(2 * line_gap + 4 * pitch_hi)
    paper = rng.randint(110, 250)
    # Down to 30 grey levels of contrast: the faint grey print of e.g. the Dutch passport.
    ink = max(0, paper - rng.randint(30 if real else 45, 220))
    img = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(img)
    if real and rng.random() < 0.35:  # guilloche under the MRZ: fine curves between paper and ink
        xs = np.linspace(0, width, 200)
        for _ in range(rng.randint(3, 12)):
            amp, freq = rng.uniform(0.2, 1.5) * pitch_hi, rng.uniform(0.5, 4) / pitch_hi
            base, phase = rng.uniform(0, height), rng.uniform(0, 6.3)
            ys = base + amp * np.sin(xs * freq + phase)
            level = round(paper - rng.uniform(0.15, 0.55) * (paper - ink))
            draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=level, width=_HI)
    mid = height / 2
    # Ascent of the cap height above the drawing origin (OCR-B: caps from 0.23 to 0.94 em).
    top = mid - 0.585 * size
    for dy in (-line_gap, 0.0, line_gap):  # neighbouring MRZ lines above and below
        line = text if dy == 0 else _random_text(rng, len(text))
        draw.text((margin, top + dy), line, font=font, fill=ink)
    hi = np.asarray(img, np.float32)
    centres = [(margin + (i + 0.5) * pitch_hi, mid) for i in range(len(text))]

    # Residual geometry after rectification: small rotation, shear and scale about the centre.
    angle = rng.uniform(-1.5, 1.5)
    scale = rng.uniform(0.92, 1.08)
    affine = cv2.getRotationMatrix2D((width / 2, mid), angle, scale)
    affine[0, 1] += rng.uniform(-0.06, 0.06)
    # Glyph height against pitch varies between issuers' printers (measured on real scans:
    # 0.8 to 1.2 cell widths tall): stretch vertically about the line's centre.
    if real:
        tall = rng.uniform(0.8, 1.22)
        affine[1] = affine[1] * tall + np.array([0.0, 0.0, mid * (1 - tall)])
    hi = np.asarray(
        cv2.warpAffine(hi, affine, (width, height), borderMode=cv2.BORDER_REPLICATE), np.float32
    )
    pts = np.array(centres, np.float32).reshape(-1, 1, 2)
    centres_hi = cv2.transform(pts, affine).reshape(-1, 2)

    # Capture at a random source resolution, with the camera's degradations.
    # Down to 5.5 px per character: small scans and distant cameras (the reader upsamples).
    small = real and rng.random() < 0.3
    src_pitch = rng.uniform(5.5, 9.0) if small else rng.uniform(9.0, 30.0)
    f = src_pitch / pitch_hi
    src = cv2.resize(
        hi, (max(8, round(width * f)), max(8, round(height * f))), interpolation=cv2.INTER_AREA
    )
    sh, sw = src.shape
    light = np.linspace(rng.uniform(0.6, 1.1), rng.uniform(0.6, 1.1), sw, dtype=np.float32)
    src = src * light[None, :]
    if rng.random() < 0.3:  # glare: additive bright spot
        gx, r = rng.uniform(0, sw), rng.uniform(0.1, 0.5) * sw
        xx = np.arange(sw, dtype=np.float32)
        src += rng.uniform(30, 110) * np.exp(-((xx - gx) ** 2) / (2 * r * r))[None, :]
    sigma = rng.uniform(0.0, 1.7)
    if sigma > 0.25:
        src = cv2.GaussianBlur(src, (0, 0), sigma)
    src += nprng.normal(0, rng.uniform(0, 9), src.shape).astype(np.float32)
    src8 = np.clip(src, 0, 255).astype(np.uint8)
    if rng.random() < 0.8:
        ok, buf = cv2.imencode(".jpg", src8, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(50, 95)])
        decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else None
        if decoded is not None:
            src8 = np.asarray(decoded, np.uint8)

    # Back to the canonical scale, as the reader's perspective warp does (bilinear).
    g = PITCH / src_pitch
    canon = cv2.resize(src8, (round(sw * g), round(sh * g)), interpolation=cv2.INTER_LINEAR)
    k = f * g
    return canon, [(float(x * k), float(y * k)) for x, y in centres_hi]


#: Share of training strips rendered with the real-capture conditions (``render_strip``).
#: All of them: a model trained on 70 % measured fewer exact specimen reads and a false
#: accept at a lower doubt threshold (it was surer of its wrong letters).
REAL_SHARE = 1.0


def make_dataset(
    samples: int, seed: int, font_path: Path = OCRB_FONT, *, real_share: float = REAL_SHARE
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(features, labels)`` for about ``samples`` jittered glyph windows, a
    ``real_share`` of them rendered with the real-capture conditions."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    feats: list[np.ndarray] = []
    labels: list[int] = []
    total = 0
    while total < samples:
        text = _random_text(rng, rng.randint(24, 44))
        real = rng.random() < real_share
        strip, centres = render_strip(text, rng, nprng, font_path, real=real)
        # Mis-segmentation jitter: where the segmenter might put the window.
        jittered = [
            (x + rng.uniform(-0.25, 0.25) * PITCH, y + rng.uniform(-0.17, 0.17) * GLYPH_H)
            for x, y in centres
        ]
        feats.append(window_features(strip, jittered))
        labels.extend(ALPHABET.index(c) for c in text)
        total += len(text)
    return np.vstack(feats), np.array(labels, np.int64)


def fit(
    x: np.ndarray, y: np.ndarray, *, hidden: int, epochs: int, seed: int, log: bool = True
) -> GlyphModel:
    """Fit the MLP with Adam on softmax cross-entropy (float32, fixed seed)."""
    rng = np.random.default_rng(seed)
    mean = x.mean(axis=0).astype(np.float32)
    scale = (1.0 / (x.std(axis=0) + 1e-3)).astype(np.float32)
    xs = ((x - mean) * scale).astype(np.float32)
    n, d = xs.shape
    k = len(ALPHABET)
    params = {
        "w1": (rng.normal(0, np.sqrt(2.0 / d), (d, hidden))).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": (rng.normal(0, np.sqrt(2.0 / hidden), (hidden, k))).astype(np.float32),
        "b2": np.zeros(k, np.float32),
    }
    m = {name: np.zeros_like(p) for name, p in params.items()}
    v = {name: np.zeros_like(p) for name, p in params.items()}
    onehot = np.eye(k, dtype=np.float32)[y]
    step, batch, lr = 0, 256, 2e-3
    for epoch in range(epochs):
        order = rng.permutation(n)
        rate = lr * (0.5 ** (epoch / max(1, epochs / 3)))
        loss_sum = 0.0
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            xb, tb = xs[idx], onehot[idx]
            h_pre = xb @ params["w1"] + params["b1"]
            h = np.maximum(h_pre, 0)
            logits = h @ params["w2"] + params["b2"]
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            loss_sum += float(-np.log(np.maximum((p * tb).sum(axis=1), 1e-9)).sum())
            g_logits = (p - tb) / len(idx)
            grads = {
                "w2": h.T @ g_logits + 1e-4 * params["w2"],
                "b2": g_logits.sum(axis=0),
            }
            g_h = (g_logits @ params["w2"].T) * (h_pre > 0)
            grads["w1"] = xb.T @ g_h + 1e-4 * params["w1"]
            grads["b1"] = g_h.sum(axis=0)
            step += 1
            for name, g in grads.items():
                m[name] = 0.9 * m[name] + 0.1 * g
                v[name] = 0.999 * v[name] + 0.001 * g * g
                mhat = m[name] / (1 - 0.9**step)
                vhat = v[name] / (1 - 0.999**step)
                params[name] -= (rate * mhat / (np.sqrt(vhat) + 1e-8)).astype(np.float32)
        if log:
            print(f"epoch {epoch + 1}/{epochs}: loss {loss_sum / n:.4f}", file=sys.stderr)
    return GlyphModel(mean=mean, scale=scale, **params)


def accuracy(model: GlyphModel, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of windows classified correctly."""
    return float((model.probabilities(x).argmax(axis=1) == y).mean())


def main(argv: Sequence[str] | None = None) -> int:
    """Train, evaluate on a held-out set, write the model and its manifest."""
    parser = argparse.ArgumentParser(
        prog="python -m kiosk.mrz.ocr.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--samples", type=int, default=60000, help="training windows")
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--hidden", type=int, default=192)
    parser.add_argument("--seed", type=int, default=9303)
    parser.add_argument("--font", type=Path, default=OCRB_FONT)
    parser.add_argument("--real-share", type=float, default=REAL_SHARE, help="see make_dataset")
    parser.add_argument("--out", type=Path, default=None, help="default: resources/ocr")
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        default=None,
        metavar="DIR",
        help="instead of training: merge the models trained into these folders (ensemble)",
    )
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    out: Path = args.out or resource("ocr")
    out.mkdir(parents=True, exist_ok=True)
    if args.merge:
        return _merge_main(args.merge, out)
    started = time.monotonic()
    share = args.real_share
    x, y = make_dataset(args.samples, args.seed, args.font, real_share=share)
    x_test, y_test = make_dataset(
        max(2000, args.samples // 10), args.seed + 1, args.font, real_share=share
    )
    model = fit(x, y, hidden=args.hidden, epochs=args.epochs, seed=args.seed)
    held_out = accuracy(model, x_test, y_test)
    path = out / MODEL_FILE
    model.save(path)
    command = [
        "OPENBLAS_NUM_THREADS=1",
        "python",
        "-m",
        "kiosk.mrz.ocr.train",
        "--samples",
        str(args.samples),
        "--epochs",
        str(args.epochs),
        "--hidden",
        str(args.hidden),
        "--real-share",
        str(args.real_share),
        "--seed",
        str(args.seed),
    ]
    manifest = {
        "model": MODEL_FILE,
        "sha256": sha256_file(path),
        "command": " ".join(command),
        "font": "Debian fonts-ocr-b OCRB.otf (not shipped; permissive licence)",
        "held_out_window_accuracy": round(held_out, 4),
        "training_windows": len(y),
        "seconds": round(time.monotonic() - started, 1),
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(manifest, indent=2))
    return 0


def ensemble(models: Sequence[GlyphModel]) -> GlyphModel:
    """One MLP whose logits are the mean of the members' logits.

    Each member's standardisation is folded into its first layer, the hidden layers are
    placed side by side and the output layers averaged, so the reader runs the ensemble as
    one (wider) model. Averaged logits (a geometric mean of the members' probabilities)
    temper a member that is sure of a wrong letter where the others are not: on the real
    specimens, single members trained alike with other seeds each gave a valid-but-wrong
    name (I read as T), the ensemble none.
    """
    w1s, b1s, w2s = [], [], []
    b2 = np.zeros_like(models[0].b2)
    for m in models:
        w1s.append(m.w1 * m.scale[:, None])
        b1s.append(m.b1 - (m.mean * m.scale) @ m.w1)
        w2s.append(m.w2 / len(models))
        b2 = b2 + m.b2 / len(models)
    d = models[0].w1.shape[0]
    return GlyphModel(
        mean=np.zeros(d, np.float32),
        scale=np.ones(d, np.float32),
        w1=np.hstack(w1s).astype(np.float32),
        b1=np.concatenate(b1s).astype(np.float32),
        w2=np.vstack(w2s).astype(np.float32),
        b2=b2.astype(np.float32),
    )


def _merge_main(folders: Sequence[Path], out: Path) -> int:
    """Write the ensemble of the models in ``folders`` and a manifest naming every member."""
    members = [json.loads((f / MANIFEST_FILE).read_text(encoding="utf-8")) for f in folders]
    for folder, member in zip(folders, members, strict=True):
        if sha256_file(folder / MODEL_FILE) != member["sha256"]:
            raise SystemExit(f"{folder / MODEL_FILE} does not match its manifest")
    model = ensemble([GlyphModel.load(f / MODEL_FILE) for f in folders])
    path = out / MODEL_FILE
    model.save(path)
    steps = [f"{m['command']} --out {f}" for f, m in zip(folders, members, strict=True)]
    merge = "python -m kiosk.mrz.ocr.train --merge " + " ".join(str(f) for f in folders)
    manifest = {
        "model": MODEL_FILE,
        "sha256": sha256_file(path),
        "command": " && ".join([*steps, merge]),
        "font": "Debian fonts-ocr-b OCRB.otf (not shipped; permissive licence)",
        "members": [
            {k: m[k] for k in ("command", "sha256", "held_out_window_accuracy", "training_windows")}
            for m in members
        ],
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(manifest, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
