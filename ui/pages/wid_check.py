"""Step 2: face-to-face WID check. Choose a method, read the document, compare, confirm.

The evidence panel renders the comparison the flow state holds
(:attr:`kiosk.flow.wizard.FlowState.comparison`), the same result the wizard guard decides
on; photo and verdicts use the one decoder and glyph style of :mod:`ui.step2.render`.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.evidence import WidEvidence
from kiosk.flow.wizard import FlowBlocked, Step
from kiosk.i18n import tr
from kiosk.model import CheckMethod
from ui.pages.base import Page
from ui.step2.base import WidMethodWidget
from ui.step2.registry import MethodFactory
from ui.step2.render import GLYPHS, photo_pixmap, verdict_html
from ui.widgets import card, label

DOC_TYPE_KEYS = {
    "passport": "ui.doctype.passport",
    "id_card": "ui.doctype.id_card",
    "driving_licence": "ui.doctype.driving_licence",
    "residence_document": "ui.doctype.residence_document",
}


def _fmt(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _set_shown(widget: QLabel, text: str) -> None:
    """Set a message; an empty one takes no room (step 2 has none to spare)."""
    widget.setText(text)
    widget.setVisible(bool(text))


class EvidencePanel(QWidget):
    """What the document says, field by field, with the comparison against step 1."""

    ROWS = (
        ("document_type", "ui.evidence.document_type"),
        ("issuing_country", "ui.evidence.issuing_country"),
        ("document_number", "ui.evidence.document_number"),
        ("expiry_date", "ui.evidence.expiry_date"),
        ("surname", "ui.evidence.surname"),
        ("given_names", "ui.evidence.given_names"),
        ("date_of_birth", "ui.evidence.date_of_birth"),
    )
    COMPARED = ("surname", "given_names", "date_of_birth")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.heading = label("fieldLabel")
        layout.addWidget(self.heading)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        self.captions: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        self.marks: dict[str, QLabel] = {}
        for row, (name, _key) in enumerate(self.ROWS):
            caption = label("fieldHint", wrap=False)
            value = label("valueLabel")
            value.setObjectName("valueLabel")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            mark = label("okMark", wrap=False)
            self.captions[name], self.values[name], self.marks[name] = caption, value, mark
            grid.addWidget(caption, row, 0)
            grid.addWidget(value, row, 1)
            grid.addWidget(mark, row, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnMinimumWidth(0, 140)
        top = QHBoxLayout()
        top.setSpacing(16)
        top.addLayout(grid, 1)
        # The photo sits beside the fields (the page hands it in: see WidCheckPage).
        self.photo_slot = QVBoxLayout()
        top.addLayout(self.photo_slot)
        layout.addLayout(top)
        # Why the document is refused (expired, differs from step 1), next to the fields.
        self.expired = label("fieldError")
        self.differences = label("fieldError")
        # Accepted differences (another 9303-3 spelling, a truncated name): shown, not blocking.
        self.notes = label("fieldHint")
        self.verifications = label("fieldHint")
        self.verifications.setTextFormat(Qt.TextFormat.RichText)
        for message in (self.expired, self.differences, self.notes, self.verifications):
            message.hide()
            layout.addWidget(message)
        layout.addStretch(1)

    def retranslate(self) -> None:
        """Apply texts."""
        self.heading.setText(tr("ui.evidence.heading"))
        for name, key in self.ROWS:
            self.captions[name].setText(tr(key))

    def show_evidence(self, desk: DeskSession) -> None:
        """Fill from the state (or empty it)."""
        state = desk.state
        ev: WidEvidence | None = state.evidence
        if ev is None:
            for name in self.values:
                self.values[name].setText("—" if name == "document_type" else "")
                self.marks[name].setText("")
            self.values["document_type"].setText(tr("ui.evidence.none"))
            self._messages("", "", "", "")
            return
        expired = ev.is_expired(state.today())
        values = {
            "document_type": tr(DOC_TYPE_KEYS[ev.document_type.value]),
            "issuing_country": ev.issuing_country,
            "document_number": ev.document_number,
            "expiry_date": _fmt(ev.expiry_date),
            "surname": ev.surname,
            "given_names": ev.given_names,
            "date_of_birth": _fmt(ev.birth_date),
        }
        # The one comparison the flow state holds (the guard decides on the same result).
        comparison = state.comparison
        problems = comparison.problems if comparison is not None else []
        notes = comparison.notes if comparison is not None else []
        for name, text in values.items():
            self.values[name].setText(text)
            mark = self.marks[name]
            # An expired document is "verlopen", not "wijkt af": it may match step 1 exactly.
            lapsed = name == "expiry_date" and expired
            bad = lapsed or (comparison is not None and comparison.differs(name))
            good = name in self.COMPARED and not bad
            mark.setText(
                f"{GLYPHS[False]} " + tr("ui.evidence.expired" if lapsed else "ui.evidence.differs")
                if bad
                else (GLYPHS[True] if good else "")
            )
            mark.setObjectName("badMark" if bad else "okMark")
            mark.style().unpolish(mark)
            mark.style().polish(mark)
        self._messages(
            tr("flow.error.document_expired") if expired else "",
            "\n".join(tr(d.message_key, **d.params) for d in problems),
            "\n".join(tr(d.message_key, **d.params) for d in notes),
            "<br>".join(
                verdict_html(item.ok, tr(item.message_key, **item.params_dict()))
                for item in ev.verifications
            ),
        )

    def _messages(self, expired: str, differences: str, notes: str, verifications: str) -> None:
        _set_shown(self.expired, expired)
        _set_shown(self.differences, differences)
        _set_shown(self.notes, notes)
        _set_shown(self.verifications, verifications)

    def clear(self) -> None:
        """Wipe every value."""
        for name in self.values:
            self.values[name].setText("")
            self.marks[name].setText("")
        self._messages("", "", "", "")


class MethodStack(QWidget):
    """Shows one method at a time, and is as tall as the one shown.

    A QStackedWidget asks every page for its height-for-width, so the tallest method (the
    chip form) would set the height for all of them; here the hidden methods are out of the
    layout, and the refusals below a short method stay on screen at 1366x768.
    """

    currentChanged = Signal(int)  # the QStackedWidget signal name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._widgets: list[QWidget] = []
        self._current = -1

    def addWidget(self, widget: QWidget) -> int:
        """Add ``widget`` (hidden unless it is the first); return its index."""
        self._widgets.append(widget)
        self._layout.addWidget(widget, 1)
        if self._current < 0:
            self._current = 0
        else:
            widget.hide()
        return len(self._widgets) - 1

    def count(self) -> int:
        """How many widgets the stack holds."""
        return len(self._widgets)

    def currentIndex(self) -> int:
        """The index of the widget shown (-1 when empty)."""
        return self._current

    def currentWidget(self) -> QWidget | None:
        """The widget shown."""
        return self._widgets[self._current] if self._current >= 0 else None

    def setCurrentIndex(self, index: int) -> None:
        """Show widget ``index`` and hide the others."""
        if not 0 <= index < len(self._widgets) or index == self._current:
            return
        self._current = index
        for position, widget in enumerate(self._widgets):
            widget.setVisible(position == index)
        self.currentChanged.emit(index)


class WidCheckPage(Page):
    """Method chooser and method on the left; evidence, photo and confirmation on the right."""

    step = Step.WID_CHECK

    def __init__(
        self,
        desk: DeskSession,
        parent: QWidget | None = None,
        factories: list[MethodFactory] | None = None,
    ) -> None:
        super().__init__(desk, parent)
        # Everything of step 2 is visible at once at 1366x768 (the real fullscreen window,
        # measured under Xvfb by tests/ui/test_step2_fit.py): the title shares its row with
        # the method choice, the method has the full height on the left, and the evidence,
        # photo, the tick and the refusals share the right.
        self.outer.setContentsMargins(40, 10, 40, 8)
        self.outer.setSpacing(6)
        self.outer.removeWidget(self.title)
        self.outer.removeWidget(self.intro)
        self.intro.hide()  # the tick below says what to compare; the row is needed
        self.title.setProperty("compact", "true")  # a smaller title (desk.qss)
        self.setProperty("compact", "true")  # smaller values (desk.qss)
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.title, 1)
        self.method_row = QHBoxLayout()
        self.method_row.setSpacing(8)
        self.method_caption = label("fieldLabel", wrap=False)
        self.method_row.addWidget(self.method_caption)
        self.method_buttons = QButtonGroup(self)
        self.method_buttons.setExclusive(True)
        self.method_stack = MethodStack()
        self.methods: list[WidMethodWidget] = []
        # The factories come from the composition root (ui/app.py), bound to its config.
        for index, factory in enumerate(factories or []):
            method = factory(None, **self._context_for(factory))
            method.evidenceReady.connect(self._evidence)
            method.failed.connect(self._failed)
            manual = getattr(method, "manualRequested", None)
            if manual is not None:  # e.g. the camera: "type the MRZ instead"
                manual.connect(self._manual_requested)
            self.methods.append(method)
            self.method_stack.addWidget(method)
            button = QPushButton()
            button.setObjectName("methodButton")
            button.setCheckable(True)
            self.method_buttons.addButton(button, index)
            self.method_row.addWidget(button)
        self.method_buttons.idClicked.connect(self.choose_method)
        top.addLayout(self.method_row)
        self.outer.insertLayout(0, top)
        body = QGridLayout()
        body.setHorizontalSpacing(20)
        body.setVerticalSpacing(6)
        # Left: the method, the whole height.
        left = QVBoxLayout()
        left.setSpacing(6)
        left.addWidget(self.method_stack, 1)
        left.addWidget(self.error)  # the refusals, below whichever method is shown
        # Right: evidence and photo side by side in one card, the tick and the refusals
        # below them.
        panel = card()
        right = QHBoxLayout(panel)
        right.setContentsMargins(16, 10, 16, 10)
        right.setSpacing(16)
        self.evidence = EvidencePanel()
        right.addWidget(self.evidence, 1)
        self.photo = QLabel()
        self.photo.setObjectName("photo")
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setWordWrap(True)
        # ICAO photo proportions (35 x 45 mm), large enough to compare a face; beside the
        # fields, with the refusals and verdicts across the card's width below both.
        self.photo.setFixedSize(180, 231)
        self.evidence.photo_slot.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        self.confirm = QCheckBox()
        self.confirm.setObjectName("confirmPerson")
        self.confirm.toggled.connect(self._confirm_toggled)
        below = QVBoxLayout()
        below.setSpacing(4)
        below.addWidget(self.confirm)
        body.addLayout(left, 0, 0, 2, 1)
        body.addWidget(panel, 0, 1)
        body.addLayout(below, 1, 1)
        body.setColumnStretch(0, 5)
        body.setColumnStretch(1, 7)
        # Spare height goes to the card: a wrapped refusal in it is never squeezed.
        body.setRowStretch(0, 1)
        self.outer.addLayout(body, 1)
        self.update_availability()

    def _context_for(self, factory: MethodFactory) -> dict[str, Any]:
        """Keyword arguments a method factory asks for by name: ``employee`` (a callable
        returning step 1's :class:`~kiosk.model.Employee`, for highlighting differences) and
        ``now`` (the desk's clock)."""
        try:
            wanted = inspect.signature(factory).parameters
        except (TypeError, ValueError):
            return {}
        offered: dict[str, Any] = {
            "employee": lambda: self.desk.state.employee,
            "now": self.desk.now,
        }
        return {name: value for name, value in offered.items() if name in wanted}

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.wid.title"))
        self.intro.setText(tr("ui.wid.intro"))
        self.method_caption.setText(tr("ui.wid.method"))
        for index, method in enumerate(self.methods):
            method.retranslate()
            self.method_buttons.button(index).setText(method.title())
        self.evidence.retranslate()
        self.confirm.setText(tr("ui.wid.confirm"))
        self.refresh()

    def current_method(self) -> WidMethodWidget | None:
        """The visible method."""
        widget = self.method_stack.currentWidget()
        return widget if isinstance(widget, WidMethodWidget) else None

    def update_availability(self) -> None:
        """Ask every method whether it works on this desk now (a chip method without a
        card reader does not) and enable its button; when the chosen one is not available,
        choose the first that is (nothing is started here)."""
        available = [method.available() for method in self.methods]
        for index, ok in enumerate(available):
            self.method_buttons.button(index).setEnabled(ok)
        current = self.method_stack.currentIndex()
        if 0 <= current < len(available) and available[current]:
            self.method_buttons.button(current).setChecked(True)
            return
        self._show_first_available(available)

    def _show_first_available(self, available: list[bool]) -> None:
        first = next((i for i, ok in enumerate(available) if ok), None)
        if first is None:
            return
        self.method_stack.setCurrentIndex(first)
        self.method_buttons.button(first).setChecked(True)

    def choose_method(self, index: int) -> None:
        """Show method ``index`` and start it (the previous one is stopped); a message of
        the previous method does not stay on screen."""
        previous = self.current_method()
        if previous is not None:
            previous.stop()
        if self.method_stack.currentIndex() != index:
            self.show_error("")
        self.method_stack.setCurrentIndex(index)
        self.method_buttons.button(index).setChecked(True)
        method = self.current_method()
        if method is not None and self.isVisible():
            method.start()

    def select(self, method_id: object) -> WidMethodWidget:
        """Show the method with ``method_id`` (a :class:`kiosk.model.CheckMethod`)."""
        for index, method in enumerate(self.methods):
            if method.method_id == method_id:
                self.choose_method(index)
                return method
        raise KeyError(method_id)

    def entered(self) -> None:
        """Offer what works on this desk now and start the chosen method."""
        self.update_availability()
        method = self.current_method()
        if method is not None:
            method.start()

    def left_page(self) -> None:
        """Stop the methods (release devices) and drop the chip photo from the screen: it
        lives only while step 2 is shown (the flow forgot it already, DESIGN.md 7)."""
        for method in self.methods:
            method.stop()
        self.refresh()

    def _evidence(self, evidence: object) -> None:
        if not isinstance(evidence, WidEvidence) or self.desk.step is not Step.WID_CHECK:
            return  # a late read after the page was left: nothing to show it on
        self.show_error("")
        self.desk.accept_evidence(evidence)
        self.confirm.setFocus()

    def _manual_requested(self) -> None:
        if any(m.method_id is CheckMethod.MRZ_TYPED for m in self.methods):
            self.select(CheckMethod.MRZ_TYPED)

    def _failed(self, message: str) -> None:
        self.show_error(message)

    def show_problems(self, problems: list[KioskError]) -> None:
        """The refusals; one the evidence panel already shows next to its field (an expired
        document) is not repeated, so every message fits on the one screen."""
        shown = {"flow.error.document_expired"} if self.evidence.expired.isVisible() else set()
        super().show_problems([p for p in problems if p.message_key not in shown])

    def _confirm_toggled(self, checked: bool) -> None:
        if self.desk.state.photo_confirmed == checked:
            return
        try:
            self.desk.confirm_person(checked)
        except FlowBlocked as exc:
            self.show_problems(exc.problems)
            self.refresh()

    def refresh(self) -> None:
        """Show evidence, comparison, photo and confirmation from the state."""
        state = self.desk.state
        self.evidence.show_evidence(self.desk)
        ev = state.evidence
        if ev is not None:
            # The method that read the document renders the same comparison as the panel.
            for method in self.methods:
                if method.method_id is ev.method:
                    method.show_comparison(state.comparison)
        if ev is not None and ev.photo:
            pixmap = photo_pixmap(ev.photo, self.photo.size())
            if pixmap is not None:
                self.photo.setPixmap(pixmap)
            else:
                self.photo.setText(tr("ui.wid.photo_unreadable"))
        else:
            self.photo.clear()
            self.photo.setText(tr("ui.wid.no_photo") if ev is not None else "")
        self.confirm.setEnabled(ev is not None)
        self.confirm.blockSignals(True)
        self.confirm.setChecked(state.photo_confirmed)
        self.confirm.blockSignals(False)

    def clear(self) -> None:
        """Wipe every method, the evidence and the photo."""
        super().clear()
        for method in self.methods:
            method.stop()
            method.clear()
        self.evidence.clear()
        self.photo.clear()
        self.confirm.blockSignals(True)
        self.confirm.setChecked(False)
        self.confirm.blockSignals(False)
        # The next person starts on the first method that works on this desk.
        self._show_first_available([method.available() for method in self.methods])
