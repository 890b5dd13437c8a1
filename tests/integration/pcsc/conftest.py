"""Fixtures for tests through the real PC/SC stack (pcscd + vpcd + the eMRTD emulator).

Every test in this folder is marked ``pcsc``. The stack is started once per session (see
:mod:`tests.integration.pcsc.stack`); each test places its own emulated document with
``pcsc_stack.card(profile)`` or the ``card_reader`` fixture's device.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pcsc.stack import PcscStack, start_stack

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.pcsc)


@pytest.fixture(scope="session")
def pcsc_stack() -> Iterator[PcscStack]:
    """pcscd with the vpcd reader, started for this session unless one already runs."""
    stack = start_stack()
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture
def card_reader(pcsc_stack: PcscStack) -> Iterator[object]:
    """The pyscard device adapter, configured for the test stack's vpcd slot."""
    from kiosk.config import ReaderConfig
    from kiosk.devices.card import PcscCardReader

    with PcscCardReader(ReaderConfig(name=pcsc_stack.reader)) as device:
        yield device
