"""Kiosk configuration: one TOML file, one schema, environment overrides, values that say no.

The file lives at ``<platform config dir>/zorgid-kiosk/kiosk.toml`` (``platformdirs``) unless
``KIOSK_CONFIG`` names another. Every key can be overridden by an environment variable
``KIOSK_<SECTION>_<KEY>`` (upper case), which CI and tests use (DESIGN.md section 8).

:data:`SCHEMA` is the single source of truth: one row per key with its type, default,
constraint and description. The section dataclasses take their defaults from it,
:func:`inspect_config` validates the file and the environment against it, ``kiosk config
show|check`` print it, and ``docs/configuration.md`` carries the table
:func:`schema_markdown` renders (``tests/unit/test_config.py`` fails when they disagree).

A bad value is a :class:`ConfigError` (an :class:`~kiosk.errors.InputError`) whose translated
message names the key and where the value came from (the file or the environment variable).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from kiosk.errors import InputError
from kiosk.i18n import LANGUAGES

APP_NAME = "zorgid-kiosk"

# Reader quirk names; kiosk.devices.card.KNOWN_QUIRKS describes what each does (a unit test
# keeps the two in step: config is a base module and may not import the device layer).
READER_QUIRKS = ("no-extended-length", "shared", "no-transaction", "leave-card")


# --- constraints ------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """A number between ``low`` and ``high`` inclusive (NaN and infinities never are)."""

    low: float
    high: float

    def describe(self) -> str:
        """Return the constraint for the docs table."""
        return f"{_num(self.low)} … {_num(self.high)}"


@dataclass(frozen=True)
class OneOf:
    """One of ``choices``; for a list setting, every item is one of them."""

    choices: tuple[str, ...]

    def describe(self) -> str:
        """Return the constraint for the docs table."""
        return ", ".join(f"`{c}`" for c in self.choices)


@dataclass(frozen=True)
class Url:
    """An absolute URL with one of ``schemes`` and a host, without user name or password."""

    schemes: tuple[str, ...] = ("http", "https")
    # Schemes allowed only to this machine (127.0.0.0/8, ::1, localhost): plain http
    # would carry tokens and personal data across the network unencrypted.
    loopback_only: tuple[str, ...] = ()

    def describe(self) -> str:
        """Return the constraint for the docs table."""
        return " or ".join(
            f"`{s}://` URL" + (" (loopback only)" if s in self.loopback_only else "")
            for s in self.schemes
        )


@dataclass(frozen=True)
class AbsolutePath:
    """An absolute path, or empty for the documented default (a relative path would depend
    on the working directory the desk happens to be started from)."""

    def describe(self) -> str:
        """Return the constraint for the docs table."""
        return "absolute path, or empty"


@dataclass(frozen=True)
class DeviceSpec:
    """A camera index ``0`` … ``max_index`` or an absolute file, folder or video path."""

    max_index: int = 63

    def describe(self) -> str:
        """Return the constraint for the docs table."""
        return f"index 0 … {self.max_index}, or absolute path"


@dataclass(frozen=True)
class Text:
    """Printable text of ``min_len`` to ``max_len`` characters."""

    min_len: int = 0
    max_len: int = 200

    def describe(self) -> str:
        """Return the constraint for the docs table."""
        return f"{self.min_len} … {self.max_len} characters"


Constraint = Range | OneOf | Url | AbsolutePath | DeviceSpec | Text | None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --- the schema -------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One configuration key: ``section.name``, its type, default, constraint and meaning.

    ``kind`` is the Python type of the value (``bool``, ``int``, ``float``, ``str`` or
    ``tuple`` for a list of strings). ``shown_default`` replaces the default in the docs
    when the real default is computed at run time (e.g. the platform data dir).
    """

    section: str
    name: str
    kind: type
    default: Any
    constraint: Constraint
    description: str
    shown_default: str | None = None

    @property
    def key(self) -> str:
        """``section.name``, as in the error messages and docs."""
        return f"{self.section}.{self.name}"

    @property
    def env_var(self) -> str:
        """The environment variable that overrides this key."""
        return f"KIOSK_{self.section}_{self.name}".upper()


