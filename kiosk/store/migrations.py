"""The store's schema as migration steps, applied in order by :mod:`kiosk.sqlitemigrate`.

``MIGRATIONS[n]`` takes a database from ``PRAGMA user_version`` ``n`` to ``n + 1``. Each runs
in the same transaction as the ``user_version`` bump, so a crash mid-migration leaves the
old schema. Never edit a released migration; append a new one.

Personal columns (BLOB) hold AES-GCM ciphertext (:mod:`kiosk.store.crypto`); everything
needed to manage the queue (ids, states, attempts, times, error keys) is in clear.
"""

from __future__ import annotations

from kiosk.sqlitemigrate import Step

MIGRATIONS: tuple[Step, ...] = (
    # 0 -> 1: the registration queue, device credential, offline code pool and audit chain.
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value BLOB
    );
    CREATE TABLE registrations (
        registration_id TEXT PRIMARY KEY,
        organisation_id TEXT NOT NULL,
        beheerder_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        document_type TEXT NOT NULL,
        issuing_country TEXT NOT NULL,
        method TEXT NOT NULL,
        chip TEXT,
        photo_compared INTEGER NOT NULL,
        checked_at TEXT NOT NULL,
        checked_by TEXT NOT NULL,
        given_names BLOB NOT NULL,
        surname BLOB NOT NULL,
        date_of_birth BLOB NOT NULL,
        document_number BLOB NOT NULL,
        expiry_date BLOB NOT NULL,
        enrollment_code BLOB
    );
    CREATE TABLE outbox (
        registration_id TEXT PRIMARY KEY
            REFERENCES registrations(registration_id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        last_status INTEGER,
        updated_at TEXT NOT NULL,
        done_at TEXT
    );
    CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
    CREATE TABLE device_credential (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        kiosk_id TEXT NOT NULL,
        device_token BLOB NOT NULL,
        stored_at TEXT NOT NULL
    );
    CREATE TABLE code_pool (
        code_id TEXT PRIMARY KEY,
        code BLOB NOT NULL,
        qr_payload BLOB NOT NULL,
        expires_at TEXT NOT NULL,
        reserved_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        beheerder_id TEXT,
        registration_id TEXT,
        method TEXT,
        mac BLOB NOT NULL
    );
    """,
    # 1 -> 2: the portal's check grant travels (sealed) with the registration it vouches
    # for; the device credential's expiry, so the sync worker can rotate it in time.
    """
    ALTER TABLE registrations ADD COLUMN check_grant BLOB;
    ALTER TABLE device_credential ADD COLUMN expires_at TEXT;
    """,
    # 2 -> 3: open handovers (issue 11): the QR of a saved registration can be shown again
    # until it is scanned; sealed call name and code, purged with the registration.
    """
    CREATE TABLE handovers (
        registration_id TEXT PRIMARY KEY
            REFERENCES registrations(registration_id) ON DELETE CASCADE,
        organisation_id TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        call_name BLOB NOT NULL,
        code BLOB,
        qr_payload BLOB,
        expires_at TEXT,
        pooled INTEGER NOT NULL DEFAULT 0,
        status TEXT
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
