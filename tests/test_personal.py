"""Personal range: last time's comfortable depth plus a little, never past the safe limit."""

import numpy as np
import pytest
from body import sequence
from stretch_poses import ideal

from pose.coach import StretchChecker
from pose.personal import (
    MIN_COMFORTABLE_S,
    PROGRESSION_DEG,
    comfortable_values,
    personal_limits,
)
from pose.pipeline import check_track
from pose.routines import load_catalogue
from pose.sessions import limits_for, remember
from pose.store import open_store
from pose.track import Track

CATALOGUE = load_catalogue()


def knee_hug(hip: float, seconds: float = 12.0) -> Track:
    """Lying on the back, the left knee hugged to ``hip`` degrees of flexion for a while."""
    scene = ideal("knee_to_chest", "left", hip=hip)
    t = np.arange(0.0, seconds, 1 / 30)
    image, world, vis = sequence(scene.pose, t, scene.placement, scene.camera, rng=3,
                                 noise_m=0.001)
    return Track(t, image, world, vis, np.ones(len(t), int), (640, 480), 30.0)


def test_comfortable_depth_is_what_was_held():
    report = check_track(knee_hug(hip=115.0), CATALOGUE, stretch="knee_to_chest")
    values = comfortable_values(report)
    assert [(s, a) for s, a, _ in values] == [("knee_to_chest", "hip_flexion_left")]
    assert values[0][2] == pytest.approx(115.0, abs=1.5)


def test_a_short_hold_or_one_that_hurt_is_not_comfortable():
    """A 4 s session's 2 s hold moved the profile's range (and its next limit) for good; a
    hold that ended in a pain stop is the opposite of comfortable."""
    short = check_track(knee_hug(hip=115.0, seconds=6.0), CATALOGUE, stretch="knee_to_chest")
    left = next(r for r in short.results if r.side == "left")
    assert 0 < left.record.longest_s < MIN_COMFORTABLE_S
    assert comfortable_values(short) == []

    report = check_track(knee_hug(hip=115.0), CATALOGUE, stretch="knee_to_chest")
    left = next(r for r in report.results if r.side == "left")
    assert left.record.longest_s >= MIN_COMFORTABLE_S and comfortable_values(report)
    left.record.pain_stops.append(left.record.holds[-1].end_s + 1.0)
    assert comfortable_values(report) == []


def test_next_time_over_range_starts_a_little_deeper():
    limits = personal_limits(CATALOGUE, {"knee_to_chest": {"hip_flexion_left": 110.0}})
    (limit,) = limits["knee_to_chest"]
    assert (limit.angle, limit.high) == ("hip_flexion_left", 110.0 + PROGRESSION_DEG)

    # A user who goes well past it is warned, though still inside the stretch's safe limit.
    report = check_track(knee_hug(hip=130.0), CATALOGUE, stretch="knee_to_chest",
                         personal_limits=limits)
    left = next(r for r in report.results if r.side == "left")
    assert left.record.over_range and left.record.over_range[0]["limit_deg"] == 120.0
    assert "comfortable range" in next(e for e in report.events if e.kind == "over_range").message


def test_personal_limit_never_passes_the_safe_limit():
    limits = personal_limits(CATALOGUE, {"knee_to_chest": {"hip_flexion_left": 152.0}})
    assert limits["knee_to_chest"][0].high == 155.0  # the catalogue's safe limit


def test_deeper_towards_negative_angles_too():
    # The cobra deepens as the hip extends (negative flexion): depth 40 -> limit at -50.
    limits = personal_limits(CATALOGUE, {"cobra": {"hip_flexion_left": 40.0}})
    (limit,) = limits["cobra"]
    assert (limit.low, limit.high) == (-50.0, None)


def test_flexion_sensitive_starts_forward_bends_small():
    plain = personal_limits(CATALOGUE, {})
    sensitive = personal_limits(CATALOGUE, {}, flexion_sensitive=True)
    assert "seated_forward_fold" not in plain
    fold = {lim.angle: lim.high for lim in sensitive["seated_forward_fold"]}
    assert fold == {"hip_flexion_left": 120.0, "hip_flexion_right": 120.0}
    assert "knee_to_chest" not in sensitive  # not a forward bend
    grown = personal_limits(CATALOGUE, {"seated_forward_fold": {"hip_flexion_left": 120.0}},
                            flexion_sensitive=True)
    assert grown["seated_forward_fold"][0].high == 120.0 + PROGRESSION_DEG / 2


def test_sessions_grow_the_profile_range(tmp_path):
    track = knee_hug(hip=115.0)
    report = check_track(track, CATALOGUE, stretch="knee_to_chest")
    with open_store(tmp_path / "s.db") as store:
        profile = store.profile("ana")
        sid = store.save_analysis(track, report, profile_id=profile.id)
        remember(store, sid, report, profile.id)
        ranges = store.comfortable_ranges(profile.id)
        assert ranges["knee_to_chest"]["hip_flexion_left"] == pytest.approx(115.0, abs=1.5)
        limits = limits_for(store, profile, CATALOGUE)
    checker = StretchChecker(CATALOGUE.stretch("knee_to_chest"),
                             extra_limits=limits["knee_to_chest"])
    assert checker.extra_limits[0].high == pytest.approx(125.0, abs=1.5)


def test_a_stretch_on_both_sides_at_once_reads_its_depth_on_the_side_seen():
    """A bridge seen from its right: the far (left) hip is the model's guess, so the depth
    that becomes the profile's range, and its next limit, is read on the right hip (the left
    one was read, whichever side the camera saw)."""
    import dataclasses

    from body import Camera

    for view, near in (("side_right", "right"), ("side_left", "left")):
        scene = dataclasses.replace(ideal("glute_bridge"), camera=Camera(view))
        t = np.arange(0.0, 12.0, 1 / 30)
        image, world, vis = sequence(scene.pose, t, scene.placement, scene.camera, rng=3,
                                     noise_m=0.001)
        report = check_track(Track(t, image, world, vis, np.ones(len(t), int), (640, 480),
                                   30.0), CATALOGUE, stretch="glute_bridge")
        values = comfortable_values(report)
        assert [(s, a) for s, a, _ in values] == [("glute_bridge", f"hip_flexion_{near}")]
