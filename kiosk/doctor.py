"""``kiosk doctor``: is this desk ready? Version, reader, camera, portal, clock, trust, disk, queue.

Each check returns a :class:`Check` with a status (ok, warn, fail) and a translated message;
none of them changes anything (the queue's database is only opened when it already exists).
The checks use the real parts through the configuration, so the same code answers on a desk
and in the tests; what differs between them (the clock, the HTTP transport, the free-space
thresholds) is passed in.
"""

from __future__ import annotations

import email.utils
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httpx

from kiosk import version_string
from kiosk.config import Config
from kiosk.errors import InputError, KioskError
from kiosk.i18n import tr
from kiosk.sync.client import check_portal_url, portal_verify

#: A clock this far from the portal's makes expiry countdowns and audit times wrong.
MAX_CLOCK_SKEW_S = 120.0
WARN_FREE_BYTES = 500 * 1024 * 1024
FAIL_FREE_BYTES = 50 * 1024 * 1024


class Status(StrEnum):
    """Outcome of one check."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    status: Status
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        """The message in the current UI language."""
        return tr(self.message_key, **self.params)

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``--json``."""
        return {
            "check": self.name,
            "status": self.status.value,
            "message": self.message(),
            "key": self.message_key,
        }


def check_version() -> Check:
    """Which release and build commit answer (always ok: it tells a help desk what runs)."""
    return Check("version", Status.OK, "doctor.version.ok", {"version": version_string()})