SCHEMA: tuple[Setting, ...] = (
    Setting("portal", "url", str, "http://127.0.0.1:8443", Url(loopback_only=("http",)),
            "base URL of the portal (contract v1)"),
    Setting("portal", "timeout_s", float, 10.0, Range(0.5, 300),
            "HTTP timeout per request, seconds"),
    Setting("portal", "poll_interval_s", float, 5.0, Range(0.5, 3600),
            "enrollment status poll interval, seconds (backs off on errors)"),
    Setting("portal", "code_pool_size", int, 5, Range(0, 100),
            "enrollment codes reserved for offline use (0: none)"),
    Setting("portal", "ca_file", str, "", AbsolutePath(),
            "PEM file of the CA certificates the portal's HTTPS certificate must chain to "
            "(an organisation's own CA); empty: the public CAs of the certifi bundle",
            "(certifi bundle)"),
    Setting("desk", "language", str, "nl", OneOf(LANGUAGES),
            "UI language at start-up"),
    Setting("desk", "idle_timeout_s", int, 180, Range(10, 3600),
            "inactivity after which the wizard resets and clears personal data, seconds"),
    Setting("desk", "kiosk_name", str, "balie", Text(1, 64),
            "name the kiosk registers under at the portal"),
    Setting("desk", "fullscreen", bool, True, None,
            "start the desk window fullscreen"),
    Setting("storage", "data_dir", str, "", AbsolutePath(),
            "where the encrypted database and key file live", "platform data dir"),
    Setting("storage", "key_store", str, "auto",
            OneOf(("auto", "keyring", "systemd", "file")),
            "where the store key lives: `keyring` (OS keyring), `systemd` (credential "
            "`zorgid-store-key` in `$CREDENTIALS_DIRECTORY`), `file` (a 0600 `store.key` "
            "beside the database: an explicit choice that `kiosk doctor` warns about); "
            "`auto`: systemd credential, else keyring, else refuse"),
    Setting("storage", "retention_days", int, 30, Range(0, 365),
            "days an acknowledged registration is kept before it is purged"),
    Setting("reader", "name", str, "", Text(0, 200),
            "PC/SC reader name (substring match)", "(first reader)"),
    Setting("reader", "extended_length", str, "auto", OneOf(("auto", "yes", "no")),
            "use extended-length APDUs (`auto`: ask the card, ISO 7816-4)"),
    Setting("reader", "quirks", tuple, (), OneOf(READER_QUIRKS),
            "reader quirks: a TOML list, or comma-separated in the environment", "(none)"),
    Setting("camera", "device", str, "0", DeviceSpec(),
            "OpenCV camera index or a file/folder/video path"),
    Setting("camera", "width", int, 1280, Range(160, 7680),
            "capture width, pixels"),
    Setting("camera", "height", int, 720, Range(120, 4320),
            "capture height, pixels"),
    Setting("trust", "folder", str, "", AbsolutePath(),
            "local CSCA trust store (`csca/`, `crl/`) that `kiosk trust import` fills",
            "`<data dir>/trust`"),
    Setting("trust", "test_anchors", bool, False, None,
            "also trust the TEST ONLY CSCA of the emulator's documents; only `kiosk demo` "
            "and tests turn this on, never a desk"),
)  # fmt: skip

_BY_KEY: dict[str, Setting] = {s.key: s for s in SCHEMA}


def setting(key: str) -> Setting:
    """Return the schema row of ``section.name``."""
    return _BY_KEY[key]


def _default(key: str) -> Any:
    # The dataclasses below take their defaults from SCHEMA, so a default exists once.
    return _BY_KEY[key].default


# --- the typed configuration ------------------------------------------------------------


@dataclass(frozen=True)
class PortalConfig:
    """``[portal]``: where the backend is and how the kiosk authenticates to it."""

    url: str = _default("portal.url")
    timeout_s: float = _default("portal.timeout_s")
    poll_interval_s: float = _default("portal.poll_interval_s")
    code_pool_size: int = _default("portal.code_pool_size")
    ca_file: str = _default("portal.ca_file")


