"""Configuration: one schema, TOML file, environment overrides, every constraint says no."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.config import (
    SCHEMA,
    AbsolutePath,
    Config,
    ConfigError,
    DeviceSpec,
    OneOf,
    Range,
    ReaderConfig,
    SourceKind,
    Text,
    Url,
    inspect_config,
    load_config,
    schema_markdown,
    setting,
)
from kiosk.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DOC = ROOT / "docs" / "configuration.md"


def _all_keys() -> list[str]:
    keys = []
    for section in dataclasses.fields(Config):
        for key in dataclasses.fields(getattr(Config(), section.name)):
            keys.append(f"{section.name}.{key.name}")
    return keys


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, environ=env or {})


def _error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text, env)
    return info.value


def test_defaults_without_file(tmp_path):
    config = load_config(tmp_path / "missing.toml", environ={})
    assert config == Config()


def test_schema_is_the_source_of_the_dataclass_defaults():
    assert [s.key for s in SCHEMA] == _all_keys()
    config = Config()
    for spec in SCHEMA:
        assert getattr(getattr(config, spec.section), spec.name) == spec.default, spec.key
        assert isinstance(spec.default, spec.kind), spec.key


def test_every_default_passes_its_own_constraint(tmp_path):
    report = inspect_config(tmp_path / "missing.toml", environ={})
    assert report.ok
    # ...and so does every default written out explicitly in a file.
    lines = []
    for section in dict.fromkeys(s.section for s in SCHEMA):
        lines.append(f"[{section}]")
        for spec in (s for s in SCHEMA if s.section == section):
            value = spec.default
            if isinstance(value, bool):
                lines.append(f"{spec.name} = {'true' if value else 'false'}")
            elif isinstance(value, str):
                lines.append(f'{spec.name} = "{value}"')
            elif isinstance(value, tuple):
                lines.append(f"{spec.name} = []")
            else:
                lines.append(f"{spec.name} = {value}")
    assert _load(tmp_path, "\n".join(lines) + "\n") == Config()


def test_file_and_environment_override(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[portal]\nurl = "https://portal.example"\n[desk]\nidle_timeout_s = 60\n'
        '[reader]\nquirks = ["no-extended-length"]\n'
    )
    config = load_config(path, environ={"KIOSK_DESK_LANGUAGE": "en", "KIOSK_DESK_FULLSCREEN": "0"})
    assert config.portal.url == "https://portal.example"
    assert config.desk.idle_timeout_s == 60
    assert config.desk.language == "en"
    assert config.desk.fullscreen is False
    assert config.reader.quirks == ("no-extended-length",)


def test_environment_wins_over_the_file_and_is_parsed_per_type(tmp_path):
    env = {
        "KIOSK_DESK_IDLE_TIMEOUT_S": " 90 ",
        "KIOSK_PORTAL_TIMEOUT_S": "2.5",
        "KIOSK_TRUST_TEST_ANCHORS": "yes",
        "KIOSK_READER_QUIRKS": "shared, leave-card,",
        "KIOSK_CAMERA_DEVICE": "2",
    }
    config = _load(tmp_path, "[desk]\nidle_timeout_s = 60\n", env)
    assert config.desk.idle_timeout_s == 90
    assert config.portal.timeout_s == 2.5
    assert config.trust.test_anchors is True
    assert config.reader.quirks == ("shared", "leave-card")
    assert config.camera.device == "2"


def test_kiosk_config_names_the_file(tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text('[desk]\nkiosk_name = "balie-3"\n')
    assert load_config(environ={"KIOSK_CONFIG": str(path)}).desk.kiosk_name == "balie-3"
    report = inspect_config(environ={"KIOSK_CONFIG": str(path)})
    assert report.path == path and report.file_exists


def test_sources_are_reported_per_key(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[camera]\nwidth = 1920\n")
    report = inspect_config(path, environ={"KIOSK_CAMERA_HEIGHT": "1080"})
    by_key = {v.setting.key: v for v in report.values}
    assert by_key["camera.width"].source.kind is SourceKind.FILE
    assert by_key["camera.width"].source.where == str(path)
    assert by_key["camera.height"].source.kind is SourceKind.ENV
    assert by_key["camera.height"].source.where == "KIOSK_CAMERA_HEIGHT"
    assert by_key["camera.device"].source.kind is SourceKind.DEFAULT
    assert report.config().camera.height == 1080


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


# --- one test per constraint kind -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "message_key"),
    [
        # types
        ("[desk]\nfullscreen = 'maybe'\n", "desk.fullscreen", "config.error.type.bool"),
        ("[desk]\nfullscreen = 1\n", "desk.fullscreen", "config.error.type.bool"),
        ("[desk]\nidle_timeout_s = 60.5\n", "desk.idle_timeout_s", "config.error.type.int"),
        ("[desk]\nidle_timeout_s = true\n", "desk.idle_timeout_s", "config.error.type.int"),
        ("[portal]\ntimeout_s = '10'\n", "portal.timeout_s", "config.error.type.float"),
        ("[desk]\nkiosk_name = true\n", "desk.kiosk_name", "config.error.type.str"),
        ("[reader]\nquirks = 'shared'\n", "reader.quirks", "config.error.type.tuple"),
        ("[reader]\nquirks = [1]\n", "reader.quirks", "config.error.type.tuple"),
        # ranges
        ("[desk]\nidle_timeout_s = 5\n", "desk.idle_timeout_s", "config.error.range"),
        ("[portal]\ntimeout_s = 0\n", "portal.timeout_s", "config.error.range"),
        ("[portal]\ntimeout_s = nan\n", "portal.timeout_s", "config.error.range"),
        ("[portal]\npoll_interval_s = inf\n", "portal.poll_interval_s", "config.error.range"),
        ("[portal]\ncode_pool_size = -1\n", "portal.code_pool_size", "config.error.range"),
        ("[storage]\nretention_days = 4000\n", "storage.retention_days", "config.error.range"),
        ("[camera]\nwidth = 10\n", "camera.width", "config.error.range"),
        # enums
        ("[desk]\nlanguage = 'fr'\n", "desk.language", "config.error.choice"),
        ("[reader]\nextended_length = 'maybe'\n", "reader.extended_length", "config.error.choice"),
        ("[reader]\nquirks = ['shared', 'bogus']\n", "reader.quirks", "config.error.choice"),
        # URLs
        ("[portal]\nurl = 'portal.example'\n", "portal.url", "config.error.url"),
        ("[portal]\nurl = 'ftp://portal.example'\n", "portal.url", "config.error.url"),
        ("[portal]\nurl = 'https://'\n", "portal.url", "config.error.url"),
        ("[portal]\nurl = 'https://host:99999'\n", "portal.url", "config.error.url"),
        ("[portal]\nurl = 'https://u:pw@host'\n", "portal.url", "config.error.url_credentials"),
        # paths
        ("[storage]\ndata_dir = 'relative/dir'\n", "storage.data_dir", "config.error.path"),
        ("[trust]\nfolder = '~/trust'\n", "trust.folder", "config.error.path"),
        ("[camera]\ndevice = 'cam.mp4'\n", "camera.device", "config.error.device"),
        ("[camera]\ndevice = 64\n", "camera.device", "config.error.device"),
        # text
        ("[desk]\nkiosk_name = ''\n", "desk.kiosk_name", "config.error.text"),
        ('[desk]\nkiosk_name = "a\\nb"\n', "desk.kiosk_name", "config.error.text"),
        ("[desk]\nkiosk_name = '" + "x" * 65 + "'\n", "desk.kiosk_name", "config.error.text"),
    ],
)
def test_each_constraint_says_no_and_names_key_and_file(tmp_path, text, key, message_key):
    error = _error(tmp_path, text)
    assert isinstance(error, InputError)
    assert error.message_key == message_key
    assert error.params["key"] == key
    assert error.source.kind is SourceKind.FILE
    message = error.translated()
    assert key in message and str(tmp_path / "kiosk.toml") in message
    assert message_key not in message  # a real text, not the bare key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[portal]\nurl = 'https://portal.example/api'\n", "portal.url"),
        ("[portal]\nurl = 'http://[::1]:8443'\n", "portal.url"),
        ("[portal]\ntimeout_s = 300\n", "portal.timeout_s"),
        ("[portal]\ncode_pool_size = 0\n", "portal.code_pool_size"),
        ("[storage]\ndata_dir = '/var/lib/kiosk'\n", "storage.data_dir"),
        ("[storage]\ndata_dir = 'C:\\\\Kiosk\\\\data'\n", "storage.data_dir"),
        ("[camera]\ndevice = 0\n", "camera.device"),
        ("[camera]\ndevice = '/dev/video2'\n", "camera.device"),
        ("[reader]\nname = ''\n", "reader.name"),
    ],
)
def test_values_at_the_edges_are_accepted(tmp_path, text, key):
    report = inspect_config(_write(tmp_path, text), environ={})
    assert report.ok, [e.translated() for e in report.errors]
    assert {v.setting.key: v for v in report.values}[key].source.kind is SourceKind.FILE


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_errors_name_the_variable(tmp_path):
    error = _error(tmp_path, "", {"KIOSK_CAMERA_HEIGHT": "tall"})
    assert error.message_key == "config.error.type.int"
    assert error.source.kind is SourceKind.ENV
    assert "KIOSK_CAMERA_HEIGHT" in error.translated()
    error = _error(tmp_path, "", {"KIOSK_DESK_FULLSCREEN": "perhaps"})
    assert error.message_key == "config.error.type.bool"
    error = _error(tmp_path, "", {"KIOSK_READER_QUIRKS": "shared,bogus"})
    assert error.message_key == "config.error.choice"
    assert error.params["value"] == '"bogus"'


def test_structural_errors(tmp_path):
    assert _error(tmp_path, "[desk]\nunknown = 1\n").params["key"] == "desk.unknown"
    assert _error(tmp_path, "[nosuch]\nx = 1\n").message_key == "config.error.unknown_key"
    assert _error(tmp_path, "desk = 1\n").message_key == "config.error.not_table"
    syntax = _error(tmp_path, "not toml ===")
    assert syntax.message_key == "config.error.syntax"
    assert str(tmp_path / "kiosk.toml") in syntax.translated()


def test_inspect_collects_every_error_and_hides_passwords(tmp_path):
    path = _write(tmp_path, "[desk]\nlanguage = 'fr'\n[portal]\nurl = 'https://u:secret@h'\n")
    report = inspect_config(path, environ={"KIOSK_CAMERA_WIDTH": "wide"})
    assert not report.ok
    keys = {e.params["key"] for e in report.errors}
    assert keys == {"desk.language", "portal.url", "camera.width"}
    for error in report.errors:
        assert "secret" not in error.translated()
    assert all("secret" not in str(v.to_json()) for v in report.values)
    with pytest.raises(ConfigError):
        report.config()


def test_messages_are_translated_in_both_languages(tmp_path):
    error = _error(tmp_path, "[desk]\nidle_timeout_s = 5\n")
    nl = error.translated()
    i18n.set_language("en")
    try:
        en = error.translated()
    finally:
        i18n.set_language("nl")
    assert nl != en
    assert "bestand" in nl and "file" in en


def test_every_config_message_key_exists():
    keys = set(i18n.catalog("nl"))
    for kind in {s.kind for s in SCHEMA}:
        assert f"config.error.type.{kind.__name__}" in keys
    for kind in SourceKind:
        assert f"config.source.{kind.value}" in keys
        assert f"config.cli.from.{kind.value}" in keys


def test_constraint_kinds_are_all_used():
    used = {type(s.constraint) for s in SCHEMA if s.constraint is not None}
    assert used == {Range, OneOf, Url, AbsolutePath, DeviceSpec, Text}


def test_reader_quirks_match_the_device_layer():
    from kiosk.devices.card import KNOWN_QUIRKS

    constraint = setting("reader.quirks").constraint
    assert isinstance(constraint, OneOf)
    assert set(constraint.choices) == set(KNOWN_QUIRKS)
    assert ReaderConfig().quirks == ()


def test_languages_match_the_catalogue():
    constraint = setting("desk.language").constraint
    assert isinstance(constraint, OneOf)
    assert constraint.choices == i18n.LANGUAGES


# --- the docs --------------------------------------------------------------------------------


def test_every_key_is_documented():
    doc = CONFIG_DOC.read_text(encoding="utf-8")
    missing = [key for key in _all_keys() if f"`{key}`" not in doc]
    assert missing == []


def test_docs_table_is_the_schema():
    """docs/configuration.md carries the table the schema renders, between markers.

    When this fails, regenerate the table: ``python -m kiosk.config`` prints it.
    """
    doc = CONFIG_DOC.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- config-table:begin .*?-->\n(.*?)<!-- config-table:end -->", doc, re.DOTALL
    )
    assert found, "docs/configuration.md lacks the config-table markers"
    assert found.group(1) == schema_markdown()


def test_readme_links_to_the_configuration_doc():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/configuration.md" in readme
