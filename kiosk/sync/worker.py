"""The sync worker: delivers the queue to the portal and follows enrollments (DESIGN.md §6).

One thread owns the delivery loop. It authenticates with the kiosk's *device* token (never a
beheerder session), so queued work syncs with nobody signed in. What it does with each
portal answer (the error tree in :mod:`kiosk.sync.api`; :func:`classify` is the one place
that decides, for deliveries, enrollment polls and the code pool alike)::

    201/200                 done; RegistrationDelivered
    PortalRejected          permanent (400, 404, 409, 410, 422): the item is dead, kept with
                            its reason and status, retried only by a person
                            (Store.retry); the rest of the queue carries on
    PortalAuthError         401/403: the item goes back to pending and the whole queue pauses
                            until the credential is fixed (resume() or a new device token)
    PortalUnreachable/Busy  transient: the item is retried after exponential backoff with
                            full jitter (capped, Retry-After honoured); the pass stops,
                            because the portal is down or overloaded for everyone
    PortalError             the portal broke its contract: treated as transient, logged

Events go to plain callbacks, called *from the worker thread*; the UI marshals them to the
Qt thread itself. Time and randomness are injected (``clock``, ``rng``) and
:meth:`SyncWorker.deliver_due` / :meth:`SyncWorker.poll_watches` can be driven directly, so
tests are deterministic without sleeping.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from kiosk import __version__
from kiosk.errors import KioskError, StorageFailure
from kiosk.events import Listeners
from kiosk.model import RegistrationStatus
from kiosk.store import OutboxState, Store, utc_now
from kiosk.sync.api import (
    Heartbeat,
    PortalApi,
    PortalAuthError,
    PortalBusy,
    PortalError,
    PortalRejected,
    PortalUnreachable,
    RegistrationState,
)
from kiosk.sync.backoff import Backoff
from kiosk.sync.pool import CodePool

log = logging.getLogger(__name__)

TERMINAL = frozenset(
    {RegistrationStatus.ENROLLED, RegistrationStatus.EXPIRED, RegistrationStatus.CANCELLED}
)
NO_CREDENTIAL = "sync.error.no_credential"
#: The health-probe interval a desk uses while the portal answers: a lost portal shows on
#: the status bar within seconds, for one light ``GET /v1/health`` per interval.
DESK_PROBE_INTERVAL_S = 5.0
#: How often a desk reports its heartbeat to the portal's fleet view.
DEFAULT_HEARTBEAT_INTERVAL_S = 300.0


@dataclass(frozen=True, slots=True)
class RegistrationDelivered:
    """The portal acknowledged a registration; ``state`` carries its enrollment (the QR)."""

    registration_id: uuid.UUID
    state: RegistrationState


@dataclass(frozen=True, slots=True)
class RegistrationFailed:
    """An attempt failed; ``permanent`` means it is dead until a person retries it."""

    registration_id: uuid.UUID
    error_key: str
    permanent: bool


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """The queue's counts or the worker's pause/online state changed."""

    pending: int
    in_flight: int
    dead: int
    paused: bool
    online: bool


@dataclass(frozen=True, slots=True)
class EnrollmentStatusChanged:
    """A watched registration's portal status changed (e.g. to ``enrolled``)."""

    registration_id: uuid.UUID
    state: RegistrationState


SyncEvent = RegistrationDelivered | RegistrationFailed | QueueChanged | EnrollmentStatusChanged
Listener = Callable[[SyncEvent], None]


@dataclass(slots=True)
class SyncReport:
    """What one delivery pass did (``kiosk sync once``)."""

    delivered: list[uuid.UUID] = field(default_factory=list)
    dead: list[uuid.UUID] = field(default_factory=list)
    retry: list[uuid.UUID] = field(default_factory=list)
    paused: bool = False
    online: bool | None = None
    codes_added: int = 0

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "delivered": [str(i) for i in self.delivered],
            "dead": [str(i) for i in self.dead],
            "retry": [str(i) for i in self.retry],
            "paused": self.paused,
            "online": self.online,
            "codes_added": self.codes_added,
        }


class QueueAction(StrEnum):
    """What the queue does after a portal error (DESIGN.md section 6)."""

    DEAD = "dead"  # permanent: keep the item with its reason; only a person retries it
    PAUSE = "pause"  # the kiosk's credential is refused: hold the whole queue
    RETRY = "retry"  # transient: try again after backoff with jitter (Retry-After honoured)


