"""The desk's step-2 methods take the desk's configuration (reader, camera, trust anchors)
from the composition root; no method loads them itself."""

from __future__ import annotations

import functools

from kiosk.config import Config, ReaderConfig, StorageConfig, TrustConfig
from kiosk.emrtd.trust import TrustStore
from kiosk.emulator import factory
from ui.step2.chip import ChipMethod
from ui.step2.registry import default_factories


def _chip(config: Config, qtbot) -> ChipMethod:
    store = TrustStore.for_config(config)
    chip_factory = default_factories(config, store)[0]
    assert isinstance(chip_factory, functools.partial) and chip_factory.func is ChipMethod
    widget = chip_factory(None)
    qtbot.addWidget(widget)
    assert widget.trust_store is store
    return widget


def test_a_desk_never_trusts_the_test_csca(qtbot, tmp_path):
    desk = Config(storage=StorageConfig(data_dir=str(tmp_path)), reader=ReaderConfig(name="X"))
    widget = _chip(desk, qtbot)
    assert factory.test_csca().certificate not in widget.trust_store
    assert widget.reader_config == ReaderConfig(name="X")


def test_the_demo_trusts_its_test_documents(qtbot, tmp_path):
    demo = Config(
        storage=StorageConfig(data_dir=str(tmp_path)), trust=TrustConfig(test_anchors=True)
    )
    assert factory.test_csca().certificate in _chip(demo, qtbot).trust_store


def test_without_a_trust_store_no_chip_verifies(qtbot):
    widget = ChipMethod(reader_config=ReaderConfig())  # fail closed: trusts nobody
    qtbot.addWidget(widget)
    assert len(widget.trust_store) == 0