@dataclass(frozen=True)
class DeskConfig:
    """``[desk]``: behaviour of the desk application."""

    language: str = _default("desk.language")
    idle_timeout_s: int = _default("desk.idle_timeout_s")
    kiosk_name: str = _default("desk.kiosk_name")
    fullscreen: bool = _default("desk.fullscreen")


@dataclass(frozen=True)
class StorageConfig:
    """``[storage]``: the local encrypted database."""

    data_dir: str = _default("storage.data_dir")
    key_store: str = _default("storage.key_store")
    retention_days: int = _default("storage.retention_days")


@dataclass(frozen=True)
class ReaderConfig:
    """``[reader]``: the PC/SC card reader."""

    name: str = _default("reader.name")
    extended_length: str = _default("reader.extended_length")
    quirks: tuple[str, ...] = _default("reader.quirks")


@dataclass(frozen=True)
class CameraConfig:
    """``[camera]``: the webcam or document camera."""

    device: str = _default("camera.device")
    width: int = _default("camera.width")
    height: int = _default("camera.height")


@dataclass(frozen=True)
class TrustConfig:
    """``[trust]``: CSCA trust anchors for passive authentication."""

    folder: str = _default("trust.folder")
    test_anchors: bool = _default("trust.test_anchors")


_SECTIONS: dict[str, type] = {
    "portal": PortalConfig,
    "desk": DeskConfig,
    "storage": StorageConfig,
    "reader": ReaderConfig,
    "camera": CameraConfig,
    "trust": TrustConfig,
}


@dataclass(frozen=True)
class Config:
    """The whole configuration; sections mirror the TOML tables."""

    portal: PortalConfig = field(default_factory=PortalConfig)
    desk: DeskConfig = field(default_factory=DeskConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)

    def data_dir(self) -> Path:
        """Return the data directory, defaulting to the platform's user data dir."""
        return Path(self.storage.data_dir or platformdirs.user_data_dir(APP_NAME))

    def trust_dir(self) -> Path:
        """Return the local trust store folder (``kiosk trust import`` writes there)."""
        return Path(self.trust.folder) if self.trust.folder else self.data_dir() / "trust"


# --- errors -----------------------------------------------------------------------------


class SourceKind(StrEnum):
    """Where a value came from."""

    DEFAULT = "default"
    FILE = "file"
    ENV = "env"


@dataclass(frozen=True)
class Source:
    """Where a value came from: the default, the file at ``where``, or the variable ``where``."""

    kind: SourceKind
    where: str = ""

    def describe(self) -> str:
        """Return the source in words, in the current UI language."""
        from kiosk.i18n import tr

        return tr(f"config.source.{self.kind.value}", where=self.where)


class ConfigError(InputError):
    """A configuration value (or the file itself) is wrong; the operator fixes the config.

    ``params`` always hold ``key`` (``section.name``, or the file for a syntax error) and
    ``origin`` (the file path or the environment variable); messages in
    ``resources/i18n/*/config.json`` name both.
    """

    message_key = "config.error.value"

    def __init__(self, message_key: str, /, *, source: Source, **params: Any) -> None:
        super().__init__(message_key, **params)
        self.source = source

    def translated(self) -> str:
        """Return the message in the current UI language, naming where the value came from."""
        from kiosk.i18n import tr

        return tr(self.message_key, **self.params, origin=self.source.describe())

    def to_json(self) -> dict[str, Any]:
        """Return the error for ``--json`` output (key, source, message)."""
        return {
            "message_key": self.message_key,
            "key": self.params.get("key"),
            "source": self.source.kind.value,
            "origin": self.source.where,
            "message": self.translated(),
        }


