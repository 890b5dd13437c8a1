"""Build MRZs: the inverse of the parser, for the chip emulator, the OCR corpus and tests.

Every builder returns the MRZ lines joined by ``"\\n"`` with all check digits computed
(9303 part 3 section 4.9; composite rules of parts 4-6). Dates are :class:`datetime.date` or
``YYMMDD`` strings (fillers allowed for unknown parts). Names are transliterated with
:func:`kiosk.mrz.translit.transliterate` and truncated at the end of the field when too long.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from kiosk.mrz.checkdigit import MRZ_ALPHABET, check_digit
from kiosk.mrz.result import MrzFormat
from kiosk.mrz.translit import transliterate


def _field(text: str, width: int, what: str) -> str:
    value = "<".join(text.upper().split())
    if any(c not in MRZ_ALPHABET for c in value):
        raise ValueError(f"{what}: only A-Z, 0-9 and '<' can appear in an MRZ")
    if len(value) > width:
        raise ValueError(f"{what}: longer than {width} characters")
    return value.ljust(width, "<")


def _date(value: date | str, what: str) -> str:
    if isinstance(value, date):
        return value.strftime("%y%m%d")
    if len(value) != 6 or any(c not in "0123456789<" for c in value):
        raise ValueError(f"{what}: a date is a date or YYMMDD")
    return value


def _sex(value: str) -> str:
    value = value.upper() or "<"
    if value == "X":
        value = "<"
    if value not in ("M", "F", "<"):
        raise ValueError("sex: M, F or X/<")
    return value


def mrz_name(surname: str, given_names: str, width: int) -> str:
    """Return the name field: primary identifier, ``<<``, secondary identifier (part 3 4.6).

    Longer names are cut at the field's end, as part 3 section 4.6.5 allows as the last
    resort; the parser then reports the name as possibly truncated.
    """
    primary = transliterate(surname).replace(" ", "<")
    secondary = transliterate(given_names).replace(" ", "<")
    name = primary + ("<<" + secondary if secondary else "")
    return name[:width].ljust(width, "<")


def _number(document_number: str, *, long_ok: bool) -> tuple[str, str, str]:
    """Return (9-character field, its check position, continuation for the optional data)."""
    number = "".join(document_number.upper().split())
    if not number or any(c not in MRZ_ALPHABET for c in number):
        raise ValueError("document_number: only A-Z, 0-9 and '<'")
    if len(number) <= 9:
        padded = number.ljust(9, "<")
        return padded, check_digit(padded), ""
    if not long_ok:
        raise ValueError("document_number: more than 9 characters needs TD1 or TD2")
    # Part 5 section 4.2.4 / part 6: filler in the check position, the rest of the number,
    # its check digit and a filler open the optional data.
    return number[:9], "<", number[9:] + check_digit(number) + "<"


def format_td3(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    birth_date: date | str,
    sex: str,
    expiry_date: date | str,
    issuing_country: str = "NLD",
    nationality: str | None = None,
    document_code: str = "P",
    personal_number: str = "",
) -> str:
    """Build a TD3 (passport) MRZ, 9303 part 4 section 4.2.2."""
    number, number_cd, _ = _number(document_number, long_ok=False)
    dob, doe = _date(birth_date, "birth_date"), _date(expiry_date, "expiry_date")
    personal = _field(personal_number, 14, "personal_number")
    personal_cd = check_digit(personal) if personal.strip("<") else "<"
    line1 = (
        _field(document_code, 2, "document_code")
        + _field(issuing_country, 3, "issuing_country")
        + mrz_name(surname, given_names, 39)
    )
    body = (
        number
        + number_cd
        + _field(nationality or issuing_country, 3, "nationality")
        + dob
        + check_digit(dob)
        + _sex(sex)
        + doe
        + check_digit(doe)
        + personal
        + personal_cd
    )
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return line1 + "\n" + body + composite


def _two_line(
    *,
    width: int,
    composite: bool,
    surname: str,
    given_names: str,
    document_number: str,
    birth_date: date | str,
    sex: str,
    expiry_date: date | str,
    issuing_country: str,
    nationality: str | None,
    document_code: str,
    optional_data: str,
) -> str:
    number, number_cd, continuation = _number(document_number, long_ok=composite)
    dob, doe = _date(birth_date, "birth_date"), _date(expiry_date, "expiry_date")
    optional_width = width - 28 - (1 if composite else 0)
    optional = _field(continuation + optional_data, optional_width, "optional_data")
    line1 = (
        _field(document_code, 2, "document_code")
        + _field(issuing_country, 3, "issuing_country")
        + mrz_name(surname, given_names, width - 5)
    )
    body = (
        number
        + number_cd
        + _field(nationality or issuing_country, 3, "nationality")
        + dob
        + check_digit(dob)
        + _sex(sex)
        + doe
        + check_digit(doe)
        + optional
    )
    if composite:
        body += check_digit(body[0:10] + body[13:20] + body[21:])
    return line1 + "\n" + body


def format_td2(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    birth_date: date | str,
    sex: str,
    expiry_date: date | str,
    issuing_country: str = "NLD",
    nationality: str | None = None,
    document_code: str = "I",
    optional_data: str = "",
) -> str:
    """Build a TD2 MRZ (9303 part 6 section 4.2.2), long document numbers included."""
    return _two_line(
        width=36,
        composite=True,
        surname=surname,
        given_names=given_names,
        document_number=document_number,
        birth_date=birth_date,
        sex=sex,
        expiry_date=expiry_date,
        issuing_country=issuing_country,
        nationality=nationality,
        document_code=document_code,
        optional_data=optional_data,
    )


def format_mrv_a(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    birth_date: date | str,
    sex: str,
    expiry_date: date | str,
    issuing_country: str = "NLD",
    nationality: str | None = None,
    document_code: str = "V",
    optional_data: str = "",
) -> str:
    """Build an MRV-A visa MRZ (9303 part 7: 2x44, no composite check digit)."""
    return _two_line(
        width=44,
        composite=False,
        surname=surname,
        given_names=given_names,
        document_number=document_number,
        birth_date=birth_date,
        sex=sex,
        expiry_date=expiry_date,
        issuing_country=issuing_country,
        nationality=nationality,
        document_code=document_code,
        optional_data=optional_data,
    )


def format_mrv_b(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    birth_date: date | str,
    sex: str,
    expiry_date: date | str,
    issuing_country: str = "NLD",
    nationality: str | None = None,
    document_code: str = "V",
    optional_data: str = "",
) -> str:
    """Build an MRV-B visa MRZ (9303 part 7: 2x36, no composite check digit)."""
    return _two_line(
        width=36,
        composite=False,
        surname=surname,
        given_names=given_names,
        document_number=document_number,
        birth_date=birth_date,
        sex=sex,
        expiry_date=expiry_date,
        issuing_country=issuing_country,
        nationality=nationality,
        document_code=document_code,
        optional_data=optional_data,
    )


def format_td1(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    birth_date: date | str,
    sex: str,
    expiry_date: date | str,
    issuing_country: str = "NLD",
    nationality: str | None = None,
    document_code: str = "I",
    optional_data: str = "",
    optional_data_2: str = "",
) -> str:
    """Build a TD1 (identity card) MRZ, 9303 part 5 section 4.2.2, long numbers included.

    ``optional_data`` is line 1's optional field (after a long number's continuation), where
    Dutch identity cards before August 2021 carried the BSN; ``optional_data_2`` is line 2's.
    """
    number, number_cd, continuation = _number(document_number, long_ok=True)
    dob, doe = _date(birth_date, "birth_date"), _date(expiry_date, "expiry_date")
    line1 = (
        _field(document_code, 2, "document_code")
        + _field(issuing_country, 3, "issuing_country")
        + number
        + number_cd
        + _field(continuation + optional_data, 15, "optional_data")
    )
    line2 = (
        dob
        + check_digit(dob)
        + _sex(sex)
        + doe
        + check_digit(doe)
        + _field(nationality or issuing_country, 3, "nationality")
        + _field(optional_data_2, 11, "optional_data_2")
    )
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return line1 + "\n" + line2 + "\n" + mrz_name(surname, given_names, 30)


def format_edl(
    *,
    document_number: str,
    random_data: str,
    issuing_country: str = "NLD",
    configuration: str = "1",
    version: str = "1",
) -> str:
    """Build the one-line eDL MRZ (ISO/IEC 18013): ``D`` + configuration + issuing state +
    version + document number (10) + random data (13) + check digit over characters 1-29."""
    body = (
        "D"
        + _field(configuration, 1, "configuration")
        + _field(issuing_country, 3, "issuing_country")
        + _field(version, 1, "version")
        + _field(document_number, 10, "document_number")
        + _field(random_data, 13, "random_data")
    )
    return body + check_digit(body)


def format_mrz(fmt: MrzFormat, **fields: Any) -> str:
    """Build an MRZ of the given format; ``fields`` are the keyword arguments of the
    format's builder (:func:`format_td3`, :func:`format_td2`, :func:`format_td1`,
    :func:`format_mrv_a`, :func:`format_mrv_b`, :func:`format_edl`)."""
    builders: dict[MrzFormat, Callable[..., str]] = {
        MrzFormat.TD3: format_td3,
        MrzFormat.TD2: format_td2,
        MrzFormat.TD1: format_td1,
        MrzFormat.MRV_A: format_mrv_a,
        MrzFormat.MRV_B: format_mrv_b,
        MrzFormat.EDL: format_edl,
    }
    return builders[fmt](**fields)
