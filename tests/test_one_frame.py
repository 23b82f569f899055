"""One live frame's big joints in plain floats (``pose.one_frame``) are ``pose.angles``' own
numbers to the bit: on awkward frames here, and on every other frame of the real clips in
``tests/test_angles_speed.py``."""

from __future__ import annotations

import numpy as np
import pytest

from pose import angles, one_frame
from pose import landmarks as lm
from pose.ballistic import BIG_JOINTS


def same(got: np.ndarray, want: np.ndarray) -> bool:
    """The same numbers to the bit, NaN where NaN (a NaN's sign bit is the vector unit's
    order of operands, and means nothing: no measure reads it)."""
    return got.tobytes() == want.tobytes() or bool(np.isnan(got).all() and np.isnan(want).all())


def awkward_frames(n: int = 400, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, 33, 2) image, (N, 33, 3) world, (N, 33) visibility: random bodies, some with a leg
    bone shortened (the knee restored), of no length, joints on top of each other, unseen."""
    rng = np.random.default_rng(seed)
    world = rng.normal(scale=0.4, size=(n, lm.N_LANDMARKS, 3))
    vis = rng.uniform(0.0, 1.0, size=(n, lm.N_LANDMARKS))
    vis[::2] = 1.0
    for i in range(0, n, 3):  # one thigh shortened by a depth guess: 60-95 % of its twin
        hip, knee = (lm.LEFT_HIP, lm.LEFT_KNEE) if i % 2 else (lm.RIGHT_HIP, lm.RIGHT_KNEE)
        world[i, knee] = world[i, hip] + rng.uniform(0.6, 0.95) * (world[i, knee] - world[i, hip])
    world[5::17, lm.LEFT_KNEE] = world[5::17, lm.LEFT_HIP]  # a thigh of no length
    world[6::17, lm.RIGHT_SHOULDER] = world[6::17, lm.LEFT_SHOULDER]
    world[7::17, lm.LEFT_ELBOW] = world[7::17, lm.LEFT_SHOULDER]
    world[8::17] = 0.0  # every joint in one place
    world[9::17, lm.LEFT_ANKLE, :2] = world[9::17, lm.LEFT_KNEE, :2]  # a shank along the view
    image = world[..., :2] * 300.0 + 320.0
    return image, world, vis


def test_one_frame_equals_the_block_on_awkward_frames():
    image, world, vis = awkward_frames()
    whole = angles.joint_angles(image, world, vis)
    for i in range(len(world)):
        one = angles.LazyAngles(image[i], world[i], vis[i])
        for name in angles.ANGLE_NAMES:
            assert same(one[name], whole[name][i:i + 1]), (i, name)


def test_the_big_joints_of_one_frame_take_no_numpy_measure(monkeypatch):
    def numpy_measure(*args):
        raise AssertionError("measured through numpy")

    image, world, vis = awkward_frames(12)
    monkeypatch.setattr(angles, "_body_axes", numpy_measure)
    monkeypatch.setattr(angles, "restored_knee_flexion", numpy_measure)
    for i in range(0, 12, 3):  # every third frame has a leg bone shortened
        one = angles.FrameAngles(angles.LazyAngles(image[i], world[i], vis[i]))
        for name in BIG_JOINTS + ("chest_up", "chest_up_shoulders", "thigh_inclination_left",
                                  "shank_inclination_right"):
            one[name]
    with pytest.raises(AssertionError, match="numpy"):  # the rest still through numpy
        angles.FrameAngles(angles.LazyAngles(image[0], world[0], vis[0]))["elbow_flexion_left"]


def test_a_frame_without_world_landmarks_is_measured_on_the_image():
    image, world, vis = awkward_frames(4)
    world[1, 3] = np.nan
    whole = angles.joint_angles(image, world, vis)
    for i in range(4):
        one = angles.LazyAngles(image[i], world[i], vis[i])
        for name in BIG_JOINTS:
            assert same(one[name], whole[name][i:i + 1]), (i, name)


def test_a_numpy_that_sums_otherwise_measures_every_frame_itself(monkeypatch):
    """Where this numpy's dot product is not ``_dot``'s (another build, another processor),
    the floats are not used: every measure goes through numpy, the same as the block."""
    monkeypatch.setattr(one_frame, "_dot", lambda a, b: (a[0] * b[0] + a[1] * b[1]) + a[2] * b[2])
    one_frame.agrees_with_numpy.cache_clear()
    try:
        assert not one_frame.agrees_with_numpy()
        image, world, vis = awkward_frames(30)
        whole = angles.joint_angles(image, world, vis)
        for i in range(len(world)):
            one = angles.LazyAngles(image[i], world[i], vis[i])
            for name in angles.ANGLE_NAMES:
                assert same(one[name], whole[name][i:i + 1]), (i, name)
    finally:
        one_frame.agrees_with_numpy.cache_clear()


def test_one_frame_takes_one_frame():
    with pytest.raises(ValueError, match="one frame"):
        one_frame.OneFrame.of(np.zeros((2, lm.N_LANDMARKS, 3)), np.ones((2, lm.N_LANDMARKS)), 0.5)
