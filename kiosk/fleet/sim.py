"""``kiosk fleet-sim``: N simulated kiosks deliver M registrations each, exactly once.

Each simulated kiosk is the real code path of a desk, headless:

- its own store file (:class:`kiosk.store.Store` in its own directory, own key file), in
  which every registration is committed (``Store.enqueue``: on disk before it returns);
- its own device credential, enrolled at the portal by the beheerder (``POST /v1/kiosks``)
  and kept sealed in that store, and the check grant that came with it;
- its own :class:`kiosk.sync.worker.SyncWorker` with its own HTTP client, driven with
  :meth:`~kiosk.sync.worker.SyncWorker.deliver_due` (backoff, retry and dead-letter rules
  are the worker's own, not re-implemented here).

The kiosks run on a bounded thread pool (``concurrency`` kiosks active at once); each
active kiosk commits its registrations one after the other, as a desk does, and delivers
each at once. Latency is measured from the commit on the kiosk to the portal's
acknowledgement (the worker's ``RegistrationDelivered`` event). A kiosk waits for its pool
slot before its first commit, so the figures are per active kiosk, not for 1,000 desks
committing at the same instant.

With ``faults`` the sync traffic goes through :class:`kiosk.fleet.faults.FaultProxy` on
loopback. Afterwards the portal's own database is asked how many rows each registration
id has (:func:`row_counter`: :class:`SqliteRowCounter` or :class:`PostgresRowCounter`):
*delivered* (exactly one row), *lost* (none) and *duplicated* (more than one row for an
id, or a row from a simulated kiosk that no kiosk committed).
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from kiosk.model import CheckMethod, DocumentType, Employee, Registration, WidCheck
from kiosk.store import FileKeyProvider, OutboxState, Store, utc_now
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import PortalClient, is_loopback_host
from kiosk.sync.worker import RegistrationDelivered, SyncEvent, SyncWorker

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 64
DEFAULT_DEADLINE_S = 600.0
MAX_WAIT_S = 0.5  # longest a kiosk sleeps between delivery attempts while it waits
ID_CHUNK = 500  # registration ids per query (SQLite's parameter limit is larger)


class RowCounter(Protocol):
    """Counts the portal's rows per registration id (the exactly-once check)."""

    def counts(self, kiosk_ids: Iterable[str]) -> dict[str, int]:
        """``{registration_id: rows}`` for every row stored for these kiosks."""
        ...


class SqliteRowCounter:
    """Reads the reference portal's SQLite database (read-only) for :class:`RowCounter`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def counts(self, kiosk_ids: Iterable[str]) -> dict[str, int]:
        """Rows per registration id in ``registrations`` for the given kiosks."""
        ids = list(kiosk_ids)
        out: dict[str, int] = {}
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            for start in range(0, len(ids), ID_CHUNK):
                chunk = ids[start : start + ID_CHUNK]
                marks = ",".join("?" * len(chunk))  # placeholders only, never a value
                sql = f"SELECT id, count(*) FROM registrations WHERE kiosk_id IN ({marks}) GROUP BY id"  # noqa: S608, E501
                rows = conn.execute(sql, chunk).fetchall()
                for reg_id, count in rows:
                    out[str(reg_id)] = out.get(str(reg_id), 0) + int(count)
        finally:
            conn.close()
        return out


class PostgresRowCounter:
    """Reads the reference portal's PostgreSQL database for :class:`RowCounter`."""

    def __init__(self, url: str) -> None:
        self.url = url

    def counts(self, kiosk_ids: Iterable[str]) -> dict[str, int]:
        """Rows per registration id in ``registrations`` for the given kiosks."""
        import psycopg

        out: dict[str, int] = {}
        with psycopg.connect(self.url) as conn:
            conn.read_only = True
            rows = conn.execute(
                "SELECT id, count(*) FROM registrations WHERE kiosk_id = ANY(%s) GROUP BY id",
                [list(kiosk_ids)],
            ).fetchall()
        for reg_id, count in rows:
            out[str(reg_id)] = out.get(str(reg_id), 0) + int(count)
        return out


def row_counter(target: str | Path) -> SqliteRowCounter | PostgresRowCounter:
    """The counter for a portal database: a ``postgresql://`` URL or a SQLite file."""
    text = str(target)
    if isinstance(target, str) and text.startswith(("postgresql://", "postgres://")):
        return PostgresRowCounter(text)
    return SqliteRowCounter(Path(target))


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """What to simulate. ``backoff`` defaults to the kiosk's own policy."""

    kiosks: int
    registrations: int
    portal_url: str
    username: str = "demo"
    password: str = "demo"  # noqa: S105 - the documented demo account
    checked_by: str = "demo-beheerder"
    organisation_id: str = "org-1"
    faults: float = 0.0
    concurrency: int = DEFAULT_CONCURRENCY
    seed: int = 0
    deadline_s: float = DEFAULT_DEADLINE_S
    backoff: Backoff = field(default_factory=Backoff)
    timeout_s: float = 10.0


