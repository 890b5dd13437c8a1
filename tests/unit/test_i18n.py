"""Every text a person sees exists in Dutch and English with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk import i18n

ROOT = Path(__file__).resolve().parents[2]


def test_languages_have_identical_keys_and_placeholders():
    nl, en = i18n.catalog("nl"), i18n.catalog("en")
    assert set(nl) == set(en), set(nl) ^ set(en)
    for key in nl:
        assert i18n.placeholders(nl[key]) == i18n.placeholders(en[key]), key
        assert nl[key].strip() and en[key].strip(), key


def test_tr_follows_language_switch_and_notifies():
    seen = []
    remove = i18n.on_language_changed(seen.append)
    try:
        assert i18n.tr("language.nl") == "Nederlands"
        nl_text = i18n.tr("error.storage")
        i18n.set_language("en")
        assert i18n.tr("error.storage") != nl_text
        assert seen == ["en"]
    finally:
        remove()


def test_unsupported_language_is_rejected():
    with pytest.raises(i18n.CatalogError):
        i18n.set_language("xx")
    assert i18n.language() == "nl"


def test_every_key_used_in_code_exists():
    # Keys are literal dotted strings passed to tr()/errors; find them in the source.
    pattern = re.compile(r"""(?:tr|Error|Failure|_t)\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")
    keys = set(i18n.catalog("nl"))
    missing = []
    for folder in ("kiosk", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in pattern.findall(path.read_text(encoding="utf-8")):
                if key not in keys:
                    missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []
