""" "Openstaande overdrachten": the desk's list of saved registrations whose QR has not been
scanned yet, and the confirmation before a live code is stopped (issue 11).

A passive view of :meth:`kiosk.flow.desk.DeskSession.open_handovers` (the logic is headless,
:mod:`kiosk.flow.handover`). Each line names the person only as the beheerder needs to call
them back (given name and initial) with the time it was saved and where it stands; the
buttons do what the selected line allows: show the QR again, renew it, print the letter
(:mod:`ui.letter`), stop it (after a confirmation: it kills a live code).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.handover import OpenHandover
from kiosk.i18n import tr
from kiosk.model import Enrollment
from ui.letter import default_letter_dir, letter_filename, write_letter
from ui.tasks import Task
from ui.widgets import label, set_tone

#: Asks where a letter goes: (parent, proposed path) -> chosen path, or None (cancelled).
LetterPathChooser = Callable[[QWidget, Path], Path | None]


def ask_letter_path(parent: QWidget, proposed: Path) -> Path | None:
    """The save dialog, starting at ``proposed`` in the default folder."""
    proposed.parent.mkdir(parents=True, exist_ok=True)
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, tr("ui.letter.save_title"), str(proposed), "PDF (*.pdf)"
    )
    return Path(chosen) if chosen else None


def confirm_stop(parent: QWidget, on_confirmed: Callable[[], None]) -> QMessageBox:
    """Ask before a live code is killed; ``on_confirmed`` runs only on "Ja, stoppen".

    Window-modal and non-blocking (``open``), so the desk's event loop (the worker's events,
    the countdown) keeps running; the box is returned for tests to answer."""
    box = QMessageBox(parent)
    box.setObjectName("stopConfirm")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(tr("ui.stop.title"))
    box.setText(tr("ui.stop.title"))
    box.setInformativeText(tr("ui.stop.text"))
    yes = box.addButton(tr("ui.stop.confirm"), QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton(tr("ui.stop.keep"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)  # Enter does not kill a code by accident
    box.setEscapeButton(keep)
    yes.setObjectName("stopConfirmYes")
    keep.setObjectName("stopConfirmKeep")

    def answered() -> None:
        if box.clickedButton() is yes:
            on_confirmed()

    box.finished.connect(lambda _result: answered())
    box.open()
    return box


def state_text(entry: OpenHandover) -> str:
    """Where the handover stands, in words."""
    return tr(f"ui.handovers.state.{entry.state.value}")


def row_text(entry: OpenHandover) -> str:
    """One line of the list: call name, time saved, state."""
    when = entry.saved_at.astimezone().strftime("%d-%m %H:%M")
    return tr("ui.handovers.row", name=entry.call_name, time=when, state=state_text(entry))


class HandoverPanel(QDialog):
    """The list of open handovers with its actions."""

    def __init__(
        self,
        desk: DeskSession,
        parent: QWidget | None = None,
        *,
        print_letter: Callable[[Enrollment, bool], Path | None],
        run_background: Callable[[Callable[[], None]], None],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("handoverPanel")
        self.setModal(False)
        self.desk = desk
        self._print_letter = print_letter
        self._run_background = run_background
        self.task: Task[Enrollment] | None = None
        self.confirm: QMessageBox | None = None
        self.entries: list[OpenHandover] = []
        column = QVBoxLayout(self)
        column.setContentsMargins(28, 24, 28, 20)
        column.setSpacing(12)
        self.title = label("pageTitle")
        self.intro = label("pageIntro")
        self.list = QListWidget()
        self.list.setObjectName("handoverList")
        self.list.setWordWrap(True)  # a long state wraps instead of scrolling sideways
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(lambda _row: self._sync_buttons())
        self.list.itemDoubleClicked.connect(lambda _item: self.show_selected())
        self.message = label("fieldError")
        self.message.setObjectName("handoverMessage")
        column.addWidget(self.title)
        column.addWidget(self.intro)
        column.addWidget(self.list, 1)
        column.addWidget(self.message)
        row = QHBoxLayout()
        self.show_button = QPushButton()
        self.show_button.setObjectName("primary")
        self.renew_button = QPushButton()
        self.print_button = QPushButton()
        self.stop_button = QPushButton()
        self.stop_button.setObjectName("danger")
        self.close_button = QPushButton()
        self.show_button.clicked.connect(self.show_selected)
        self.renew_button.clicked.connect(self.renew_selected)
        self.print_button.clicked.connect(self.print_selected)
        self.stop_button.clicked.connect(self.stop_selected)
        self.close_button.clicked.connect(self.close)
        for button in (self.show_button, self.renew_button, self.print_button, self.stop_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        column.addLayout(row)
        self._unsubscribe = (
            desk.handovers.subscribe(lambda _book: self.refresh())
            if desk.handovers is not None
            else (lambda: None)
        )
        self.resize(900, 480)
        self.retranslate()

    def detach(self) -> None:
        """Stop listening (the desk closes)."""
        self._unsubscribe()

    # -- rendering --------------------------------------------------------------------
    def retranslate(self) -> None:
        """Apply texts."""
        self.setWindowTitle(tr("ui.handovers.title"))
        self.title.setText(tr("ui.handovers.title"))
        self.intro.setText(tr("ui.handovers.intro"))
        self.show_button.setText(tr("ui.handovers.show"))
        self.renew_button.setText(tr("ui.handovers.renew"))
        self.print_button.setText(tr("ui.handovers.print"))
        self.stop_button.setText(tr("ui.handovers.stop"))
        self.close_button.setText(tr("ui.handovers.close"))
        self.refresh()

    def refresh(self) -> None:
        """Re-read the list, keeping the selection."""
        selected = self.selected()
        self.entries = self.desk.open_handovers()
        self.list.clear()
        if not self.entries:
            item = QListWidgetItem(tr("ui.handovers.empty"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(item)
        for index, entry in enumerate(self.entries):
            self.list.addItem(QListWidgetItem(row_text(entry)))
            if selected is not None and entry.registration_id == selected.registration_id:
                self.list.setCurrentRow(index)
        if self.entries and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        self._sync_buttons()

    def selected(self) -> OpenHandover | None:
        """The selected entry."""
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def select(self, registration_id: uuid.UUID) -> None:
        """Select the entry of ``registration_id`` (tests, tools)."""
        for index, entry in enumerate(self.entries):
            if entry.registration_id == registration_id:
                self.list.setCurrentRow(index)

    def _sync_buttons(self) -> None:
        entry = self.selected()
        busy = self.task is not None
        self.show_button.setEnabled(
            entry is not None and entry.can_show and self.desk.can_show_handover()
        )
        self.renew_button.setEnabled(entry is not None and entry.can_renew and not busy)
        self.print_button.setEnabled(entry is not None and entry.can_print)
        self.stop_button.setEnabled(entry is not None and entry.can_stop and not busy)

    def _say(self, text: str, tone: str = "ok") -> None:
        self.message.setText(text)
        set_tone(self.message, "tone", tone)

    # -- actions ----------------------------------------------------------------------
    def show_selected(self) -> None:
        """Put the selected QR on the customer display again (the desk shows its page)."""
        entry = self.selected()
        if entry is None:
            return
        try:
            self.desk.show_handover(entry.registration_id)
        except KioskError as exc:
            self._say(_problem_text(exc), "error")
            return
        self.close()

    def renew_selected(self) -> None:
        """A new code for the selected entry (the portal call runs off the Qt thread)."""
        entry = self.selected()
        if entry is None or self.task is not None:
            return
        try:
            call = self.desk.request_renewal_of(entry.registration_id)
        except KioskError as exc:
            self._say(_problem_text(exc), "error")
            return
        rid = entry.registration_id
        self.task = Task(call)
        self.task.start(lambda e: self._renewed(rid, e), self._failed)
        self._sync_buttons()

    def _renewed(self, registration_id: uuid.UUID, enrollment: Enrollment) -> None:
        self.task = None
        self.desk.accept_renewal_of(registration_id, enrollment)
        self._say(tr("ui.handovers.renewed"))
        self.refresh()

    def _failed(self, exc: Exception) -> None:
        self.task = None
        self._say(_problem_text(exc), "error")
        self._sync_buttons()

    def print_selected(self) -> None:
        """The enrollment letter of the selected entry, as a PDF."""
        entry = self.selected()
        if entry is None or entry.enrollment is None or not entry.can_print:
            return
        path = self._print_letter(entry.enrollment, not entry.delivered)
        if path is not None:
            self._say(tr("ui.handovers.printed", path=str(path)))

    def stop_selected(self) -> None:
        """Stop the selected entry after a confirmation (it kills a live code)."""
        entry = self.selected()
        if entry is None or not entry.can_stop:
            return
        rid = entry.registration_id

        def stop() -> None:
            try:
                kill = self.desk.request_stop_of(rid)
            except KioskError as exc:
                self._say(_problem_text(exc), "error")
                return
            if kill is not None:
                self._run_background(kill)
            self._say(tr("ui.handovers.stopped"))
            self.refresh()

        self.confirm = confirm_stop(self, stop)


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, KioskError):
        problems = getattr(exc, "problems", None)
        if problems:
            return " ".join(p.translated() for p in problems)
        return exc.translated()
    return tr("error.unexpected")


def save_letter(
    parent: QWidget,
    enrollment: Enrollment,
    activates_later: bool,
    *,
    choose: LetterPathChooser,
    now: Callable[[], datetime],
) -> Path | None:
    """Ask where (the default folder proposed) and write the letter; None when cancelled.

    Raises :class:`OSError` when it cannot be written."""
    path = choose(parent, default_letter_dir() / letter_filename(now()))
    if path is None:
        return None
    return write_letter(path, enrollment, activates_later=activates_later)