def check_portal(
    config: Config,
    *,
    transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[Check]:
    """The portal answers ``/v1/health``, and this machine's clock agrees with its Date.

    A plain ``http://`` URL off this machine is refused before anything is sent, as the
    sync client refuses it (:func:`kiosk.sync.client.check_portal_url`)."""
    try:
        check_portal_url(config.portal.url)
    except InputError as exc:
        return [Check("portal", Status.FAIL, exc.message_key, {"url": config.portal.url})]
    url = config.portal.url.rstrip("/") + "/v1/health"
    try:
        verify = portal_verify(config)
    except InputError as exc:
        where_ca: dict[str, Any] = {"path": config.portal.ca_file}
        return [Check("portal", Status.FAIL, exc.message_key, where_ca)]
    timeout = min(config.portal.timeout_s, 5.0)
    try:
        with httpx.Client(transport=transport, timeout=timeout, verify=verify) as c:
            response = c.get(url)
    except httpx.HTTPError:
        where: dict[str, Any] = {"url": config.portal.url}
        return [Check("portal", Status.FAIL, "doctor.portal.unreachable", where)]
    if response.status_code != 200 or response.json().get("status") != "ok":
        return [
            Check(
                "portal",
                Status.FAIL,
                "doctor.portal.unhealthy",
                {"url": config.portal.url, "status": response.status_code},
            )
        ]
    checks = [Check("portal", Status.OK, "doctor.portal.ok", {"url": config.portal.url})]
    date = response.headers.get("date")
    if date:
        skew = abs((now() - email.utils.parsedate_to_datetime(date)).total_seconds())
        params = {"seconds": round(skew)}
        if skew > MAX_CLOCK_SKEW_S:
            checks.append(Check("clock", Status.WARN, "doctor.clock.skew", params))
        else:
            checks.append(Check("clock", Status.OK, "doctor.clock.ok", params))
    return checks


def check_reader(config: Config) -> Check:
    """pcscd runs and the configured (or any) reader is there."""
    from kiosk.devices.card import PcscCardReader

    try:
        with PcscCardReader(config.reader) as reader:
            names = reader.readers()
    except KioskError as exc:
        return Check("reader", Status.FAIL, exc.message_key, dict(exc.params))
    wanted = config.reader.name
    if not names:
        return Check("reader", Status.WARN, "doctor.reader.none")
    if wanted and not any(wanted.lower() in name.lower() for name in names):
        return Check("reader", Status.WARN, "doctor.reader.missing", {"name": wanted})
    return Check("reader", Status.OK, "doctor.reader.ok", {"readers": ", ".join(names)})


def check_camera(config: Config) -> Check:
    """The configured camera (or file source) opens and delivers a frame; none is kept."""
    from kiosk.devices.camera import CameraSettings, source_for

    cam = config.camera
    source = source_for(cam.device, CameraSettings(width=cam.width, height=cam.height))
    try:
        source.open()
        frame = source.read()
    except KioskError:
        # Desks without a camera read the MRZ otherwise: a warning, not a failure.
        return Check("camera", Status.WARN, "doctor.camera.unavailable", {"device": cam.device})
    finally:
        source.close()
    if frame is None:
        return Check("camera", Status.WARN, "doctor.camera.no_frame", {"device": cam.device})
    height, width = frame.shape[:2]
    return Check(
        "camera", Status.OK, "doctor.camera.ok", {"device": cam.device, "size": f"{width}x{height}"}
    )


def check_trust(config: Config) -> Check:
    """There are CSCA anchors to verify chips with, and no test anchors on a desk."""
    from kiosk.emrtd.trust import TrustStore

    store = TrustStore.for_config(config)
    if config.trust.test_anchors:
        return Check("trust", Status.WARN, "doctor.trust.test_anchors")
    if len(store) == 0:
        params = {"folder": str(config.trust_dir())}
        return Check("trust", Status.WARN, "doctor.trust.empty", params)
    return Check("trust", Status.OK, "doctor.trust.ok", {"count": len(store)})


def check_disk(
    config: Config, *, warn_bytes: int = WARN_FREE_BYTES, fail_bytes: int = FAIL_FREE_BYTES
) -> Check:
    """Enough free space where the queue lives (a full disk stops new registrations)."""
    folder = config.data_dir()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    params = {"free_mb": free // (1024 * 1024), "folder": str(config.data_dir())}
    if free < fail_bytes:
        return Check("disk", Status.FAIL, "doctor.disk.full", params)
    if free < warn_bytes:
        return Check("disk", Status.WARN, "doctor.disk.low", params)
    return Check("disk", Status.OK, "doctor.disk.ok", params)


def check_queue(config: Config) -> Check:
    """The queue's database opens and passes its integrity check (only if it exists)."""
    from kiosk.store import DB_FILENAME, Store, default_key_provider
    from kiosk.store.keys import is_plain_key_file

    if not (config.data_dir() / DB_FILENAME).exists():
        return Check("queue", Status.OK, "doctor.queue.none")
    try:
        keys = default_key_provider(config.data_dir(), config.storage.key_store)
        store = Store.open(
            config.data_dir() / DB_FILENAME, keys, retention_days=config.storage.retention_days
        )
    except KioskError as exc:
        return Check("queue", Status.FAIL, exc.message_key, dict(exc.params))
    try:
        counts = store.counts()
    finally:
        store.close()
    params = {"pending": counts.pending + counts.in_flight, "dead": counts.dead}
    if is_plain_key_file(keys):
        # The key beside the data: whoever copies the folder (a backup, a stolen disk) has
        # both. Allowed only as an explicit choice, and never quietly.
        return Check(
            "queue", Status.WARN, "doctor.queue.key_file", {**params, "where": keys.describe()}
        )
    return Check("queue", Status.WARN if counts.dead else Status.OK, "doctor.queue.ok", params)


def run_checks(
    config: Config,
    *,
    transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[Check]:
    """Every check, in the order an operator reads them."""
    return [
        check_version(),
        check_reader(config),
        check_camera(config),
        *check_portal(config, transport=transport, now=now),
        check_trust(config),
        check_disk(config),
        check_queue(config),
    ]


def exit_code(checks: list[Check]) -> int:
    """0 all ok, 1 warnings only, 2 any failure."""
    statuses = {c.status for c in checks}
    return 2 if Status.FAIL in statuses else 1 if Status.WARN in statuses else 0


__all__ = ["Check", "Status", "exit_code", "run_checks"]
