"""The desk's step-2 methods take the desk's configuration (reader, trust anchors)."""

from __future__ import annotations

import functools

from kiosk.config import Config, ReaderConfig, StorageConfig, TrustConfig
from kiosk.emulator import factory
from ui.step2.chip import ChipMethod
from ui.step2.registry import default_factories


def _chip(config: Config, qtbot) -> ChipMethod:
    chip_factory = default_factories(config)[0]
    assert isinstance(chip_factory, functools.partial) and chip_factory.func is ChipMethod
    widget = chip_factory(None)
    qtbot.addWidget(widget)
    return widget


def test_a_desk_never_trusts_the_test_csca(qtbot, tmp_path):
    desk = Config(storage=StorageConfig(data_dir=str(tmp_path)), reader=ReaderConfig(name="X"))
    widget = _chip(desk, qtbot)
    assert factory.test_csca().certificate not in widget._trust_store
    assert widget._config == ReaderConfig(name="X")


def test_the_demo_trusts_its_test_documents(qtbot, tmp_path):
    demo = Config(
        storage=StorageConfig(data_dir=str(tmp_path)), trust=TrustConfig(test_anchors=True)
    )
    assert factory.test_csca().certificate in _chip(demo, qtbot)._trust_store
