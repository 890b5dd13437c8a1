"""Parse, validate and correct an MRZ (ICAO 9303 parts 3-7; ISO/IEC 18013 eDL one-line MRZ).

Pipeline: normalise the text (case, whitespace, separators, split or joined lines) into the
lines of one layout; look for OCR corrections by field type that make the check digits pass;
read the fields; drop optional data and personal numbers (they may carry a BSN) before
anything leaves this module.

Layouts (0-based columns; 9303 numbers character positions from 1):

* TD3 (part 4, 2x44) and MRV-A (part 7, 2x44, no composite, code ``V``)
* TD2 (part 6, 2x36) and MRV-B (part 7, 2x36, no composite, code ``V``)
* TD1 (part 5, 3x30)
* eDL (ISO/IEC 18013-1/-2 one-line 30 characters): ``D`` + BAP configuration + issuing state
  + version + 10-character document number + 13 random characters + check digit over
  characters 1-29.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from kiosk.model import DocumentType
from kiosk.mrz.checkdigit import MRZ_ALPHABET, check_digit, is_valid
from kiosk.mrz.countries import is_state_code
from kiosk.mrz.result import (
    AccessKey,
    CheckResult,
    Correction,
    MrzFormat,
    MrzResult,
    MrzSyntaxError,
)

Pos = tuple[int, int]  # (line index, column index), both 0-based

_DIGITS = frozenset(string.digits)
_LETTERS = frozenset(string.ascii_uppercase)
_ALNUM = frozenset(MRZ_ALPHABET)
_DATE = _DIGITS | {"<"}  # 9303 part 3 section 4.6: unknown day/month may be fillers
_CHECK = _DIGITS
_CHECK_OR_FILLER = _DIGITS | {"<"}

# OCR confusions we correct, both ways, and only by field type (DESIGN.md section 4).
_CONFUSION: dict[str, str] = {}
for _letter, _digit in (("O", "0"), ("I", "1"), ("B", "8"), ("S", "5"), ("Z", "2"), ("G", "6")):
    _CONFUSION[_letter] = _digit
    _CONFUSION[_digit] = _letter

#: At most this many optional swaps (characters valid as read but confusable) per field. A
#: mod-10 check digit cannot locate an error, so every extra swap adds chances of a false
#: "correction" that happens to pass; forced fixes (impossible for the field type) are free.
MAX_SWAPS = 1

# Fields whose content is dropped at parse time because it may carry a BSN.
_DROPPED_FIELDS = frozenset({"personal_number", "personal_number_check", "optional_data"})


@dataclass(frozen=True, slots=True)
class _Group:
    """A check digit and the positions it protects."""

    name: str
    data: tuple[Pos, ...]
    check: Pos


@dataclass(slots=True)
class _Layout:
    fmt: MrzFormat
    fields: dict[Pos, str]  # position -> field name
    allowed: dict[Pos, frozenset[str]]
    groups: list[_Group]
    composite: _Group | None


def _span(line: int, start: int, end: int) -> tuple[Pos, ...]:
    return tuple((line, c) for c in range(start, end))


def _normalise(text: str) -> list[str]:
    """Upper-case, split on newlines or '|', drop whitespace and empty lines."""
    if not isinstance(text, str):
        raise MrzSyntaxError(reason="empty")
    unified = text.upper().replace("|", "\n").replace("\r", "\n")
    lines = ["".join(raw.split()) for raw in unified.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise MrzSyntaxError(reason="empty")
    if any(c not in MRZ_ALPHABET for line in lines for c in line):
        raise MrzSyntaxError(reason="characters")
    return lines


def _fits(line: str, width: int) -> bool:
    """True when ``line`` is ``width`` long apart from missing or extra trailing fillers."""
    return len(line) <= width or line[width:].strip("<") == ""


def _fit(line: str, width: int) -> str:
    return line[:width].ljust(width, "<")


def _shape(lines: list[str]) -> tuple[MrzFormat, list[str]]:
    """Decide the layout from line lengths; tolerate trailing fillers left off and lines
    split or joined anywhere."""
    lengths = [len(line) for line in lines]
    shaped: list[str] | None = None
    if lengths in ([44, 44], [36, 36], [30, 30, 30]) or (
        lengths == [30] and lines[0].startswith("D")
    ):
        shaped = lines
    elif len(lines) == 2 and lengths[1] in (36, 44) and _fits(lines[0], lengths[1]):
        # A person typing often leaves off (or adds) trailing fillers of the name line; the
        # 9303 part 4 text itself has one filler too many in an example.
        shaped = [_fit(lines[0], lengths[1]), lines[1]]
    elif len(lines) == 3 and lengths[1] == 30 and _fits(lines[0], 30) and _fits(lines[2], 30):
        shaped = [_fit(lines[0], 30), lines[1], _fit(lines[2], 30)]
    else:
        joined = "".join(lines)
        width = {88: 44, 72: 36, 90: 30}.get(len(joined))
        if width is not None:
            shaped = [joined[i : i + width] for i in range(0, len(joined), width)]
        elif len(joined) == 30 and joined.startswith("D"):
            shaped = [joined]
    if shaped is None:
        raise MrzSyntaxError(reason="length")
    if shaped[0][0] not in _LETTERS:
        raise MrzSyntaxError(reason="document_code")
    if len(shaped) == 3 and shaped[0][0] not in "IAC":
        # Part 5 section 4.2.2: a TD1 document code starts with I, A or C. This also keeps
        # two over-long TD3 lines (90 characters together) from passing for a TD1.
        raise MrzSyntaxError(reason="document_code")
    if len(shaped) == 1:
        return MrzFormat.EDL, shaped
    width = len(shaped[0])
    visa = shaped[0][0] == "V"
    if width == 44:
        return (MrzFormat.MRV_A if visa else MrzFormat.TD3), shaped
    if width == 36:
        return (MrzFormat.MRV_B if visa else MrzFormat.TD2), shaped
    return MrzFormat.TD1, shaped


def document_type_for(fmt: MrzFormat, document_code: str) -> DocumentType | None:
    """Map a document code to the kiosk's WID kinds (Dutch practice).

    * ``P*`` passport (9303 part 4 section 4.2.2).
    * ``I*``, ``A*``, ``C*`` identity card, except a second character ``R``: the EU uniform
      residence permit (Regulation (EC) 1030/2002 as amended by 2017/1954) is coded ``IR``
      or ``AR``, and the Dutch verblijfsdocumenten use ``IR``, so those are residence
      documents. ``AC`` (crew member certificate, part 5) is not a WID.
    * ``V*`` visas are not identity documents: ``None``.
    * the eDL one-line MRZ (``D1``...) is a driving licence.
    """
    if fmt is MrzFormat.EDL:
        return DocumentType.DRIVING_LICENCE
    first, second = document_code[:1], document_code[1:2]
    if first == "P":
        return DocumentType.PASSPORT
    if document_code == "AC":
        return None
    if first in ("I", "A", "C"):
        return DocumentType.RESIDENCE_DOCUMENT if second == "R" else DocumentType.ID_CARD
    return None


def _docnum_allowed(
    country: str, doc_type: DocumentType | None, length: int
) -> list[frozenset[str]]:
    """Allowed characters per document-number position, with the Dutch rules.

    Dutch passports and identity cards: 2 letters, 6 letters or digits, 1 digit, and never the
    letter O (so an O read there can only be a zero). Dutch residence documents issued since
    2019 use neither O nor 0, so neither is offered as a correction there.
    """
    if country == "NLD" and doc_type in (DocumentType.PASSPORT, DocumentType.ID_CARD):
        no_o_letters = _LETTERS - {"O"}
        if length == 9:
            return [no_o_letters] * 2 + [(_ALNUM - {"O", "<"})] * 6 + [_DIGITS]
        return [_ALNUM - {"O"}] * length
    if country == "NLD" and doc_type is DocumentType.RESIDENCE_DOCUMENT:
        return [_ALNUM - {"O", "0"}] * length
    return [_ALNUM] * length


def _layout(fmt: MrzFormat, lines: list[str]) -> _Layout:
    fields: dict[Pos, str] = {}
    allowed: dict[Pos, frozenset[str]] = {}

    def put(positions: Iterable[Pos], name: str, chars: frozenset[str]) -> None:
        for pos in positions:
            fields[pos] = name
            allowed[pos] = chars

    groups: list[_Group] = []
    composite: _Group | None = None

    def char(pos: Pos) -> str:
        return lines[pos[0]][pos[1]]

    if fmt is MrzFormat.EDL:
        put(_span(0, 0, 1), "document_code", _LETTERS)
        put(_span(0, 1, 2), "configuration", _ALNUM)
        put(_span(0, 2, 5), "issuing_country", _LETTERS | {"<"})
        put(_span(0, 5, 6), "version", _ALNUM)
        put(_span(0, 6, 16), "document_number", _ALNUM)
        put(_span(0, 16, 29), "random_data", _ALNUM)
        put([(0, 29)], "mrz_line_check", _CHECK)
        groups.append(_Group("mrz_line", _span(0, 0, 29), (0, 29)))
        return _Layout(fmt, fields, allowed, groups, None)

    code = lines[0][0:2]
    country = lines[0][2:5]
    doc_type = document_type_for(fmt, code)
    put(_span(0, 0, 2), "document_code", _LETTERS | {"<"})
    put(_span(0, 2, 5), "issuing_country", _LETTERS | {"<"})

    if fmt is MrzFormat.TD1:
        # Part 5 section 4.2.2: line 1 code, state, number (9), check, optional data (15);
        # line 2 birth, check, sex, expiry, check, nationality, optional data (11), composite.
        number_span: tuple[Pos, ...] = _span(0, 5, 14)
        number_check: Pos = (0, 14)
        optional: tuple[Pos, ...] = _span(0, 15, 30)
        birth, expiry = _span(1, 0, 6), _span(1, 8, 14)
        birth_check, expiry_check = (1, 6), (1, 14)
        put([(1, 7)], "sex", _LETTERS | {"<"})
        put(_span(1, 15, 18), "nationality", _LETTERS | {"<"})
        put(_span(2, 0, 30), "name", _LETTERS | {"<"})
        optional2 = _span(1, 18, 29)
        composite_pos: Pos | None = (1, 29)
        composite_data = _span(0, 5, 30) + _span(1, 0, 7) + _span(1, 8, 15) + optional2
        put(optional2, "optional_data", _ALNUM)
    else:
        width = len(lines[0])
        put(_span(0, 5, width), "name", _LETTERS | {"<"})
        number_span = _span(1, 0, 9)
        number_check = (1, 9)
        birth, expiry = _span(1, 13, 19), _span(1, 21, 27)
        birth_check, expiry_check = (1, 19), (1, 27)
        put([(1, 20)], "sex", _LETTERS | {"<"})
        put(_span(1, 10, 13), "nationality", _LETTERS | {"<"})
        if fmt is MrzFormat.TD3:
            # Part 4 section 4.2.2: personal number (14) with its own check digit, composite.
            personal = _span(1, 28, 42)
            put(personal, "personal_number", _ALNUM)
            put([(1, 42)], "personal_number_check", _CHECK_OR_FILLER)
            groups.append(_Group("personal_number", personal, (1, 42)))
            optional = ()
            composite_pos = (1, 43)
            composite_data = _span(1, 0, 10) + _span(1, 13, 20) + _span(1, 21, 43)
        elif fmt is MrzFormat.TD2:
            # Part 6 section 4.2.2: optional data (7) then the composite check digit.
            optional = _span(1, 28, 35)
            composite_pos = (1, 35)
            composite_data = _span(1, 0, 10) + _span(1, 13, 20) + _span(1, 21, 35)
        else:
            # Part 7: visas have optional data to the end of line 2 and no composite digit.
            optional = _span(1, 28, width)
            composite_pos = None
            composite_data = ()

    put(optional, "optional_data", _ALNUM)

    # Long document numbers (part 5 section 4.2.4 note j, part 6 note): the check digit
    # position holds a filler, the number continues in the optional data and is followed by
    # its check digit and a filler.
    number_positions = number_span
    check_at = number_check
    # Never for Dutch documents: their numbers always have 9 characters, and the optional data
    # after them may hold a BSN, which must not become part of a document number when a
    # check digit is misread as a filler.
    if (
        char(number_check) == "<"
        and fmt in (MrzFormat.TD1, MrzFormat.TD2)
        and optional
        and country != "NLD"
    ):
        continuation = []
        for pos in optional:
            if char(pos) == "<":
                break
            continuation.append(pos)
        if len(continuation) >= 2:
            number_positions = number_span + tuple(continuation[:-1])
            check_at = continuation[-1]
            put([number_check], "document_number_check", frozenset({"<"}))
    shape = _docnum_allowed(country, doc_type, len(number_positions))
    for pos, chars in zip(number_positions, shape, strict=True):
        fields[pos] = "document_number"
        allowed[pos] = chars
    put([check_at], "document_number_check", _CHECK)
    put(birth, "birth_date", _DATE)
    put([birth_check], "birth_date_check", _CHECK)
    put(expiry, "expiry_date", _DATE)
    put([expiry_check], "expiry_date_check", _CHECK)
    groups[0:0] = [
        _Group("document_number", number_positions, check_at),
        _Group("birth_date", birth, birth_check),
        _Group("expiry_date", expiry, expiry_check),
    ]
    if composite_pos is not None:
        put([composite_pos], "composite_check", _CHECK)
        composite = _Group("composite", composite_data, composite_pos)
    return _Layout(fmt, fields, allowed, groups, composite)


Change = dict[Pos, str]


def _read(lines: Sequence[str], pos: Pos, change: Change) -> str:
    return change.get(pos, lines[pos[0]][pos[1]])


def _passes(lines: Sequence[str], group: _Group, change: Change) -> bool:
    data = "".join(_read(lines, p, change) for p in group.data)
    return is_valid(data, _read(lines, group.check, change))


def _options(
    lines: Sequence[str], positions: Iterable[Pos], allowed: dict[Pos, frozenset[str]]
) -> tuple[Change, list[tuple[Pos, str]]]:
    """Return forced changes (character impossible for its field type, the confusable one
    fits) and optional swaps (character fits, but so would its confusable twin)."""
    forced: Change = {}
    swaps: list[tuple[Pos, str]] = []
    for pos in positions:
        ch = lines[pos[0]][pos[1]]
        chars = allowed.get(pos, _ALNUM)
        twin = _CONFUSION.get(ch)
        if ch in chars:
            if twin is not None and twin in chars:
                swaps.append((pos, twin))
        elif twin is not None and twin in chars:
            forced[pos] = twin
    return forced, swaps


def _group_candidates(lines: Sequence[str], group: _Group, layout: _Layout) -> list[Change]:
    """Smallest sets of changes that make one check digit pass (empty list: none found).

    Forced fixes always come first: G and 6 (and A and 0, ...) have the same check-digit
    value, so a G in a date passes its check digit as read and must still become a 6.
    """
    forced, swaps = _options(lines, (*group.data, group.check), layout.allowed)
    if _passes(lines, group, forced):
        return [forced]
    if forced and _passes(lines, group, {}):
        return [{}]  # the forced fix breaks a passing field: keep what is printed
    for count in range(1, MAX_SWAPS + 1):
        found = []
        for combo in itertools.combinations(swaps, count):
            change = dict(forced)
            change.update(combo)
            if _passes(lines, group, change):
                found.append(change)
        if found:
            return found
    return []


def _search(lines: Sequence[str], layout: _Layout) -> tuple[Change, list[Change]]:
    """Find the correction to apply and, when it is ambiguous, every alternative.

    Returns (change to apply, alternatives). Alternatives has more than one entry only when
    several corrections pass; the change to apply is then empty.
    """
    per_group = [_group_candidates(lines, group, layout) for group in layout.groups]

    if layout.composite is not None:
        # Composite-only characters (optional data) get type-forced fixes only.
        own = {p for g in layout.groups for p in (*g.data, g.check)}
        rest = [p for p in (*layout.composite.data, layout.composite.check) if p not in own]
        rest_forced, _ = _options(lines, rest, layout.allowed)
        passing: list[Change] = []
        for combo in itertools.product(*[c or [{}] for c in per_group]):
            change: Change = {}
            for part in combo:
                change.update(part)
            if not all(_passes(lines, g, change) for g in layout.groups):
                continue
            with_rest = {**change, **rest_forced}
            if rest_forced and _passes(lines, layout.composite, with_rest):
                passing.append(with_rest)
            elif _passes(lines, layout.composite, change):
                passing.append(change)
        unique = _dedupe(passing)
        if len(unique) == 1:
            return unique[0], unique
        if len(unique) > 1:
            return {}, unique

    # No composite, or no combination passes everything: correct field by field where exactly
    # one correction makes that field's own check digit pass.
    apply: Change = {}
    ambiguous: list[list[Change]] = []
    for candidates in per_group:
        if len(candidates) == 1:
            apply.update(candidates[0])
        elif len(candidates) > 1:
            ambiguous.append(candidates)
    if ambiguous:
        # Never guess: apply nothing, and offer each complete reading.
        readings = []
        for combo in itertools.product(*ambiguous):
            reading = dict(apply)
            for part in combo:
                reading.update(part)
            readings.append(reading)
        return {}, readings
    return apply, [apply] if apply else []


def _dedupe(changes: list[Change]) -> list[Change]:
    seen: set[tuple[tuple[Pos, str], ...]] = set()
    out: list[Change] = []
    for change in changes:
        key = tuple(sorted(change.items()))
        if key not in seen:
            seen.add(key)
            out.append(change)
    return out


def _corrections(lines: Sequence[str], layout: _Layout, change: Change) -> tuple[Correction, ...]:
    out = []
    for (line, col), new in sorted(change.items()):
        name = layout.fields.get((line, col), "unknown")
        old, shown = lines[line][col], new
        if name in _DROPPED_FIELDS:
            old = shown = "*"
        out.append(Correction(line + 1, col + 1, name, old, shown))
    return tuple(out)


def _parse_date(text: str, *, birth: bool, today: date) -> date | None:
    """YYMMDD with century inference: a birth date is never in the future; an expiry date is
    taken in this century unless that is more than 50 years ahead."""
    if len(text) != 6 or not text.isdigit():
        return None
    yy, mm, dd = int(text[0:2]), int(text[2:4]), int(text[4:6])
    year = 2000 + yy
    if birth:
        if year > today.year:
            year -= 100
    elif year > today.year + 50:
        year -= 100
    try:
        value = date(year, mm, dd)
    except ValueError:
        return None
    if birth and value > today:
        try:
            value = date(year - 100, mm, dd)
        except ValueError:
            return None
    return value


def _names(field: str) -> tuple[str, str, bool]:
    """Split a name field into primary and secondary identifiers (part 3 section 4.6).

    The third value is True when the field is used to its last character: the name may be
    truncated there (9303 cannot tell an exact fit from a truncation).
    """
    primary, _, secondary = field.partition("<<")
    surname = " ".join(primary.replace("<", " ").split())
    given = " ".join(secondary.replace("<", " ").split())
    return surname, given, field[-1:] != "<"


def _checks(lines: Sequence[str], layout: _Layout) -> tuple[CheckResult, ...]:
    out = []
    for group in (*layout.groups, *([layout.composite] if layout.composite else [])):
        data = "".join(lines[p[0]][p[1]] for p in group.data)
        found = lines[group.check[0]][group.check[1]]
        out.append(CheckResult(group.name, is_valid(data, found), found, check_digit(data)))
    return tuple(out)


def _text(lines: Sequence[str], positions: Iterable[Pos]) -> str:
    return "".join(lines[p[0]][p[1]] for p in positions)


#: Fields no check digit protects, where only the field grammar of 9303-3/4/5/6 can tell a
#: misread: letters and fillers only, and states from the 9303-3 code list.
_UNCHECKED_LETTER_FIELDS = ("document_code", "issuing_country", "nationality", "sex", "name")
_SEXES = frozenset("MFX<")  # 9303-3 section 4.7 / part 4 4.2.2: M, F or X (or filler)


def _first_code_letters(fmt: MrzFormat) -> frozenset[str]:
    """What the document code may start with, by the layout's size: P for a passport or V
    for a visa on 2x44 characters (9303 part 4 section 4.2.2, part 7), A, C or I for a
    TD1 or TD2 card or V for a 2x36 visa (parts 5 and 6), D for the eDL line (ISO/IEC
    18013-1). A visa is told from the rest by this very letter, hence P/V and ACI/V."""
    if fmt in (MrzFormat.TD3, MrzFormat.MRV_A):
        return frozenset("PV")
    if fmt in (MrzFormat.TD2, MrzFormat.MRV_B):
        return frozenset("ACIV")
    if fmt is MrzFormat.TD1:
        return frozenset("ACI")
    return frozenset("D")


def _grammar_violations(lines: Sequence[str], layout: _Layout) -> tuple[str, ...]:
    """The rules of the field grammar the text breaks (ICAO 9303-3 sections 4.6-4.7 and 5).

    A digit in a name, a state code that is no 9303 code ("NLD" read as "MLD", "UTO" as
    "UT0") or a sex other than M/F/X is never corrected here: no check digit covers those
    fields, so any fix would be a guess. The result is invalid and says why; the OCR decoder
    (:mod:`kiosk.mrz.ocr.reader`) applies the same grammar while it picks each character.
    """
    found: list[str] = []
    for name in _UNCHECKED_LETTER_FIELDS:
        positions = [pos for pos, field in layout.fields.items() if field == name]
        if any(_read(lines, pos, {}) not in layout.allowed[pos] for pos in positions):
            found.append(f"letters_only.{name}")
    for name in ("issuing_country", "nationality"):
        positions = sorted(pos for pos, field in layout.fields.items() if field == name)
        if positions and not is_state_code(_text(lines, positions)):
            found.append(f"state_code.{name}")
    sex = [pos for pos, field in layout.fields.items() if field == "sex"]
    if sex and _read(lines, sex[0], {}) not in _SEXES:
        found.append("sex")
    if lines[0][0] not in _first_code_letters(layout.fmt):
        found.append("document_code")
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class FieldGrammar:
    """What the field grammar says about each position of one MRZ (see :func:`field_grammar`).

    ``allowed[line][column]`` is the set of characters that may stand there; ``fields`` names
    the field of each position; ``checked`` holds the positions some check digit protects
    (the check digits included). ``states`` lists the position triples of the issuing state
    and nationality, whose three letters together must be a 9303-3 code.
    """

    allowed: tuple[tuple[frozenset[str], ...], ...]
    fields: dict[Pos, str]
    checked: frozenset[Pos]
    states: tuple[tuple[Pos, Pos, Pos], ...]


def field_grammar(text: str) -> FieldGrammar:
    """The field grammar of ICAO 9303-3/4/5/6 for an MRZ of ``text``'s layout.

    Letters and fillers in names, codes and states; M, F, X or a filler as the sex; digits in
    dates and check digits; the Dutch document-number rules (no letter O, DESIGN.md section
    4); alphanumerics elsewhere. The layout is decided from ``text`` itself (format from the
    line lengths, document type and state from line 1), so an OCR decoder can classify once,
    ask for the grammar and pick the best allowed character per position. Raises
    :class:`MrzSyntaxError` when ``text`` is not MRZ-shaped.
    """
    fmt, lines = _shape(_normalise(text))
    layout = _layout(fmt, lines)
    allowed = {
        pos: (_SEXES if layout.fields.get(pos) == "sex" else chars)
        for pos, chars in layout.allowed.items()
    }
    allowed[(0, 0)] = _first_code_letters(fmt)
    groups = [*layout.groups, *([layout.composite] if layout.composite else [])]
    states: list[tuple[Pos, Pos, Pos]] = []
    for name in ("issuing_country", "nationality"):
        positions = sorted(pos for pos, field in layout.fields.items() if field == name)
        if len(positions) == 3:
            states.append((positions[0], positions[1], positions[2]))
    return FieldGrammar(
        allowed=tuple(
            tuple(allowed.get((row, col), _ALNUM) for col in range(len(line)))
            for row, line in enumerate(lines)
        ),
        fields=dict(layout.fields),
        checked=frozenset(pos for g in groups for pos in (*g.data, g.check)),
        states=tuple(states),
    )


def _nl_number_rule_broken(country: str, doc_type: DocumentType | None, number: str) -> bool:
    return (
        country == "NLD"
        and doc_type in (DocumentType.PASSPORT, DocumentType.ID_CARD)
        and "O" in number
    )


def parse_mrz(text: str, *, correct: bool = True, today: date | None = None) -> MrzResult:
    """Parse and validate an MRZ of any supported layout.

    ``text`` may have stray whitespace, lower case, and lines joined by newlines or ``|`` or
    split anywhere. With ``correct`` the parser fixes OCR confusions (O/0, I/1, B/8, S/5,
    Z/2, G/6) by field type, only where the check digits then pass, and lists each change.
    ``today`` (default: the current date) anchors the century of two-digit years.

    Raises :class:`MrzSyntaxError` when the text is not an MRZ. Bad check digits give a result
    with ``valid == False``; they never raise.
    """
    today = today or date.today()
    fmt, original = _shape(_normalise(text))
    layout = _layout(fmt, original)
    change: Change = {}
    alternatives: list[Change] = []
    if correct:
        change, alternatives = _search(original, layout)
    lines = list(original)
    for (line, col), new in change.items():
        lines[line] = lines[line][:col] + new + lines[line][col + 1 :]
    if change:
        # A correction can move the long-number continuation; re-read the layout.
        layout = _layout(fmt, lines)
    corrections = _corrections(original, layout, change)
    alt_corrections = (
        tuple(_corrections(original, layout, alt) for alt in alternatives)
        if len(alternatives) > 1
        else ()
    )
    checks = _checks(lines, layout)
    groups = {g.name: g for g in layout.groups}
    number_group = groups.get("document_number")

    if fmt is MrzFormat.EDL:
        edl = lines[0]
        number = edl[6:16].replace("<", "")
        key = AccessKey(document_number=edl[6:16], document_number_check="", edl_mrz=edl)
        edl_violations = () if is_state_code(edl[2:5]) else ("state_code.issuing_country",)
        valid = all(c.valid for c in checks) and len(alt_corrections) == 0 and not edl_violations
        return MrzResult(
            format=fmt,
            document_code=edl[0:2],
            document_type=DocumentType.DRIVING_LICENCE,
            issuing_country=edl[2:5].replace("<", ""),
            document_number=number,
            surname="",
            given_names="",
            name_truncated=False,
            nationality="",
            birth_date=None,
            sex="",
            expiry_date=None,
            checks=checks,
            valid=valid,
            corrections=corrections,
            alternatives=alt_corrections,
            access_key=key,
            rule_violations=edl_violations,
        )

    assert number_group is not None
    code = lines[0][0:2]
    country = lines[0][2:5].replace("<", "")
    doc_type = document_type_for(fmt, code)
    number_field = _text(lines, number_group.data)
    number = number_field.replace("<", "")
    birth_raw = _text(lines, groups["birth_date"].data)
    expiry_raw = _text(lines, groups["expiry_date"].data)
    if fmt is MrzFormat.TD1:
        name_field, sex_char, nationality = lines[2], lines[1][7], lines[1][15:18]
    else:
        name_field, sex_char, nationality = lines[0][5:], lines[1][20], lines[1][10:13]
    surname, given, truncated = _names(name_field)
    birth = _parse_date(birth_raw, birth=True, today=today)
    expiry = _parse_date(expiry_raw, birth=False, today=today)
    key = AccessKey(
        document_number=number_field,
        document_number_check=lines[number_group.check[0]][number_group.check[1]],
        birth_date=birth_raw,
        birth_date_check=lines[groups["birth_date"].check[0]][groups["birth_date"].check[1]],
        expiry_date=expiry_raw,
        expiry_date_check=lines[groups["expiry_date"].check[0]][groups["expiry_date"].check[1]],
    )
    violations = _grammar_violations(lines, layout)
    if _nl_number_rule_broken(country, doc_type, number):
        violations = ("nl_letter_o", *violations)
    valid = (
        all(c.valid for c in checks)
        and birth is not None
        and expiry is not None
        and len(alt_corrections) == 0
        and not violations
    )
    return MrzResult(
        format=fmt,
        document_code=code.replace("<", "") if code[1] == "<" else code,
        document_type=doc_type,
        issuing_country=country,
        document_number=number,
        surname=surname,
        given_names=given,
        name_truncated=truncated,
        nationality=nationality.replace("<", ""),
        birth_date=birth,
        sex={"<": "X"}.get(sex_char, sex_char),
        expiry_date=expiry,
        checks=checks,
        valid=valid,
        corrections=corrections,
        alternatives=alt_corrections,
        access_key=key,
        rule_violations=violations,
    )
