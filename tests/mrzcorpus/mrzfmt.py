"""Thin MRZ formatting helpers for the corpus (9303 part 4 TD3, part 5 TD1, ISO 18013 eDL).

Check digits come from :mod:`kiosk.mrz.checkdigit`; this module only lays out the fields.
"""

from __future__ import annotations

import random
import string

from kiosk.mrz.checkdigit import check_digit


def _pad(text: str, width: int) -> str:
    if len(text) > width:
        return text[:width]
    return text + "<" * (width - len(text))


def _names(surname: str, given: str, width: int) -> str:
    return _pad(f"{surname}<<{given}", width)


def td3(
    doc_type: str, issuer: str, surname: str, given: str, number: str, nationality: str,
    birth: str, sex: str, expiry: str, personal: str,
) -> tuple[str, str]:
    """Two 44-character lines (9303 part 4 section 4.2.2)."""
    line1 = _pad(doc_type + issuer + _names(surname, given, 39), 44)
    num = _pad(number, 9)
    pers = _pad(personal, 14)
    pers_cd = check_digit(pers) if personal else "<"
    body = (num + check_digit(num), birth + check_digit(birth), expiry + check_digit(expiry))
    composite = check_digit(body[0] + body[1] + body[2] + pers + pers_cd)
    line2 = body[0] + nationality + body[1] + sex + body[2] + pers + pers_cd + composite
    return line1, line2


def td1(
    doc_type: str, issuer: str, surname: str, given: str, number: str, nationality: str,
    birth: str, sex: str, expiry: str, optional: str,
) -> tuple[str, str, str]:
    """Three 30-character lines (9303 part 5 section 4.2.2)."""
    num = _pad(number, 9)
    line1 = _pad(doc_type + issuer + num + check_digit(num) + optional, 30)
    part2 = birth + check_digit(birth) + sex + expiry + check_digit(expiry) + nationality
    part2 = _pad(part2, 29)
    composite = check_digit(line1[5:30] + part2[0:7] + part2[8:15] + part2[18:29])
    return line1, part2 + composite, _names(surname, given, 30)


def edl(issuer: str, number: str, rng: random.Random) -> tuple[str]:
    """One 30-character eDL line: D, BAP configuration, issuer, document data, check digit."""
    rest = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(13))
    body = "D1" + issuer + "1" + _pad(number, 10) + rest
    return (body + check_digit(body),)
