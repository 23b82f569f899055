"""Synthetic sessions with known answers, built with the forward-kinematics body (``body.py``)."""

from __future__ import annotations

import numpy as np
from body import Camera, posture, sequence

from pose.landmarks import PoseFrame
from pose.track import Track


def synthetic_knee_to_chest(hold_from: float, hold_to: float, length: float) -> Track:
    """Lying on the back; the left knee hugged between two times, the foot down otherwise."""
    fps = 30.0
    t = np.arange(0.0, length, 1.0 / fps)
    pose, place = posture("supine", knee_flexion=90.0, hip_flexion=45.0)
    held = (t >= hold_from) & (t <= hold_to)
    image, world, vis = sequence(
        lambda times: type(pose)(**{**pose.__dict__,
                                    "hip_flexion_left": np.where(held, 120.0, 45.0),
                                    "knee_flexion_left": np.where(held, 110.0, 90.0)}),
        t, place, Camera("side_left"), rng=1, noise_m=0.002, noise_px=0.5)
    people = np.ones(len(t), dtype=np.int64)
    return Track(t, image, world, vis, people, (640, 480), fps, "synthetic", "full")


def poses_of(track: Track) -> list[PoseFrame | None]:
    """The track's frames as the poses a pose stream would give."""
    return [track.frame(i) for i in range(len(track))]


class EmptyRoom:
    """A camera looking at an empty room: the real model finds no one in a blank picture, so
    the tests of what surrounds it need not load it."""

    def process(self, rgb: np.ndarray, t_s: float) -> None:
        return None

    def close(self) -> None:
        pass
