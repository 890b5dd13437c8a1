"""The reference portal in-process: portal contract v1 (DESIGN.md section 5) over real HTTP.

:class:`PortalServer` runs the ASGI application (:mod:`kiosk.portal.asgi`) on a uvicorn
server in a background thread with its own database
(:class:`kiosk.portal.store.PortalStore`). Tests, ``kiosk demo`` and ``kiosk portal
serve`` (one worker process) run it on a loopback port::

    with PortalServer(":memory:") as portal:
        portal.seed_demo()
        client = PortalClient(portal.url)

``kiosk portal serve --workers N`` runs several worker processes instead
(:func:`kiosk.portal.asgi.serve_workers`), each with its own store on one database file.
"""

from __future__ import annotations

import ssl
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import TracebackType

import uvicorn

from kiosk.portal.app import (
    DEMO_BEHEERDER_ID,
    DEMO_BEHEERDER_NAME,
    DEMO_ORGANISATIONS,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    MAX_BODY_BYTES,
    ROUTES,
    Portal,
    Route,
)
from kiosk.portal.asgi import (
    DEFAULT_BACKLOG,
    DEFAULT_THREADS,
    PortalConfig,
    bind_socket,
    create_app,
    server_tls_context,
)
from kiosk.portal.store import DEFAULT_CODE_TTL, DEFAULT_POOL_TTL, Clock, PortalStore, utc_now

__all__ = [
    "DEMO_BEHEERDER_ID",
    "DEMO_BEHEERDER_NAME",
    "DEMO_ORGANISATIONS",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "MAX_BODY_BYTES",
    "ROUTES",
    "PortalServer",
    "Route",
    "server_tls_context",
]

DEFAULT_WORKERS = DEFAULT_THREADS
STARTUP_TIMEOUT_S = 10.0


class PortalServer:
    """The reference portal on ``host:port`` (port 0 picks a free one) with its database.

    ``db_path`` is a file (WAL mode) or ``None``/``":memory:"``. ``clock`` returns the
    current UTC time (inject one to test expiry); ``code_ttl`` is the life of a code shown
    live, ``pool_ttl`` that of an offline pool code handed over on paper. ``workers`` is
    the number of threads running store calls (the event loop itself never blocks);
    ``backlog`` the listen(2) backlog.
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Clock = utc_now,
        code_ttl: timedelta = DEFAULT_CODE_TTL,
        pool_ttl: timedelta = DEFAULT_POOL_TTL,
        max_failed_sign_ins: int = 5,
        tls: ssl.SSLContext | None = None,
        workers: int = DEFAULT_WORKERS,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        self.store = PortalStore(db_path, clock=clock, code_ttl=code_ttl, pool_ttl=pool_ttl)
        self.portal = Portal(self.store, max_failed_sign_ins=max_failed_sign_ins)
        self.limiter = self.portal.limiter
        self._host = host
        self._port = port
        self._tls = tls
        self._workers = max(1, workers)
        self._backlog = backlog
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> PortalServer:
        """Bind (OSError if the port is taken) and serve in a background thread; returns self."""
        if self._server is not None:
            return self
        sock = bind_socket(self._host, self._port, self._backlog)
        self._port = int(sock.getsockname()[1])
        config = PortalConfig(
            create_app(self.portal, threads=self._workers), tls=self._tls, backlog=self._backlog
        )
        server = uvicorn.Server(config)  # signal handlers: uvicorn skips them off the main thread
        failed: list[BaseException] = []

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as err:
                failed.append(err)
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="portal-server", daemon=True)
        self._server = server
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            self.stop()
            raise OSError(f"the portal server did not start: {failed[0] if failed else 'timeout'}")
        return self

    def stop(self) -> None:
        """Stop gracefully (answers in progress finish, idle keep-alives close), then
        close the database."""
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
            self._thread = None
        self.store.close()

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``https://127.0.0.1:43211`` (no trailing slash; ``http`` without TLS)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://{host}:{self._port}"

    # -- accounts -----------------------------------------------------------------------

    def seed_demo(self) -> None:
        """Add the demo beheerder ``demo``/``demo`` managing two organisations (idempotent)."""
        self.portal.seed_demo()

    def add_beheerder(
        self,
        username: str,
        name: str,
        password: str,
        organisations: list[tuple[str, str]],
        *,
        beheerder_id: str | None = None,
        totp_secret: str | None = None,
    ) -> str:
        """Create (or rename) the organisations and a beheerder managing them."""
        for org_id, org_name in organisations:
            self.store.add_organisation(org_id, org_name)
        return self.store.add_beheerder(
            username,
            name,
            password,
            [org_id for org_id, _ in organisations],
            beheerder_id=beheerder_id,
            totp_secret=totp_secret,
        )
