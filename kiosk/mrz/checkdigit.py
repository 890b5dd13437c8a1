"""MRZ check digits (ICAO 9303 part 3, section 4.9).

Each character has a value (digits 0-9, letters A-Z 10-35, the filler ``<`` 0); the values
are multiplied by the repeating weights 7, 3, 1 and the check digit is the sum modulo 10.
"""

from __future__ import annotations

import string

#: Characters allowed in an MRZ (9303 part 3, section 4.3: OCR-B upper case, digits, filler).
MRZ_ALPHABET = frozenset(string.ascii_uppercase + string.digits + "<")

_VALUES: dict[str, int] = {"<": 0}
_VALUES.update({d: int(d) for d in string.digits})
_VALUES.update({c: 10 + i for i, c in enumerate(string.ascii_uppercase)})
_WEIGHTS = (7, 3, 1)


def char_value(char: str) -> int:
    """Return the 9303 numeric value of one MRZ character; ``ValueError`` if not allowed."""
    try:
        return _VALUES[char]
    except KeyError:
        raise ValueError(f"not an MRZ character: {char!r}") from None


def check_digit(data: str) -> str:
    """Return the check digit (``'0'``-``'9'``) over ``data`` (9303 part 3, section 4.9)."""
    total = sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data))
    return str(total % 10)


def is_valid(data: str, digit: str) -> bool:
    """True when ``digit`` is the check digit of ``data``.

    A filler in the check digit position is read as 0, which 9303 allows for a field that is
    entirely fillers (e.g. an unused TD3 personal number, part 4 section 4.2.2.2).
    """
    if digit == "<":
        return data.strip("<") == ""
    if digit not in string.digits or any(c not in _VALUES for c in data):
        return False
    return check_digit(data) == digit
