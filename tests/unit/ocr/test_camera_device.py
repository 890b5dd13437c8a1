"""The camera device: one owning thread, file sources, unplug and replug with backoff."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from kiosk.devices.camera import (
    CameraDevice,
    CameraEvent,
    CameraEventKind,
    CameraLost,
    CameraUnavailable,
    FileSource,
    OpenCvSource,
    source_for,
)

K = CameraEventKind


def _frames(n: int) -> list[np.ndarray]:
    return [np.full((48, 64, 3), 10 * i, np.uint8) for i in range(n)]


class Recorder:
    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []
        self.events: list[CameraEvent] = []
        self.threads: set[str] = set()
        self.done = threading.Event()

    def frame(self, frame: np.ndarray) -> None:
        self.threads.add(threading.current_thread().name)
        self.frames.append(frame)

    def event(self, event: CameraEvent) -> None:
        self.events.append(event)
        if event.kind is K.STOPPED:
            self.done.set()

    @property
    def kinds(self) -> list[CameraEventKind]:
        return [e.kind for e in self.events]


def test_folder_of_images_is_played_on_the_device_thread(tmp_path):
    for i, frame in enumerate(_frames(3)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), frame)
    (tmp_path / "3.jpg").write_bytes(b"\xff\xd8\xff truncated")  # skipped, not fatal
    (tmp_path / "readme.txt").write_text("ignored")
    rec = Recorder()
    device = CameraDevice(FileSource([tmp_path]), rec.frame, rec.event)
    device.start()
    assert rec.done.wait(10)
    assert [int(f[0, 0, 0]) for f in rec.frames] == [0, 10, 20]
    assert rec.kinds == [K.STARTED, K.ENDED, K.STOPPED]
    assert rec.threads == {"camera"}
    assert not device.running


def test_video_file_source(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    assert writer.isOpened()
    for frame in _frames(5):
        writer.write(frame)
    writer.release()
    source = FileSource([path])
    source.open()
    got = []
    while (frame := source.read()) is not None:
        got.append(frame)
    source.close()
    assert len(got) == 5 and got[0].shape == (48, 64, 3)


def test_looping_file_source_is_paced_like_a_camera(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), _frames(1)[0])
    pauses: list[float] = []
    source = FileSource([tmp_path / "a.png"], loop=True, interval=0.05, sleep=pauses.append)
    source.open()
    for _ in range(4):
        assert source.read() is not None
    assert pauses == [0.05] * 4


def test_empty_or_missing_file_source_is_unavailable(tmp_path):
    with pytest.raises(CameraUnavailable):
        FileSource([tmp_path / "missing"]).open()
    with pytest.raises(CameraUnavailable):
        FileSource([tmp_path]).open()


class UnpluggableCamera:
    """A FrameSource that is absent, delivers, gets unplugged and comes back (a script)."""

    def __init__(self, script: list[str]) -> None:
        self.script = script  # per open(): "absent" or "frames:N" (then unplugged)
        self.opened = 0
        self.closed = 0
        self._left = 0

    def open(self) -> None:
        step = self.script.pop(0) if self.script else "absent"
        self.opened += 1
        if step == "absent":
            raise CameraUnavailable(device="test")
        self._left = int(step.split(":")[1])

    def read(self) -> np.ndarray | None:
        if self._left == 0:
            raise CameraLost(device="test")
        self._left -= 1
        return _frames(1)[0]

    def close(self) -> None:
        self.closed += 1


def test_unplug_and_replug_reopen_with_backoff():
    camera = UnpluggableCamera(["absent", "frames:3", "absent", "absent", "frames:2"])
    rec = Recorder()
    device = CameraDevice(camera, rec.frame, rec.event, backoff=0.01, max_backoff=0.04)
    device.start()
    deadline = threading.Event()
    for _ in range(200):
        if len(rec.frames) == 5 and K.LOST in rec.kinds[4:]:
            break
        deadline.wait(0.01)
    device.stop()
    assert rec.done.wait(5)
    assert rec.kinds[:7] == [
        K.UNAVAILABLE,
        K.REOPENED,
        K.LOST,
        K.UNAVAILABLE,
        K.UNAVAILABLE,
        K.REOPENED,
        K.LOST,
    ]
    assert rec.kinds[-1] is K.STOPPED
    assert len(rec.frames) == 5
    errors = [e.error for e in rec.events if e.error is not None]
    assert all(err.message_key.startswith("camera.error.") for err in errors)
    assert camera.closed >= 2  # every successful open was closed again


def test_absent_camera_index_is_unavailable_and_stop_is_prompt():
    source = OpenCvSource(97)
    with pytest.raises(CameraUnavailable):
        source.open()
    rec = Recorder()
    device = CameraDevice(source, rec.frame, rec.event, backoff=0.01, max_backoff=0.02)
    device.start()
    for _ in range(300):
        if rec.kinds.count(K.UNAVAILABLE) >= 2:
            break
        threading.Event().wait(0.01)
    device.stop()
    assert rec.done.wait(5)
    assert rec.kinds.count(K.UNAVAILABLE) >= 2 and rec.frames == []


def test_device_setting_picks_the_source(tmp_path):
    assert isinstance(source_for("0"), OpenCvSource)
    assert isinstance(source_for(str(tmp_path)), FileSource)
