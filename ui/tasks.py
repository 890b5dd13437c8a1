"""Run blocking I/O (a portal call) off the Qt thread and get the answer back on it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

T = TypeVar("T")


class Task(QObject, Generic[T]):
    """One background call; emits ``succeeded(result)`` or ``failed(exception)``.

    Connect the signals to methods of QObjects living on the Qt thread: the connections are
    queued, so the slots run there, never on the worker thread.
    """

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[], T]) -> None:
        super().__init__()
        self._fn = fn
        self._thread = threading.Thread(target=self._run, name="ui-task", daemon=True)

    def _run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # any failure is handed to the UI, which shows it
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)

    def start(
        self, on_success: Callable[[T], None], on_failure: Callable[[Exception], None]
    ) -> Task[T]:
        """Start the call; ``on_success``/``on_failure`` should be bound QObject methods."""
        queued = Qt.ConnectionType.QueuedConnection
        self.succeeded.connect(on_success, queued)
        self.failed.connect(on_failure, queued)
        self._thread.start()
        return self

    def running(self) -> bool:
        """True while the call has not returned."""
        return self._thread.is_alive()
