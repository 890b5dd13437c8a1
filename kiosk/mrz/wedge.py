"""Keyboard-wedge MRZ readers: assemble an MRZ from key events, tell it apart from typing.

A swipe or full-page MRZ reader in keyboard-wedge mode "types" the MRZ as keystrokes at
machine speed (a few milliseconds apart), usually one row at a time, each row ended by CR,
LF or Tab; some send a row in pieces with short pauses in between, some send no terminator
after the last row. A person types tens to hundreds of milliseconds apart.

:class:`WedgeAssembler` is headless: feed it ``(char, t)`` pairs with timestamps from the
caller (no clock inside, so it is deterministic and testable); it returns the complete MRZ
text (rows joined by ``"\\n"``) when it has one and also calls ``on_mrz``. The UI wraps it in
a Qt event filter that forwards key presses and calls :meth:`WedgeAssembler.flush` from a
timer, so an MRZ without a final terminator is delivered after ``end_gap`` seconds.

How typing is told apart: keystrokes closer together than ``key_interval`` form a *piece*.
A piece shorter than ``min_piece`` characters that does not continue an MRZ already being
assembled is typing and is ignored (a fast typist's digraph can come in under 35 ms; four
in a row cannot). Pieces that continue within ``end_gap`` belong to the same MRZ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.mrz.checkdigit import MRZ_ALPHABET
from kiosk.mrz.parser import parse_mrz
from kiosk.mrz.result import MrzSyntaxError

_TERMINATORS = frozenset("\r\n\t")


@dataclass
class WedgeAssembler:
    """Assemble MRZ rows typed by a keyboard-wedge reader (see module docstring).

    ``on_mrz`` receives each complete MRZ; ``on_incomplete`` receives
    ``"mrz.wedge.incomplete"`` when a machine-speed burst ended without forming an MRZ.
    """

    on_mrz: Callable[[str], None] | None = None
    on_incomplete: Callable[[str], None] | None = None
    key_interval: float = 0.035
    end_gap: float = 0.4
    min_piece: int = 4
    _piece: list[str] = field(default_factory=list, repr=False)
    _row: str = field(default="", repr=False)
    _rows: list[str] = field(default_factory=list, repr=False)
    _last_t: float | None = field(default=None, repr=False)

    @property
    def capturing(self) -> bool:
        """True while a reader burst is being assembled (the UI may swallow these keys)."""
        return bool(self._rows or self._row or len(self._piece) >= 2)

    def reset(self) -> None:
        """Forget everything assembled so far (e.g. when the wizard resets)."""
        self._piece.clear()
        self._row = ""
        self._rows.clear()
        self._last_t = None

    def feed(self, char: str, t: float) -> str | None:
        """Process one key event at time ``t`` (seconds, monotonic); return a complete MRZ.

        ``char`` is the text of the key (one character; CR, LF and Tab end a row). Events
        with empty text (modifier keys) are ignored.
        """
        emitted: str | None = None
        if self._last_t is not None:
            gap = t - self._last_t
            if gap > self.end_gap:
                emitted = self._finish()
            elif gap > self.key_interval:
                self._close_piece()
        if not char:
            return emitted
        self._last_t = t
        if char in _TERMINATORS:
            self._close_piece()
            if self._row:
                self._rows.append(self._row)
                self._row = ""
                complete = self._complete_if_valid()
                if complete is not None:
                    return complete
            return emitted
        self._piece.append(char[:1])
        return emitted

    def flush(self, t: float) -> str | None:
        """Call periodically (e.g. from a 100 ms timer): after ``end_gap`` seconds of silence
        the MRZ being assembled is complete; return it (or None)."""
        if self._last_t is None or t - self._last_t <= self.end_gap:
            return None
        return self._finish()

    def _close_piece(self) -> None:
        piece = "".join(self._piece).upper()
        self._piece.clear()
        if not piece:
            return
        assembling = bool(self._rows or self._row)
        is_mrz_text = all(c in MRZ_ALPHABET or c == " " for c in piece)
        if is_mrz_text and (assembling or len(piece) >= self.min_piece):
            self._row += piece.replace(" ", "")
        elif assembling:
            # Something that cannot be part of an MRZ interrupted the burst: start over.
            self._row = ""
            self._rows.clear()

    def _text(self) -> str:
        return "\n".join(self._rows)

    def _complete_if_valid(self) -> str | None:
        """At a row end: deliver at once when the rows form an MRZ whose check digits pass."""
        text = self._text()
        try:
            result = parse_mrz(text, correct=False)
        except MrzSyntaxError:
            return None
        if not result.valid:
            return None  # maybe more rows follow; decided at the end gap
        return self._deliver(text)

    def _finish(self) -> str | None:
        self._close_piece()
        if self._row:
            self._rows.append(self._row)
            self._row = ""
        text = self._text()
        self._rows.clear()
        self._last_t = None
        if not text:
            return None
        try:
            parse_mrz(text, correct=False)
        except MrzSyntaxError:
            if self.on_incomplete is not None:
                self.on_incomplete("mrz.wedge.incomplete")
            return None
        return self._deliver(text)

    def _deliver(self, text: str) -> str:
        self._rows.clear()
        self._row = ""
        self._piece.clear()
        if self.on_mrz is not None:
            self.on_mrz(text)
        return text
