"""``kiosk portal serve`` and ``kiosk portal add-beheerder`` as an operator uses them."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from kiosk.cli.main import build_parser
from kiosk.cli.portal import run_add_beheerder, run_serve
from kiosk.paths import resource
from kiosk.sync.client import PortalClient

ROOT = Path(__file__).resolve().parents[3]


def _add(db: Path | str, *extra: str, password: str = "s3cret\n") -> tuple[int, str]:
    args = build_parser().parse_args(
        ["portal", "add-beheerder", "--db", str(db), "--password-stdin", *extra]
    )
    out = io.StringIO()
    return run_add_beheerder(args, stdin=io.StringIO(password), stdout=out), out.getvalue()


def test_add_beheerder_then_serve_subprocess_until_sigterm(tmp_path: Path):
    db = tmp_path / "portal.db"
    code, out = _add(
        db,
        "--username", "jdevries",
        "--name", "Jan de Vries",
        "--organisation", "org-7:Zorg Zeven",
        "--organisation", "org-8:Zorg Acht",
    )  # fmt: skip
    assert code == 0, out
    assert "jdevries" in out and "org-7, org-8" in out
    again, out = _add(db, "--username", "jdevries", "--name", "X", "--organisation", "org-7:Z")
    assert again == 1
    bad, out = _add(db, "--username", "x", "--name", "X", "--organisation", "no-colon")
    assert bad == 2

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli.main", "portal", "serve", "--port", "0", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert found, first
        url = found.group(0)
        with PortalClient(url) as client:
            assert client.health()
            session = client.sign_in("jdevries", "s3cret")
            assert session.beheerder_name == "Jan de Vries"
            assert [o.id for o in session.organisations] == ["org-7", "org-8"]
        served = httpx.get(f"{url}/v1/openapi.json", timeout=10)
        assert served.content == resource("openapi", "portal-v1.json").read_bytes()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        stderr = process.stderr.read() if process.stderr else ""
        if process.stdout:
            process.stdout.close()
        if process.stderr:
            process.stderr.close()
    # The JSON request log names routes, never bodies or passwords.
    assert "s3cret" not in stderr
    assert '"route": "/v1/auth/token"' in stderr


def test_serve_demo_in_process_and_empty_hint(tmp_path: Path):
    for demo in (True, False):
        argv = ["portal", "serve", "--port", "0", "--db", str(tmp_path / f"p{demo}.db")]
        args = build_parser().parse_args(argv + (["--demo"] if demo else []))
        out, stop, ready = io.StringIO(), threading.Event(), threading.Event()
        thread = threading.Thread(target=run_serve, args=(args, out, stop, ready))
        thread.start()
        try:
            assert ready.wait(10)
            text = out.getvalue()
            url = re.search(r"http://127\.0\.0\.1:\d+", text)
            assert url
            if demo:
                assert "demo" in text and "Zorggroep Oost" in text
                with PortalClient(url.group(0)) as client:
                    assert client.sign_in("demo", "demo").beheerder_name == "Demo Beheerder"
            else:
                assert "kiosk portal add-beheerder" in text
        finally:
            stop.set()
            thread.join(10)


def test_serve_reports_a_busy_port(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = build_parser().parse_args(
            ["portal", "serve", "--port", str(port), "--db", str(tmp_path / "p.db")]
        )
        out = io.StringIO()
        assert run_serve(args, out) == 2
        assert str(port) in out.getvalue()


def test_help_lists_portal_and_app_sim():
    text = build_parser().format_help()
    assert "portal" in text and "app-sim" in text


def test_add_beheerder_and_serve_on_a_postgresql_url(pg_portal_url: str):
    code, out = _add(
        pg_portal_url,
        "--username", "jdevries",
        "--name", "Jan de Vries",
        "--organisation", "org-7:Zorg Zeven",
    )  # fmt: skip
    assert code == 0, out
    args = build_parser().parse_args(["portal", "serve", "--port", "0", "--db", pg_portal_url])
    assert args.db == pg_portal_url  # a URL stays a URL, not a Path
    out_io, stop, ready = io.StringIO(), threading.Event(), threading.Event()
    thread = threading.Thread(target=run_serve, args=(args, out_io, stop, ready))
    thread.start()
    try:
        assert ready.wait(20)
        url = re.search(r"http://127\.0\.0\.1:\d+", out_io.getvalue())
        assert url and pg_portal_url in out_io.getvalue()
        with PortalClient(url.group(0)) as client:
            assert client.sign_in("jdevries", "s3cret").beheerder_name == "Jan de Vries"
    finally:
        stop.set()
        thread.join(10)


def test_a_database_url_is_shown_without_its_password():
    from kiosk.portal.db import redacted

    assert redacted("postgresql://portal:geheim@db.example/portal") == (
        "postgresql://portal:***@db.example/portal"
    )
    assert redacted("postgresql://portal@/portal?host=/run/pg") == (
        "postgresql://portal@/portal?host=/run/pg"
    )
    assert redacted("/var/lib/portal.db") == "/var/lib/portal.db"
