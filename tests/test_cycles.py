"""Cat-cow is done in slow cycles: counted, and a rushed pace is flagged once."""

import numpy as np
import pytest
from body import Camera, moving, posture, sequence

from pose.pipeline import check_track
from pose.routines import load_catalogue
from pose.track import Track


def cat_cow(period_s: float, seconds: float = 20.0) -> dict:
    pose, place = posture("all_fours")
    t = np.arange(0.0, seconds, 1 / 30)
    neck = lambda times: 2.5 + 22.5 * np.sin(2 * np.pi * times / period_s)  # noqa: E731
    image, world, vis = sequence(moving(pose, neck_flexion=neck), t, place, Camera("side_left"),
                                 rng=0, noise_m=0.002)
    track = Track(t, image, world, vis, np.ones(len(t), int), (640, 480), 30.0)
    report = check_track(track, load_catalogue(), stretch="cat_cow")
    return report.results[0].to_dict()


def test_slow_cycles_are_counted_and_held():
    result = cat_cow(period_s=6.0)
    assert result["cycles"] == 3
    assert result["bounces"] == []
    assert result["held_s"] == pytest.approx(20.0, abs=0.1)


def test_rushed_cycles_are_flagged_once():
    result = cat_cow(period_s=2.0)
    assert result["cycles"] == 9
    assert len(result["bounces"]) == 1
    assert result["bounces"][0]["frequency_hz"] == pytest.approx(0.5, abs=0.05)
