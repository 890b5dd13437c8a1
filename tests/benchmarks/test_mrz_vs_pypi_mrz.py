"""Our MRZ parser against the PyPI ``mrz`` package (mrz.checker), same vectors, same process.

Run with ``./dev bench`` (or ``pytest tests/benchmarks/test_mrz_vs_pypi_mrz.py -o addopts="" -s``).
Prints the comparison table of docs/mrz-ocr.md and writes it to
``artifacts/mrz_vs_pypi_mrz.md``.

A vector is "right" when the validity verdict and the document number, names, birth and
expiry dates (YYMMDD) are what 9303 says. The PyPI checker is given the right layout
class for each vector (it has no format detection), so it is not penalised for that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiosk.mrz import MrzFormat, format_mrz, parse_mrz

pytestmark = pytest.mark.benchmark

mrz_checker = pytest.importorskip("mrz.checker")
from mrz.checker.mrva import MRVACodeChecker  # noqa: E402
from mrz.checker.mrvb import MRVBCodeChecker  # noqa: E402
from mrz.checker.td1 import TD1CodeChecker  # noqa: E402
from mrz.checker.td2 import TD2CodeChecker  # noqa: E402
from mrz.checker.td3 import TD3CodeChecker  # noqa: E402

TODAY = date(2026, 11, 28)


@dataclass(frozen=True)
class Vector:
    name: str
    fmt: MrzFormat
    text: str
    valid: bool
    number: str
    surname: str
    given: str
    birth: str
    expiry: str
    ocr: bool = False  # an OCR misread: right means the printed data is recovered


def _built(fmt: MrzFormat, **extra: Any) -> str:
    fields: dict[str, Any] = {
        "surname": "Jansen",
        "given_names": "Piet",
        "document_number": "XN12B3456",
        "birth_date": date(1980, 5, 17),
        "sex": "M",
        "expiry_date": date(2030, 5, 16),
        "issuing_country": "NLD",
    }
    fields.update(extra)
    return format_mrz(fmt, **fields)


ERIKSSON = ("ERIKSSON", "ANNA MARIA", "740812")
VECTORS = [
    Vector(
        "9303-4 TD3",
        MrzFormat.TD3,
        "PPUTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        True,
        "L898902C3",
        *ERIKSSON,
        "120415",
    ),
    Vector(
        "9303-4 TD3 (2034)",
        MrzFormat.TD3,
        "PPUTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
        "L898902C36UTO7408122F3404159ZE184226B<<<<<16",
        True,
        "L898902C3",
        *ERIKSSON,
        "340415",
    ),
    Vector(
        "9303-5 TD1",
        MrzFormat.TD1,
        "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\n"
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        True,
        "D23145890",
        *ERIKSSON,
        "120415",
    ),
    Vector(
        "9303-6 TD2",
        MrzFormat.TD2,
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6",
        True,
        "D23145890",
        *ERIKSSON,
        "120415",
    ),
    Vector(
        "9303-11 D.2 TD2 long number",
        MrzFormat.TD2,
        "I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\nD23145890<UTO3407127M95071227349<<<8",
        True,
        "D23145890734",
        "STEVENSON",
        "PETER JOHN",
        "340712",
        "950712",
    ),
    Vector(
        "9303-11 D.2 TD2 bad composite",
        MrzFormat.TD2,
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL898902C<3UTO6908061F9406236<<<<<<<8",
        False,
        "L898902C",
        "ERIKSSON",
        "ANNA MARIA",
        "690806",
        "940623",
    ),
    Vector(
        "9303-11 D.2 TD1 long number",
        MrzFormat.TD1,
        "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\n"
        "STEVENSON<<PETER<JOHN<<<<<<<<<",
        True,
        "D23145890734",
        "STEVENSON",
        "PETER JOHN",
        "340712",
        "950712",
    ),
    Vector(
        "9303-11 D.2 TD1 bad composite",
        MrzFormat.TD1,
        "I<UTOL898902C<3<<<<<<<<<<<<<<<\n6908061F9406236UTO<<<<<<<<<<<1\n"
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        False,
        "L898902C",
        "ERIKSSON",
        "ANNA MARIA",
        "690806",
        "940623",
    ),
    Vector(
        "NL passport specimen (BSN)",
        MrzFormat.TD3,
        "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\n"
        "SPECI20142NLD6503101F2401151999999990<<<<<82",
        True,
        "SPECI2014",
        "DE BRUIJN",
        "WILLEKE LISELOTTE",
        "650310",
        "240115",
    ),
    Vector(
        "NL ID card specimen (BSN)",
        MrzFormat.TD1,
        "I<NLDSPECI20212999999990<<<<<8\n6503101F3108022NLD<<<<<<<<<<<8\n"
        "DE<BRUIJN<<WILLEKE<LISELOTTE<<",
        True,
        "SPECI2021",
        "DE BRUIJN",
        "WILLEKE LISELOTTE",
        "650310",
        "310802",
    ),
    Vector(
        "NL residence document",
        MrzFormat.TD1,
        _built(MrzFormat.TD1, document_code="IR", document_number="Y12345678"),
        True,
        "Y12345678",
        "JANSEN",
        "PIET",
        "800517",
        "300516",
    ),
    Vector(
        "NL driving licence (eDL)",
        MrzFormat.EDL,
        "D1NLD15094962111659VW87Z78NB84",
        True,
        "5094962111",
        "",
        "",
        "",
        "",
    ),
    Vector(
        "MRV-A visa",
        MrzFormat.MRV_A,
        _built(MrzFormat.MRV_A, document_code="V"),
        True,
        "XN12B3456",
        "JANSEN",
        "PIET",
        "800517",
        "300516",
    ),
    Vector(
        "MRV-B visa",
        MrzFormat.MRV_B,
        _built(MrzFormat.MRV_B, document_code="V"),
        True,
        "XN12B3456",
        "JANSEN",
        "PIET",
        "800517",
        "300516",
    ),
    Vector(
        "OCR: O for 0 in birth date",
        MrzFormat.TD3,
        "PPUTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
        "L898902C36UTO74O8122F1204159ZE184226B<<<<<10",
        True,
        "L898902C3",
        *ERIKSSON,
        "120415",
        ocr=True,
    ),
    Vector(
        "OCR: S for 5 in document number",
        MrzFormat.TD1,
        "I<UTOD2314S8907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\n"
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        True,
        "D23145890",
        *ERIKSSON,
        "120415",
        ocr=True,
    ),
    Vector(
        "OCR: O in NL passport number",
        MrzFormat.TD3,
        "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\n"
        "SPECI2O142NLD6503101F2401151999999990<<<<<82",
        True,
        "SPECI2014",
        "DE BRUIJN",
        "WILLEKE LISELOTTE",
        "650310",
        "240115",
        ocr=True,
    ),
]

PYPI: dict[MrzFormat, Callable[[str], Any]] = {
    MrzFormat.TD1: TD1CodeChecker,
    MrzFormat.TD2: TD2CodeChecker,
    MrzFormat.TD3: TD3CodeChecker,
    MrzFormat.MRV_A: MRVACodeChecker,
    MrzFormat.MRV_B: MRVBCodeChecker,
}


def ours_right(v: Vector) -> bool:
    r = parse_mrz(v.text, today=TODAY)
    key = r.access_key
    assert key is not None
    dates = ("", "") if v.fmt is MrzFormat.EDL else (key.birth_date, key.expiry_date)
    return (r.valid, r.document_number, r.surname, r.given_names, *dates) == (
        v.valid,
        v.number,
        v.surname,
        v.given,
        v.birth,
        v.expiry,
    )


def pypi_right(v: Vector) -> bool:
    checker_class = PYPI.get(v.fmt)
    if checker_class is None:
        return False  # format not supported
    try:
        checker = checker_class(v.text)
        f = checker.fields()
        got = (bool(checker), f.document_number, f.surname, f.name, f.birth_date, f.expiry_date)
    except Exception:  # any failure of the other library counts as wrong
        return False
    return got == (v.valid, v.number, v.surname, v.given, v.birth, v.expiry)


def pypi_keeps_optional_data(text: str) -> bool:
    return "999999990" in str(TD3CodeChecker(text).fields())


def _per_parse_us(fn: Callable[[], object], count: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6


def test_compare_with_pypi_mrz(artifacts_dir: Path) -> None:
    clean = [v for v in VECTORS if not v.ocr]
    ocr = [v for v in VECTORS if v.ocr]
    ours_clean = sum(ours_right(v) for v in clean)
    pypi_clean = sum(pypi_right(v) for v in clean)
    ours_ocr = sum(ours_right(v) for v in ocr)
    pypi_ocr = sum(pypi_right(v) for v in ocr)
    wrong_pypi = [v.name for v in clean if not pypi_right(v)]

    shared = [v for v in clean if v.fmt in PYPI]
    count = 200

    def run_ours() -> None:
        for v in shared:
            parse_mrz(v.text, today=TODAY)

    def run_pypi() -> None:
        for v in shared:
            PYPI[v.fmt](v.text).fields()

    ours_us = _per_parse_us(run_ours, count) / len(shared)
    pypi_us = _per_parse_us(run_pypi, count) / len(shared)
    nl_passport = next(v for v in VECTORS if v.name.startswith("NL passport"))

    table = "\n".join(
        [
            "| | kiosk.mrz | PyPI `mrz` 0.6 (`mrz.checker`) |",
            "|---|---|---|",
            "| formats | TD1, TD2, TD3, MRV-A, MRV-B, eDL one-line | TD1, TD2, TD3, MRV-A, MRV-B |",
            "| format detection | automatic (tolerant input) | caller picks the checker class |",
            f"| ICAO + Dutch vectors right | {ours_clean}/{len(clean)} "
            f"| {pypi_clean}/{len(clean)} |",
            f"| OCR misreads recovered | {ours_ocr}/{len(ocr)} | {pypi_ocr}/{len(ocr)} |",
            "| optional data / BSN returned | never | "
            + (
                "yes: `fields().optional_data` holds the BSN |"
                if pypi_keeps_optional_data(nl_passport.text)
                else "no |"
            ),
            f"| parse time per MRZ (same {len(shared)} vectors) | {ours_us:.0f} µs "
            f"| {pypi_us:.0f} µs |",
            f"| time ratio (ours / PyPI) | {ours_us / pypi_us:.2f} | 1 |",
        ]
    )
    detail = "PyPI `mrz` wrong on: " + ", ".join(wrong_pypi)
    print("\n" + table + "\n\n" + detail)
    (artifacts_dir / "mrz_vs_pypi_mrz.md").write_text(table + "\n\n" + detail + "\n")
    assert ours_clean == len(clean) and ours_ocr == len(ocr)
