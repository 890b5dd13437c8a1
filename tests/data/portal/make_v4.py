"""How tests/data/portal/portal-v4.sqlite3 was made (kept for the record, not run by tests).

With the code *before* the database seam (commit ad36225, schema 4 by sqlite-utils) on the
import path: ``git archive ad36225 kiosk tests | tar -x -C /tmp/old`` then
``cd /tmp/old && PYTHONPATH=. python make_v4.py OUT`` (this file copied there); then
``VACUUM``. portal-v4.json records the secrets the test needs (a throwaway demo portal).
"""

import json
import sys
import uuid
from pathlib import Path

from kiosk.portal.server import DEMO_BEHEERDER_ID
from kiosk.portal.store import SCHEMA_VERSION, PortalStore
from tests.integration.portal.conftest import START, body, registration

assert SCHEMA_VERSION == 4
out = Path(sys.argv[1])
store = PortalStore(out / "portal-v4.sqlite3", clock=lambda: START)
store.add_organisation("org-1", "Zorg Eén")
store.add_organisation("org-2", "Zorg Twee")
store.add_beheerder(
    "demo", "Demo Beheerder", "demo", ["org-1", "org-2"], beheerder_id=DEMO_BEHEERDER_ID
)
signed = store.sign_in("demo", "demo", None)
beheerder = store.principal(signed.access_token)
enrolled = store.enroll_kiosk(beheerder, "balie 1")
device = store.principal(enrolled.device_token)
reg_id = str(uuid.uuid4())
created, state = store.put_registration(
    device, reg_id, body(registration(check_grant=enrolled.check_grant))
)
assert created
pool = store.reserve_codes(device, 2)
store.record_heartbeat(
    device,
    {
        "version": "0.1.0",
        "queue_depth": 1,
        "dead_letters": 0,
        "oldest_pending_age_s": 5,
        "trust_list_age_s": None,
        "last_sync_at": "2026-11-28T09:58:00Z",
    },
)
store.close()
facts = {
    "made_by": "kiosk/portal/store.py at ad36225 (schema 4, sqlite-utils): make_v4.py",
    "device_token": enrolled.device_token,
    "check_grant": enrolled.check_grant,
    "kiosk_id": enrolled.kiosk_id,
    "registration_id": reg_id,
    "qr_payload": state["enrollment"]["qr_payload"],
    "pool_codes": [c["code"] for c in pool],
}
(out / "portal-v4.json").write_text(json.dumps(facts, indent=2) + "\n")
