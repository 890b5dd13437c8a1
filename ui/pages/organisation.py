"""Choose the organisation the employee is registered at (when the beheerder manages several)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from kiosk.errors import InputError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import FlowBlocked, Step
from kiosk.i18n import tr
from ui.pages.base import Page


class OrganisationPage(Page):
    """A big list of the organisations from the sign-in answer."""

    step = Step.ORGANISATION

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.list = QListWidget()
        self.list.setObjectName("organisations")
        self.list.setMaximumWidth(900)
        self.list.itemActivated.connect(lambda _item: self.changed.emit())
        self.outer.addWidget(self.list, 1)
        self.outer.addWidget(self.error)
        self._shown: tuple[str, ...] = ()

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.organisation.title"))
        self.intro.setText(tr("ui.organisation.intro"))

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
            if orgs:
                self.list.setCurrentRow(0)

    def entered(self) -> None:
        """Focus the list."""
        self.list.setFocus()

    def clear(self) -> None:
        """Forget the list (it names the beheerder's organisations)."""
        super().clear()
        self.list.clear()
        self._shown = ()

    def submit(self) -> None:
        """Use the selected organisation."""
        item = self.list.currentItem()
        if item is None:
            raise FlowBlocked([InputError("flow.error.choose_organisation")])
        self.desk.choose_organisation(str(item.data(Qt.ItemDataRole.UserRole)))
