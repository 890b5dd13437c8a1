"""Which step-2 methods the desk offers, in order of preference (DESIGN.md section 3:
chip first, then MRZ). Later methods (chip, camera) add their factory here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from kiosk.config import Config
from ui.step2.base import WidMethodWidget

MethodFactory = Callable[[QWidget | None], WidMethodWidget]


def default_factories(config: Config | None = None) -> list[MethodFactory]:
    """The methods built into the desk, most preferred first.

    With the desk's ``config`` the chip method uses its reader settings and its trust store
    (shipped anchors, the local store, and the TEST ONLY anchors only when
    ``trust.test_anchors`` is on, as in ``kiosk demo``); without it, the config file's.
    """
    from kiosk.emrtd.trust import TrustStore
    from ui.step2.camera import CameraMethod, default_source
    from ui.step2.chip import ChipMethod
    from ui.step2.mrz_reader import MrzReaderMethod
    from ui.step2.typed_mrz import TypedMrzMethod

    # The step-2 page shows a genuine chip's photo, verdicts and comparison in its panel.
    chip_options: dict[str, Any] = {"standalone": False}
    camera: MethodFactory = CameraMethod
    if config is not None:
        chip_options.update(
            reader_config=config.reader, trust_store=TrustStore.for_config(config)
        )
        camera = functools.partial(
            CameraMethod, source_factory=functools.partial(default_source, config.camera)
        )
    chip = functools.partial(ChipMethod, **chip_options)
    return [chip, camera, MrzReaderMethod, TypedMrzMethod]
