"""The people count's gate (``pose.scene``): a still room around the person leaves the count
out, anything new around them brings it back; on real footage, with the real model's poses."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import sample

from pose.estimator import PoseEstimator
from pose.scene import GRID, MAX_UNCOUNTED_S, SCENE_CHANGE, Scene, person_cells, signature
from pose.video import read_video


def _standing(x: float, y: float, height: float) -> np.ndarray:
    """Landmarks (33, 2) px filling a box ``height`` tall and a third as wide at (x, y)."""
    out = np.empty((33, 2))
    out[:, 0] = x + np.linspace(0, height / 3, 33)
    out[:, 1] = y + np.linspace(0, height, 33)
    return out


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


def test_a_change_around_the_person_counts_and_one_on_the_person_does_not():
    rng = np.random.default_rng(0)
    room = rng.integers(40, 200, (480, 640, 3)).astype(np.uint8)
    pose = _standing(300, 100, 300)
    before = Scene.of(room, pose, 0.0)

    noisy = np.clip(room + rng.integers(-6, 7, room.shape), 0, 255).astype(np.uint8)
    assert not before.changed(Scene.of(noisy, pose, 2.0))  # the camera's noise

    moved = room.copy()
    moved[100:400, 300:400] = 255 - moved[100:400, 300:400]  # the person moves
    assert not before.changed(Scene.of(moved, pose, 2.0))

    walked_in = room.copy()
    walked_in[200:300, 40:80] = np.clip(walked_in[200:300, 40:80] + SCENE_CHANGE + 20, 0, 255)
    assert before.changed(Scene.of(walked_in, pose, 2.0))


def test_time_and_a_person_filling_the_picture_bring_the_count_back():
    room = np.full((480, 640, 3), 90, np.uint8)
    pose = _standing(300, 100, 300)
    before = Scene.of(room, pose, 5.0)
    assert not before.changed(Scene.of(room, pose, 5.0 + MAX_UNCOUNTED_S - 0.1))
    assert before.changed(Scene.of(room, pose, 5.0 + MAX_UNCOUNTED_S))
    assert before.changed(Scene.of(room, pose, 4.0))  # time went back: a new recording
    close_up = np.stack([np.linspace(-50, 700, 33), np.linspace(-50, 520, 33)], axis=1)
    assert Scene.of(room, close_up, 0.0).changed(Scene.of(room, close_up, 1.0))


def _scenes(name: str, every_s: float = 2.0, limit_s: float = 60.0) -> list[Scene]:
    """The scene of a real clip every ``every_s`` s, with the model's pose of that frame."""
    out: list[Scene] = []
    with PoseEstimator(count_people_every_s=None) as est, read_video(sample(name)) as reader:
        for frame in reader:
            if frame.t_s > limit_s:
                break
            pose = est.process(frame.rgb, frame.t_s)
            if pose is not None and (not out or frame.t_s - out[-1].t_s >= every_s):
                out.append(Scene.of(frame.rgb, pose.image, frame.t_s))
    return out


@pytest.mark.parametrize(("name", "limit_s"), [("A06_sports2d_lateral_raise_reps_front.mp4", 10.5),
                                              ("A01_tfjs_pose_squats_front.mp4", 60.0)])
def test_a_person_exercising_alone_in_a_real_room_leaves_the_count_out(name, limit_s):
    scenes = _scenes(name, limit_s=limit_s)
    assert len(scenes) >= 3
    assert not any(a.changed(b) for a, b in zip(scenes, scenes[1:], strict=False))


def test_people_walking_through_a_real_picture_bring_the_count_back():
    scenes = _scenes("A07_opencv_vtest_pedestrians_NEGATIVE.avi", limit_s=32.0)
    assert len(scenes) >= 5
    assert all(a.changed(b) for a, b in zip(scenes, scenes[1:], strict=False))


def test_someone_stepping_into_a_real_room_brings_the_count_back():
    with read_video(sample("tfjs_pose.jpg")) as reader:
        visitor = next(iter(reader)).rgb
    scenes = []
    with PoseEstimator(count_people_every_s=None) as est, \
            read_video(sample("A06_sports2d_lateral_raise_reps_front.mp4")) as reader:
        for frame in reader:
            pose = est.process(frame.rgb, frame.t_s)
            if pose is not None and frame.t_s >= 2.0 * len(scenes):
                scenes.append((frame.rgb.copy(), pose.image))
            if len(scenes) == 2:
                break
    (room, pose0), (later, pose1) = scenes
    h, w = later.shape[:2]
    small = cv2.resize(visitor, (visitor.shape[1] * h // 3 // visitor.shape[0], h // 3))
    # At the far side of the picture from the man, a third of its height.
    left = pose1[:, 0].min() > w / 2
    x = 10 if left else w - small.shape[1] - 10
    later[h - small.shape[0] - 10:h - 10, x:x + small.shape[1]] = small
    assert Scene.of(room, pose0, 0.0).changed(Scene.of(later, pose1, 2.0))
