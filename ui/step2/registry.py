"""Which step-2 methods the desk offers, in order of preference (DESIGN.md section 3:
chip first, then MRZ).

The composition root (``ui/app.py``) hands in the desk's configuration and trust store; the
factories bind them, so no method loads either itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from kiosk.config import Config
from kiosk.emrtd.trust import TrustStore
from ui.step2.base import WidMethodWidget

#: Called as ``factory(parent, **context)`` (see :mod:`ui.step2.base`).
MethodFactory = Callable[..., WidMethodWidget]


def default_factories(config: Config, trust_store: TrustStore) -> list[MethodFactory]:
    """The methods built into the desk, most preferred first.

    The chip method reads with ``config.reader`` and verifies against ``trust_store`` (the
    composition root builds it with :meth:`TrustStore.for_config`: shipped anchors, the
    local store, and the TEST ONLY anchors only when ``trust.test_anchors`` is on, as in
    ``kiosk demo``); the camera opens ``config.camera``.
    """
    from ui.step2.camera import CameraMethod
    from ui.step2.chip import ChipMethod
    from ui.step2.mrz_reader import MrzReaderMethod
    from ui.step2.typed_mrz import TypedMrzMethod

    # The step-2 page shows a genuine chip's photo, verdicts and comparison in its panel.
    chip = functools.partial(
        ChipMethod, standalone=False, reader_config=config.reader, trust_store=trust_store
    )
    camera = functools.partial(CameraMethod, camera_config=config.camera)
    return [chip, camera, MrzReaderMethod, TypedMrzMethod]


__all__ = ["MethodFactory", "default_factories"]
