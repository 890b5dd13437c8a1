"""Synthetic MRZ corpus: OCR-B documents (TD1, TD3, eDL) photographed by a simulated webcam.

Deterministic by seed; see :mod:`tests.mrzcorpus.generator`.
"""

from tests.mrzcorpus.generator import (
    CONDITIONS,
    DIFFICULTIES,
    KINDS,
    Sample,
    make_corpus,
    make_sample,
    make_sequence,
    random_mrz,
    render_document,
)

__all__ = [
    "CONDITIONS",
    "DIFFICULTIES",
    "KINDS",
    "Sample",
    "make_corpus",
    "make_sample",
    "make_sequence",
    "random_mrz",
    "render_document",
]
