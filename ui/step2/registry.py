"""Which step-2 methods the desk offers, in order of preference (DESIGN.md section 3:
chip first, then MRZ). Later methods (chip, camera) add their factory here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from ui.step2.base import WidMethodWidget

MethodFactory = Callable[[QWidget | None], WidMethodWidget]


def default_factories() -> list[MethodFactory]:
    """The methods built into the desk, most preferred first."""
    from ui.step2.camera import CameraMethod
    from ui.step2.chip import ChipMethod
    from ui.step2.mrz_reader import MrzReaderMethod
    from ui.step2.typed_mrz import TypedMrzMethod

    return [ChipMethod, CameraMethod, MrzReaderMethod, TypedMrzMethod]
