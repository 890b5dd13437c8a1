"""Names in the MRZ: 9303 part 3 transliteration of Latin-based characters (section 6.A).

The table gives a recommended transliteration and, for some characters, accepted
alternatives (e.g. Ä -> AE or A, Ü -> UE, UXX or U, Ñ -> N or NXX). A name on the document
may have been written with any of them, so :func:`mrz_variants` returns every accepted
rendering. Characters without an entry lose their diacritics (NFD decomposition), which is
what the table recommends for all the others (À -> A, Č -> C, ...).

Separators (part 3 section 4.6): spaces and hyphens become fillers; apostrophes and other
punctuation are left out (O'CONNOR -> OCONNOR).
"""

from __future__ import annotations

import itertools
import unicodedata

# Recommended first, then accepted alternatives (9303 part 3 section 6.A).
_TABLE: dict[str, tuple[str, ...]] = {
    "Ä": ("AE", "A"),
    "Å": ("AA", "A"),
    "Æ": ("AE",),
    "Ñ": ("N", "NXX"),
    "Ö": ("OE", "O"),
    "Ø": ("OE",),
    "Ü": ("UE", "UXX", "U"),
    "Þ": ("TH",),
    "Ð": ("D",),
    "Đ": ("D",),
    "Ħ": ("H",),
    "Ĳ": ("IJ",),
    "Ŀ": ("L",),
    "Ł": ("L",),
    "Ŋ": ("N",),
    "Œ": ("OE",),
    "Ŧ": ("T",),
    "ẞ": ("SS",),
}
_SEPARATORS = frozenset(" -\u2010\u2011\u2013\t")
_MAX_VARIANTS = 64


def _char_options(char: str) -> tuple[str, ...]:
    if char in _TABLE:
        return _TABLE[char]
    if "A" <= char <= "Z":
        return (char,)
    if char in _SEPARATORS:
        return (" ",)
    if char == "ß":  # lower-case sharp s survives upper() only in some contexts
        return ("SS",)
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    base = base.upper()
    if base and all("A" <= c <= "Z" for c in base):
        return (base,)
    return ("",)  # apostrophes, dots and anything without a Latin rendering are left out


def _words(text: str) -> str:
    return " ".join(text.split())


def mrz_variants(name: str) -> list[str]:
    """Every accepted MRZ rendering of a name as printed, as words separated by single spaces.

    The first entry is the recommended transliteration. ``"Müller"`` gives
    ``["MUELLER", "MUXXLLER", "MULLER"]``.
    """
    upper = unicodedata.normalize("NFC", name).upper()
    options = [_char_options(c) for c in upper]
    variants: list[str] = []
    for combo in itertools.islice(itertools.product(*options), _MAX_VARIANTS):
        word = _words("".join(combo))
        if word not in variants:
            variants.append(word)
    return variants


def transliterate(name: str) -> str:
    """Return the recommended MRZ rendering of a name, words separated by single spaces."""
    return mrz_variants(name)[0]
