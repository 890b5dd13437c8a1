"""Review: everything that will be registered, before step 3 saves it."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import Step
from kiosk.i18n import tr
from ui.pages.base import Page
from ui.pages.wid_check import DOC_TYPE_KEYS
from ui.widgets import card, label

METHOD_KEYS = {
    "chip": "ui.method.chip",
    "mrz_camera": "ui.method.camera",
    "mrz_reader": "ui.method.mrz_reader",
    "mrz_typed": "ui.method.typed_mrz",
}


class ReviewPage(Page):
    """A two-column summary; the primary button registers (step 3)."""

    step = Step.REVIEW
    primary_key = "ui.review.register"
    ROWS = (
        ("organisation", "ui.review.organisation"),
        ("given_names", "ui.evidence.given_names"),
        ("surname", "ui.evidence.surname"),
        ("date_of_birth", "ui.evidence.date_of_birth"),
        ("document", "ui.review.document"),
        ("document_number", "ui.evidence.document_number"),
        ("expiry_date", "ui.evidence.expiry_date"),
        ("method", "ui.review.method"),
        ("person", "ui.review.person"),
    )

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        # Which organisation the employee is registered at, in large type: a wrong one is
        # the mistake a desk with several organisations can make.
        self.organisation = label("bigStatus")
        self.organisation.setObjectName("reviewOrganisation")
        self.outer.addWidget(self.organisation)
        panel = card()
        grid = QGridLayout(panel)
        grid.setContentsMargins(32, 20, 32, 20)
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(8)
        self.captions: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        for row, (name, _key) in enumerate(self.ROWS):
            caption = label("fieldHint", wrap=False)
            value = label("valueLabel")
            self.captions[name], self.values[name] = caption, value
            grid.addWidget(caption, row, 0)
            grid.addWidget(value, row, 1)
        grid.setColumnStretch(1, 1)
        self.outer.addWidget(panel)
        self.outer.addWidget(self.error)
        self.outer.addStretch(1)

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.review.title"))
        self.intro.setText(tr("ui.review.intro"))
        for name, key in self.ROWS:
            self.captions[name].setText(tr(key))
        self.refresh()

    def refresh(self) -> None:
        """Fill from the state."""
        state = self.desk.state
        ev, emp = state.evidence, state.employee
        if ev is None or emp is None:
            self._wipe_values()
            return
        name = state.organisation.name if state.organisation else ""
        self.values["organisation"].setText(name)
        self.organisation.setText(
            tr("ui.review.for_organisation", organisation=name) if name else ""
        )
        self.values["given_names"].setText(emp.given_names)
        self.values["surname"].setText(emp.surname)
        self.values["date_of_birth"].setText(emp.date_of_birth.strftime("%d-%m-%Y"))
        self.values["document"].setText(
            f"{tr(DOC_TYPE_KEYS[ev.document_type.value])} ({ev.issuing_country})"
        )
        self.values["document_number"].setText(ev.document_number)
        self.values["expiry_date"].setText(ev.expiry_date.strftime("%d-%m-%Y"))
        self.values["method"].setText(tr(METHOD_KEYS[ev.method.value]))
        self.values["person"].setText(
            tr("ui.review.person_confirmed") if state.photo_confirmed else ""
        )

    def _wipe_values(self) -> None:
        for value in self.values.values():
            value.setText("")
        self.organisation.setText("")

    def clear(self) -> None:
        """Wipe the summary."""
        super().clear()
        self._wipe_values()

    def submit(self) -> None:
        """Step 3: commit the registration to the queue."""
        self.desk.register()
