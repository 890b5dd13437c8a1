"""Fleet simulation benchmark (issue 14 item 5): 1,000 kiosks x 10 registrations against
the reference portal on loopback, with and without 10 % injected faults.

Every kiosk has its own store file, device credential and sync worker with the kiosk's
own backoff policy (2 s base, 300 s cap; so with faults the p99 is mostly backoff, as it
would be on a desk). Asserts exactly once (0 lost, 0 duplicated, in the portal's database)
and prints the figures docs/fleet.md reports. SQLite backend only: the PostgreSQL backend
is not built yet.

``FLEET_BENCH_KIOSKS`` / ``FLEET_BENCH_REGISTRATIONS`` / ``FLEET_BENCH_CONCURRENCY`` shrink
or grow the run. Run: ``./dev bench`` or
``pytest tests/benchmarks/test_fleet_sim.py -s -o addopts=""``.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest

from kiosk.cli.fleet_sim import local_portal
from kiosk.fleet.sim import FleetConfig, run_fleet

KIOSKS = int(os.environ.get("FLEET_BENCH_KIOSKS", "1000"))
REGISTRATIONS = int(os.environ.get("FLEET_BENCH_REGISTRATIONS", "10"))
CONCURRENCY = int(os.environ.get("FLEET_BENCH_CONCURRENCY", "64"))


@pytest.mark.benchmark
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("faults", [0.0, 0.1], ids=["no-faults", "10pct-faults"])
def test_fleet_sim_sqlite(tmp_path: Path, faults: float):
    with local_portal(tmp_path / "portal") as (url, counter):
        config = FleetConfig(
            kiosks=KIOSKS,
            registrations=REGISTRATIONS,
            portal_url=url,
            faults=faults,
            concurrency=CONCURRENCY,
            seed=14,
            deadline_s=1500,
        )
        result = run_fleet(config, counter, workdir=tmp_path / "kiosks")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"\nfleet-sim sqlite faults={faults} ({machine}):")
    print(json.dumps(result.to_json(), indent=2))
    assert result.registrations == KIOSKS * REGISTRATIONS
    assert (result.lost, result.duplicated, result.dead) == (0, 0, 0)
    assert result.exactly_once
