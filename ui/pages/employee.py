"""Step 1: the employee's given names, surname and date of birth as on the WID."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QWidget

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import Step
from kiosk.i18n import tr
from ui.pages.base import Page
from ui.widgets import LineField, card, label


class EmployeePage(Page):
    """Three fields, each with its own error message."""

    step = Step.EMPLOYEE

    def __init__(self, desk: DeskSession, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.given_names = LineField()
        self.surname = LineField()
        self.date_of_birth = LineField()
        self.given_names.edit.setObjectName("givenNames")
        self.surname.edit.setObjectName("surname")
        self.date_of_birth.edit.setObjectName("dateOfBirth")
        self.date_of_birth.edit.setMaximumWidth(320)
        self.date_of_birth.edit.setMaxLength(10)
        for field in (self.given_names, self.surname):
            field.edit.setMaxLength(100)
        panel = card()
        grid = QGridLayout(panel)
        grid.setContentsMargins(32, 24, 32, 24)
        grid.setHorizontalSpacing(32)
        grid.setVerticalSpacing(18)
        grid.addWidget(self.given_names, 0, 0, 1, 2)
        grid.addWidget(self.surname, 1, 0, 1, 2)
        grid.addWidget(self.date_of_birth, 2, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        self.note = label("fieldHint")
        self.outer.addWidget(panel)
        self.outer.addWidget(self.note)
        self.outer.addWidget(self.error)
        self.outer.addStretch(1)
        self.fields = {
            "given_names": self.given_names,
            "surname": self.surname,
            "date_of_birth": self.date_of_birth,
        }

    def retranslate(self) -> None:
        """Apply texts."""
        self.title.setText(tr("ui.employee.title"))
        self.intro.setText(tr("ui.employee.intro"))
        self.given_names.set_texts(tr("ui.employee.given_names"), tr("ui.employee.given_hint"))
        self.surname.set_texts(tr("ui.employee.surname"), tr("ui.employee.surname_hint"))
        self.date_of_birth.set_texts(
            tr("ui.employee.date_of_birth"),
            tr("ui.employee.date_formats"),
            tr("ui.employee.date_placeholder"),
        )
        self.note.setText(tr("ui.employee.note"))

    def refresh(self) -> None:
        """Show the stored step 1 when coming back to correct it."""
        employee = self.desk.state.employee
        if employee is not None and not self.surname.text():
            self.given_names.edit.setText(employee.given_names)
            self.surname.edit.setText(employee.surname)
            self.date_of_birth.edit.setText(employee.date_of_birth.strftime("%d-%m-%Y"))

    def entered(self) -> None:
        """Focus the first field."""
        self.given_names.edit.setFocus()

    def clear(self) -> None:
        """Wipe the fields."""
        super().clear()
        for field in self.fields.values():
            field.clear()

    def submit(self) -> None:
        """Validate and store step 1."""
        for field in self.fields.values():
            field.set_error("")
        self.problems = []
        self.desk.submit_employee_text(
            self.given_names.text(), self.surname.text(), self.date_of_birth.text()
        )

    def retranslate_messages(self) -> None:
        """Re-render the messages still shown (typing in a field already cleared its own)."""
        still = [p for p in self.problems if self._still_shown(p)]
        if still:
            self.show_problems(still)

    def _still_shown(self, problem: KioskError) -> bool:
        shown_at = self.fields.get(str(problem.params.get("field", "")))
        return shown_at is None or bool(shown_at.error.text())

    def show_problems(self, problems: list[KioskError]) -> None:
        """Put each message next to its field (kept, so a language switch re-renders it)."""
        for shown in self.fields.values():
            shown.set_error("")
        rest: list[KioskError] = []
        for problem in problems:
            field = self.fields.get(str(problem.params.get("field", "")))
            if field is None:
                rest.append(problem)
            elif not field.error.text():  # the first message per field is the one to fix
                field.set_error(problem.translated())
        super().show_problems(rest)
        self.problems = list(problems)
        # Focus the first field (in form order) that needs attention.
        for field in self.fields.values():
            if field.error.text():
                field.edit.setFocus()
                break
