"""The OCR decoder applies the 9303 field grammar per position (issue 8 item 1): a cell the
classifier thinks is a digit inside a name comes out as the best letter, a state as the most
probable 9303 code, and a field without a check digit read with doubt is never accepted."""

from __future__ import annotations

from datetime import date

import numpy as np

from kiosk.mrz import format_td3
from kiosk.mrz.ocr.features import ALPHABET
from kiosk.mrz.ocr.reader import DOUBT_BELOW, decode, doubtful_fields
from kiosk.mrz.parser import parse_mrz

TEXT = format_td3(
    surname="KINGDOM",
    given_names="OLIVIA",
    document_number="NXR4K7P21",  # Dutch shape: 2 letters, 6 alnum, 1 digit
    birth_date=date(1974, 8, 12),
    sex="F",
    expiry_date=date(2032, 4, 15),
    issuing_country="NLD",
    nationality="UTO",
)
LINES = tuple(TEXT.splitlines())
N = len(LINES[0])


def confident(lines=LINES) -> np.ndarray:
    """Class probabilities of a clean read: 0.98 on the printed character."""
    flat = "".join(lines)
    probs = np.full((len(flat), len(ALPHABET)), 0.02 / (len(ALPHABET) - 1), np.float32)
    for k, ch in enumerate(flat):
        probs[k, ALPHABET.index(ch)] = 0.98
    return probs


def confuse(probs, row, col, wrong, p_wrong, right, p_right):
    k = row * N + col
    probs[k] = 0.001
    probs[k, ALPHABET.index(wrong)] = p_wrong
    probs[k, ALPHABET.index(right)] = p_right


def test_clean_probabilities_decode_to_the_text():
    lines, chosen = decode(confident(), N, 2)
    assert lines == LINES
    assert doubtful_fields(lines, chosen) == ()


def test_a_digit_in_a_name_becomes_the_best_letter():
    probs = confident()
    col = LINES[0].index("OLIVIA")
    confuse(probs, 0, col, "0", 0.7, "O", 0.25)  # the classifier prefers 0: OLIVIA -> 0LIVIA
    lines, _ = decode(probs, N, 2)
    assert lines == LINES
    probs = confident()
    col = LINES[0].index("KINGDOM") + 4
    confuse(probs, 0, col, "0", 0.8, "D", 0.15)  # KINGDOM -> KING0OM
    assert decode(probs, N, 2)[0] == LINES


def test_states_are_9303_codes():
    probs = confident()
    confuse(probs, 0, 2, "M", 0.6, "N", 0.35)  # NLD read as MLD: no such code
    confuse(probs, 1, 12, "0", 0.9, "O", 0.09)  # UTO read as UT0
    lines, _ = decode(probs, N, 2)
    assert lines[0][2:5] == "NLD" and lines[1][10:13] == "UTO"


def test_a_doubtful_name_is_reported_and_a_check_digit_field_is_not():
    probs = confident()
    col = LINES[0].index("OLIVIA") + 2
    confuse(probs, 0, col, "I", 0.4, "L", 0.35)  # neither letter is sure
    lines, chosen = decode(probs, N, 2)
    assert chosen[col] < DOUBT_BELOW
    assert doubtful_fields(lines, chosen) == ("name",)
    probs = confident()
    confuse(probs, 1, 3, "4", 0.4, "A", 0.35)  # document number: its check digit decides
    lines, chosen = decode(probs, N, 2)
    assert doubtful_fields(lines, chosen) == ()


def test_a_hesitation_between_twins_is_no_doubt_but_a_sure_digit_in_a_name_is():
    probs = confident()
    col = LINES[0].index("OLIVIA")
    confuse(probs, 0, col, "0", 0.5, "O", 0.45)  # O or 0: in a name it can only be O
    lines, chosen = decode(probs, N, 2)
    assert lines == LINES and doubtful_fields(lines, chosen) == ()
    probs = confident()
    col = LINES[0].index("KINGDOM") + 4
    confuse(probs, 0, col, "0", 0.8, "D", 0.15)  # a sure 0 may be a D as well as an O
    lines, chosen = decode(probs, N, 2)
    assert doubtful_fields(lines, chosen) == ("name",)


def test_the_document_code_starts_with_what_the_layout_allows():
    # 9303 part 4: a 2x44 MRZ is a passport (P) or a visa (V); an F there is a misread.
    probs = confident()
    confuse(probs, 0, 0, "F", 0.8, "P", 0.15)
    assert decode(probs, N, 2)[0] == LINES
    wrong = "F" + TEXT[1:]
    result = parse_mrz(wrong, correct=False)
    assert not result.valid
