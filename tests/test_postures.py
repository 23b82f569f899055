"""Whole-body postures on real and synthetic bodies: kneeling told from squatting.

The shin's angle from the plumb line (``shank_inclination_<side>``) is what tells a body on its
knees (shins along the floor, ~90 deg) from one squatting on its feet (shins steep): the
posture gate of cat-cow and child's pose, and the ``kneeling`` entry of the starting-position
ranges (``pose.phases.POSTURE_RANGES``). Synthetic bodies (``tests/body.py``) give exact answers.
"""

from __future__ import annotations

import numpy as np
import pytest
from body import Camera, Placement, landmarks, posture

from pose.angles import first_frame, joint_angles
from pose.checks import IN_FORM, NEARLY, judge_frame
from pose.phases import POSTURE_RANGES, posture_missing
from pose.routines import load_catalogue

CATALOGUE = load_catalogue()


def angles_of(pose, placement, view: str = "side_left") -> dict[str, float]:
    image, world, vis = landmarks(pose, placement, Camera(view=view))
    return first_frame(joint_angles(image=image, world=world, visibility=np.ones(33)))


#: (posture, angle changes, placement override or None): bodies of each kind.
KNEELING = {
    "kneeling upright": ("kneeling", {}, None),
    "all fours": ("all_fours", {}, None),
    "sitting back on the heels": ("kneeling", {"knee_flexion": 150.0, "hip_flexion": 60.0},
                                  Placement(0.0)),
}
NOT_KNEELING = {
    "standing": ("standing", {}, None),
    "squatting, trunk upright": ("standing", {"hip_flexion": 100.0, "knee_flexion": 100.0},
                                 None),
    "squatting, rounded forward like cat-cow": (
        "standing", {"hip_flexion": 125.0, "knee_flexion": 80.0, "shoulder_flexion": 90.0},
        Placement(90.0)),
    "lying, knees hugged": ("supine", {"hip_flexion": 120.0, "knee_flexion": 110.0}, None),
    "sitting, legs out": ("seated", {"knee_flexion": 0.0}, None),
}


def body_of(case):
    name, changes, placement = case
    pose, place = posture(name, **changes)
    return pose, placement or place


@pytest.mark.parametrize("view", ["side_left", "front", "back"])
def test_shin_angle_is_exact_on_synthetic_bodies(view):
    """Shin from plumb = |thigh's angle from plumb - knee flexion| in the sagittal plane."""
    cases = {
        "kneeling upright": (posture("kneeling"), 90.0),  # thigh plumb, knee 90
        "all fours": (posture("all_fours"), 90.0),
        "standing": (posture("standing"), 0.0),
        "squat": (posture("standing", hip_flexion=100.0, knee_flexion=100.0), 0.0),
        "shallow squat": (posture("standing", hip_flexion=60.0, knee_flexion=90.0), 30.0),
    }
    for label, ((pose, place), shin) in cases.items():
        a = angles_of(pose, place, view)
        for side in ("left", "right"):
            assert a[f"shank_inclination_{side}"] == pytest.approx(shin, abs=1e-6), label


@pytest.mark.parametrize("label", list(KNEELING))
def test_kneeling_bodies_are_in_the_kneeling_posture(label):
    a = angles_of(*body_of(KNEELING[label]))
    assert not posture_missing(CATALOGUE.stretch("childs_pose"), a)
    assert not posture_missing(CATALOGUE.stretch("hip_flexor_lunge"), a)


@pytest.mark.parametrize("label", list(NOT_KNEELING))
def test_other_bodies_are_not_kneeling(label):
    a = angles_of(*body_of(NOT_KNEELING[label]))
    assert posture_missing(CATALOGUE.stretch("childs_pose"), a), label


def test_kneeling_is_a_starting_position_with_a_range():
    assert "kneeling" in POSTURE_RANGES
    names = {n for names, *_ in POSTURE_RANGES["kneeling"] for n in names}
    assert {"shank_inclination_left", "shank_inclination_right"} <= names


def test_the_catalogues_kneeling_stretches_start_kneeling():
    """Each kneeling stretch's own ideal pose passes the posture range (else the coach would
    say "Kneel on the mat" to someone kneeling right)."""
    from stretch_poses import ideal, sides_of

    for sid in ("childs_pose", "hip_flexor_lunge", "cat_cow"):
        for side in sides_of(sid):
            scene = ideal(sid, side)
            a = angles_of(scene.pose, scene.placement)
            if CATALOGUE.stretch(sid).position == "kneeling":
                assert not posture_missing(CATALOGUE.stretch(sid), a), (sid, side)
            for s in ("left", "right"):
                if sid != "hip_flexor_lunge":
                    assert a[f"shank_inclination_{s}"] >= 60.0, (sid, side, s)


@pytest.mark.parametrize("sid", ["cat_cow", "childs_pose"])
def test_a_rounded_squat_is_not_on_all_fours_nor_childs_pose(sid):
    """Squatting, knees bent, trunk level and rounded: every other criterion of cat-cow can be
    met on the feet; the shins (steep) say it is no kneeling stretch, and the cue says so."""
    pose, place = body_of(NOT_KNEELING["squatting, rounded forward like cat-cow"])
    a = angles_of(pose, place)
    pos = judge_frame(CATALOGUE.stretch(sid), a, np.ones(33), side="both")
    assert pos.status not in (IN_FORM, NEARLY)
    failed = {c.angle for c in pos.criteria if c.state != "met"}
    assert "shank_inclination_left" in failed
    assert "shins" in pos.cue or any("shins" in c.cue for c in pos.criteria if c.cue)


def test_real_cat_cow_has_its_shins_on_the_floor():
    """R04 of the real clips (cat-cow filmed side-on): the seen shin reads 90-100 deg from the
    plumb line through the labelled holds, far from the gate at 60, and the holds are found
    with the gate in place; R09's walk-outs (stand, fold, plank on the feet) never pass it as
    cat-cow."""
    from conftest import SHARED

    from pose.sessions import analyse_trace

    clips = SHARED / "realclips"
    if not (clips / "R04_cat_cow_side.npz").is_file():
        pytest.skip(f"{clips} is not here")
    report = analyse_trace(clips / "R04_cat_cow_side.npz", CATALOGUE)
    shin = report.track.angles()["shank_inclination_left"]
    t = report.track.t_s
    for start, end in ((6.0, 8.2), (10.0, 12.0), (14.8, 15.9)):
        inside = (t >= start) & (t <= end)
        assert 85.0 <= np.nanmin(shin[inside]) and np.nanmax(shin[inside]) <= 105.0
    holds = [h for r in report.results if r.stretch.id == "cat_cow" for h in r.record.holds]
    assert holds and sum(h.duration_s for h in holds) >= 5.0
    walkouts = analyse_trace(clips / "R09_fast_walkouts_side.npz", CATALOGUE)
    assert not [r for r in walkouts.results if r.stretch.id == "cat_cow"]