@dataclass(slots=True)
class FleetResult:
    """What the run did, checked against the portal's database."""

    kiosks: int
    registrations: int  # committed on the kiosks
    delivered: int  # exactly one row at the portal
    lost: int  # committed, no row at the portal
    duplicated: int  # extra rows (same id twice, or an id no kiosk committed)
    acknowledged: int  # the kiosks' own view: outbox items done
    dead: int  # outbox items the worker gave up on (permanent answers)
    seconds: float  # from the first commit to the last acknowledgement
    throughput: float  # acknowledged registrations per second over ``seconds``
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    enroll_seconds: float
    faults: dict[str, int]
    proxied_requests: int

    @property
    def exactly_once(self) -> bool:
        """Every committed registration is at the portal exactly once."""
        return self.lost == 0 and self.duplicated == 0 and self.delivered == self.registrations

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return asdict(self) | {"exactly_once": self.exactly_once}


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) of ``values`` by the nearest-rank method; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def tally(committed: set[str], rows: dict[str, int]) -> tuple[int, int, int]:
    """(delivered, lost, duplicated) of the committed ids, given the portal's rows per id.

    Delivered: exactly one row. Lost: no row. Duplicated: every row beyond the first for an
    id, and every row of a simulated kiosk whose id no kiosk committed (a re-send under a
    new id would leave one)."""
    delivered = sum(1 for rid in committed if rows.get(rid) == 1)
    lost = sum(1 for rid in committed if rid not in rows)
    extra = sum(n - 1 for rid, n in rows.items() if rid in committed and n > 1)
    strangers = sum(n for rid, n in rows.items() if rid not in committed)
    return delivered, lost, extra + strangers


