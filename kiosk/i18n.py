"""Translations of every text a person sees.

Catalogues are flat JSON files ``resources/i18n/<lang>/<domain>.json`` mapping a dotted key
to a text with ``str.format`` placeholders (``"{count} minuten"``). Each subsystem owns its
own domain file so they change independently; a key may appear in only one domain.
Dutch (``nl``) is the default and the reference: English must have exactly the same keys
and placeholders (``tests/unit/test_i18n.py``).

We use plain JSON rather than Qt's .ts/.qm because the headless core (MRZ, chip, queue
errors) must translate without Qt, and one mechanism for both layers keeps the checks simple.
"""

from __future__ import annotations

import json
import string
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from kiosk.events import Listeners
from kiosk.paths import resource

DEFAULT_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")

_lock = threading.Lock()
_language = DEFAULT_LANGUAGE
# Called with the new language code on the thread that called set_language().
_listeners: Listeners[str] = Listeners()


class CatalogError(Exception):
    """A translation catalogue is malformed or defines a key twice."""


@cache
def catalog(language: str) -> dict[str, str]:
    """Return the merged catalogue for ``language`` (cached)."""
    if language not in LANGUAGES:
        raise CatalogError(f"unsupported language {language!r}")
    merged: dict[str, str] = {}
    folder: Path = resource("i18n", language)
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise CatalogError(f"{path} is not a JSON object")
        for key, text in data.items():
            if not isinstance(text, str):
                raise CatalogError(f"{path}: {key} is not a string")
            if key in merged:
                raise CatalogError(f"{path}: key {key} defined twice")
            merged[key] = text
    return merged


def placeholders(text: str) -> set[str]:
    """Return the names of the ``{placeholders}`` in a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def language() -> str:
    """Return the current UI language code."""
    return _language


def set_language(lang: str) -> None:
    """Switch the UI language and notify listeners (the UI re-translates itself)."""
    global _language
    catalog(lang)  # validate before switching
    with _lock:
        _language = lang
    _listeners.emit(lang)


def on_language_changed(listener: Callable[[str], None]) -> Callable[[], None]:
    """Register ``listener``; returns a function that unregisters it."""
    return _listeners.subscribe(listener)


def tr(key: str, /, lang: str | None = None, **params: Any) -> str:
    """Translate ``key`` into ``lang`` (default: the current language).

    A missing key is a bug; it is shown as the key itself rather than crashing a desk,
    and the i18n tests make sure no used key is missing.
    """
    text = catalog(lang or _language).get(key)
    if text is None:
        return key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
