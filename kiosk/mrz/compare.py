"""Compare an MRZ with the step-1 data the beheerder entered (DESIGN.md sections 1 and 4).

Each name is compared in MRZ form: the entered name is transliterated with every accepted
9303 part 3 alternative (:func:`kiosk.mrz.translit.mrz_variants`) and separators are
normalised, so "van der Berg" matches ``VAN<DER<BERG`` and "Müller" matches ``MUELLER``,
``MUXXLLER`` and ``MULLER``. Where the two differ, the result says how, with a message key
for the step-2 page:

* ``mrz.compare.transliteration`` - matches through an accepted alternative (accepted)
* ``mrz.compare.truncated`` - the MRZ name was cut to fit the field (accepted)
* ``mrz.compare.particles`` - same words, Dutch particles (van, der, de, ...) placed or
  left out differently: enter the surname as on the document
* ``mrz.compare.given_names_missing`` / ``..._extra`` - number of given names differs
* ``mrz.compare.differs`` - the name differs
* ``mrz.compare.birth_date_differs`` / ``mrz.compare.birth_date_partial`` (unknown day or
  month on the document, the known parts match: accepted)
* ``mrz.compare.not_in_mrz`` - the eDL's one-line MRZ has no names or birth date: compare
  with the chip instead.

Parameters can contain the names and dates themselves: show them, never log them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from kiosk.model import Employee
from kiosk.mrz.result import MrzFormat, MrzResult
from kiosk.mrz.translit import mrz_variants

# Dutch surname particles (voorvoegsels) as they appear in the MRZ.
PARTICLES = frozenset(
    {
        "VAN",
        "DER",
        "DEN",
        "DE",
        "TER",
        "TEN",
        "TE",
        "HET",
        "T",
        "IN",
        "OP",
        "AAN",
        "VON",
        "D",
        "L",
        "LA",
        "LE",
        "DU",
        "DA",
        "DOS",
        "DEL",
        "DI",
        "UIT",
        "VOOR",
        "BIJ",
        "ONDER",
    }
)


@dataclass(frozen=True, slots=True)
class FieldDifference:
    """How one field of step 1 differs from the MRZ.

    ``accepted`` differences (transliteration alternatives, truncation in the MRZ) still
    match; the others mean step 1 or the document reading must be checked.
    """

    field: str  # 'surname' | 'given_names' | 'date_of_birth'
    message_key: str
    params: dict[str, Any] = dc_field(default_factory=dict)
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class MrzComparison:
    """Result of comparing an MRZ with the employee data; ``matches`` when every difference
    is an accepted one."""

    matches: bool
    differences: list[FieldDifference]


def _tokens(text: str) -> list[str]:
    return text.split()


def _truncation_of(mrz: list[str], full: list[str]) -> bool:
    """True when the MRZ words are the entered words cut short (9303 part 3 section 4.6.5:
    later components are cut first, possibly to initials, and trailing ones dropped)."""
    if not mrz or len(mrz) > len(full):
        return False
    return all(f.startswith(m) for m, f in zip(mrz, full, strict=False))


def _compare_name(
    field_name: str, mrz_value: str, entered: str, truncated: bool
) -> FieldDifference | None:
    variants = mrz_variants(entered)
    mrz_words = _tokens(mrz_value)
    params = {"mrz": mrz_value, "entered": entered}
    if mrz_value == variants[0]:
        return None
    if mrz_value in variants:
        return FieldDifference(field_name, "mrz.compare.transliteration", params, accepted=True)
    for variant in variants:
        if truncated and _truncation_of(mrz_words, _tokens(variant)):
            return FieldDifference(field_name, "mrz.compare.truncated", params, accepted=True)
    if field_name == "surname":
        for variant in variants:
            words = _tokens(variant)
            core_mrz = [w for w in mrz_words if w not in PARTICLES]
            core_entered = [w for w in words if w not in PARTICLES]
            if core_mrz and core_mrz == core_entered:
                return FieldDifference(field_name, "mrz.compare.particles", params)
            if sorted(words) == sorted(mrz_words):
                return FieldDifference(field_name, "mrz.compare.particles", params)
    else:
        for variant in variants:
            words = _tokens(variant)
            if len(words) < len(mrz_words) and mrz_words[: len(words)] == words:
                return FieldDifference(
                    field_name,
                    "mrz.compare.given_names_missing",
                    {**params, "count": len(mrz_words) - len(words)},
                )
            if len(words) > len(mrz_words) and words[: len(mrz_words)] == mrz_words:
                return FieldDifference(
                    field_name,
                    "mrz.compare.given_names_extra",
                    {**params, "count": len(words) - len(mrz_words)},
                )
    return FieldDifference(field_name, "mrz.compare.differs", params)


def _compare_birth(result: MrzResult, employee: Employee) -> FieldDifference | None:
    entered = employee.date_of_birth
    raw = result.access_key.birth_date if result.access_key else ""
    params = {"entered": entered.isoformat()}
    if result.birth_date == entered:
        return None
    typed = entered.strftime("%y%m%d")
    if raw == typed:
        return None  # same YYMMDD; the entered century wins over the MRZ's inference
    if len(raw) == 6 and "<" in raw:
        known = all(r in ("<", t) for r, t in zip(raw, typed, strict=True))
        if known:
            return FieldDifference(
                "date_of_birth",
                "mrz.compare.birth_date_partial",
                {**params, "mrz": raw},
                accepted=True,
            )
    shown = result.birth_date.isoformat() if result.birth_date else raw
    return FieldDifference(
        "date_of_birth", "mrz.compare.birth_date_differs", {**params, "mrz": shown}
    )


def compare_with_employee(result: MrzResult, employee: Employee) -> MrzComparison:
    """Compare surname, given names and date of birth of step 1 with the MRZ."""
    if result.format is MrzFormat.EDL:
        differences = [
            FieldDifference(name, "mrz.compare.not_in_mrz")
            for name in ("surname", "given_names", "date_of_birth")
        ]
        return MrzComparison(matches=False, differences=differences)
    found = [
        _compare_name("surname", result.surname, employee.surname, result.name_truncated),
        _compare_name(
            "given_names", result.given_names, employee.given_names, result.name_truncated
        ),
        _compare_birth(result, employee),
    ]
    differences = [d for d in found if d is not None]
    return MrzComparison(matches=all(d.accepted for d in differences), differences=differences)
