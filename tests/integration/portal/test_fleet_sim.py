"""``kiosk fleet-sim`` end to end: simulated kiosks deliver exactly once, with and without
injected faults, checked in the reference portal's own database."""

from __future__ import annotations

import io
import json
from argparse import Namespace
from pathlib import Path

import httpx
import pytest

from kiosk.cli.fleet_sim import local_portal
from kiosk.cli.main import build_parser
from kiosk.fleet.faults import FAULT_KINDS, FaultProxy
from kiosk.fleet.sim import (
    FleetConfig,
    FleetSimulation,
    percentile,
    run_fleet,
    tally,
)
from kiosk.sync.backoff import Backoff

FAST = Backoff(base_s=0.05, cap_s=0.5)  # the kiosk's policy, compressed in time


@pytest.mark.timeout(120)
@pytest.mark.parametrize("faults", [0.0, 0.3])
def test_twenty_kiosks_deliver_exactly_once(tmp_path: Path, faults: float):
    with local_portal(tmp_path / "portal") as (url, counter):
        config = FleetConfig(
            kiosks=20,
            registrations=3,
            portal_url=url,
            faults=faults,
            backoff=FAST,
            seed=7,
            concurrency=20,
            deadline_s=60,
        )
        result = run_fleet(config, counter, workdir=tmp_path / "kiosks")
    assert result.registrations == 60
    assert (result.delivered, result.lost, result.duplicated, result.dead) == (60, 0, 0, 0)
    assert result.acknowledged == 60 and result.exactly_once
    assert result.p50_ms is not None and result.p99_ms is not None
    assert 0 < result.p50_ms <= result.p99_ms <= (result.max_ms or 0)
    assert result.throughput > 0
    if faults:
        # Faults did happen, among them those after the portal committed (the answer lost).
        assert sum(result.faults.values()) >= 5
        assert result.faults.keys() & {"drop_response", "reset", "bad_gateway"}
    else:
        assert result.faults == {} and result.proxied_requests == 0
    # Every kiosk has its own store file and its own credential.
    assert len(list((tmp_path / "kiosks").glob("kiosk-*/kiosk.sqlite3"))) == 20


def test_the_check_can_fail(tmp_path: Path):
    """The exactly-once check must be able to fail: a row forged into the portal's database
    (what a kiosk re-sending under a new id would leave) counts as a duplicate."""
    import sqlite3

    with local_portal(tmp_path / "portal") as (url, counter):
        config = FleetConfig(kiosks=2, registrations=1, portal_url=url, backoff=FAST)
        assert run_fleet(config, counter, workdir=tmp_path / "kiosks").exactly_once
        db = sqlite3.connect(counter.path)
        rows = db.execute("SELECT id, kiosk_id FROM registrations").fetchall()
        stranger = "00000000-0000-4000-8000-000000000000"
        db.execute(
            "INSERT INTO registrations (id, kiosk_id, organisation_id) VALUES (?, ?, 'org-1')",
            [stranger, rows[0][1]],
        )
        db.commit()
        db.close()
        counts = counter.counts([kiosk_id for _, kiosk_id in rows])
    committed = {reg_id for reg_id, _ in rows}
    assert counts == {**dict.fromkeys(committed, 1), stranger: 1}
    assert tally(committed, counts) == (2, 0, 1)
    assert tally(committed | {"lost-one"}, {**counts, stranger: 2}) == (2, 1, 2)
    assert tally(committed, dict.fromkeys(committed, 2)) == (0, 0, 2)


def test_only_a_loopback_portal(tmp_path: Path):
    with pytest.raises(ValueError, match="loopback"):
        FleetSimulation(
            FleetConfig(kiosks=1, registrations=1, portal_url="https://portal.example.org"),
            counter=None,  # type: ignore[arg-type]
            workdir=tmp_path,
        )


def test_percentile_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.99) == 5.0
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0


def test_proxy_faults_each_kind(tmp_path: Path):
    """Each kind does what it says to a plain HTTP exchange."""
    with local_portal(tmp_path) as (url, _counter):
        port = int(url.rsplit(":", 1)[1])
        for kind in FAULT_KINDS:
            with FaultProxy(("127.0.0.1", port), rate=1.0, kinds=(kind,)) as proxy:
                try:
                    answer = httpx.get(proxy.url + "/v1/health", timeout=5)
                except httpx.TransportError:
                    assert kind in ("drop_request", "drop_response", "reset")
                else:
                    expected = {"bad_gateway": 502, "unavailable": 503, "delay": 200}[kind]
                    assert answer.status_code == expected
                assert proxy.faults == {kind: 1}
        with FaultProxy(("127.0.0.1", port), rate=0.0) as proxy, httpx.Client() as client:
            for _ in range(3):  # keep-alive through the proxy
                assert client.get(proxy.url + "/v1/health").json() == {"status": "ok"}
            assert proxy.requests == 3 and not proxy.faults


@pytest.mark.timeout(120)
def test_cli_json_and_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    parser = build_parser()
    argv = ["fleet-sim", "--kiosks", "3", "--registrations", "2", "--faults", "0.2"]
    argv += ["--backoff-base", "0.05", "--backoff-cap", "0.5", "--seed", "3"]
    out = io.StringIO()
    args: Namespace = parser.parse_args([*argv, "--json"])
    assert args.handler(args, stdout=out) == 0
    data = json.loads(out.getvalue())
    assert data["exactly_once"] and data["delivered"] == 6 and data["lost"] == 0
    text = io.StringIO()
    args = parser.parse_args(argv)
    assert args.handler(args, stdout=text) == 0
    assert "6 precies één keer afgeleverd, 0 kwijt, 0 dubbel" in text.getvalue()
    bad = io.StringIO()
    args = parser.parse_args([*argv, "--portal", "http://127.0.0.1:1"])
    assert args.handler(args, stdout=bad) == 2  # --portal needs --portal-db for the check


@pytest.mark.timeout(120)
def test_cli_against_a_portal_on_postgresql_checks_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_portal_url: str
):
    """``--portal URL --portal-db postgresql://...``: the check reads PostgreSQL, and a
    registration forged into it counts as a duplicate (the check can fail there too)."""
    from kiosk.fleet.sim import PostgresRowCounter, row_counter
    from kiosk.portal import PortalServer

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert isinstance(row_counter(pg_portal_url), PostgresRowCounter)
    with PortalServer(pg_portal_url) as portal:
        portal.seed_demo()
        argv = ["fleet-sim", "--kiosks", "3", "--registrations", "2", "--faults", "0.2"]
        argv += ["--backoff-base", "0.05", "--backoff-cap", "0.5", "--seed", "3"]
        argv += ["--portal", portal.url, "--portal-db", pg_portal_url, "--json"]
        out = io.StringIO()
        args: Namespace = build_parser().parse_args(argv)
        assert args.handler(args, stdout=out) == 0
        data = json.loads(out.getvalue())
        assert data["exactly_once"] and data["delivered"] == 6 and data["duplicated"] == 0
        import psycopg

        with psycopg.connect(pg_portal_url) as conn:
            kiosk_id = conn.execute("SELECT kiosk_id FROM registrations LIMIT 1").fetchone()[0]
            conn.execute(
                "INSERT INTO registrations (id, kiosk_id, organisation_id)"
                " VALUES ('00000000-0000-4000-8000-000000000000', %s, 'org-1')",
                [kiosk_id],
            )
        counts = PostgresRowCounter(pg_portal_url).counts([kiosk_id])
    assert counts["00000000-0000-4000-8000-000000000000"] == 1 and sum(counts.values()) >= 2
