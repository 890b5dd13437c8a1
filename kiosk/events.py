"""One way to tell others that something happened: a typed, thread-safe listener list.

The wizard (state changed), the language setting (language switched), the sync worker
(queue and delivery events) and the card reader (card inserted/removed) all use
:class:`Listeners`, so they share one contract:

- :meth:`Listeners.subscribe` may be called from any thread, also from inside a listener,
  and returns a function that unsubscribes (calling it twice is harmless).
- :meth:`Listeners.emit` calls the listeners **synchronously on the emitting thread**, in
  subscription order, over a snapshot taken when the emit starts: a listener added or removed
  meanwhile takes effect from the next emit. The lock is not held while listeners run, so a
  listener may subscribe, unsubscribe or emit again without deadlocking. Which thread emits
  is the owner's business and documented there (the wizard: the caller's thread; the sync
  worker and the card reader: their worker thread; Qt code marshals to the GUI thread).
- By default a listener's exception propagates to the emitter (a bug in the caller's own
  thread should surface). An owner that must keep delivering whatever a listener does (a
  worker thread has nobody to report to) passes ``log``: a failing listener is then logged
  there and the remaining listeners still run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Listeners(Generic[T]):
    """Callbacks taking one event of type ``T``; see the module docstring for the contract.

    ``log`` isolates listeners from each other (failures are logged as
    ``"<name> listener failed"`` with ``extra={"event": describe(event)}``, by default the
    event's type name; never the event itself, which may carry personal data).
    """

    def __init__(
        self,
        *,
        log: logging.Logger | None = None,
        name: str = "event",
        describe: Callable[[T], str] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[T], None]] = []
        self._log = log
        self._name = name
        self._describe = describe or (lambda event: type(event).__name__)

    def subscribe(self, listener: Callable[[T], None]) -> Callable[[], None]:
        """Call ``listener(event)`` on every :meth:`emit`; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: T) -> None:
        """Call every listener subscribed now with ``event``, on the calling thread."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            if self._log is None:
                listener(event)
                continue
            try:
                listener(event)
            except Exception:
                self._log.exception(
                    "%s listener failed", self._name, extra={"event": self._describe(event)}
                )

    def __len__(self) -> int:
        """How many listeners are subscribed."""
        with self._lock:
            return len(self._listeners)


__all__ = ["Listeners"]