def _letters(n: int) -> str:
    """``n`` in letters (a name takes no digits): 0 -> "Aa", 1 -> "Ab", 27 -> "Bb"."""
    out = ""
    while True:
        n, digit = divmod(n, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[digit] + out
        if n == 0:
            break
    return out.rjust(2, "a").capitalize()


def _registration(org: str, checked_by: str, grant: str | None, n: int) -> Registration:
    """A synthetic registration: the ICAO 9303 specimen document, a numbered test name."""
    return Registration(
        organisation_id=org,
        employee=Employee("Simulatie", f"Kiosk-{_letters(n)}", date(1974, 8, 12)),
        wid_check=WidCheck(
            document_type=DocumentType.PASSPORT,
            issuing_country="NLD",
            document_number="L898902C3",
            expiry_date=date(2032, 4, 15),
            method=CheckMethod.MRZ_TYPED,
            chip=None,
            photo_compared=True,
            checked_at=utc_now() - timedelta(seconds=30),
            checked_by=checked_by,
            check_grant=grant,
        ),
    )


@dataclass(slots=True)
class _Kiosk:
    index: int
    directory: Path
    store: Store
    kiosk_id: str
    check_grant: str | None
    committed: dict[uuid.UUID, float] = field(default_factory=dict)
    acked: dict[uuid.UUID, float] = field(default_factory=dict)


class FleetSimulation:
    """Runs one :class:`FleetConfig`; ``counter`` checks the portal's database afterwards.

    Only a loopback portal is accepted: this is a load generator for this machine.
    """

    def __init__(self, config: FleetConfig, counter: RowCounter, *, workdir: Path) -> None:
        if not is_loopback_host(urlsplit(config.portal_url).hostname):
            raise ValueError("fleet-sim only runs against a portal on this machine (loopback)")
        if config.kiosks < 1 or config.registrations < 0 or config.concurrency < 1:
            raise ValueError("kiosks and concurrency must be at least 1")
        self.config = config
        self.counter = counter
        self.workdir = Path(workdir)
        self._deadline = 0.0

    # -- phases -------------------------------------------------------------------------

    def _enroll(self, token: str, client: PortalClient, index: int) -> _Kiosk:
        directory = self.workdir / f"kiosk-{index:05d}"
        directory.mkdir(parents=True, exist_ok=True)
        store = Store.open(directory / "kiosk.sqlite3", FileKeyProvider(directory / "store.key"))
        try:
            credential = client.enroll_kiosk(token, f"sim-{index:05d}")
            store.set_device_credential(credential)
        except BaseException:
            store.close()
            raise
        return _Kiosk(index, directory, store, credential.kiosk_id, credential.check_grant)

    def _run_kiosk(self, kiosk: _Kiosk, portal_url: str) -> None:
        """Commit and deliver this kiosk's registrations, one after the other."""
        config = self.config
        rng = random.Random(config.seed * 1_000_003 + kiosk.index)
        with PortalClient(portal_url, timeout=config.timeout_s) as client:
            worker = SyncWorker(
                kiosk.store, client, kiosk.store.device_token, rng=rng, backoff=config.backoff
            )

            def on_event(event: SyncEvent) -> None:
                if isinstance(event, RegistrationDelivered):
                    kiosk.acked.setdefault(event.registration_id, time.monotonic())

            worker.add_listener(on_event)
            for n in range(config.registrations):
                reg = _registration(
                    config.organisation_id,
                    config.checked_by,
                    kiosk.check_grant,
                    kiosk.index * config.registrations + n,
                )
                kiosk.store.enqueue(reg, config.checked_by)
                kiosk.committed[reg.registration_id] = time.monotonic()
                self._drain(kiosk, worker)
            self._drain(kiosk, worker)
            worker.heartbeat_if_due(force=True)  # the fleet view shows the simulated kiosks

    def _drain(self, kiosk: _Kiosk, worker: SyncWorker) -> None:
        """Drive the worker until nothing is pending (or the deadline passes)."""
        while time.monotonic() < self._deadline:
            worker.deliver_due()
            counts = kiosk.store.counts()
            if counts.pending == 0 and counts.in_flight == 0:
                return
            if kiosk.store.paused() is not None:
                log.warning("simulated kiosk paused", extra={"kiosk": kiosk.index})
                return
            wait = min(worker.seconds_until_next(), MAX_WAIT_S)
            time.sleep(max(wait, 0.001))

    def run(self) -> FleetResult:
        """Enroll the kiosks, deliver, then count the portal's rows."""
        config = self.config
        proxy_cm: Any = contextlib.nullcontext()
        if config.faults > 0:
            from kiosk.fleet.faults import FaultProxy

            parts = urlsplit(config.portal_url)
            if parts.scheme != "http":
                raise ValueError("the fault proxy needs a plain-HTTP (loopback) portal")
            proxy_cm = FaultProxy(
                (parts.hostname or "127.0.0.1", parts.port or 80),
                rate=config.faults,
                seed=config.seed,
            )
        kiosks: list[_Kiosk] = []
        workers = min(config.concurrency, config.kiosks)
        try:
            with proxy_cm as proxy, ThreadPoolExecutor(workers, "fleet-kiosk") as pool:
                started = time.monotonic()
                self._deadline = started + config.deadline_s
                with PortalClient(config.portal_url, timeout=config.timeout_s) as admin:
                    session = admin.sign_in(config.username, config.password)
                    futures = [
                        pool.submit(self._enroll, session.access_token, admin, i)
                        for i in range(config.kiosks)
                    ]
                    kiosks = [f.result() for f in futures]
                enrolled = time.monotonic()
                sync_url = proxy.url if proxy is not None else config.portal_url
                for future in [pool.submit(self._run_kiosk, k, sync_url) for k in kiosks]:
                    future.result()
                return self._result(kiosks, enrolled - started, proxy)
        finally:
            for kiosk in kiosks:
                kiosk.store.close()

    def _result(self, kiosks: list[_Kiosk], enroll_seconds: float, proxy: Any) -> FleetResult:
        committed = {str(rid) for k in kiosks for rid in k.committed}
        rows = self.counter.counts(k.kiosk_id for k in kiosks)
        delivered, lost, duplicated = tally(committed, rows)
        latencies = [
            (k.acked[rid] - t) * 1000.0
            for k in kiosks
            for rid, t in k.committed.items()
            if rid in k.acked
        ]
        first = min((t for k in kiosks for t in k.committed.values()), default=0.0)
        last = max((t for k in kiosks for t in k.acked.values()), default=first)
        seconds = max(last - first, 1e-9)
        acked = sum(len(k.acked) for k in kiosks)
        dead = sum(len(k.store.items(OutboxState.DEAD)) for k in kiosks)
        return FleetResult(
            kiosks=len(kiosks),
            registrations=len(committed),
            delivered=delivered,
            lost=lost,
            duplicated=duplicated,
            acknowledged=acked,
            dead=dead,
            seconds=round(seconds, 3),
            throughput=round(acked / seconds, 1) if acked else 0.0,
            p50_ms=_round(percentile(latencies, 0.50)),
            p99_ms=_round(percentile(latencies, 0.99)),
            max_ms=_round(max(latencies, default=None)),
            enroll_seconds=round(enroll_seconds, 3),
            faults=dict(proxy.faults) if proxy is not None else {},
            proxied_requests=proxy.requests if proxy is not None else 0,
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def run_fleet(
    config: FleetConfig,
    counter: RowCounter,
    *,
    workdir: Path | None = None,
) -> FleetResult:
    """Run a simulation in ``workdir`` (default: a temporary directory, removed after)."""
    if workdir is not None:
        return FleetSimulation(config, counter, workdir=workdir).run()
    with tempfile.TemporaryDirectory(prefix="fleet-sim-") as tmp:
        return FleetSimulation(config, counter, workdir=Path(tmp)).run()