# --- parsing and validation -------------------------------------------------------------

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _parse(spec: Setting, raw: Any, source: Source) -> Any:
    """Turn a TOML value or an environment string into the setting's type, or raise."""
    from_env = source.kind is SourceKind.ENV
    # One message per kind (config.error.type.bool, .int, .float, .str, .tuple).
    err = ConfigError(
        f"config.error.type.{spec.kind.__name__}", source=source, key=spec.key, value=_show(raw)
    )
    if spec.kind is bool:
        if isinstance(raw, bool):
            return raw
        if from_env and raw.strip().lower() in _TRUE:
            return True
        if from_env and raw.strip().lower() in _FALSE:
            return False
        raise err
    if spec.kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if from_env:
            try:
                return int(raw.strip())
            except ValueError:
                pass
        raise err
    if spec.kind is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        if from_env:
            try:
                return float(raw.strip())
            except ValueError:
                pass
        raise err
    if spec.kind is str:
        # TOML ``device = 0`` is as natural as ``device = "0"``; booleans and floats are not.
        if isinstance(raw, str):
            return raw
        if isinstance(raw, int) and not isinstance(raw, bool):
            return str(raw)
        raise err
    if spec.kind is tuple:
        if from_env:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if isinstance(raw, list) and all(isinstance(part, str) for part in raw):
            return tuple(raw)
        raise err
    raise AssertionError(f"schema kind {spec.kind!r} of {spec.key} is not handled")


def _validate(spec: Setting, value: Any, source: Source) -> None:
    """Raise a :class:`ConfigError` when ``value`` breaks the setting's constraint."""
    c = spec.constraint
    common: dict[str, Any] = {"source": source, "key": spec.key, "value": _show(value)}
    if isinstance(c, Range):
        if not (math.isfinite(value) and c.low <= value <= c.high):
            raise ConfigError("config.error.range", low=_num(c.low), high=_num(c.high), **common)
    elif isinstance(c, OneOf):
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if item not in c.choices:
                common["value"] = _show(item)
                raise ConfigError("config.error.choice", choices=", ".join(c.choices), **common)
    elif isinstance(c, Url):
        try:
            parts = urlsplit(value)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
        if not port_ok or parts.scheme not in c.schemes or not parts.hostname:
            raise ConfigError("config.error.url", schemes=", ".join(c.schemes), **common)
        if parts.username is not None or parts.password is not None:
            # A password in the config file would end up in every `config show`.
            raise ConfigError("config.error.url_credentials", source=source, key=spec.key)
        if parts.scheme in c.loopback_only and not _is_loopback(parts.hostname):
            raise ConfigError("config.error.url_plain", scheme=parts.scheme, **common)
    elif isinstance(c, AbsolutePath):
        if value and not _is_absolute(value):
            raise ConfigError("config.error.path", **common)
    elif isinstance(c, DeviceSpec):
        text = value.strip()
        if text.isdigit():
            if int(text) > c.max_index:
                raise ConfigError("config.error.device", high=c.max_index, **common)
        elif not _is_absolute(text):
            raise ConfigError("config.error.device", high=c.max_index, **common)
    elif isinstance(c, Text) and (
        not (c.min_len <= len(value) <= c.max_len) or not value.isprintable()
    ):
        raise ConfigError("config.error.text", low=c.min_len, high=c.max_len, **common)


def _is_loopback(host: str) -> bool:
    # Same rule as kiosk.sync.client.check_portal_url (which sits above this module).
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_absolute(text: str) -> bool:
    if "\0" in text:
        return False
    return PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute()


def _kind_name(kind: type) -> str:
    return {bool: "true/false", int: "integer", float: "number", str: "text"}.get(
        kind, "list of text"
    )


def _show(value: Any) -> str:
    """Render a value for messages: TOML-like, and cut short so a message stays readable."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, tuple | list):
        text = "[" + ", ".join(f'"{v}"' for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- loading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """The effective value of one key and where it came from (``kiosk config show``)."""

    setting: Setting
    value: Any
    source: Source
    error: ConfigError | None = None  # then ``value`` is the rejected input, as given

    def to_json(self) -> dict[str, Any]:
        """Return the value for ``--json`` output."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {
            "key": self.setting.key,
            "value": value,
            "source": self.source.kind.value,
            "origin": self.source.where,
            "env_var": self.setting.env_var,
            "valid": self.error is None,
        }


