"""The live people count's gate (``pose.scene``): a still room around the person leaves the
count out once a few counts agree, anything new around them brings it back; on real footage
with the real model's poses, in daylight and dimmed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import sample

from pose.estimator import PoseEstimator
from pose.scene import (
    CONFIRM_COUNTS,
    GRID,
    MAX_UNCOUNTED_S,
    MIN_AROUND,
    SCENE_CHANGE_MIN,
    CountGate,
    Scene,
    person_cells,
    signature,
)
from pose.video import read_video


def _standing(x: float, y: float, height: float) -> np.ndarray:
    """Landmarks (33, 2) px filling a box ``height`` tall and a third as wide at (x, y)."""
    out = np.empty((33, 2))
    out[:, 0] = x + np.linspace(0, height / 3, 33)
    out[:, 1] = y + np.linspace(0, height, 33)
    return out


def _dim(rgb: np.ndarray, share: float) -> np.ndarray:
    return np.clip(rgb.astype(np.float32) * share, 0, 255).astype(np.uint8)


def test_signature_is_the_mean_colour_of_each_cell():
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[:20, :20] = (200, 100, 50)  # exactly the top left cell at 640x480
    cells = signature(rgb)
    assert cells.shape == (GRID[1], GRID[0], 3) and cells.dtype == np.int16
    assert cells[0, 0].tolist() == [200, 100, 50] and not cells[1:, 1:].any()


def test_the_person_cells_cover_the_box_with_a_margin_and_a_cell():
    cells = person_cells(_standing(300, 100, 300), (640, 480))
    rows, cols = np.nonzero(cells)
    # Box x 300-400, y 100-400; margins 15 px + 20 px across, 45 px + 20 px down.
    assert (cols.min(), cols.max()) == (13, 21) and (rows.min(), rows.max()) == (1, 23)
    assert cells[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
    assert not person_cells(np.full((33, 2), np.nan), (640, 480)).any()
    # A foot guessed far below the picture widens nothing above the person.
    guessed = _standing(300, 100, 300)
    guessed[-1] = (400, 1e308)
    rows, _ = np.nonzero(person_cells(guessed, (640, 480)))
    assert rows.min() >= 1


def test_a_change_around_the_person_counts_and_one_on_the_person_does_not():
    rng = np.random.default_rng(0)
    room = rng.integers(40, 200, (480, 640, 3)).astype(np.uint8)
    pose = _standing(300, 100, 300)
    before = Scene.of(room, pose, 0.0)

    # The camera's noise, and its exposure drifting by 5 %.
    noisy = np.clip((room + rng.integers(-12, 13, room.shape)) * 1.05, 0, 255).astype(np.uint8)
    assert not before.changed(Scene.of(noisy, pose, 2.0))

    moved = room.copy()
    moved[100:400, 300:400] = 255 - moved[100:400, 300:400]  # the person moves
    assert not before.changed(Scene.of(moved, pose, 2.0))

    walked_in = room.copy()
    walked_in[200:300, 40:80] = np.clip(walked_in[200:300, 40:80] // 2, 0, 255)  # a dark coat
    assert before.changed(Scene.of(walked_in, pose, 2.0))


def test_a_small_change_in_a_dark_room_counts():
    dark = np.full((480, 640, 3), 20, np.uint8)
    pose = _standing(300, 100, 300)
    visitor = dark.copy()
    visitor[200:300, 40:80] = 20 + SCENE_CHANGE_MIN  # a dim figure, 6 levels up
    assert Scene.of(dark, pose, 0.0).changed(Scene.of(visitor, pose, 1.0))
    noise = dark.copy()
    noise[200:300, 40:80] = 20 + SCENE_CHANGE_MIN - 1
    assert not Scene.of(dark, pose, 0.0).changed(Scene.of(noise, pose, 1.0))


def test_a_new_picture_size_or_a_person_filling_the_picture_always_counts():
    room = np.full((480, 640, 3), 90, np.uint8)
    pose = _standing(300, 100, 300)
    wide = np.full((360, 640, 3), 90, np.uint8)
    assert Scene.of(room, pose, 0.0).changed(Scene.of(wide, pose, 1.0))
    # Close to the camera: under MIN_AROUND of the picture left around the person.
    close = np.stack([np.linspace(100, 540, 33), np.linspace(0, 470, 33)], axis=1)
    assert (~person_cells(close, (640, 480))).mean() < MIN_AROUND
    assert Scene.of(room, close, 0.0).changed(Scene.of(room, close, 1.0))


def _still(t_s: float) -> Scene:
    return Scene.of(np.full((480, 640, 3), 90, np.uint8), _standing(300, 100, 300), t_s)


def _visited(t_s: float) -> Scene:
    rgb = np.full((480, 640, 3), 90, np.uint8)
    rgb[200:440, 20:100] = 200
    return Scene.of(rgb, _standing(300, 100, 300), t_s)


def _run(gate: CountGate, scenes: list[Scene], found: int = 1, crowd: bool = False
         ) -> list[bool]:
    """``gate.wanted`` for each scene, each count run reported as finding ``found``."""
    out = []
    for scene in scenes:
        out.append(gate.wanted(scene, crowd))
        if out[-1]:
            gate.counted(found)
    return out


def test_still_counts_are_left_out_once_confirmed_and_run_every_max_uncounted_s():
    assert (CONFIRM_COUNTS, MAX_UNCOUNTED_S) == (5, 4.0)
    gate = CountGate()
    ran = _run(gate, [_still(2.0 * i) for i in range(12)])  # a count due every 2 s for 22 s
    # Run at 0, 2, 4, 6, 8 (confirming); then at 12, 16 and 20, 4 s after the last one run.
    assert ran == [True] * 5 + [False, True, False, True, False, True, False]
    assert gate.skipped == 4


def test_a_visitor_the_counter_misses_is_counted_again_and_again_until_confirmed():
    assert (CONFIRM_COUNTS, MAX_UNCOUNTED_S) == (5, 4.0)
    gate = CountGate()
    _run(gate, [_still(2.0 * i) for i in range(6)])  # confirmed alone at 0-8, 10 left out
    # The visitor walks in at 12 s and stands still; the counter misses them every time.
    ran = _run(gate, [_visited(12.0 + 2.0 * i) for i in range(7)])
    # Their picture becomes the still room only through five counts that all missed them;
    # even then they are counted every 4 s.
    assert ran == [True] * 5 + [False, True]
    # One count that sees them starts the confirmation again.
    gate = CountGate()
    ran = [gate.wanted(_visited(2.0 * i), False) for i in range(4)]
    for found in (1, 1, 2, 1):
        gate.counted(found)
    assert ran == [True] * 4 and gate.wanted(_visited(8.0), False)


def test_every_count_runs_while_several_people_are_in_view():
    gate = CountGate()
    _run(gate, [_still(2.0 * i) for i in range(CONFIRM_COUNTS)])
    assert _run(gate, [_still(6.0 + i) for i in range(5)], found=2, crowd=True) == [True] * 5


def test_time_going_back_counts():
    gate = CountGate()
    _run(gate, [_still(10.0 + 2.0 * i) for i in range(CONFIRM_COUNTS)])
    assert not gate.wanted(_still(10.0 + 2.0 * CONFIRM_COUNTS), False)
    assert gate.wanted(_still(1.0), False)  # a new recording


def _scenes(name: str, every_s: float = 2.0, limit_s: float = 60.0,
            track_s: float | None = None) -> dict[float, list[Scene]]:
    """The scenes of a real clip every ``every_s`` s, with the model's pose of that frame: in
    daylight (share 1.0) and at 0.15 of its brightness (a room lit by a screen). With
    ``track_s``, the model sees only the frames of the last ``track_s`` s before each."""
    out: dict[float, list[Scene]] = {1.0: [], 0.15: []}
    with PoseEstimator(count_people_every_s=None) as est, read_video(sample(name)) as reader:
        for frame in reader:
            if frame.t_s > limit_s:
                break
            if track_s is not None and out[1.0] \
                    and frame.t_s - out[1.0][-1].t_s < every_s - track_s:
                continue
            pose = est.process(frame.rgb, frame.t_s)
            if pose is not None and (not out[1.0] or frame.t_s - out[1.0][-1].t_s >= every_s):
                for share, scenes in out.items():
                    scenes.append(Scene.of(_dim(frame.rgb, share), pose.image, frame.t_s))
    return out


@pytest.mark.parametrize("name", ["A06_sports2d_lateral_raise_reps_front.mp4",
                                  "A01_tfjs_pose_squats_front.mp4"])
def test_a_person_exercising_alone_in_a_real_room_leaves_the_count_out(name):
    for share, scenes in _scenes(name, track_s=0.5).items():
        assert len(scenes) >= 4
        # The gate compares each picture with its reference: here the first, all clip long.
        assert not any(scenes[0].changed(later) for later in scenes[1:]), share


def test_people_walking_through_a_real_picture_bring_the_count_back():
    for share, scenes in _scenes("A07_opencv_vtest_pedestrians_NEGATIVE.avi",
                                 limit_s=32.0).items():
        assert len(scenes) >= 5
        assert all(a.changed(b) for a, b in zip(scenes, scenes[1:], strict=False)), share


def test_a_live_estimator_in_a_still_room_counts_until_confirmed_then_every_few_seconds():
    with read_video(sample("tfjs_pose.jpg")) as reader:
        person = next(iter(reader)).rgb
    two = np.ascontiguousarray(np.concatenate([person, person[:, ::-1]], axis=1))
    alone = np.ascontiguousarray(two[:, : person.shape[1]])
    people = []
    with PoseEstimator(count_people_every_s=0.5, watch_scene=True) as est:
        # Alone, a frame every 0.6 s: due every 1.0 s (0, 1.2, 2.4, ... 9.6).
        for i in range(17):
            est.process(alone, i * 0.6)
        # Counted at 0, 1.2, 2.4, 3.6, 4.8 (confirming), then left out until 4 s after: 9.6.
        assert est.people_counts == [1] * (CONFIRM_COUNTS + 1) and est.counts_skipped == 3
        for i in range(17, 22):  # a second person walks in at 10.2 s
            pose = est.process(two, i * 0.6)
            people.append(pose.people if pose is not None else None)
        # The picture changed: counted at the first due frame with a pose, flagged at the
        # second count in a row that saw several, as without the gate.
        assert people == [None, 1, 2, 2, 2] and est.people_counts[-4:] == [2, 2, 2, 2]
