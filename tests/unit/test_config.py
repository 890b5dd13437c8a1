"""Configuration: TOML file, environment overrides, every key documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk.config import Config, load_config
from kiosk.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def _all_keys() -> list[str]:
    keys = []
    for section in dataclasses.fields(Config):
        for key in dataclasses.fields(getattr(Config(), section.name)):
            keys.append(f"{section.name}.{key.name}")
    return keys


def test_defaults_without_file(tmp_path):
    config = load_config(tmp_path / "missing.toml", environ={})
    assert config == Config()


def test_file_and_environment_override(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[portal]\nurl = "https://portal.example"\n[desk]\nidle_timeout_s = 60\n'
        '[reader]\nquirks = ["no-extended"]\n'
    )
    config = load_config(path, environ={"KIOSK_DESK_LANGUAGE": "en", "KIOSK_DESK_FULLSCREEN": "0"})
    assert config.portal.url == "https://portal.example"
    assert config.desk.idle_timeout_s == 60
    assert config.desk.language == "en"
    assert config.desk.fullscreen is False
    assert config.reader.quirks == ("no-extended",)


@pytest.mark.parametrize(
    ("text", "env"),
    [
        ("[desk]\nidle_timeout_s = 'soon'\n", {}),
        ("[desk]\nunknown = 1\n", {}),
        ("[nosuchsection]\nx = 1\n", {}),
        ("not toml ===", {}),
        ("", {"KIOSK_PORTAL_TIMEOUT_S": "fast"}),
    ],
)
def test_bad_configuration_is_a_typed_error(tmp_path, text, env):
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    with pytest.raises(InputError):
        load_config(path, environ=env)


def test_every_key_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [key for key in _all_keys() if f"`{key}`" not in readme]
    assert missing == []
