"""Kiosk configuration: one TOML file, every key documented, environment overrides.

The file lives at ``<platform config dir>/zorgid-kiosk/kiosk.toml`` (``platformdirs``) unless
``KIOSK_CONFIG`` names another. Every key can be overridden by an environment variable
``KIOSK_<SECTION>_<KEY>`` (upper case), which CI and tests use. The README's configuration
table lists every key; ``tests/unit/test_config.py`` checks that it does.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from kiosk.errors import InputError

APP_NAME = "zorgid-kiosk"


@dataclass(frozen=True)
class PortalConfig:
    """``[portal]``: where the backend is and how the kiosk authenticates to it."""

    url: str = "http://127.0.0.1:8443"
    timeout_s: float = 10.0
    poll_interval_s: float = 5.0
    code_pool_size: int = 5


@dataclass(frozen=True)
class DeskConfig:
    """``[desk]``: behaviour of the desk application."""

    language: str = "nl"
    idle_timeout_s: int = 180
    kiosk_name: str = "balie"
    fullscreen: bool = True


@dataclass(frozen=True)
class StorageConfig:
    """``[storage]``: the local encrypted database."""

    data_dir: str = ""
    retention_days: int = 30


@dataclass(frozen=True)
class ReaderConfig:
    """``[reader]``: the PC/SC card reader."""

    name: str = ""
    extended_length: str = "auto"
    quirks: tuple[str, ...] = ()


@dataclass(frozen=True)
class CameraConfig:
    """``[camera]``: the webcam or document camera."""

    device: str = "0"
    width: int = 1280
    height: int = 720


@dataclass(frozen=True)
class TrustConfig:
    """``[trust]``: CSCA trust anchors for passive authentication."""

    folder: str = ""
    test_anchors: bool = False


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


def default_config_path() -> Path:
    """Return the configuration file's path (``KIOSK_CONFIG`` overrides)."""
    return Path(os.environ.get("KIOSK_CONFIG") or platformdirs.user_config_dir(APP_NAME)) / (
        "" if os.environ.get("KIOSK_CONFIG") else "kiosk.toml"
    )


def _coerce(kind: Any, raw: Any, where: str) -> Any:
    if kind in (bool, "bool"):
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("1", "true", "yes", "on"):
            return True
        if str(raw).lower() in ("0", "false", "no", "off"):
            return False
        raise InputError("config.error.value", key=where)
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
        if kind in (str, "str"):
            return str(raw)
        if kind in ("tuple[str, ...]",):
            if isinstance(raw, str):
                return tuple(part.strip() for part in raw.split(",") if part.strip())
            return tuple(str(part) for part in raw)
    except (TypeError, ValueError) as exc:
        raise InputError("config.error.value", key=where) from exc
    raise InputError("config.error.value", key=where)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load the TOML file (missing file: defaults), then apply environment overrides."""
    environ = os.environ if environ is None else environ
    path = path or default_config_path()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError("config.error.syntax") from exc
    sections: dict[str, Any] = {}
    for section in dataclasses.fields(Config):
        kind = section.type
        section_cls = globals()[kind] if isinstance(kind, str) else kind
        table = data.get(section.name, {})
        values: dict[str, Any] = {}
        for key in dataclasses.fields(section_cls):
            where = f"{section.name}.{key.name}"
            env_name = f"KIOSK_{section.name}_{key.name}".upper()
            if env_name in environ:
                values[key.name] = _coerce(key.type, environ[env_name], where)
            elif key.name in table:
                values[key.name] = _coerce(key.type, table[key.name], where)
        unknown = set(table) - {f.name for f in dataclasses.fields(section_cls)}
        if unknown:
            raise InputError("config.error.unknown_key", key=f"{section.name}.{sorted(unknown)[0]}")
        sections[section.name] = section_cls(**values)
    unknown_sections = set(data) - set(sections)
    if unknown_sections:
        raise InputError("config.error.unknown_key", key=sorted(unknown_sections)[0])
    return Config(**sections)
