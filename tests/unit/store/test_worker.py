"""The sync worker against an honest in-process portal, on a real store file."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import timedelta

import pytest

from kiosk.model import DeviceCredential, RegistrationStatus
from kiosk.store import FileKeyProvider, OutboxState, QueueCounts, Store
from kiosk.sync.api import (
    PortalAuthError,
    PortalBusy,
    PortalError,
    PortalRejected,
    PortalUnreachable,
)
from kiosk.sync.backoff import Backoff
from kiosk.sync.pool import CodePool
from kiosk.sync.worker import (
    NO_CREDENTIAL,
    EnrollmentStatusChanged,
    QueueChanged,
    RegistrationDelivered,
    RegistrationFailed,
    SyncWorker,
)
from tests.unit.store.conftest import TOKEN
from tests.unit.store.factories import make_registration
from tests.unit.store.fake_portal import FakePortal


@pytest.fixture
def store(enrolled_store):
    return enrolled_store


@pytest.fixture
def portal(clock):
    return FakePortal(clock)


def make_worker(store, portal, clock, **kwargs):
    worker = SyncWorker(
        store,
        portal,
        store.device_token,
        clock=clock,
        rng=random.Random(7),
        **{"backoff": Backoff(base_s=2, cap_s=60), **kwargs},
    )
    events = []
    worker.add_listener(events.append)
    return worker, events


def enqueue(store, clock, n, **kwargs):
    registrations = []
    for _ in range(n):
        registration = make_registration(**kwargs)
        store.enqueue(registration, "beheerder-1")
        registrations.append(registration)
        clock.advance(1)
    return registrations


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_delivers_every_pending_item_in_order_with_its_enrollment(store, portal, clock):
    registrations = enqueue(store, clock, 3)
    worker, events = make_worker(store, portal, clock)
    report = worker.deliver_due()
    assert report.delivered == [r.registration_id for r in registrations]
    assert [c[1] for c in portal.calls] == [r.registration_id for r in registrations]
    assert store.counts() == QueueCounts(done=3)
    delivered = of(events, RegistrationDelivered)
    assert [e.registration_id for e in delivered] == [r.registration_id for r in registrations]
    assert delivered[0].state.enrollment.qr_payload.startswith("zorgid://enroll")
    assert of(events, QueueChanged)[-1] == QueueChanged(0, 0, 0, paused=False, online=True)
    # What reached the portal is exactly what was queued.
    assert portal.registrations[registrations[0].registration_id] == registrations[0].to_contract()


@pytest.mark.parametrize("status", [400, 409, 422])
def test_permanent_answer_makes_the_item_dead_and_the_rest_carries_on(store, portal, clock, status):
    bad, good1, good2 = enqueue(store, clock, 3)
    portal.reject[bad.registration_id] = PortalRejected(status, "invalid")
    worker, events = make_worker(store, portal, clock)
    report = worker.deliver_due()
    assert report.dead == [bad.registration_id]
    assert report.delivered == [good1.registration_id, good2.registration_id]
    dead = store.item(bad.registration_id)
    assert dead.state is OutboxState.DEAD
    assert (dead.last_error, dead.last_status) == ("portal.error.rejected", status)
    failed = of(events, RegistrationFailed)
    assert failed == [RegistrationFailed(bad.registration_id, "portal.error.rejected", True)]
    # Never retried by itself...
    clock.advance(3600)
    assert worker.deliver_due().delivered == []
    assert store.item(bad.registration_id).state is OutboxState.DEAD
    # ...only when a person says so (after fixing the cause).
    del portal.reject[bad.registration_id]
    assert store.retry(bad.registration_id, "beheerder-2")
    assert worker.deliver_due().delivered == [bad.registration_id]
    assert store.load_registration(bad.registration_id) == bad  # kept all along


def test_auth_failure_pauses_the_whole_queue_until_resumed(store, portal, clock):
    registrations = enqueue(store, clock, 2)
    portal.fail_next(PortalAuthError(401))
    worker, events = make_worker(store, portal, clock)
    report = worker.deliver_due()
    assert report.paused and report.delivered == []
    assert store.paused().status == 401
    item = store.item(registrations[0].registration_id)
    assert item.state is OutboxState.PENDING and item.attempts == 0
    assert of(events, QueueChanged)[-1].paused is True
    calls = len(portal.calls)
    clock.advance(3600)
    worker.deliver_due()
    assert len(portal.calls) == calls  # paused: nothing is sent
    worker.resume()
    assert worker.deliver_due().delivered == [r.registration_id for r in registrations]


def test_a_new_device_credential_lifts_the_pause(store, portal, clock):
    enqueue(store, clock, 1)
    portal.device_tokens = {"new-token"}
    worker, _ = make_worker(store, portal, clock)
    assert worker.deliver_due().paused
    store.set_device_credential(DeviceCredential("kiosk-1", "new-token"))
    assert len(worker.deliver_due().delivered) == 1


def test_no_device_credential_pauses_with_a_clear_reason(tmp_path, portal, clock):
    with Store.open(tmp_path / "db", FileKeyProvider(tmp_path / "k"), clock=clock) as store:
        enqueue(store, clock, 1)
        worker, _ = make_worker(store, portal, clock)
        assert worker.deliver_due().paused
        assert store.paused().reason_key == NO_CREDENTIAL
        assert portal.calls == []


@pytest.mark.parametrize(
    "error",
    [PortalUnreachable(), PortalBusy(503), PortalError()],
    ids=["unreachable", "busy", "protocol"],
)
def test_transient_failure_backs_off_then_delivers(store, portal, clock, error):
    first, second = enqueue(store, clock, 2)
    portal.fail_next(error)
    worker, events = make_worker(store, portal, clock)
    start = clock()
    report = worker.deliver_due()
    assert report.retry == [first.registration_id] and report.delivered == []
    item = store.item(first.registration_id)
    assert item.state is OutboxState.PENDING and item.last_error == error.message_key
    delay = (item.next_attempt_at - start).total_seconds()
    expected = random.Random(7).uniform(0, 2)  # first failure: full jitter in [0, base]
    assert delay == pytest.approx(expected, abs=1e-3)
    assert of(events, RegistrationFailed)[-1].permanent is False
    # The pass stopped: the portal is down for everyone, the second item waits too.
    assert [c[1] for c in portal.calls] == [first.registration_id]
    assert worker.deliver_due().delivered == []  # hold not over yet
    clock.advance(delay + 0.01)
    assert set(worker.deliver_due().delivered) == {first.registration_id, second.registration_id}


def test_retry_after_is_honoured(store, portal, clock):
    (registration,) = enqueue(store, clock, 1)
    portal.fail_next(PortalBusy(429, retry_after=120))
    worker, _ = make_worker(store, portal, clock)
    start = clock()
    worker.deliver_due()
    next_at = store.item(registration.registration_id).next_attempt_at
    assert next_at >= start + timedelta(seconds=120)
    clock.advance(119)
    assert worker.deliver_due().delivered == []
    clock.advance(2)
    assert worker.deliver_due().delivered == [registration.registration_id]


def test_consecutive_failures_grow_the_hold_up_to_the_cap(store, portal, clock):
    enqueue(store, clock, 1)
    worker, _ = make_worker(store, portal, clock)
    ceilings = []
    for _ in range(8):
        portal.fail_next(PortalUnreachable())
        start = clock()
        worker.deliver_due(force=True)
        hold = (worker.hold_until - start).total_seconds()
        ceilings.append(hold)
        clock.advance(hold + 0.01)
    assert all(0 <= h <= 60 for h in ceilings)
    assert max(ceilings[4:]) > 2  # grows past the first ceiling


def test_replay_after_a_lost_answer_is_idempotent(tmp_path, portal, clock):
    path, keys = tmp_path / "db", FileKeyProvider(tmp_path / "k")
    store = Store.open(path, keys, clock=clock)
    store.set_device_credential(DeviceCredential("kiosk-1", TOKEN))
    (registration,) = enqueue(store, clock, 1)
    # The PUT reaches the portal but the kiosk dies before recording "done".
    _, claimed = store.claim_next()
    portal.put_registration(TOKEN, claimed)
    store.abandon()  # the kiosk dies: no orderly shutdown
    with Store.open(path, keys, clock=clock) as reopened:
        worker, _events = make_worker(reopened, portal, clock)
        assert worker.deliver_due().delivered == [registration.registration_id]
        assert len(portal.registrations) == 1
        assert reopened.counts() == QueueCounts(done=1)


def test_watch_follows_status_until_enrolled(store, portal, clock):
    (registration,) = enqueue(store, clock, 1)
    rid = registration.registration_id
    worker, events = make_worker(store, portal, clock, poll_interval_s=5)
    worker.watch(rid)
    worker.poll_watches()
    assert not [c for c in portal.calls if c[0] == "get"]  # not delivered yet: nothing to ask
    worker.deliver_due()
    clock.advance(5)
    worker.poll_watches()
    changes = of(events, EnrollmentStatusChanged)
    assert [c.state.status for c in changes] == [RegistrationStatus.PENDING_ENROLLMENT]
    clock.advance(5)
    worker.poll_watches()
    assert len(of(events, EnrollmentStatusChanged)) == 1  # unchanged: no event
    portal.enroll(rid)
    clock.advance(4)
    worker.poll_watches()
    assert len(of(events, EnrollmentStatusChanged)) == 1  # not due yet
    clock.advance(1)
    worker.poll_watches()
    assert of(events, EnrollmentStatusChanged)[-1].state.status is RegistrationStatus.ENROLLED
    assert worker.watching() == set()


def test_watch_backs_off_on_errors_and_can_be_unwatched(store, portal, clock):
    (registration,) = enqueue(store, clock, 1)
    rid = registration.registration_id
    worker, _events = make_worker(store, portal, clock, poll_interval_s=5)
    worker.deliver_due()
    worker.watch(rid)
    times = []
    for _ in range(6):
        portal.fail_next(PortalUnreachable())
        worker.poll_watches()
        next_at = worker.next_poll_at(rid)
        times.append((next_at - clock()).total_seconds())
        clock.advance(times[-1])
    assert all(t >= 5 for t in times)
    assert max(times) > 5
    worker.unwatch(rid)
    calls = len(portal.calls)
    clock.advance(100)
    worker.poll_watches()
    assert len(portal.calls) == calls


def test_watch_of_an_unknown_registration_reports_a_permanent_failure(store, portal, clock):
    worker, events = make_worker(store, portal, clock)
    rid = uuid.uuid4()
    worker.watch(rid)
    worker.poll_watches()
    failed = of(events, RegistrationFailed)
    assert failed == [RegistrationFailed(rid, "portal.error.rejected", True)]
    assert worker.watching() == set()


def test_a_broken_listener_does_not_stop_delivery(store, portal, clock):
    enqueue(store, clock, 2)
    worker, events = make_worker(store, portal, clock)

    def broken(event):
        raise RuntimeError("listener bug")

    worker.add_listener(broken)
    late = []
    worker.add_listener(late.append)  # registered after the broken one: still called
    assert len(worker.deliver_due().delivered) == 2
    assert len(of(events, RegistrationDelivered)) == len(of(late, RegistrationDelivered)) == 2


def test_pool_refills_while_online_and_hands_out_single_use_codes(store, portal, clock):
    pool = CodePool(store, portal, store.device_token, size=3, clock=clock)
    worker, _ = make_worker(store, portal, clock, pool=pool)
    enqueue(store, clock, 1)
    report = worker.sync_once()
    assert report.codes_added == 3 and pool.available() == 3
    taken = {pool.take().code for _ in range(3)}
    assert len(taken) == 3 and pool.take() is None
    # The portal goes away: the next delivery finds it unreachable, the pool is not refilled.
    enqueue(store, clock, 1)
    portal.fail_next(PortalUnreachable())
    clock.advance(120)
    worker.step()
    assert not worker.online
    assert [c[0] for c in portal.calls].count("reserve") == 1
    assert pool.available() == 0
    # Back online: the next round delivers and tops the pool up again.
    clock.advance(600)
    worker.step()
    assert worker.online and pool.available() == 3


def test_thread_delivers_after_wake_and_stops(tmp_path):
    # Real clock and thread: the worker sleeps until woken, then delivers.
    with Store.open(tmp_path / "db", FileKeyProvider(tmp_path / "k")) as store:
        store.set_device_credential(DeviceCredential("kiosk-1", TOKEN))
        portal = FakePortal(clock=lambda: make_registration().wid_check.checked_at)
        worker = SyncWorker(store, portal, store.device_token, max_idle_s=30)
        delivered = threading.Event()
        worker.add_listener(
            lambda e: delivered.set() if isinstance(e, RegistrationDelivered) else None
        )
        worker.start()
        try:
            store.enqueue(make_registration(), "b")
            worker.wake()
            assert delivered.wait(10)
        finally:
            assert worker.stop(10)
        assert store.counts() == QueueCounts(done=1)


def test_idle_worker_probes_health_for_an_honest_online_indicator(store, portal, clock):
    worker, events = make_worker(store, portal, clock)
    worker.step()
    assert worker.online and of(events, QueueChanged)[-1].online
    portal.healthy = False
    clock.advance(10)
    worker.step()
    assert worker.online  # not probed again before probe_interval_s (30 s)
    clock.advance(25)
    worker.step()
    assert not worker.online and not of(events, QueueChanged)[-1].online
    assert [c[0] for c in portal.calls].count("health") == 2


def test_worker_purges_acknowledged_items_past_retention(store, portal, clock):
    (registration,) = enqueue(store, clock, 1)
    worker, _ = make_worker(store, portal, clock, purge_interval_s=3600)
    worker.step()
    assert store.item(registration.registration_id).state is OutboxState.DONE
    clock.advance(31 * 86400)
    worker.step()
    assert store.item(registration.registration_id) is None


def test_a_paused_queue_with_a_watch_does_not_spin(store, portal, clock):
    (registration,) = enqueue(store, clock, 1)
    worker, _ = make_worker(store, portal, clock, poll_interval_s=5)
    worker.deliver_due()
    worker.watch(registration.registration_id)
    store.pause("portal.error.auth", 401)
    worker.step()
    assert worker.seconds_until_next() == pytest.approx(5)
    assert not [c for c in portal.calls if c[0] == "get"]


def test_a_restored_portal_is_used_at_once_not_after_the_back_off(store, portal, clock):
    """Issue 11: the health probe runs every few seconds during a hold; its first answer
    lifts the hold and delivers the waiting item in the same round."""
    worker, events = make_worker(
        store, portal, clock, offline_probe_interval_s=2, backoff=Backoff(base_s=300, cap_s=300)
    )
    worker.step()  # online, nothing to do
    (registration,) = enqueue(store, clock, 1)
    portal.fail_next(PortalUnreachable())
    portal.healthy = False
    worker.step()
    assert not worker.online and worker.hold_until is not None
    held = (worker.hold_until - clock()).total_seconds()
    assert held > 10  # with base 300 s the hold would last minutes
    assert worker.seconds_until_next() <= 2  # the thread wakes for the next probe
    clock.advance(2)
    worker.step()  # still down: probed, nothing delivered
    assert store.item(registration.registration_id).state is OutboxState.PENDING
    portal.healthy = True
    clock.advance(2)
    worker.step()
    assert worker.online and worker.hold_until is None
    assert store.item(registration.registration_id).state is OutboxState.DONE
    assert of(events, RegistrationDelivered)[-1].registration_id == registration.registration_id


def test_retry_now_delivers_a_held_item_immediately(store, portal, clock):
    worker, _ = make_worker(store, portal, clock, backoff=Backoff(base_s=300, cap_s=300))
    (registration,) = enqueue(store, clock, 1)
    portal.fail_next(PortalUnreachable())
    worker.step()
    assert store.item(registration.registration_id).state is OutboxState.PENDING
    worker.retry_now()
    worker.step()
    assert store.item(registration.registration_id).state is OutboxState.DONE
    assert worker.hold_until is None


def test_a_lost_portal_shows_within_the_desk_probe_interval(store, portal, clock):
    from kiosk.sync.worker import DESK_PROBE_INTERVAL_S

    worker, events = make_worker(store, portal, clock, probe_interval_s=DESK_PROBE_INTERVAL_S)
    worker.step()
    assert worker.online
    portal.healthy = False
    clock.advance(DESK_PROBE_INTERVAL_S)
    worker.step()
    assert not worker.online and of(events, QueueChanged)[-1].online is False
