"""Choose the organisation the employee is registered at (when the beheerder manages several)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from kiosk.errors import InputError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import FlowBlocked, Step
from kiosk.i18n import tr
from kiosk.sync.api import Organisation
from ui.pages.base import Page
from ui.widgets import label


class OrganisationPage(Page):
    """A big list of the organisations from the sign-in answer.

    Nothing is chosen silently: the organisation selected in the list (for the next
    employee the one chosen for the previous) is named below the list in large type and
    in the window's header."""

    step = Step.ORGANISATION

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.list = QListWidget()
        self.list.setObjectName("organisations")
        self.list.setMaximumWidth(900)
        self.list.itemActivated.connect(lambda _item: self.changed.emit())
        self.list.currentRowChanged.connect(lambda _row: self._show_chosen())
        self.outer.addWidget(self.list, 1)
        self.chosen = label("valueLabel")
        self.chosen.setObjectName("chosenOrganisation")
        self.outer.addWidget(self.chosen)
        self.outer.addWidget(self.error)
        self._shown: tuple[str, ...] = ()

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.organisation.title"))
        self.intro.setText(tr("ui.organisation.intro"))
        self._show_chosen()

    def refresh(self) -> None:
        """List the session's organisations (kept selection when unchanged)."""
        session = self.desk.state.session
        orgs = session.organisations if session else ()
        ids = tuple(o.id for o in orgs)
        if ids != self._shown:
            self.list.clear()
            for org in orgs:
                item = QListWidgetItem(org.name)
                item.setData(Qt.ItemDataRole.UserRole, org.id)
                self.list.addItem(item)
            self._shown = ids
        last = self.desk.state.last_organisation
        rows = [o.id for o in orgs]
        if last is not None and last.id in rows:
            self.list.setCurrentRow(rows.index(last.id))
        elif orgs and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        self._show_chosen()

    def selected(self) -> Organisation | None:
        """The organisation selected in the list (what the primary button will use)."""
        session = self.desk.state.session
        item = self.list.currentItem()
        if session is None or item is None:
            return None
        wanted = str(item.data(Qt.ItemDataRole.UserRole))
        return next((o for o in session.organisations if o.id == wanted), None)

    def _show_chosen(self) -> None:
        chosen, last = self.selected(), self.desk.state.last_organisation
        if chosen is None:
            self.chosen.setText(tr("ui.organisation.none_chosen") if self._shown else "")
        elif last is not None and last.id == chosen.id:
            self.chosen.setText(tr("ui.organisation.last_chosen", name=chosen.name))
        else:
            self.chosen.setText(tr("ui.organisation.chosen", name=chosen.name))
        self.changed.emit()  # the header names it too

    def entered(self) -> None:
        """Focus the list."""
        self.list.setFocus()

    def clear(self) -> None:
        """Forget the list (it names the beheerder's organisations)."""
        super().clear()
        self.list.clear()
        self._shown = ()
        self.chosen.setText("")

    def submit(self) -> None:
        """Use the selected organisation."""
        item = self.list.currentItem()
        if item is None:
            raise FlowBlocked([InputError("flow.error.choose_organisation")])
        self.desk.choose_organisation(str(item.data(Qt.ItemDataRole.UserRole)))
