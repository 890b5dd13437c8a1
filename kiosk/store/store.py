"""The durable, encrypted registration queue (DESIGN.md sections 6 and 7): the façade.

One SQLite file in WAL mode with ``synchronous=FULL``: a registration and its outbox row are
written in one transaction and :meth:`Store.enqueue` returns only after the commit is on
disk, which is what lets the UI say "saved". :class:`Store` is what callers use; each job
lives in its own module behind it:

- :mod:`kiosk.store.connection`: opening, pragmas, quarantine, transactions, closing
  (and :mod:`kiosk.store.failures`: which SQLite errors are environment failures);
- :mod:`kiosk.store.migrations`: the schema, applied by :mod:`kiosk.sqlitemigrate`;
- :mod:`kiosk.store.registrations`: the registrations and their sealed personal fields
  (:mod:`kiosk.store.crypto`: AES-GCM, AAD binding table, row id and column);
- :mod:`kiosk.store.outbox`: ``pending -> in_flight -> done`` or ``-> dead``;
- :mod:`kiosk.store.credential`: the device credential and the queue pause;
- :mod:`kiosk.store.codepool`: the offline enrollment codes;
- :mod:`kiosk.store.handovers`: the open handovers (QR not scanned yet);
- :mod:`kiosk.store.retention`: purging acknowledged registrations with ``secure_delete``;
- :mod:`kiosk.store.audit`: the HMAC hash chain of who checked what and when.

All methods are thread-safe (one connection guarded by a lock): the UI thread enqueues while
the sync worker thread delivers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.errors import StorageFailure
from kiosk.model import DeviceCredential, Enrollment, Registration, RegistrationStatus
from kiosk.store.audit import AuditChain, AuditEntry
from kiosk.store.codepool import CodePool
from kiosk.store.connection import StoreConnection
from kiosk.store.credential import Credentials, PauseInfo
from kiosk.store.crypto import FieldCipher
from kiosk.store.handovers import HandoverRecord, Handovers
from kiosk.store.keys import KeyProvider
from kiosk.store.migrations import MIGRATIONS, SCHEMA_VERSION
from kiosk.store.outbox import Outbox, OutboxItem, OutboxState, QueueCounts
from kiosk.store.registrations import Registrations
from kiosk.store.retention import Retention
from kiosk.store.times import Clock, utc_now

_KEY_CHECK = "zorgid-kiosk store key check"


class Store:
    """The kiosk's local database. Create with :meth:`open`; close with :meth:`close`."""

    def __init__(
        self, db: StoreConnection, cipher: FieldCipher, clock: Clock, retention_days: int
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = AuditChain(db, cipher, clock)
        self._registrations = Registrations(db, cipher, clock, self._audit)
        self._outbox = Outbox(db, clock, self._audit, self._registrations.load)
        self._credentials = Credentials(db, cipher, clock, self._audit)
        self._pool = CodePool(db, cipher, clock)
        self._handovers = Handovers(db, cipher, clock)
        self._retention = Retention(db, clock, self._audit, retention_days)

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(
        cls,
        path: Path,
        key_provider: KeyProvider,
        *,
        clock: Clock = utc_now,
        retention_days: int = 30,
        max_pages: int | None = None,
    ) -> Store:
        """Open (creating or migrating) the store at ``path``.

        Raises :class:`StorageFailure` with a message key the UI can show:
        ``store.error.corrupt`` (the file failed ``PRAGMA quick_check``; it has been moved
        aside, never deleted, and ``params["kept"]`` names where), ``store.error.key_missing``
        (a database with data but no key: the key is never regenerated for old data),
        ``store.error.key_mismatch``, ``store.error.newer_schema``, ``store.error.disk_full``
        or ``store.error.io``. ``max_pages`` caps the file size (``PRAGMA max_page_count``)
        for deployments with a small disk quota and for full-disk tests.
        """
        db = StoreConnection.open(Path(path), max_pages=max_pages)
        try:
            version = db.user_version()
            tables = db.query("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
            if version > SCHEMA_VERSION:
                raise StorageFailure("store.error.newer_schema", version=version)
            key = key_provider.load()
            if key is None:
                if version > 0 or tables[0]["n"]:
                    raise StorageFailure("store.error.key_missing", where=key_provider.describe())
                key = key_provider.create()
            cipher = FieldCipher(key)
            db.migrate(MIGRATIONS)
            _check_key(db, cipher)
            store = cls(db, cipher, clock, retention_days)
            store._outbox.recover_in_flight()
            return store
        except BaseException:
            db.abandon()
            raise

    @property
    def path(self) -> Path:
        """The database file."""
        return self._db.path

    @property
    def retention_days(self) -> int:
        """How long acknowledged registrations are kept before :meth:`purge` removes them."""
        return self._retention.days

    def now(self) -> datetime:
        """The current time by the store's (injectable) clock."""
        return self._clock()

    def pragmas(self) -> dict[str, Any]:
        """The connection's durability and privacy settings (see ``StoreConnection.pragmas``)."""
        return self._db.pragmas()

    def close(self) -> None:
        """Checkpoint the WAL and close the connection."""
        self._db.close()

    def abandon(self) -> None:
        """Drop the connection without an orderly shutdown, as a killed process would.

        For crash-recovery tests: nothing is checkpointed or written, committed work is
        already durable and in-flight items are recovered by the next :meth:`open`.
        """
        self._db.abandon()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ registrations

    def enqueue(self, registration: Registration, beheerder_id: str) -> None:
        """Store ``registration`` and its outbox row in one transaction (see ``Registrations``).

        Returns only after the commit is on disk; enqueuing the same registration again is a
        no-op, the same id with different data raises ``store.error.duplicate``.
        """
        self._registrations.enqueue(registration, beheerder_id)

    def load_registration(self, registration_id: uuid.UUID) -> Registration:
        """Decrypt and return a queued registration (raises ``store.error.not_found``)."""
        return self._registrations.load(registration_id)

    def masked_document_number(self, registration_id: uuid.UUID) -> str:
        """The document number masked to its last three characters, for a person to match."""
        return self._registrations.masked_document_number(registration_id)

    # ------------------------------------------------------------------ outbox

    def item(self, registration_id: uuid.UUID) -> OutboxItem | None:
        """The outbox item of one registration, or ``None``."""
        return self._outbox.item(registration_id)

    def items(self, *states: OutboxState) -> list[OutboxItem]:
        """Outbox items, oldest first, optionally only in the given states."""
        return self._outbox.items(*states)

    def counts(self) -> QueueCounts:
        """Number of items per state."""
        return self._outbox.counts()

    def next_due_at(self) -> datetime | None:
        """When the earliest pending item may next be tried (``None``: nothing pending)."""
        return self._outbox.next_due_at()

    def claim_next(self, now: datetime | None = None) -> tuple[OutboxItem, Registration] | None:
        """Move the oldest due pending item to ``in_flight`` and return it with its data.

        An unreadable item is made dead with ``store.error.decrypt`` and skipped.
        """
        return self._outbox.claim_next(now)

    def expedite(self, now: datetime) -> int:
        """Make every pending item that waits for a later attempt due at ``now``."""
        return self._outbox.expedite(now)

    def mark_done(self, registration_id: uuid.UUID) -> None:
        """The portal acknowledged the registration (201 or 200)."""
        self._outbox.mark_done(registration_id)

    def mark_retry(
        self,
        registration_id: uuid.UUID,
        next_attempt_at: datetime,
        error_key: str,
        status: int | None = None,
    ) -> None:
        """A transient failure: back to ``pending``, not before ``next_attempt_at``."""
        self._outbox.mark_retry(registration_id, next_attempt_at, error_key, status)

    def release(self, registration_id: uuid.UUID) -> None:
        """Return an in-flight item to ``pending`` without counting the attempt (queue paused)."""
        self._outbox.release(registration_id)

    def mark_dead(self, registration_id: uuid.UUID, error_key: str, status: int | None) -> None:
        """A permanent answer: keep the item, stop retrying until a person says so."""
        self._outbox.mark_dead(registration_id, error_key, status)

    def retry(self, registration_id: uuid.UUID, beheerder_id: str | None = None) -> bool:
        """A person retries a dead item: ``pending`` and due now; False when it was not dead."""
        return self._outbox.retry(registration_id, beheerder_id)

    # ------------------------------------------------------------------ pause and credential

    def paused(self) -> PauseInfo | None:
        """Why the queue is paused, or ``None`` when it runs."""
        return self._credentials.paused()

    def pause(self, reason_key: str, status: int | None) -> None:
        """Pause the whole queue (401/403: the kiosk's credential is not accepted)."""
        self._credentials.pause(reason_key, status)

    def resume(self) -> None:
        """Lift a pause (the credential was fixed)."""
        self._credentials.resume()

    def set_device_credential(self, credential: DeviceCredential) -> None:
        """Store the kiosk's device credential (token encrypted) and lift any pause."""
        self._credentials.set(credential)

    def get_device_credential(self) -> DeviceCredential | None:
        """The kiosk's device credential, or ``None`` before the kiosk was enrolled."""
        return self._credentials.get()

    def kiosk_id(self) -> str | None:
        """The kiosk's id at the portal (None before enrolment): named at sign-in so the
        portal issues the beheerder's check grant for this kiosk."""
        credential = self._credentials.get()
        return credential.kiosk_id if credential else None

    def device_token(self) -> str | None:
        """The device token alone (a ``device_token_provider`` for the sync worker)."""
        credential = self._credentials.get()
        return credential.device_token if credential else None

    # ------------------------------------------------------------------ offline code pool

    def pool_add(self, enrollments: list[Enrollment]) -> None:
        """Keep reserved, unbound enrollment codes (sealed) for offline registrations."""
        self._pool.add(enrollments)

    def pool_count(self, valid_until: datetime) -> int:
        """How many pooled codes stay valid at least until ``valid_until``."""
        return self._pool.count(valid_until)

    def pool_take(self, valid_until: datetime) -> Enrollment | None:
        """Remove and return the pooled code expiring soonest after ``valid_until``."""
        return self._pool.take(valid_until)

    def pool_discard_expired(self, now: datetime | None = None) -> int:
        """Delete pooled codes that have expired; returns how many."""
        return self._pool.discard_expired(now)

    # ------------------------------------------------------------------ open handovers

    def handover_open(
        self,
        registration_id: uuid.UUID,
        organisation_id: str,
        call_name: str,
        enrollment: Enrollment | None,
        *,
        pooled: bool = False,
    ) -> None:
        """Follow a saved registration's handover until its QR is scanned or stopped."""
        self._handovers.open(registration_id, organisation_id, call_name, enrollment, pooled=pooled)

    def handover_set_enrollment(self, registration_id: uuid.UUID, enrollment: Enrollment) -> bool:
        """The handover's new code (delivered or renewed); False when it is not open."""
        return self._handovers.set_enrollment(registration_id, enrollment)

    def handover_set_status(self, registration_id: uuid.UUID, status: RegistrationStatus) -> bool:
        """The portal's status of the handover's code; False when it is not open."""
        return self._handovers.set_status(registration_id, status)

    def handover_close(self, registration_id: uuid.UUID) -> bool:
        """Enrolled or stopped: forget the handover."""
        return self._handovers.close(registration_id)

    def handover(self, registration_id: uuid.UUID) -> HandoverRecord | None:
        """One open handover (decrypted), or None."""
        return self._handovers.get(registration_id)

    def handovers(self) -> list[HandoverRecord]:
        """Every open handover, oldest first (decrypted)."""
        return self._handovers.all()

    # ------------------------------------------------------------------ retention

    def purge(self, now: datetime | None = None) -> int:
        """Delete acknowledged registrations older than ``retention_days``; returns how many."""
        return self._retention.purge(now)

    # ------------------------------------------------------------------ audit chain

    def record_audit(
        self,
        event: str,
        beheerder_id: str | None,
        registration_id: uuid.UUID | None = None,
        method: str | None = None,
    ) -> None:
        """Append an event (e.g. a WID check by a beheerder) to the audit chain.

        Only identifiers and the method: never a name or a document number.
        """
        self._audit.record(event, beheerder_id, registration_id, method)

    def audit_entries(self) -> list[AuditEntry]:
        """The audit log, oldest first."""
        return self._audit.entries()

    def verify_audit_chain(self) -> bool:
        """Recompute every link; False when any entry was altered, removed or inserted."""
        return self._audit.verify()


def _check_key(db: StoreConnection, cipher: FieldCipher) -> None:
    """Refuse a key that is not the database's own (``store.error.key_mismatch``).

    A new database stores a known text sealed under its key; opening it again must open
    that text, so a wrong key is noticed at once instead of at the first queued item.
    """
    rows = db.query("SELECT value FROM meta WHERE key = 'key_check'")
    if not rows:
        sealed = cipher.seal("meta", "key_check", "value", _KEY_CHECK)
        with db.tx() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('key_check', ?)", (sealed,))
        return
    try:
        ok = cipher.open("meta", "key_check", "value", rows[0]["value"]) == _KEY_CHECK
    except StorageFailure:
        ok = False
    if not ok:
        raise StorageFailure("store.error.key_mismatch")
