"""The sync worker's heartbeat for the portal's fleet view: what it says and how often."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from kiosk import __version__
from kiosk.sync.api import PortalUnreachable
from kiosk.sync.worker import SyncWorker
from tests.unit.store.factories import make_registration
from tests.unit.store.fake_portal import FakePortal


@pytest.fixture
def store(enrolled_store):
    return enrolled_store


def test_heartbeat_reports_counts_and_ages_only(store, clock):
    portal = FakePortal(clock)
    worker = SyncWorker(
        store,
        portal,
        store.device_token,
        clock=clock,
        rng=random.Random(1),
        heartbeat_interval_s=300,
        trust_list_age=lambda: 86400.7,
    )
    beat = worker.heartbeat()
    assert (beat.queue_depth, beat.dead_letters, beat.oldest_pending_age_s) == (0, 0, None)
    assert beat.last_sync_at is None and beat.version == __version__
    assert beat.trust_list_age_s == 86400
    store.enqueue(make_registration(), "beheerder-1")
    clock.advance(40)
    store.enqueue(make_registration(), "beheerder-1")
    clock.advance(2)
    beat = worker.heartbeat()
    assert (beat.queue_depth, beat.oldest_pending_age_s) == (2, 42)
    body = beat.to_contract()
    assert set(body) == {
        "version",
        "queue_depth",
        "dead_letters",
        "oldest_pending_age_s",
        "trust_list_age_s",
        "last_sync_at",
    }
    # No personal data: nothing of the queued registrations is in the heartbeat.
    assert "ERIKSSON" not in repr(body).upper() and "L898902C3" not in repr(body)
    worker.deliver_due()
    beat = worker.heartbeat()
    assert (beat.queue_depth, beat.oldest_pending_age_s) == (0, None)
    assert beat.last_sync_at == clock()


def test_heartbeat_is_sent_every_interval_and_a_failure_only_waits(store, clock):
    portal = FakePortal(clock)
    worker = SyncWorker(store, portal, store.device_token, clock=clock, heartbeat_interval_s=300)
    worker.step()
    assert len(portal.heartbeats) == 1
    clock.advance(100)
    worker.step()
    assert len(portal.heartbeats) == 1  # not due yet
    clock.advance(201)
    portal.fail_next(PortalUnreachable(kind="ConnectError"))
    worker.step()
    assert len(portal.heartbeats) == 1 and store.paused() is None  # no pause, no backoff
    clock.advance(timedelta(seconds=301).total_seconds())
    worker.step()
    assert len(portal.heartbeats) == 2


def test_no_heartbeat_unless_asked_or_enabled(store, clock):
    portal = FakePortal(clock)
    worker = SyncWorker(store, portal, store.device_token, clock=clock)
    worker.step()
    assert portal.heartbeats == []
    assert worker.heartbeat_if_due(force=True)
    assert len(portal.heartbeats) == 1
    store.pause("portal.error.auth", 401)
    assert not worker.heartbeat_if_due(force=True)
