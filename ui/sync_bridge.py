"""Adapter between the sync worker (its own thread) and the desk (the Qt thread).

:class:`kiosk.sync.worker.SyncWorker` calls listeners from its thread. :class:`SyncBridge`
re-emits each event through a Qt signal; the connection is queued, so the handler runs on
the Qt thread, where it updates the :class:`~kiosk.flow.desk.DeskSession` and the status bar.
It also tells the worker about the desk's registration: wake up to deliver it, follow its
enrollment, stop following it when the desk moves on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal

from kiosk.errors import KioskError
from kiosk.flow.desk import DeskSession
from kiosk.flow.wizard import Wizard
from kiosk.sync.worker import (
    EnrollmentStatusChanged,
    QueueChanged,
    RegistrationDelivered,
    RegistrationFailed,
    SyncEvent,
    SyncWorker,
)


class StatusView(Protocol):
    """Where the bridge shows the portal and queue state (the main window)."""

    def set_portal_status(self, online: bool | None, pending: int = 0, dead: int = 0) -> None:
        """Show reachability and queue counts."""


class SyncBridge(QObject):
    """Marshals worker events to the Qt thread and applies them to the desk."""

    received = Signal(object)

    def __init__(
        self, desk: DeskSession, worker: SyncWorker, status: StatusView | None = None
    ) -> None:
        super().__init__()
        self.desk = desk
        self.worker = worker
        self.status = status
        self._followed: uuid.UUID | None = None
        self._followed_code: str | None = None
        # Events already queued when the desk closes must not reach a closed store.
        self._closed = False
        self.received.connect(self._apply, Qt.ConnectionType.QueuedConnection)
        self._remove_listener: Callable[[], None] = worker.add_listener(self.received.emit)
        self._unsubscribe = desk.wizard.subscribe(self._wizard_changed)
        # Open handovers are followed too (after "Volgende medewerker", a sign-out or a
        # restart), so their QR closes on the list the moment it is scanned.
        book = desk.handovers
        self._unwatch_book = (
            book.subscribe(lambda _book: self._follow_open_handovers())
            if book is not None
            else (lambda: None)
        )
        self._follow_open_handovers()
        self._apply(worker.queue_state())

    def _follow_open_handovers(self) -> None:
        book = self.desk.handovers
        if book is None:
            return
        watching = self.worker.watching()
        for entry in book.open_handovers():
            if entry.registration_id not in watching and entry.state.value in (
                "waiting",
                "not_active",
                "live",
            ):
                self.worker.watch(entry.registration_id)

    def close(self) -> None:
        """Stop listening (the worker itself is stopped by its owner)."""
        self._closed = True
        self._remove_listener()
        self._unsubscribe()
        self._unwatch_book()

    def _wizard_changed(self, wizard: Wizard) -> None:
        current = wizard.state.registration_id
        enrollment = wizard.state.enrollment
        code = enrollment.code if enrollment is not None else None
        if current == self._followed:
            if current is not None and code != self._followed_code:
                # A renewed code: the worker stopped following at "expired"; follow again.
                self._followed_code = code
                self.worker.watch(current)
            return
        self._followed_code = code
        book = self.desk.handovers
        if self._followed is not None and not (book and book.is_open(self._followed)):
            self.worker.unwatch(self._followed)
        self._followed = current
        if current is not None:
            # Saved just now: deliver at once and follow the enrollment once delivered.
            self.worker.watch(current)
            self.worker.wake()

    def _apply(self, event: SyncEvent) -> None:
        if self._closed:
            return
        desk = self.desk
        if isinstance(event, QueueChanged):
            desk.connectivity(event.online)
            if self.status is not None:
                self.status.set_portal_status(
                    event.online, event.pending + event.in_flight, event.dead
                )
        elif isinstance(event, RegistrationDelivered):
            desk.delivered(event.registration_id, event.state.status, event.state.enrollment)
        elif isinstance(event, RegistrationFailed):
            if event.permanent:
                desk.delivery_failed(event.registration_id, KioskError(event.error_key))
        elif isinstance(event, EnrollmentStatusChanged):
            state = event.state
            if state.enrollment is not None and desk.state.registration_id == state.registration_id:
                desk.state.enrollment = state.enrollment
            desk.enrollment_status(event.registration_id, state.status, state.enrollment)
