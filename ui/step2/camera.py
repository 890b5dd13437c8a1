"""Step-2 method "Camera": read the MRZ live from a webcam or document camera.

The camera (:class:`kiosk.devices.camera.CameraDevice`) owns its source on its own thread;
every frame is analysed there too (:class:`kiosk.mrz.ocr.video.MrzVideoReader`: per-character
vote over recent frames, accepted when the check digits pass in consecutive frames), and a
small preview with the guide overlay is made there as well. Only the preview image and the
reader's state cross into the GUI thread, through a queued signal. The page shows the
preview, a hint measured on the frame (too far, too close, glare, not sharp) and, once
accepted, emits the evidence by itself. "MRZ typen" is the manual fallback. No frame is
written anywhere, and :meth:`CameraMethod.clear` drops the preview and the reader's memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kiosk.config import CameraConfig
from kiosk.devices.camera import (
    CameraDevice,
    CameraEvent,
    CameraEventKind,
    CameraSettings,
    FrameSource,
    source_for,
)
from kiosk.flow.evidence import EvidenceRejected, evidence_from_mrz
from kiosk.i18n import tr
from kiosk.model import CheckMethod
from kiosk.mrz.ocr.video import GUIDE, Hint, MrzVideoReader, VideoState
from ui.step2.base import WidMethodWidget
from ui.widgets import label

#: Preview width in pixels (the analysis always uses the full frame).
PREVIEW_WIDTH = 640

SourceFactory = Callable[[], FrameSource]
ReaderFactory = Callable[[], MrzVideoReader]


def default_source(config: CameraConfig) -> FrameSource:
    """The configured camera (``camera.device``: an index, or a file/folder/video path)."""
    return source_for(config.device, CameraSettings(width=config.width, height=config.height))


def preview_image(frame: np.ndarray, state: VideoState | None) -> QImage:
    """Downscaled RGB preview with the MRZ guide and, when found, the MRZ outline."""
    h, w = frame.shape[:2]
    scale = PREVIEW_WIDTH / w
    small = cv2.resize(frame, (PREVIEW_WIDTH, round(h * scale)), interpolation=cv2.INTER_AREA)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    sh, sw = small.shape[:2]
    x0, y0, x1, y1 = GUIDE
    guide_colour = (255, 255, 255)
    cv2.rectangle(
        small,
        (round(x0 * sw), round(y0 * sh)),
        (round(x1 * sw), round(y1 * sh)),
        guide_colour,
        2,
        cv2.LINE_AA,
    )
    last = state.last if state is not None else None
    if last is not None and last.quad is not None:
        colour = (80, 200, 60) if state is not None and state.accepted else (0, 200, 255)
        quad = np.round(last.quad * scale).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(small, [quad], True, colour, 2, cv2.LINE_AA)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    return QImage(rgb.data, sw, sh, 3 * sw, QImage.Format.Format_RGB888).copy()


class _Bridge(QObject):
    """Carries camera-thread results into the GUI thread (queued connections)."""

    frame = Signal(object, object)  # QImage preview, VideoState
    # Not named 'event': that would shadow QObject.event() on the bridge.
    device_event = Signal(object)  # CameraEvent


class CameraMethod(WidMethodWidget):
    """Live preview, guide, hints, automatic capture and a typed-MRZ fallback."""

    method_id = CheckMethod.MRZ_CAMERA
    #: The person asked to type the MRZ instead (the step-2 page may switch methods).
    manualRequested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        camera_config: CameraConfig | None = None,
        source_factory: SourceFactory | None = None,
        reader_factory: ReaderFactory | None = None,
    ) -> None:
        """``camera_config`` (from the composition root) names the camera to open, unless
        ``source_factory`` gives the frames; without either, the default camera settings."""
        super().__init__(parent)
        camera = camera_config or CameraConfig()
        self._source_factory = source_factory or (lambda: default_source(camera))
        self._reader_factory = reader_factory or MrzVideoReader
        self._reader: MrzVideoReader | None = None
        self._device: CameraDevice | None = None
        self._lock = threading.Lock()
        self._done = False
        self.state: VideoState | None = None
        self._bridge = _Bridge()
        self._bridge.frame.connect(self._on_frame)
        self._bridge.device_event.connect(self._on_event)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.instruction = label("hint")
        self.preview = QLabel()
        self.preview.setObjectName("cameraPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 180)
        # Ignored: the frame is scaled to the space the step-2 column has, never the other way
        # round (a 640 px frame would push the hints and the confirmation below the fold).
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.feedback = label("cameraFeedback")
        self.status = label("status")
        self.manual = QPushButton()
        self.manual.setObjectName("cameraManual")
        self.manual.clicked.connect(self._manual)
        layout.addWidget(self.instruction)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.feedback)
        layout.addWidget(self.status)
        layout.addWidget(self.manual, 0, Qt.AlignmentFlag.AlignLeft)
        self._hint: Hint | None = None
        self.retranslate()

    # -- WidMethodWidget ------------------------------------------------------------------
    def title(self) -> str:
        """Name in the method chooser."""
        return tr("camera.ui.title")

    def retranslate(self) -> None:
        """Apply texts."""
        self.instruction.setText(tr("camera.ui.instruction"))
        self.manual.setText(tr("camera.ui.manual"))
        self.feedback.setText(tr(f"camera.hint.{self._hint.value}") if self._hint else "")
        if self.preview.pixmap().isNull():
            self.preview.setText(tr("camera.ui.starting"))

    def start(self) -> None:
        """Open the camera on its own thread and start reading."""
        if self._device is not None:
            return
        self._done = False
        self._reader = self._reader_factory()
        self.status.setText("")
        self._device = CameraDevice(
            self._source_factory(), self._analyse, self._bridge.device_event.emit
        )
        self._device.start()

    def stop(self) -> None:
        """Stop the camera thread and release the camera."""
        device, self._device = self._device, None
        if device is not None:
            device.stop()

    def clear(self) -> None:
        """Drop the preview, hints and everything the reader remembers of the document."""
        self.stop()
        with self._lock:
            if self._reader is not None:
                self._reader.clear()
            self._reader = None
        self.state = None
        self._hint = None
        self._done = False
        self.preview.clear()
        self.feedback.setText("")
        self.status.setText("")
        self.retranslate()

    # -- camera thread --------------------------------------------------------------------
    def _analyse(self, frame: np.ndarray) -> None:
        with self._lock:
            reader = self._reader
            if reader is None:
                return
            state = reader.feed(frame)
        self._bridge.frame.emit(preview_image(frame, state), state)

    # -- GUI thread -----------------------------------------------------------------------
    def _on_frame(self, image: QImage, state: VideoState) -> None:
        if self._device is None or self._done:
            return  # stopped or cleared meanwhile: drop late frames
        self.preview.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.preview.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.state = state
        self._hint = state.hint
        self.feedback.setText(tr(f"camera.hint.{state.hint.value}"))
        if state.accepted and state.result is not None:
            self._done = True
            self.stop()
            try:
                evidence = evidence_from_mrz(state.result, CheckMethod.MRZ_CAMERA)
            except EvidenceRejected as exc:
                message = "\n".join(p.translated() for p in exc.problems)
                self.status.setText(message)
                self.failed.emit(message)
                return
            self.status.setText(tr("camera.ui.read", ms=f"{state.ms:.0f}"))
            self.evidenceReady.emit(evidence)

    def _on_event(self, event: CameraEvent) -> None:
        if event.kind in (CameraEventKind.UNAVAILABLE, CameraEventKind.LOST) and event.error:
            self.status.setText(event.error.translated())
        elif event.kind in (CameraEventKind.STARTED, CameraEventKind.REOPENED):
            self.status.setText("")
        elif event.kind is CameraEventKind.ENDED and not self._done:
            self.status.setText(tr("camera.ui.ended"))

    def _manual(self) -> None:
        self.stop()
        self.manualRequested.emit()
        # Inside the step-2 page, switch to typing the MRZ straight away.
        parent = self.parentWidget()
        while parent is not None and not hasattr(parent, "select"):
            parent = parent.parentWidget()
        if parent is not None:
            parent.select(CheckMethod.MRZ_TYPED)