@dataclass(frozen=True, slots=True)
class PortalOutcome:
    """A portal error classified: the action, and what the worker records about it.

    ``answered`` says whether the portal itself answered (it is online, if unhappy);
    ``status`` is the HTTP status when there was one; ``retry_after`` the portal's
    Retry-After in seconds.
    """

    action: QueueAction
    message_key: str
    answered: bool
    status: int | None = None
    retry_after: float | None = None


#: The portal errors :func:`classify` knows; catch exactly these around a portal call.
PORTAL_ERRORS = (PortalRejected, PortalAuthError, PortalBusy, PortalUnreachable, PortalError)


def classify(exc: KioskError) -> PortalOutcome:
    """Map a portal error to the queue's action (DESIGN.md section 6).

    :class:`PortalRejected` (400, 404, 409, 410, 422) -> DEAD; :class:`PortalAuthError`
    (401, 403) -> PAUSE; :class:`PortalBusy` (408, 425, 429, 5xx) and
    :class:`PortalUnreachable` (connect error, timeout, reset) -> RETRY. A
    :class:`PortalError` (an answer outside the contract) is retried too: the next portal
    release may well answer properly, and dropping a registration is never an option. Any
    other error is not the portal's and raises ``TypeError`` (a bug in the caller).
    """
    if isinstance(exc, PortalRejected):
        return PortalOutcome(QueueAction.DEAD, exc.message_key, True, exc.status)
    if isinstance(exc, PortalAuthError):
        return PortalOutcome(QueueAction.PAUSE, exc.message_key, True, exc.status)
    if isinstance(exc, PortalBusy):
        return PortalOutcome(QueueAction.RETRY, exc.message_key, True, exc.status, exc.retry_after)
    if isinstance(exc, (PortalUnreachable, PortalError)):
        # Unreachable and contract breaches do not count as the portal being online.
        return PortalOutcome(QueueAction.RETRY, exc.message_key, False)
    raise TypeError(f"not a portal error: {type(exc).__name__}")


@dataclass(slots=True)
class _Watch:
    next_at: datetime
    failures: int = 0
    last: RegistrationStatus | None = None


