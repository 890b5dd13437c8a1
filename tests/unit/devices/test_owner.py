"""The device owner thread (kiosk.devices.owner.DeviceOwner) shared by card reader and camera."""

from __future__ import annotations

import threading

import pytest

from kiosk.devices.owner import DeviceOwner


class Closed(Exception):
    pass


def _loop(owner: DeviceOwner, ran: list[int] | None = None) -> None:
    while not owner.stopping:
        count = owner.run_jobs()
        if ran is not None and count:
            ran.append(count)
        owner.wait(0.001)


def test_jobs_run_on_the_owner_thread_and_return_through_the_future() -> None:
    owner = DeviceOwner("dev", Closed)
    owner.start(lambda: _loop(owner))
    try:
        assert owner.call(lambda: threading.current_thread().name).result(5) == "dev"
        failing = owner.call(lambda: 1 // 0)
        with pytest.raises(ZeroDivisionError):
            failing.result(5)
    finally:
        owner.stop()
    assert not owner.running


def test_before_start_and_after_stop_jobs_fail_with_the_closed_error() -> None:
    owner = DeviceOwner("dev", Closed)
    with pytest.raises(Closed):
        owner.call(lambda: 1).result(1)
    owner.start(lambda: _loop(owner))
    owner.stop()
    with pytest.raises(Closed):
        owner.call(lambda: 1).result(1)


def test_jobs_left_when_the_loop_ends_fail_instead_of_waiting_forever() -> None:
    owner = DeviceOwner("dev", Closed)
    release = threading.Event()
    owner.start(lambda: release.wait(5))  # a loop that never runs jobs
    pending = owner.call(lambda: 1)
    release.set()
    with pytest.raises(Closed):
        pending.result(5)


def test_stop_wakes_the_wait_and_the_loop_can_end_itself() -> None:
    owner = DeviceOwner("dev")
    woke: list[bool] = []

    def body() -> None:
        woke.append(owner.wait(30))  # stop() below interrupts this at once
        owner.stop()  # on the owner thread: asks, never joins itself

    owner.start(body)
    owner.stop(timeout=5)
    assert woke == [True] and not owner.running
    with pytest.raises(RuntimeError):
        owner.run_jobs()  # only the owner thread runs jobs


def test_a_stopped_owner_starts_again_but_never_twice_at_once() -> None:
    owner = DeviceOwner("dev")
    release = threading.Event()
    owner.start(lambda: release.wait(5))
    with pytest.raises(RuntimeError):
        owner.start(lambda: None)
    release.set()
    owner.stop()
    owner.start(lambda: _loop(owner))
    assert owner.call(lambda: "again").result(5) == "again"
    owner.stop()
