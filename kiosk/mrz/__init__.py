"""MRZ: parse, validate, correct and compare (ICAO 9303 parts 3-7, ISO/IEC 18013 eDL).

Public API (others code against these names)::

    parse_mrz(text, *, correct=True, today=None) -> MrzResult     raises MrzSyntaxError
    AccessKey.from_fields(number, birth, expiry); key.mrz_information(); key.key_seed()
    compare_with_employee(result, employee) -> MrzComparison
    compare_holder(DocumentHolder(...), employee) -> MrzComparison   the one comparison engine
    format_mrz(MrzFormat.TD3, ...) / format_td3 / format_td2 / format_td1 / format_mrv_a /
        format_mrv_b / format_edl                                  MRZ builders
    kiosk.mrz.wedge.WedgeAssembler                                 keyboard-wedge readers

The camera OCR pipeline lives in :mod:`kiosk.mrz.ocr` and is imported only on demand.
"""

from __future__ import annotations

from kiosk.mrz.build import (
    format_edl,
    format_mrv_a,
    format_mrv_b,
    format_mrz,
    format_td1,
    format_td2,
    format_td3,
    mrz_name,
)
from kiosk.mrz.checkdigit import check_digit
from kiosk.mrz.compare import (
    DocumentHolder,
    FieldDifference,
    MrzComparison,
    compare_holder,
    compare_with_employee,
)
from kiosk.mrz.parser import document_type_for, parse_mrz
from kiosk.mrz.result import (
    AccessKey,
    CheckResult,
    Correction,
    MrzFormat,
    MrzResult,
    MrzSyntaxError,
)
from kiosk.mrz.translit import mrz_variants, transliterate

__all__ = [
    "AccessKey",
    "CheckResult",
    "Correction",
    "DocumentHolder",
    "FieldDifference",
    "MrzComparison",
    "MrzFormat",
    "MrzResult",
    "MrzSyntaxError",
    "check_digit",
    "compare_holder",
    "compare_with_employee",
    "document_type_for",
    "format_edl",
    "format_mrv_a",
    "format_mrv_b",
    "format_mrz",
    "format_td1",
    "format_td2",
    "format_td3",
    "mrz_name",
    "mrz_variants",
    "parse_mrz",
    "transliterate",
]
