"""Video voting: time to accept on synthetic clips, soft vote, hints, reset."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.mrz.ocr.features import ALPHABET
from kiosk.mrz.ocr.reader import FrameRead, MrzFrameReader, parse_lines
from kiosk.mrz.ocr.video import Hint, MrzVideoReader
from tests.mrzcorpus import make_sample, make_sequence

FPS = 30.0


class CameraClock:
    """A clock that advances one frame interval per reading (a 30 fps camera)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1 / FPS
        return self.t


@pytest.fixture(scope="module")
def frame_reader() -> MrzFrameReader:
    return MrzFrameReader()


@pytest.mark.parametrize(
    ("seed", "kind", "difficulty"),
    [(1, "TD3", "normal"), (2, "TD1", "hard"), (3, "EDL", "hard"), (4, "TD1", "normal")],
)
def test_clip_is_accepted_soon_after_the_document_is_readable(
    frame_reader, seed, kind, difficulty, record_property
):
    lines, frames = make_sequence(seed, kind, difficulty, frames=12, empty=2, far=2)
    video = MrzVideoReader(frame_reader, agree=2, clock=CameraClock())
    hints = []
    for frame in frames:
        state = video.feed(frame)
        hints.append(state.hint)
        if state.accepted:
            break
    assert state.accepted, hints
    assert state.text == "\n".join(lines)
    assert state.result is not None and state.result.valid
    assert hints[:2] == [Hint.SHOW_DOCUMENT, Hint.SHOW_DOCUMENT]
    # Frames from the document coming into view (held far away for 2 frames, which may
    # already be readable at 28% of the frame width) to acceptance.
    in_view = state.frames - 2
    assert 2 <= in_view <= 6, hints
    record_property("frames_to_accept", in_view)
    record_property("busy_ms", round(state.busy_ms, 1))
    assert state.ms == pytest.approx((state.frames - 1) * 1000 / FPS + state.last.ms, rel=1e-6)
    # Once accepted it stays accepted without reading more frames.
    again = video.feed(frames[0])
    assert again.accepted and again.frames == state.frames


class ScriptedReader(MrzFrameReader):
    """Returns prepared frame reads in order (the frames themselves are ignored)."""

    def __init__(self, reads: list[FrameRead]) -> None:
        self._reads = reads

    def read(self, frame: np.ndarray) -> FrameRead:
        return self._reads.pop(0)


def _read(lines: tuple[str, ...], wrong: dict[int, str], weight: float = 0.9) -> FrameRead:
    flat = "".join(lines)
    probs = np.full((len(flat), len(ALPHABET)), (1 - weight) / (len(ALPHABET) - 1), np.float32)
    for i, ch in enumerate(flat):
        probs[i, ALPHABET.index(wrong.get(i, ch))] = weight
    text = "".join(ALPHABET[k] for k in probs.argmax(axis=1))
    n = len(lines[0])
    read_lines = tuple(text[k * n : (k + 1) * n] for k in range(len(lines)))
    return FrameRead(read_lines, probs, parse_lines(read_lines), 5.0)


def test_document_held_too_far_asks_to_come_closer(frame_reader):
    # A passport page at 28% of a 1280-px frame: MRZ found, characters ~6 px wide. It may
    # even be read a frame later (two agreeing frames), but first the person is told.
    _, frames = make_sequence(1, "TD3", "normal", frames=4, empty=2, far=2)
    video = MrzVideoReader(frame_reader, clock=CameraClock())
    hints = [video.feed(f).hint for f in frames]
    assert hints[:3] == [Hint.SHOW_DOCUMENT, Hint.SHOW_DOCUMENT, Hint.CLOSER]
    assert hints[3] in (Hint.CLOSER, Hint.READ)


def test_vote_outweighs_a_character_lost_in_one_frame():
    lines = make_sample(11, "TD3", "normal").lines
    # Frame 1: a name letter misread (no check digit protects names); frames 2-3: clean.
    reads = [_read(lines, {7: "X"}), _read(lines, {}), _read(lines, {}), _read(lines, {})]
    assert reads[0].valid  # check digits cannot see the name error...
    video = MrzVideoReader(ScriptedReader(reads), window=5, agree=2, clock=CameraClock())
    first = video.feed(np.zeros((2, 2), np.uint8))
    assert not first.accepted  # ...so one frame is never enough,
    second = video.feed(np.zeros((2, 2), np.uint8))
    # ...and the vote of frames 1-2 is a tie, so it differs from frame 1's text:
    third = second if second.accepted else video.feed(np.zeros((2, 2), np.uint8))
    final = third if third.accepted else video.feed(np.zeros((2, 2), np.uint8))
    assert final.accepted
    assert final.text == "\n".join(lines)


def test_reset_forgets_everything():
    lines = make_sample(12, "TD1", "normal").lines
    reads = [_read(lines, {}) for _ in range(4)]
    video = MrzVideoReader(ScriptedReader(reads), agree=2, clock=CameraClock())
    video.feed(np.zeros((2, 2), np.uint8))
    assert video.feed(np.zeros((2, 2), np.uint8)).accepted
    video.clear()
    state = video.feed(np.zeros((2, 2), np.uint8))
    assert not state.accepted and state.frames == 1


def test_glare_on_the_mrz_is_reported(frame_reader):
    sample = make_sample(31, "TD3", "normal")
    video = MrzVideoReader(frame_reader, clock=CameraClock())
    first = video.feed(sample.image)
    assert first.hint is Hint.HOLD_STILL and first.last.quad is not None
    # A small saturated reflection on the MRZ band: still read, but the person is told.
    glared = sample.image.copy()
    (x0, y0), (x1, y1) = first.last.quad.min(axis=0), first.last.quad.max(axis=0)
    glared[int(y0) : int(y1), int(x1 - (x1 - x0) * 0.06) : int(x1)] = 255
    video.reset()
    assert video.feed(glared).hint is Hint.GLARE
    # A reflection that hides the MRZ where the guide asks for it: no MRZ, but glare.
    h, w = sample.image.shape[:2]
    blinded = sample.image.copy()
    blinded[int(0.6 * h) : int(0.9 * h), int(0.1 * w) : int(0.5 * w)] = 255
    video.reset()
    state = video.feed(blinded)
    assert not state.accepted and state.hint is Hint.GLARE
    video.reset()
    empty = make_sequence(31, "TD3", frames=1, empty=1, far=0)[1][0]
    assert video.feed(empty).hint is Hint.SHOW_DOCUMENT
