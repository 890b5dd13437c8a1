"""Keyboard-wedge reader input: rows in pieces, CR/LF/Tab, typing ignored (injected time)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.mrz.wedge import WedgeAssembler

TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
EDL = "D1NLD15094962111659VW87Z78NB84"


def _type(assembler: WedgeAssembler, text: str, start: float, interval: float) -> list[str]:
    """Feed ``text`` one key per ``interval`` seconds; return everything emitted."""
    out = []
    t = start
    for ch in text:
        got = assembler.feed(ch, t)
        if got is not None:
            out.append(got)
        t += interval
    return out


def test_reader_rows_with_cr_emit_at_once_and_call_back():
    seen: list[str] = []
    wedge = WedgeAssembler(on_mrz=seen.append)
    emitted = _type(wedge, TD3.replace("\n", "\r") + "\r", 0.0, 0.004)
    assert emitted == [TD3] and seen == [TD3]
    assert not wedge.capturing


def test_rows_separated_by_pauses_and_tabs():
    wedge = WedgeAssembler()
    row1, row2, row3 = TD1.split("\n")
    out = _type(wedge, row1 + "\t", 0.0, 0.003)
    out += _type(wedge, row2 + "\t", 0.3, 0.003)  # 0.3 s pause between rows
    out += _type(wedge, row3 + "\t", 0.6, 0.003)
    assert out == [TD1]


def test_no_final_terminator_is_delivered_after_the_end_gap():
    wedge = WedgeAssembler(end_gap=0.4)
    out = _type(wedge, TD3.replace("\n", "\n"), 10.0, 0.005)
    assert out == []
    assert wedge.capturing
    last = 10.0 + 0.005 * (len(TD3) - 1)
    assert wedge.flush(last + 0.2) is None  # not silent long enough yet
    assert wedge.flush(last + 0.5) == TD3


def test_edl_one_line():
    wedge = WedgeAssembler()
    assert _type(wedge, EDL + "\r\n", 0.0, 0.002) == [EDL]


def test_person_typing_is_ignored():
    wedge = WedgeAssembler()
    assert _type(wedge, TD3.replace("\n", "\r") + "\r", 0.0, 0.12) == []
    assert wedge.flush(100.0) is None


def test_fast_typist_digraphs_are_not_a_reader():
    wedge = WedgeAssembler()
    t, out = 0.0, []
    for word in ["Jansen", "Piet", "van der Berg"]:
        for i, ch in enumerate(word):
            t += 0.02 if i % 2 else 0.15  # pairs at 20 ms, 150 ms between pairs
            got = wedge.feed(ch, t)
            if got:
                out.append(got)
    assert out == [] and wedge.flush(t + 1.0) is None


def test_typing_then_scan():
    wedge = WedgeAssembler()
    out = _type(wedge, "Hallo", 0.0, 0.2)
    out += _type(wedge, TD3.replace("\n", "\r") + "\r", 2.0, 0.004)
    assert out == [TD3]


def test_burst_that_is_not_an_mrz_reports_incomplete():
    reasons: list[str] = []
    wedge = WedgeAssembler(on_incomplete=reasons.append)
    assert _type(wedge, "P<UTOERIKSSON<<ANNA\r", 0.0, 0.004) == []
    assert wedge.flush(5.0) is None
    assert reasons == ["mrz.wedge.incomplete"]


def test_invalid_mrz_from_reader_is_still_delivered_at_the_end_gap():
    # A reader misread: the parser (not the wedge) reports the failing check digits later.
    bad = TD3.replace("7408122", "7408123")
    wedge = WedgeAssembler()
    assert _type(wedge, bad.replace("\n", "\r") + "\r", 0.0, 0.004) == []
    assert wedge.flush(2.0) == bad


def test_lower_case_from_caps_lock_is_upper_cased():
    wedge = WedgeAssembler()
    assert _type(wedge, EDL.lower() + "\r", 0.0, 0.003) == [EDL]


def test_reset_forgets_a_half_read_mrz():
    wedge = WedgeAssembler()
    _type(wedge, TD3.split("\n")[0] + "\r", 0.0, 0.004)
    wedge.reset()
    assert not wedge.capturing and wedge.flush(10.0) is None


@settings(max_examples=60, deadline=None)
@given(
    mrz=st.sampled_from([TD3, TD1, EDL]),
    cuts=st.lists(st.integers(min_value=1, max_value=89), max_size=6),
    pauses=st.lists(st.floats(min_value=0.05, max_value=0.35), min_size=6, max_size=6),
    interval=st.floats(min_value=0.001, max_value=0.02),
    separator=st.sampled_from(["\r", "\n", "\t", "\r\n"]),
    final=st.booleans(),
)
def test_any_split_and_timing_gives_the_mrz(mrz, cuts, pauses, interval, separator, final):
    text = mrz.replace("\n", separator) + (separator if final else "")
    # Pieces must be at least min_piece characters for the first one; later ones may be short.
    points = sorted({c for c in cuts if 4 <= c < len(text)})
    pieces, last = [], 0
    for p in points:
        pieces.append(text[last:p])
        last = p
    pieces.append(text[last:])
    wedge = WedgeAssembler()
    out: list[str] = []
    t = 100.0
    for i, piece in enumerate(pieces):
        out += _type(wedge, piece, t, interval)
        t += interval * len(piece) + pauses[i % len(pauses)]
    final_out = wedge.flush(t + 1.0)
    if final_out:
        out.append(final_out)
    assert out == [mrz]
