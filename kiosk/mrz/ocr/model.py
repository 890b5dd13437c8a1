"""The glyph classifier: a small multi-layer perceptron evaluated with numpy.

A two-layer MLP on :func:`kiosk.mrz.ocr.features.window_features` was chosen over OpenCV's
SVM and k-NN because its artifact is small (a few hundred kB of weights rather than
thousands of support vectors or the whole training set) and it gives calibrated per-class
probabilities, which the video voter and the check-digit guided correction use.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from kiosk.mrz.ocr.features import ALPHABET, feature_size
from kiosk.paths import resource

MODEL_FILE = "mrz-ocrb-mlp.npz"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class GlyphModel:
    """Weights of the classifier (feature standardisation, hidden layer, output layer)."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Return an ``(n, 37)`` array of class probabilities in :data:`ALPHABET` order."""
        x = (features - self.mean) * self.scale
        hidden = np.maximum(x @ self.w1 + self.b1, 0.0)
        logits = hidden @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return out

    def save(self, path: Path) -> None:
        """Write the weights as an uncompressed ``.npz`` (byte-for-byte reproducible)."""
        with path.open("wb") as fh:
            np.savez(
                fh,
                mean=self.mean,
                scale=self.scale,
                w1=self.w1,
                b1=self.b1,
                w2=self.w2,
                b2=self.b2,
                alphabet=np.array(ALPHABET),
            )

    @classmethod
    def load(cls, path: Path) -> GlyphModel:
        """Read weights written by :meth:`save`; ``ValueError`` if they do not fit."""
        with np.load(path, allow_pickle=False) as data:
            if str(data["alphabet"]) != ALPHABET or data["w1"].shape[0] != feature_size():
                raise ValueError(f"{path} was trained for other features or another alphabet")
            names = ("mean", "scale", "w1", "b1", "w2", "b2")
            arrays = {k: data[k].astype(np.float32) for k in names}
        return cls(**arrays)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_model_path() -> Path:
    """The shipped model in ``resources/ocr``."""
    return resource("ocr", MODEL_FILE)


@cache
def default_model() -> GlyphModel:
    """Load the shipped model once, after checking it against the manifest's checksum."""
    path = default_model_path()
    manifest = json.loads(resource("ocr", MANIFEST_FILE).read_text(encoding="utf-8"))
    if sha256_file(path) != manifest["sha256"]:
        raise ValueError(f"{path} does not match the SHA-256 in {MANIFEST_FILE}")
    return GlyphModel.load(path)
