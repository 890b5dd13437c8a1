"""``kiosk config show`` and ``kiosk config check``, in-process and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.cli.main import main
from kiosk.config import SCHEMA

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No KIOSK_* variable from the caller's shell leaks in; the config file is in tmp_path."""
    for name in list(os.environ):
        if name.startswith("KIOSK_"):
            monkeypatch.delenv(name)
    path = tmp_path / "kiosk.toml"
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    return path


def test_check_valid(env, capsys):
    env.write_text("[desk]\nidle_timeout_s = 60\n")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert str(env) in out and i18n.tr("config.cli.ok") in out


def test_check_missing_file_is_valid(env, capsys):
    assert main(["config", "check", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"file": str(env), "file_exists": False, "ok": True, "errors": []}


def test_check_lists_every_error_translated(env, capsys, monkeypatch):
    env.write_text("[desk]\nlanguage = 'fr'\nidle_timeout_s = 1\n")
    monkeypatch.setenv("KIOSK_PORTAL_URL", "not a url")
    assert main(["config", "check"]) == 1
    err = capsys.readouterr().err
    assert "desk.language" in err and "desk.idle_timeout_s" in err and "portal.url" in err
    assert "KIOSK_PORTAL_URL" in err and str(env) in err
    assert "config.error" not in err  # translated, not bare keys


def test_check_json(env, capsys):
    env.write_text("[camera]\nwidth = 'wide'\n")
    assert main(["config", "check", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    [error] = data["errors"]
    assert error["key"] == "camera.width"
    assert error["message_key"] == "config.error.type.int"
    assert error["source"] == "file" and error["origin"] == str(env)
    assert "camera.width" in error["message"]


def test_check_file_option_wins(env, capsys, tmp_path):
    other = tmp_path / "candidate.toml"
    other.write_text("[reader]\nextended_length = 'sometimes'\n")
    env.write_text("")
    assert main(["config", "check", "--file", str(other)]) == 1
    assert str(other) in capsys.readouterr().err


def test_show_text_names_the_source_of_each_value(env, capsys, monkeypatch):
    env.write_text("[camera]\nwidth = 1920\n")
    monkeypatch.setenv("KIOSK_CAMERA_HEIGHT", "1080")
    assert main(["config", "show"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert str(env) in lines[0]
    by_key = {line.split()[0]: line for line in lines[1:]}
    assert set(by_key) == {s.key for s in SCHEMA}
    assert "1920" in by_key["camera.width"]
    assert f"({i18n.tr('config.cli.from.file')})" in by_key["camera.width"]
    assert "1080" in by_key["camera.height"] and "(KIOSK_CAMERA_HEIGHT)" in by_key["camera.height"]
    assert f"({i18n.tr('config.cli.from.default')})" in by_key["camera.device"]


def test_show_json(env, capsys, monkeypatch):
    monkeypatch.setenv("KIOSK_READER_QUIRKS", "shared")
    assert main(["config", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["file"] == str(env) and data["file_exists"] is False and data["errors"] == []
    values = {v["key"]: v for v in data["values"]}
    assert values["reader.quirks"] == {
        "key": "reader.quirks",
        "value": ["shared"],
        "source": "env",
        "origin": "KIOSK_READER_QUIRKS",
        "env_var": "KIOSK_READER_QUIRKS",
        "valid": True,
    }
    assert values["portal.url"]["source"] == "default"
    assert values["desk.fullscreen"]["value"] is True


def test_show_marks_bad_values_and_fails(env, capsys):
    env.write_text("[desk]\nlanguage = 'fr'\n")
    assert main(["config", "show"]) == 1
    captured = capsys.readouterr()
    line = next(x for x in captured.out.splitlines() if x.startswith("desk.language"))
    assert '"fr"' in line and "✗" in line
    assert "desk.language" in captured.err


def test_other_commands_report_a_bad_config_translated(env, capsys):
    env.write_text("[portal]\ntimeout_s = -1\n")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert "portal.timeout_s" in err and str(env) in err


def test_config_check_as_a_subprocess(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[storage]\nretention_days = 1000\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    environ.update(KIOSK_CONFIG=str(path), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli.main", "config", "check", "--json"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    [error] = json.loads(done.stdout)["errors"]
    assert error["key"] == "storage.retention_days"
    assert error["message_key"] == "config.error.range"


def test_any_command_stops_on_a_bad_config_with_a_translated_message(env, capsys):
    env.write_text("[storage]\ndata_dir = 'relative'\n")
    assert main(["queue", "status"]) == 2
    err = capsys.readouterr().err
    assert "storage.data_dir" in err and str(env) in err
    assert "Traceback" not in err
