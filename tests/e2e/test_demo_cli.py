"""``kiosk demo`` starts the real parts (portal, store, sync) and says how to sign in."""

from __future__ import annotations

from kiosk.cli.demo import DEMO_HOOKS, DemoContext
from kiosk.cli.main import build_parser, main


def test_help_lists_demo():
    assert "demo" in build_parser().format_help()


def test_demo_without_gui_starts_checks_and_cleans_up(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "absent.toml"))
    seen: list[DemoContext] = []
    stopped: list[bool] = []

    def hook(context: DemoContext):
        seen.append(context)
        context.messages.append("emulated document: none in this test")
        assert (context.data_dir / "kiosk.sqlite3").exists()
        return lambda: stopped.append(True)

    DEMO_HOOKS.append(hook)
    try:
        assert main(["demo", "--no-gui", "--no-document"]) == 0
    finally:
        DEMO_HOOKS.remove(hook)
    out = capsys.readouterr().out
    assert "demo" in out and seen[0].portal_url in out
    assert "emulated document: none in this test" in out
    assert "Portaal, opslag en synchronisatie werken." in out
    assert stopped == [True]
    assert not seen[0].data_dir.exists()  # the temporary portal DB and store are gone