class SyncWorker:
    """Delivers queued registrations and polls watched enrollments in its own thread."""

    def __init__(
        self,
        store: Store,
        portal: PortalApi,
        device_token_provider: Callable[[], str | None],
        *,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        backoff: Backoff | None = None,
        poll_interval_s: float = 5.0,
        pool: CodePool | None = None,
        pool_refill_interval_s: float = 60.0,
        probe_interval_s: float = 30.0,
        offline_probe_interval_s: float = 2.0,
        purge_interval_s: float = 3600.0,
        max_idle_s: float = 30.0,
        rotate_before_s: float = 7 * 24 * 3600.0,
        heartbeat_interval_s: float | None = None,
        trust_list_age: Callable[[], float | None] | None = None,
    ) -> None:
        self._store = store
        self._portal = portal
        self._token = device_token_provider
        self._clock = clock
        self._rng = rng or random.Random()
        self._backoff = backoff or Backoff()
        self.poll_interval_s = poll_interval_s
        self._pool = pool
        self._pool_refill_interval = timedelta(seconds=pool_refill_interval_s)
        self._probe_interval = timedelta(seconds=probe_interval_s)
        # While the portal is down or deliveries back off, a probe every few seconds notices
        # its return, and the held queue is delivered at once (never minutes later).
        self._offline_probe_interval = timedelta(seconds=offline_probe_interval_s)
        self._last_probe: datetime | None = None
        self._retry_now = threading.Event()
        self._purge_interval = timedelta(seconds=purge_interval_s)
        self._next_purge: datetime | None = None
        self._max_idle_s = max_idle_s
        self._rotate_before = timedelta(seconds=rotate_before_s)
        self._next_rotation: datetime | None = None
        # The fleet view (DESIGN.md section 7: counts and ages only); None: not reported.
        self._heartbeat_interval = (
            None if heartbeat_interval_s is None else timedelta(seconds=heartbeat_interval_s)
        )
        self._trust_list_age = trust_list_age
        self._next_heartbeat: datetime | None = None
        self._last_sync: datetime | None = None

        self._lock = threading.RLock()
        self._listeners: Listeners[SyncEvent] = Listeners(log=log, name="sync")
        self._watches: dict[uuid.UUID, _Watch] = {}
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._hold_until: datetime | None = None
        self._failures = 0
        self._online = False
        self._next_refill: datetime | None = None
        self._last_queue_event: QueueChanged | None = None

    # ------------------------------------------------------------------ listeners

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` from the worker thread; returns an unsubscribe function.

        A listener that raises is logged and the others still get the event: a broken
        listener must not stop deliveries.
        """
        return self._listeners.subscribe(listener)

    def _emit(self, event: SyncEvent) -> None:
        self._listeners.emit(event)

    def queue_state(self) -> QueueChanged:
        """The current counts, pause and online state (what :class:`QueueChanged` carries)."""
        counts = self._store.counts()
        return QueueChanged(
            pending=counts.pending,
            in_flight=counts.in_flight,
            dead=counts.dead,
            paused=self._store.paused() is not None,
            online=self._online,
        )

    def _emit_queue(self, *, force: bool = False) -> None:
        state = self.queue_state()
        with self._lock:
            if not force and state == self._last_queue_event:
                return
            self._last_queue_event = state
        self._emit(state)

    @property
    def online(self) -> bool:
        """True when the last contact with the portal got an answer."""
        return self._online

    # ------------------------------------------------------------------ thread control

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Ask the thread to finish its current request and exit; True when it did."""
        self._stopping.set()
        self._wakeup.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def wake(self) -> None:
        """Sync now (e.g. right after an enqueue) instead of at the next scheduled time."""
        with self._lock:
            self._hold_until = None
        self._wakeup.set()

    def retry_now(self) -> None:
        """A person asks to try the waiting queue now ("Nu opnieuw proberen"): every pending
        item becomes due, the back-off hold is lifted and the thread delivers at once."""
        self._retry_now.set()
        self.wake()

    def resume(self) -> None:
        """Lift an auth pause after the credential was fixed, and sync now."""
        self._store.resume()
        with self._lock:
            self._failures = 0
        self._emit_queue()
        self.wake()

    def _run(self) -> None:
        self._emit_queue(force=True)
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                self.step()
                timeout = self.seconds_until_next()
            except Exception:
                # A bug or a storage failure: log the type only, try again later.
                log.exception("sync step failed")
                timeout = self._max_idle_s
            self._wakeup.wait(timeout)

    def step(self) -> None:
        """One round: deliver what is due, poll due watches, top up the code pool.

        With nothing to deliver, ``GET /v1/health`` every ``probe_interval_s`` keeps the
        desk's online indicator honest; while the portal is down or deliveries back off it
        is asked every ``offline_probe_interval_s``, and the first answer lifts the hold and
        delivers the waiting queue in the same round. :meth:`retry_now` forces all of it.
        """
        self.rotate_credential_if_due()
        forced = self._retry_now.is_set()
        self._retry_now.clear()
        if forced or self._waiting_needlessly():
            self.expedite()
        report = self.deliver_due(force=forced)
        attempted = report.delivered or report.dead or report.retry
        if not attempted and not report.paused and not self._stopping.is_set():
            held = self.hold_until is not None
            if self.probe(force=forced) and held and self.hold_until is None:
                self.deliver_due(force=True)
        if not self._stopping.is_set():
            self.heartbeat_if_due()
        if not self._stopping.is_set():
            self.poll_watches()
        if not self._stopping.is_set():
            self.refill_pool()
        if not self._stopping.is_set():
            self.purge_if_due()

    def rotate_credential_if_due(self, *, force: bool = False) -> bool:
        """Rotate the kiosk's device token when it expires within ``rotate_before_s``.

        ``POST /v1/kiosks/self/token`` with the current token; the new credential goes to
        the store (sealed) before anything else uses it. The portal keeps the old token for
        a short grace, so an answer lost on the way is repaired by the next attempt (at most
        every probe interval). A refused token (401/403) pauses the queue like a delivery
        would; a credential without an expiry (an older portal) is never rotated. True when
        a new credential was stored."""
        credential = self._store.get_device_credential()
        if credential is None or credential.expires_at is None:
            return False
        now = self._clock()
        if not force and (
            credential.expires_at - now > self._rotate_before
            or (self._next_rotation is not None and now < self._next_rotation)
            or self._store.paused() is not None
        ):
            return False
        self._next_rotation = now + self._probe_interval
        try:
            rotated = self._portal.rotate_device_token(credential.device_token)
        except PORTAL_ERRORS as exc:
            outcome = classify(exc)
            self._online = outcome.answered
            if outcome.action is QueueAction.PAUSE:
                self._store.pause(outcome.message_key, outcome.status)
                self._emit_queue()
            log.warning("device token not rotated", extra={"error": outcome.message_key})
            return False
        try:
            self._store.set_device_credential(rotated)
        except StorageFailure as exc:
            # The old token still works for the grace period; the next attempt rotates again.
            log.error("rotated device token not stored", extra={"error": exc.message_key})
            return False
        self._online = True
        log.info("device token rotated", extra={"kiosk_id": rotated.kiosk_id})
        return True

    def heartbeat(self) -> Heartbeat:
        """What this kiosk reports to the fleet view now (no personal data)."""
        now = self._clock()
        counts = self._store.counts()
        waiting = self._store.items(OutboxState.PENDING, OutboxState.IN_FLIGHT)
        oldest = min((item.created_at for item in waiting), default=None)
        trust_age = self._trust_list_age() if self._trust_list_age is not None else None
        return Heartbeat(
            version=__version__,
            queue_depth=counts.pending + counts.in_flight,
            dead_letters=counts.dead,
            oldest_pending_age_s=None
            if oldest is None
            else max(0, int((now - oldest).total_seconds())),
            trust_list_age_s=None if trust_age is None else max(0, int(trust_age)),
            last_sync_at=self._last_sync,
        )

    def heartbeat_if_due(self, *, force: bool = False) -> bool:
        """Report :meth:`heartbeat` to the portal every ``heartbeat_interval_s`` (or now with
        ``force``); True when the portal took it. Never with a paused queue or without a
        credential; a failure is only logged (the next interval is the retry): the fleet
        view is not worth a backoff of its own, and deliveries judge the portal's health."""
        if self._heartbeat_interval is None and not force:
            return False
        now = self._clock()
        if not force and self._next_heartbeat is not None and now < self._next_heartbeat:
            return False
        token = self._token()
        if token is None or self._store.paused() is not None:
            return False
        self._next_heartbeat = now + (self._heartbeat_interval or timedelta(0))
        try:
            self._portal.send_heartbeat(token, self.heartbeat())
        except PORTAL_ERRORS as exc:
            outcome = classify(exc)
            log.info("heartbeat not taken", extra={"error": outcome.message_key})
            return False
        return True

    def purge_if_due(self) -> int:
        """Delete acknowledged registrations past retention, at most every purge interval."""
        now = self._clock()
        if self._next_purge is not None and now < self._next_purge:
            return 0
        self._next_purge = now + self._purge_interval
        return self._store.purge(now)

    def probe(self, *, force: bool = False) -> bool:
        """Ask ``GET /v1/health`` when due; returns ``online``.

        Due every ``probe_interval_s`` while the portal answers, every
        ``offline_probe_interval_s`` while it does not or deliveries are held back. An
        answer after a failure ends the back-off: the waiting items become due now, so a
        restored connection is used at once, not after the (up to minutes long) hold.
        """
        now = self._clock()
        with self._lock:
            hold = self._hold_until
        down = not self._online or hold is not None
        interval = self._offline_probe_interval if down else self._probe_interval
        due = self._last_probe is None or now >= self._last_probe + interval
        if not force and not due:
            return self._online
        self._last_probe = now
        try:
            self._online = bool(self._portal.health())
        except KioskError:
            self._online = False
        if self._online:
            self._last_sync = now
        if self._online and down:
            with self._lock:
                self._hold_until = None
                self._failures = 0
            self.expedite()
            log.info("portal reachable again; delivering the waiting queue now")
        self._emit_queue()
        return self._online

    def _waiting_needlessly(self) -> bool:
        """Online and not holding back, yet items wait for a later attempt (the hold was
        lifted by :meth:`wake`, or another call found the portal back): they are due now."""
        if not self._online or self.hold_until is not None:
            return False
        due = self._store.next_due_at()
        return due is not None and due > self._clock()

    def expedite(self) -> int:
        """Make every waiting (pending) item due now; returns how many were held back."""
        return self._store.expedite(self._clock())

    @property
    def hold_until(self) -> datetime | None:
        """When the back-off after a failed delivery ends (None: not holding back). The
        desk shows it next to a waiting queue; ``deliver_due(force=True)`` ignores it."""
        with self._lock:
            return self._hold_until

    def next_poll_at(self, registration_id: uuid.UUID) -> datetime | None:
        """When the enrollment status of a watched registration is asked next (None when
        it is not watched); grows with back-off while the portal fails."""
        with self._lock:
            watch = self._watches.get(registration_id)
            return watch.next_at if watch is not None else None

    def seconds_until_next(self) -> float:
        """How long the worker thread sleeps before its next delivery or poll is due
        (capped at the idle maximum; 0 when something is due now)."""
        now = self._clock()
        candidates: list[datetime] = []
        if self._store.paused() is None:
            due = self._store.next_due_at()
            if due is not None:
                with self._lock:
                    hold = self._hold_until
                candidates.append(max(due, hold) if hold else due)
        with self._lock:
            candidates.extend(w.next_at for w in self._watches.values())
            hold = self._hold_until
        if self._last_probe is not None and (not self._online or hold is not None):
            # Down or held back: wake for the next probe, which may end the hold early.
            candidates.append(self._last_probe + self._offline_probe_interval)
        if not candidates:
            return self._max_idle_s
        seconds = (min(candidates) - now).total_seconds()
        return min(max(seconds, 0.0), self._max_idle_s)

    # ------------------------------------------------------------------ delivery

    def deliver_due(self, *, force: bool = False) -> SyncReport:
        """Deliver every due pending item now (``force`` ignores a backoff hold)."""
        report = SyncReport()
        try:
            self._deliver(report, force=force)
        finally:
            report.paused = self._store.paused() is not None
            report.online = self._online
            self._emit_queue()
        return report

    def _deliver(self, report: SyncReport, *, force: bool) -> None:
        if self._store.paused() is not None:
            return
        with self._lock:
            hold = self._hold_until
        if hold is not None and not force and self._clock() < hold:
            return
        token = self._token()
        if token is None:
            if self._store.counts().pending:
                self._store.pause(NO_CREDENTIAL, None)
            return
        while not self._stopping.is_set():
            claimed = self._store.claim_next(self._clock())
            if claimed is None:
                return
            item, registration = claimed
            rid = item.registration_id
            self._emit_queue()
            try:
                state = self._portal.put_registration(token, registration)
            except PORTAL_ERRORS as exc:
                outcome = classify(exc)
                self._online = outcome.answered
                if outcome.action is QueueAction.DEAD:
                    self._store.mark_dead(rid, outcome.message_key, outcome.status)
                    report.dead.append(rid)
                    log.warning(
                        "registration rejected",
                        extra={"registration_id": str(rid), "status": outcome.status},
                    )
                    self._emit(RegistrationFailed(rid, outcome.message_key, permanent=True))
                    continue
                if outcome.action is QueueAction.PAUSE:
                    self._store.release(rid)
                    self._store.pause(outcome.message_key, outcome.status)
                    log.warning(
                        "device credential refused; queue paused", extra={"status": outcome.status}
                    )
                    self._emit(RegistrationFailed(rid, outcome.message_key, permanent=False))
                    return
                self._transient(rid, outcome, report)
                return
            self._online = True
            self._last_sync = self._clock()
            with self._lock:
                self._failures = 0
                self._hold_until = None
            self._store.mark_done(rid)
            report.delivered.append(rid)
            log.info("registration delivered", extra={"registration_id": str(rid)})
            self._emit(RegistrationDelivered(rid, state))

    def _transient(self, rid: uuid.UUID, outcome: PortalOutcome, report: SyncReport) -> None:
        with self._lock:
            self._failures += 1
            failures = self._failures
        now = self._clock()
        delay = timedelta(seconds=self._backoff.delay(failures, self._rng, outcome.retry_after))
        with self._lock:
            self._hold_until = now + delay
        self._store.mark_retry(rid, now + delay, outcome.message_key, outcome.status)
        report.retry.append(rid)
        log.info(
            "delivery postponed",
            extra={
                "registration_id": str(rid),
                "error": outcome.message_key,
                "delay_s": round(delay.total_seconds(), 3),
            },
        )
        self._emit(RegistrationFailed(rid, outcome.message_key, permanent=False))

    # ------------------------------------------------------------------ enrollment following

    def watch(self, registration_id: uuid.UUID) -> None:
        """Poll the portal for this registration's status until it is final or unwatched."""
        with self._lock:
            self._watches[registration_id] = _Watch(next_at=self._clock())
        self._wakeup.set()

    def unwatch(self, registration_id: uuid.UUID) -> None:
        """Stop following a registration (e.g. the wizard was cancelled)."""
        with self._lock:
            self._watches.pop(registration_id, None)

    def watching(self) -> set[uuid.UUID]:
        """The registrations being followed."""
        with self._lock:
            return set(self._watches)

    def poll_watches(self) -> None:
        """Poll every watched registration whose next poll time has come."""
        now = self._clock()
        with self._lock:
            due = [rid for rid, w in self._watches.items() if w.next_at <= now]
        if not due:
            return
        interval = timedelta(seconds=self.poll_interval_s)
        token = self._token() if self._store.paused() is None else None
        if token is None:
            # Paused or not enrolled: ask again later (never spin on an overdue watch).
            for rid in due:
                self._reschedule(rid, now + interval)
            return
        for rid in due:
            if self._stopping.is_set():
                return
            item = self._store.item(rid)
            if item is not None and item.state.value != "done":
                # Not at the portal yet: nothing to ask; delivery comes first.
                self._reschedule(rid, now + interval)
                continue
            try:
                state = self._portal.get_registration(token, rid)
            except PORTAL_ERRORS as exc:
                outcome = classify(exc)
                self._online = outcome.answered
                if outcome.action is QueueAction.DEAD:
                    self.unwatch(rid)
                    self._emit(RegistrationFailed(rid, outcome.message_key, permanent=True))
                    continue
                if outcome.action is QueueAction.PAUSE:
                    self._store.pause(outcome.message_key, outcome.status)
                    self._emit_queue()
                    return
                with self._lock:
                    watch = self._watches.get(rid)
                    if watch is None:
                        continue
                    watch.failures += 1
                    failures = watch.failures
                delay = max(
                    self.poll_interval_s,
                    self._backoff.delay(failures, self._rng, outcome.retry_after),
                )
                self._reschedule(rid, now + timedelta(seconds=delay))
                continue
            self._online = True
            with self._lock:
                watch = self._watches.get(rid)
                if watch is None:
                    continue
                changed = watch.last != state.status
                watch.last = state.status
                watch.failures = 0
                watch.next_at = now + interval
                if state.status in TERMINAL:
                    self._watches.pop(rid, None)
            if changed:
                self._emit(EnrollmentStatusChanged(rid, state))

    def _reschedule(self, rid: uuid.UUID, when: datetime) -> None:
        with self._lock:
            watch = self._watches.get(rid)
            if watch is not None:
                watch.next_at = when

    # ------------------------------------------------------------------ code pool

    def refill_pool(self, *, force: bool = False) -> int:
        """Top up the offline code pool when due; returns codes added.

        Tried at most every ``pool_refill_interval_s`` (or now with ``force``); the attempt
        itself tells whether the portal is reachable.
        """
        if self._pool is None or self._store.paused() is not None:
            return 0
        now = self._clock()
        if not force and self._next_refill is not None and now < self._next_refill:
            return 0
        with self._lock:
            hold = self._hold_until
        if not force and hold is not None and now < hold:
            return 0  # deliveries are backing off: the portal is down or busy, leave it be
        self._next_refill = now + self._pool_refill_interval
        try:
            if not self._pool.needs_refill() or self._token() is None:
                return 0
            added = self._pool.refill()
            self._online = True
            return added
        except PORTAL_ERRORS as exc:
            outcome = classify(exc)
            self._online = outcome.answered
            if outcome.action is QueueAction.PAUSE:
                self._store.pause(outcome.message_key, outcome.status)
            elif outcome.action is QueueAction.DEAD:
                log.warning("code pool refused", extra={"error": outcome.message_key})
            else:  # the next refill interval is the retry
                log.info("code pool not refilled", extra={"error": outcome.message_key})
        except StorageFailure as exc:
            log.error("code pool not stored", extra={"error": exc.message_key})
        finally:
            self._emit_queue()
        return 0

    def sync_once(self) -> SyncReport:
        """Deliver everything due now and top up the pool (``kiosk sync once``).

        With nothing to deliver, ``GET /v1/health`` tells whether the portal is reachable.
        """
        report = self.deliver_due(force=True)
        attempted = report.delivered or report.dead or report.retry
        if not attempted and not report.paused:
            report.online = self.probe(force=True)
        if report.online:
            report.codes_added = self.refill_pool(force=True)
            report.online = self._online
            self.heartbeat_if_due()
        return report