@dataclass(frozen=True)
class ConfigReport:
    """Everything :func:`inspect_config` found: the file, every value, every error."""

    path: Path
    file_exists: bool
    values: tuple[Value, ...]
    errors: tuple[ConfigError, ...]

    @property
    def ok(self) -> bool:
        """True when the file and the environment gave no error."""
        return not self.errors

    def config(self) -> Config:
        """Return the typed configuration; raises the first :class:`ConfigError` if any."""
        if self.errors:
            raise self.errors[0]
        by_section: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
        for v in self.values:
            by_section[v.setting.section][v.setting.name] = v.value
        return Config(**{name: cls(**by_section[name]) for name, cls in _SECTIONS.items()})


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the configuration file's path (``KIOSK_CONFIG`` overrides)."""
    environ = os.environ if environ is None else environ
    named = environ.get("KIOSK_CONFIG")
    return Path(named) if named else Path(platformdirs.user_config_dir(APP_NAME)) / "kiosk.toml"


def inspect_config(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> ConfigReport:
    """Read the TOML file (missing file: defaults) and the environment; collect every error.

    An environment variable wins over the file. A key the schema does not know is an error
    in the file (a typo must not silently leave the default in force); unknown ``KIOSK_*``
    variables are ignored, since other tools (tests, CI) use that prefix too.
    """
    environ = os.environ if environ is None else environ
    path = path or default_config_path(environ)
    file_source = Source(SourceKind.FILE, str(path))
    errors: list[ConfigError] = []
    data: dict[str, Any] = {}
    exists = path.is_file()
    if exists:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            detail = str(exc)
            errors.append(
                ConfigError("config.error.syntax", source=file_source, key=str(path), detail=detail)
            )
        except OSError as exc:
            detail = exc.strerror or type(exc).__name__
            errors.append(
                ConfigError("config.error.read", source=file_source, key=str(path), detail=detail)
            )
    for name in sorted(set(data) - set(_SECTIONS)):
        errors.append(ConfigError("config.error.unknown_key", source=file_source, key=name))
    for name, table in data.items():
        if name in _SECTIONS and not isinstance(table, dict):
            errors.append(ConfigError("config.error.not_table", source=file_source, key=name))
        elif name in _SECTIONS:
            known = {s.name for s in SCHEMA if s.section == name}
            for key in sorted(set(table) - known):
                unknown = f"{name}.{key}"
                errors.append(
                    ConfigError("config.error.unknown_key", source=file_source, key=unknown)
                )
    values: list[Value] = []
    for spec in SCHEMA:
        table = data.get(spec.section)
        raw: Any
        if spec.env_var in environ:
            raw, source = environ[spec.env_var], Source(SourceKind.ENV, spec.env_var)
        elif isinstance(table, dict) and spec.name in table:
            raw, source = table[spec.name], file_source
        else:
            values.append(Value(spec, spec.default, Source(SourceKind.DEFAULT)))
            continue
        try:
            value = _parse(spec, raw, source)
            _validate(spec, value, source)
        except ConfigError as exc:
            errors.append(exc)
            if exc.message_key == "config.error.url_credentials":
                raw = "<hidden>"  # never echo a password back
            values.append(Value(spec, raw, source, exc))
        else:
            values.append(Value(spec, value, source))
    return ConfigReport(path, exists, tuple(values), tuple(errors))


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load the TOML file (missing file: defaults), then apply environment overrides.

    Raises the first :class:`ConfigError` found; ``kiosk config check`` lists them all.
    """
    return inspect_config(path, environ).config()


# --- documentation ----------------------------------------------------------------------


def schema_markdown(settings: Sequence[Setting] = SCHEMA) -> str:
    """Return the Markdown table of every key, as ``docs/configuration.md`` carries it."""
    rows = [
        "| key | type | default | allowed | meaning |",
        "|---|---|---|---|---|",
    ]
    for s in settings:
        default = s.shown_default or f"`{_show(s.default)}`"
        allowed = s.constraint.describe() if s.constraint is not None else "`true` or `false`"
        rows.append(
            f"| `{s.key}` | {_kind_name(s.kind)} | {default} | {allowed} | {s.description} |"
        )
    return "\n".join(rows) + "\n"


def _check_dataclasses() -> None:
    # The schema and the typed sections must name the same keys in the same order.
    fields = [f"{n}.{f.name}" for n, cls in _SECTIONS.items() for f in dataclasses.fields(cls)]
    if fields != [s.key for s in SCHEMA]:
        raise AssertionError("kiosk.config: SCHEMA and the section dataclasses disagree")


_check_dataclasses()


if __name__ == "__main__":
    print(schema_markdown(), end="")
