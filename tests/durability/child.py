"""A real child process for the kill -9 tests: it writes to a real store file and is killed.

python -m tests.durability.child enqueue DB KEY
    enqueue registrations forever, printing each id once enqueue() has returned
python -m tests.durability.child sync DB KEY PORTAL_URL MARKER STALL_AFTER
    deliver the queue to the portal; after STALL_AFTER successful PUTs the next PUT
    reaches the portal, then the process writes MARKER and hangs before recording
    "done" (the window where a crash forces a redelivery)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kiosk.store import FileKeyProvider, Store
from kiosk.sync.client import PortalClient
from kiosk.sync.worker import SyncWorker
from tests.unit.store.factories import make_registration


class StallingPortal:
    """Delegates to the real client; hangs right after the (N+1)th PUT was answered."""

    def __init__(self, client: PortalClient, marker: Path, stall_after: int) -> None:
        self._client = client
        self._marker = marker
        self._left = stall_after

    def __getattr__(self, name):
        return getattr(self._client, name)

    def put_registration(self, token, registration):
        state = self._client.put_registration(token, registration)
        if self._left == 0:
            # Write then rename: the parent polls for the marker and must never see it
            # created but still empty.
            partial = self._marker.with_suffix(".partial")
            partial.write_text(str(registration.registration_id))
            partial.replace(self._marker)
            while True:
                time.sleep(1)  # killed here
        self._left -= 1
        return state


def main(argv: list[str]) -> int:
    mode, db, key = argv[0], Path(argv[1]), FileKeyProvider(Path(argv[2]))
    store = Store.open(db, key)
    if mode == "enqueue":
        while True:
            registration = make_registration(checked_by="demo-beheerder")
            store.enqueue(registration, "demo-beheerder")
            print(registration.registration_id, flush=True)
    if mode == "sync":
        url, marker, stall_after = argv[3], Path(argv[4]), int(argv[5])
        with PortalClient(url) as client:
            portal = StallingPortal(client, marker, stall_after)
            SyncWorker(store, portal, store.device_token).deliver_due()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
