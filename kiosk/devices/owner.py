"""One thread owns each hardware device (DESIGN.md section 9, after Electrum's hardware layer).

A device handle (a PC/SC context and its card handles, an OpenCV capture) is only ever used
on the thread that opened it: drivers are not reliably thread-safe, and one owner makes the
order of operations on the hardware obvious. :class:`DeviceOwner` is that thread, shared by
the card reader (:mod:`kiosk.devices.card`) and the camera (:mod:`kiosk.devices.camera`):

- the device's own loop (``body``) runs on it, checks :attr:`DeviceOwner.stopping` and
  sleeps with :meth:`DeviceOwner.wait`, which :meth:`DeviceOwner.stop` interrupts;
- other threads hand it work with :meth:`DeviceOwner.call` and get a
  :class:`~concurrent.futures.Future`; the loop runs that work with
  :meth:`DeviceOwner.run_jobs` when it is ready for it (between two PC/SC waits);
- once the loop has ended no job is left waiting: every job still queued, and every job
  submitted later, fails with the device's own "closed" error.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Job:
    run: Callable[[], Any]
    future: Future[Any]


class DeviceOwner:
    """The worker thread that owns one device.

    ``closed`` makes the error that jobs fail with when the device is not running (not
    started yet, stopped, or its loop ended), e.g. ``DeviceClosed`` for the card reader;
    by default a ``RuntimeError`` (a device that takes no jobs from outside, like the camera).
    """

    def __init__(self, name: str, closed: Callable[[], BaseException] | None = None) -> None:
        self.name = name
        self._closed = closed or (lambda: RuntimeError(f"device thread {name!r} is not running"))
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._accepting = False

    # -- any thread -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while the owner thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def started(self) -> bool:
        """True once :meth:`start` was called (also after the thread ended)."""
        return self._thread is not None

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called; the loop should wind down."""
        return self._stopping.is_set()

    def on_owner_thread(self) -> bool:
        """True when called on the owner thread itself."""
        return self._thread is not None and threading.current_thread() is self._thread

    def start(self, body: Callable[[], None]) -> None:
        """Run ``body`` on a new owner thread (a daemon: a stuck driver must not keep the
        process alive). Raises ``RuntimeError`` while a previous thread still runs."""
        if self.running:
            raise RuntimeError(f"device thread {self.name!r} is already running")
        self._stopping.clear()
        with self._lock:
            self._accepting = True
        self._thread = threading.Thread(target=self._main, args=(body,), name=self.name)
        self._thread.daemon = True
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait up to ``timeout`` seconds for it; safe to repeat.

        Called on the owner thread itself (a loop ending itself) it only asks.
        """
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and not self.on_owner_thread():
            thread.join(timeout)

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn()`` on the owner thread; its result or exception arrives in the future.

        When the device is not running the future fails at once with the ``closed`` error.
        """
        future: Future[T] = Future()
        with self._lock:
            if self._accepting and not self._stopping.is_set() and self.running:
                self._jobs.put(_Job(fn, future))
                return future
        future.set_exception(self._closed())
        return future

    # -- owner thread -----------------------------------------------------------------------
    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early on :meth:`stop`; True when stopping."""
        return self._stopping.wait(seconds)

    def run_jobs(self) -> int:
        """Run the jobs queued so far, in order, until none is left or stop is asked.

        Returns how many ran. Only the owner thread may call this.
        """
        if not self.on_owner_thread():
            raise RuntimeError("device jobs run only on the device thread")
        ran = 0
        while not self._stopping.is_set():
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            self._run(job)
            ran += 1
        return ran

    @staticmethod
    def _run(job: _Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            job.future.set_result(job.run())
        except BaseException as exc:  # handed to the caller through the future
            job.future.set_exception(exc)

    def _main(self, body: Callable[[], None]) -> None:
        try:
            body()
        finally:
            # Refuse new work first, then fail what is left, so no future waits forever.
            with self._lock:
                self._accepting = False
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job.future.set_running_or_notify_cancel():
                    job.future.set_exception(self._closed())


__all__ = ["DeviceOwner"]
