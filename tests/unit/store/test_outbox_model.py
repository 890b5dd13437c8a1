"""The outbox against a model: whatever sequence of events happens (deliveries, failures,
crashes, retries, purges), no registration is lost or duplicated and counts stay exact."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk.store import FileKeyProvider, OutboxState, Store
from tests.unit.store.factories import FakeClock, make_registration


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="outbox-model-"))
        self.keys = FileKeyProvider(self.dir / "k")
        self.clock = FakeClock()
        self.store = Store.open(self.dir / "db", self.keys, clock=self.clock, retention_days=1)
        self.model: dict = {}  # registration_id -> expected state
        self.saved: dict = {}  # registration_id -> Registration (until purged)
        self.in_flight = None

    def teardown(self):
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule()
    def enqueue(self):
        registration = make_registration()
        self.store.enqueue(registration, "b")
        self.model[registration.registration_id] = OutboxState.PENDING
        self.saved[registration.registration_id] = registration

    @precondition(lambda self: self.in_flight is None)
    @rule()
    def claim(self):
        claimed = self.store.claim_next()
        due = [rid for rid, state in self.model.items() if state is OutboxState.PENDING]
        if claimed is None:
            assert not due or self.store.next_due_at() > self.clock()
            return
        item, registration = claimed
        assert self.model[item.registration_id] is OutboxState.PENDING
        assert registration == self.saved[item.registration_id]
        self.model[item.registration_id] = OutboxState.IN_FLIGHT
        self.in_flight = item.registration_id

    @precondition(lambda self: self.in_flight is not None)
    @rule(outcome=st.sampled_from(["done", "dead", "retry", "release"]))
    def answer(self, outcome):
        rid, self.in_flight = self.in_flight, None
        if outcome == "done":
            self.store.mark_done(rid)
            self.model[rid] = OutboxState.DONE
        elif outcome == "dead":
            self.store.mark_dead(rid, "portal.error.rejected", 422)
            self.model[rid] = OutboxState.DEAD
        elif outcome == "retry":
            self.store.mark_retry(rid, self.clock() + timedelta(seconds=5), "portal.error.busy")
            self.model[rid] = OutboxState.PENDING
        else:
            self.store.release(rid)
            self.model[rid] = OutboxState.PENDING

    @rule()
    def crash_and_reopen(self):
        self.store.abandon()  # no cleanup, like a killed process
        self.store = Store.open(self.dir / "db", self.keys, clock=self.clock, retention_days=1)
        if self.in_flight is not None:
            self.model[self.in_flight] = OutboxState.PENDING
            self.in_flight = None

    @rule()
    def person_retries_dead(self):
        for rid, state in self.model.items():
            if state is OutboxState.DEAD:
                assert self.store.retry(rid, "beheerder-2")
                self.model[rid] = OutboxState.PENDING
                return

    @rule(seconds=st.sampled_from([1, 10, 86400 + 1]))
    def time_passes_and_purge(self, seconds):
        self.clock.advance(seconds)
        self.store.purge()
        if seconds > 86400:
            for rid in [r for r, s in self.model.items() if s is OutboxState.DONE]:
                del self.model[rid]
                del self.saved[rid]

    @invariant()
    def counts_match_the_model(self):
        counts = self.store.counts()
        expected = {state: 0 for state in OutboxState}
        for state in self.model.values():
            expected[state] += 1
        assert (counts.pending, counts.in_flight, counts.done, counts.dead) == (
            expected[OutboxState.PENDING],
            expected[OutboxState.IN_FLIGHT],
            expected[OutboxState.DONE],
            expected[OutboxState.DEAD],
        )

    @invariant()
    def nothing_lost_and_chain_intact(self):
        items = {item.registration_id: item.state for item in self.store.items()}
        assert items == self.model
        assert self.store.verify_audit_chain()


OutboxMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
TestOutbox = OutboxMachine.TestCase
