"""The one listener helper (kiosk.events.Listeners) used by wizard, i18n, sync and card."""

from __future__ import annotations

import logging
import threading

import pytest

from kiosk.events import Listeners


def test_emit_reaches_every_listener_in_order_and_unsubscribe_is_idempotent() -> None:
    seen: list[str] = []
    listeners: Listeners[int] = Listeners()
    listeners.subscribe(lambda n: seen.append(f"a{n}"))
    remove_b = listeners.subscribe(lambda n: seen.append(f"b{n}"))
    listeners.emit(1)
    remove_b()
    remove_b()
    listeners.emit(2)
    assert seen == ["a1", "b1", "a2"]
    assert len(listeners) == 1


def test_emit_uses_a_snapshot_so_listeners_may_change_the_list() -> None:
    seen: list[str] = []
    listeners: Listeners[str] = Listeners()

    def once(event: str) -> None:
        seen.append(f"once:{event}")
        remove_once()
        listeners.subscribe(lambda e: seen.append(f"late:{e}"))

    remove_once = listeners.subscribe(once)
    listeners.emit("x")  # the listener added during this emit waits for the next one
    listeners.emit("y")
    assert seen == ["once:x", "late:y"]


def test_listeners_run_on_the_emitting_thread() -> None:
    threads: list[str] = []
    listeners: Listeners[None] = Listeners()
    listeners.subscribe(lambda _: threads.append(threading.current_thread().name))
    worker = threading.Thread(target=listeners.emit, args=(None,), name="emitter")
    worker.start()
    worker.join()
    assert threads == ["emitter"]


def test_without_a_log_a_failing_listener_propagates() -> None:
    listeners: Listeners[int] = Listeners()
    listeners.subscribe(lambda n: 1 // n)
    with pytest.raises(ZeroDivisionError):
        listeners.emit(0)


def test_with_a_log_a_failing_listener_is_logged_and_the_rest_still_run(caplog) -> None:
    seen: list[int] = []
    listeners: Listeners[int] = Listeners(
        log=logging.getLogger("test.events"), name="sync", describe=lambda n: f"n={n}"
    )
    listeners.subscribe(lambda n: 1 // n)
    listeners.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="test.events"):
        listeners.emit(0)
    assert seen == [0]
    [record] = caplog.records
    assert record.getMessage() == "sync listener failed"
    assert record.__dict__["event"] == "n=0"
