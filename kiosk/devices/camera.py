"""The camera device: frames from a webcam, a document camera or files, on one worker thread.

Port and adapters (DESIGN.md sections 2 and 9)::

    FrameSource (Protocol)        open() / read() / close(); used ONLY by the device thread
    +-- OpenCvSource              cv2.VideoCapture on a device index: resolution and focus
    |                             where the driver supports them
    +-- FileSource                images, a folder of images, or a video file (tests, flatbed
                                  scanners, demos), paced like a camera
    CameraDevice                  owns one FrameSource on its own thread (a DeviceOwner, the
                                  same helper as the card reader's); hands every frame
                                  to a callback on that thread and reports CameraEvents;
                                  reopens with exponential backoff after an unplug

The UI never touches ``cv2.VideoCapture``; it starts and stops a :class:`CameraDevice` and
receives frames (and does its frame analysis) on the device thread, passing results to the
GUI thread through queued signals. Frames live in memory only: nothing here writes a frame
to disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from kiosk.devices.owner import DeviceOwner
from kiosk.errors import EnvironmentFailure, KioskError

#: Image files a :class:`FileSource` shows, in name order when given a folder.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2"})


class CameraUnavailable(EnvironmentFailure):
    """The camera could not be opened (absent, busy, no permission, unreadable file)."""

    message_key = "camera.error.unavailable"


class CameraLost(EnvironmentFailure):
    """The camera stopped delivering frames (unplugged, driver reset)."""

    message_key = "camera.error.lost"


class FrameSource(Protocol):
    """Something that yields BGR frames; only the device thread calls it."""

    def open(self) -> None:
        """Open the source; raise :class:`CameraUnavailable` when that is impossible."""

    def read(self) -> np.ndarray | None:
        """Return the next frame; None at the end of a finite source.

        Raise :class:`CameraLost` when a live source stops delivering.
        """

    def close(self) -> None:
        """Release the source (idempotent)."""


@dataclass(frozen=True)
class CameraSettings:
    """What to ask the driver for; a driver may ignore any of it (``cap.set`` says so)."""

    width: int = 1280
    height: int = 720
    autofocus: bool = True
    focus: float | None = None  # manual focus value (driver units) when autofocus is off


class OpenCvSource:
    """A camera by OpenCV device index (V4L2 on Linux, Media Foundation on Windows)."""

    def __init__(
        self,
        index: int,
        settings: CameraSettings = CameraSettings(),
        backend: int = cv2.CAP_ANY,
    ) -> None:
        self.index = index
        self.settings = settings
        self._backend = backend
        self._cap: cv2.VideoCapture | None = None
        #: Which settings the driver accepted (for ``kiosk doctor`` and logs).
        self.applied: dict[str, bool] = {}

    def open(self) -> None:
        """Open the device and apply resolution and focus where supported."""
        cap = cv2.VideoCapture(self.index, self._backend)
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(device=str(self.index))
        s = self.settings
        self.applied = {
            "width": bool(cap.set(cv2.CAP_PROP_FRAME_WIDTH, s.width)),
            "height": bool(cap.set(cv2.CAP_PROP_FRAME_HEIGHT, s.height)),
            "autofocus": bool(cap.set(cv2.CAP_PROP_AUTOFOCUS, 1 if s.autofocus else 0)),
        }
        if s.focus is not None and not s.autofocus:
            self.applied["focus"] = bool(cap.set(cv2.CAP_PROP_FOCUS, s.focus))
        # Keep the driver queue short so frames are fresh, not seconds old.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap

    def read(self) -> np.ndarray | None:
        """Grab the next frame; a failed grab on a live camera means it was lost."""
        if self._cap is None:
            raise CameraLost(device=str(self.index))
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise CameraLost(device=str(self.index))
        return np.asarray(frame)

    def close(self) -> None:
        """Release the device."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class FileSource:
    """Frames from image files, a folder of images, or a video file, paced like a camera.

    ``loop`` repeats the sequence (a demo or a flatbed scan shown until read); ``interval``
    is the pause between frames in seconds (0 for tests that want every frame at once).
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        *,
        loop: bool = False,
        interval: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._paths = [Path(p) for p in paths]
        self._loop = loop
        self._interval = interval
        self._sleep = sleep
        self._files: list[Path] = []
        self._index = 0
        self._video: cv2.VideoCapture | None = None

    def open(self) -> None:
        """Resolve folders into their images; raise when there is nothing to show."""
        files: list[Path] = []
        for path in self._paths:
            if path.is_dir():
                images = (p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
                files.extend(sorted(images))
            elif path.is_file():
                files.append(path)
        if not files:
            raise CameraUnavailable(device="file")
        self._files, self._index = files, 0

    def _next_file_frame(self) -> np.ndarray | None:
        while True:
            if self._video is not None:
                ok, frame = self._video.read()
                if ok and frame is not None:
                    return np.asarray(frame)
                self._video.release()
                self._video = None
            if self._index >= len(self._files):
                if not self._loop or not self._files:
                    return None
                self._index = 0
            path = self._files[self._index]
            self._index += 1
            if path.suffix.lower() in IMAGE_SUFFIXES:
                image = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
                if image is not None:
                    return np.asarray(image)
                continue  # unreadable or truncated image: OpenCV returns None; skip it
            video = cv2.VideoCapture(str(path))
            if video.isOpened():
                self._video = video
            else:
                video.release()

    def read(self) -> np.ndarray | None:
        """The next frame after ``interval``; None at the end (unless looping)."""
        if self._interval > 0:
            self._sleep(self._interval)
        return self._next_file_frame()

    def close(self) -> None:
        """Release an open video file."""
        if self._video is not None:
            self._video.release()
            self._video = None


def source_for(spec: str, settings: CameraSettings = CameraSettings()) -> FrameSource:
    """Source for the ``camera.device`` setting: a device index, or a file/folder/video path."""
    if spec.strip().isdigit():
        return OpenCvSource(int(spec), settings)
    return FileSource([spec], loop=True, interval=1 / 15)


class CameraEventKind(StrEnum):
    """What happened to the camera."""

    STARTED = "started"  # first frame source opened
    UNAVAILABLE = "unavailable"  # could not open; retrying with backoff
    LOST = "lost"  # stopped delivering; retrying with backoff
    REOPENED = "reopened"  # delivering again after UNAVAILABLE or LOST
    ENDED = "ended"  # a finite file source has no more frames
    STOPPED = "stopped"  # stop() was called; the thread is gone


@dataclass(frozen=True, slots=True)
class CameraEvent:
    """An event from the camera thread."""

    kind: CameraEventKind
    error: KioskError | None = field(default=None, compare=False)


FrameCallback = Callable[[np.ndarray], None]
EventCallback = Callable[[CameraEvent], None]


class CameraDevice:
    """Owns a :class:`FrameSource` on one thread; survives unplug and replug.

    The same source object is closed and opened again after a failure (an
    :class:`OpenCvSource` makes a fresh ``VideoCapture`` each time).

    ``on_frame`` is called on the device thread for every frame, so frame analysis (OCR)
    runs there too and the camera naturally drops frames while it is busy. ``on_event``
    gets :class:`CameraEvent` s, also on the device thread. After a failure the device
    closes the source and reopens it after ``backoff`` seconds, doubling up to
    ``max_backoff``, until it works again or :meth:`stop` is called.
    """

    def __init__(
        self,
        source: FrameSource,
        on_frame: FrameCallback,
        on_event: EventCallback = lambda event: None,
        *,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
    ) -> None:
        self._source = source
        self._on_frame = on_frame
        self._on_event = on_event
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._owner = DeviceOwner("camera")
        self.frames = 0

    @property
    def running(self) -> bool:
        """True while the device thread runs."""
        return self._owner.running

    def start(self) -> None:
        """Start the device thread (no-op when running)."""
        if self.running:
            return
        self._owner.start(self._run)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and release the source; safe to call repeatedly."""
        self._owner.stop(timeout)

    def _emit(self, kind: CameraEventKind, error: KioskError | None = None) -> None:
        self._on_event(CameraEvent(kind, error))

    def _run(self) -> None:
        delay = self._backoff
        failed = False
        source = self._source
        owner = self._owner
        while not owner.stopping:
            try:
                source.open()
            except CameraUnavailable as err:
                failed = True
                self._emit(CameraEventKind.UNAVAILABLE, err)
                owner.wait(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            self._emit(CameraEventKind.REOPENED if failed else CameraEventKind.STARTED)
            try:
                while not owner.stopping:
                    frame = source.read()
                    if frame is None:
                        self._emit(CameraEventKind.ENDED)
                        owner.stop()  # on the owner thread: only asks, never joins itself
                        break
                    delay = self._backoff  # healthy again
                    self.frames += 1
                    self._on_frame(frame)
            except CameraLost as err:
                failed = True
                self._emit(CameraEventKind.LOST, err)
                owner.wait(delay)
                delay = min(delay * 2, self._max_backoff)
            finally:
                source.close()
        self._emit(CameraEventKind.STOPPED)
