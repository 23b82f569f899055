"""Ballistic movement is found anywhere, at 5-60 fps; holds, slow moves and flicker are not it."""

from __future__ import annotations

import numpy as np
import pytest

from pose.ballistic import MESSAGE, BallisticWatch
from pose.coach import CatalogueChecker
from pose.estimator import PoseFrame
from pose.routines import load_catalogue


def run(streams: dict[str, np.ndarray], fps: float):
    n = len(next(iter(streams.values())))
    t = np.arange(n) / fps
    watch = BallisticWatch()
    return [e for i in range(n)
            if (e := watch.update(float(t[i]), {k: float(v[i]) for k, v in streams.items()}))]


def jacks(fps: float, seconds: float = 8.0, hz: float = 1.35) -> dict[str, np.ndarray]:
    """Jumping jacks: arms from the sides to overhead and legs apart and back, ``hz`` a second."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    phase = 0.5 - 0.5 * np.cos(2 * np.pi * hz * t)  # 0 arms down, 1 arms up
    return {"shoulder_abduction_left": 10 + 160 * phase, "shoulder_abduction_right": 10 + 160 * phase,
            "hip_abduction_left": 2 + 15 * phase, "hip_abduction_right": 2 + 15 * phase,
            "trunk_inclination": np.full_like(t, 3.0), "knee_flexion_left": 5 + 10 * phase}


@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0, 30.0, 60.0])
def test_jumping_jacks_are_one_ballistic_episode_at_any_rate(fps):
    found = run(jacks(fps), fps)
    assert len(found) == 1
    b = found[0]
    assert b.t_s < 3.5
    assert b.frequency_hz == pytest.approx(1.35, rel=0.25)
    assert {"shoulder_abduction_left", "shoulder_abduction_right"} <= set(b.joints)
    assert b.detail.startswith("fast repeated movement of the arms")


def test_a_second_episode_after_a_rest_is_reported_again():
    fps = 30.0
    a, rest = jacks(fps, 4.0), {k: np.full(int(5 * fps), v[0]) for k, v in jacks(fps, 4.0).items()}
    streams = {k: np.concatenate([a[k], rest[k], a[k]]) for k in a}
    found = run(streams, fps)
    assert len(found) == 2 and found[1].t_s > 9.0


@pytest.mark.parametrize("fps", [5.0, 30.0])
def test_slow_moves_holds_and_one_flickering_limb_are_not_ballistic(fps):
    t = np.arange(0.0, 20.0, 1.0 / fps)
    rng = np.random.default_rng(3)
    still = {name: 90 + rng.normal(0, 1.5, len(t)) for name in
             ("trunk_inclination", "hip_flexion_left", "hip_flexion_right", "knee_flexion_left")}
    assert run(still, fps) == []                       # a hold, with landmark jitter
    slow = {"shoulder_abduction_left": 90 + 80 * np.sin(2 * np.pi * 0.3 * t),
            "shoulder_abduction_right": 90 + 80 * np.sin(2 * np.pi * 0.3 * t)}
    assert run(slow, fps) == []                        # slow arm circles, 0.3 Hz
    stand_up = {"hip_flexion_left": np.clip(90 - 60 * (t - 5), 0, 90),
                "knee_flexion_left": np.clip(90 - 60 * (t - 5), 0, 90)}
    assert run(stand_up, fps) == []                    # one ordinary transition
    far_leg = dict(still, knee_flexion_right=60 + 30 * np.sign(np.sin(2 * np.pi * 1.5 * t)))
    assert run(far_leg, fps) == []                     # one limb alone swinging (a far leg's flicker)


def test_live_auto_mode_flags_it_with_the_detail():
    """CatalogueChecker (live auto mode) raises a bounce event with no stretch and a detail."""
    fps = 30.0
    streams = jacks(fps)
    checker = CatalogueChecker(list(load_catalogue().stretches.values()))
    n = len(next(iter(streams.values())))
    pose = PoseFrame(0.0, np.zeros((33, 2)), np.zeros((33, 3)), np.ones(33), (640, 480))
    events = []
    for i in range(n):
        angles = {k: float(v[i]) for k, v in streams.items()}
        events += [e for e in checker.update(i / fps, pose, angles)[1] if e.kind == "bounce"
                   and e.stretch is None]
    assert len(events) == 1
    assert events[0].message == MESSAGE
    assert "arms" in str(events[0].data["detail"])
