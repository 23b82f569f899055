"""Form checks for every catalogue stretch, on synthetic bodies whose angles are known.

Each stretch's ideal pose (``tests/stretch_poses.py``) is built with the forward-kinematics
body (``tests/body.py``), rendered to MediaPipe-like landmarks and run through the engine:
``judge_frame`` one frame at a time, then ``check_track`` / ``StretchChecker`` over time on
noisy sequences smoothed the way the estimator smooths them (One-Euro, default parameters).
"""

from __future__ import annotations

import dataclasses
import inspect
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from body import (
    FAR_VISIBILITY,
    SEEN_VISIBILITY,
    Dimensions,
    Placement,
    Pose,
    landmarks,
    sequence,
)
from stretch_poses import (
    BUILDERS,
    DEPTH,
    HIDE,
    OVER,
    STRETCH_IDS,
    VIOLATIONS,
    Miss,
    Scene,
    ideal,
    mirror,
    other,
    sides_of,
)

from pose.angles import first_frame, joint_angles
from pose.checks import (
    IN_FORM,
    NEARLY,
    OUT_OF_FORM,
    OVER_RANGE,
    UNKNOWN,
    camera_check,
    judge_frame,
    side_candidates,
)
from pose.coach import OVER_RANGE_CONFIRM_S, StretchChecker
from pose.landmarks import INDEX, PART
from pose.pipeline import check_track
from pose.routines import SIDES, load_catalogue, resolve
from pose.smoothing import smooth_track
from pose.track import Track

CATALOGUE = load_catalogue()
STRETCHES = CATALOGUE.stretches
CASES = [(sid, side) for sid in STRETCH_IDS for side in sides_of(sid)]
SIDE_VIEW = [(sid, side) for sid, side in CASES if STRETCHES[sid].view == "side"]
IDS = [f"{sid}-{side}" for sid, side in CASES]

#: Visibility of the far side in the time and auto-mode runs: seen (the model places it; in the
#: sample side-view clips the far knee's visibility is about 0.6 in the median). The poorly
#: seen far side (0.3) has its own tests.
TIME_FAR = 0.9

#: Stretches whose criteria on the far leg are not ``optional``: in their own side view, with
#: the far side as poorly seen as real clips often show it (the far knee angle of the two
#: sample side-view clips is unknown in 29 % and 38 % of frames), they can never be in form.
FAR_LEG_REQUIRED = {
    "seated_hamstring": "catalogue: seated_hamstring's knee_flexion_{other} (the bent leg, far "
                        "from the camera that the catalogue puts on the straight leg's side) is "
                        "not optional, so the ideal pose is 'unknown: I can't see your right hip'",
    "hip_flexor_lunge": "catalogue: hip_flexor_lunge's hip_flexion_{other} and "
                        "knee_flexion_{other} (the front leg) are not optional; in a side view "
                        "one leg is always the far one, so the ideal pose is 'unknown'",
}


def test_the_poses_cover_the_catalogue():
    assert set(STRETCH_IDS) == set(STRETCHES)
    for sid in STRETCH_IDS:
        assert sides_of(sid) == (("both",) if STRETCHES[sid].sides == "both" else SIDES)


def seed(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def measure(scene: Scene, *, far: float = SEEN_VISIBILITY, world: bool = True,
            hidden=()) -> tuple[dict[str, float], np.ndarray]:
    """One frame's angles (from world landmarks, or from the image alone) and visibility."""
    image, w, vis = landmarks(scene.pose, scene.placement, scene.camera, far_visibility=far,
                              hidden=hidden)
    angles = first_frame(joint_angles(image=image, world=w if world else None, visibility=vis))
    return angles, vis


def describe(pos) -> str:
    failing = [(c.angle, c.state, round(c.value, 1)) for c in pos.criteria if c.state != "met"]
    return f"{pos.status} side={pos.side} cue={pos.cue!r} not met={failing}"


# ---------------------------------------------------------------------------------------------
# One frame: the ideal pose
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_ideal_pose_is_in_form_and_the_side_is_found(sid, side):
    stretch = STRETCHES[sid]
    angles, vis = measure(ideal(sid, side))
    pos = judge_frame(stretch, angles, vis)
    assert (pos.status, pos.side) == (IN_FORM, side), describe(pos)
    assert all(c.state == "met" for c in pos.criteria), describe(pos)
    assert pos.cue == "Good - hold it there and breathe slowly"
    given = judge_frame(stretch, angles, vis, side=side)
    assert given.status == IN_FORM, describe(given)
    if side != "both":
        assert side_candidates(stretch, angles)[0] == side
        wrong = judge_frame(stretch, angles, vis, side=other(side))
        assert wrong.status == OUT_OF_FORM
        assert wrong.cue == f"That is your {side} side: now stretch your {other(side)} side"


#: People are not built alike: segment lengths (m) of other bodies than the average adult.
BODIES = {
    "long-legs-short-torso": dict(thigh=0.50, shank=0.48, torso=0.43),
    "short-legs-long-torso": dict(thigh=0.37, shank=0.36, torso=0.58),
    "broad-long-arms": dict(hip_width=0.30, shoulder_width=0.45, upper_arm=0.34, forearm=0.29),
    "child": dict(torso=0.36, hip_width=0.16, shoulder_width=0.26, thigh=0.32, shank=0.30,
                  upper_arm=0.22, forearm=0.19, neck=0.15, head_width=0.14, hand=0.065,
                  foot=0.17),
}


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_ideal_pose_is_in_form_on_other_bodies(sid, side, body):
    """The same joint angles on a body of other proportions are the same stretch: no
    criterion may lean on how long a limb or the trunk is."""
    scene = ideal(sid, side)
    image, world, vis = landmarks(scene.pose, scene.placement, scene.camera,
                                  dims=Dimensions(**BODIES[body]),
                                  far_visibility=SEEN_VISIBILITY)
    angles = first_frame(joint_angles(image=image, world=world, visibility=vis))
    pos = judge_frame(STRETCHES[sid], angles, vis)
    assert (pos.status, pos.side) == (IN_FORM, side), describe(pos)


@pytest.mark.parametrize("tilt", [-15.0, 10.0, 20.0])
@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_ideal_pose_is_in_form_with_the_camera_tilted(sid, side, tilt):
    """A laptop on a table looks down at the mat, a phone on the floor up at a standing
    person: within 20 deg of level every ideal pose is still in form and its side found. The
    world landmarks tilt with the camera, so steeper the trunk reads the tilt: at 30 deg down
    the upright and lying gates fail 8 of the 26 poses (the catalogue asks for a level
    camera)."""
    scene = ideal(sid, side)
    camera = dataclasses.replace(scene.camera, tilt_deg=tilt)
    image, world, vis = landmarks(scene.pose, scene.placement, camera,
                                  far_visibility=SEEN_VISIBILITY)
    angles = first_frame(joint_angles(image=image, world=world, visibility=vis))
    pos = judge_frame(STRETCHES[sid], angles, vis)
    assert (pos.status, pos.side) == (IN_FORM, side), describe(pos)


@pytest.mark.parametrize(("sid", "side"), SIDE_VIEW, ids=[f"{s}-{d}" for s, d in SIDE_VIEW])
def test_ideal_pose_from_the_image_alone_in_a_side_view(sid, side):
    """The 2-D fallback (no world landmarks): every side-view criterion is in the sagittal
    plane, which a side camera sees undistorted."""
    angles, vis = measure(ideal(sid, side), world=False)
    assert np.isnan(angles["knee_drop"])  # proof that the image was used
    pos = judge_frame(STRETCHES[sid], angles, vis)
    assert (pos.status, pos.side) == (IN_FORM, side), describe(pos)


def _far_marks(sid: str) -> list:
    return [pytest.mark.xfail(strict=True, reason=FAR_LEG_REQUIRED[sid])] \
        if sid in FAR_LEG_REQUIRED else []


@pytest.mark.parametrize("world", [True, False], ids=["world", "image"])
@pytest.mark.parametrize(("sid", "side"), [
    pytest.param(sid, side, marks=_far_marks(sid), id=f"{sid}-{side}")
    for sid, side in SIDE_VIEW])
def test_side_view_with_the_far_side_poorly_seen(sid, side, world):
    """The far side reported at visibility 0.3, as real models do: the side is still found and
    the pose is in form (criteria on the far leg that are ``optional`` are skipped)."""
    angles, vis = measure(ideal(sid, side), far=FAR_VISIBILITY, world=world)
    pos = judge_frame(STRETCHES[sid], angles, vis)
    assert pos.side == side, describe(pos)
    assert pos.status == IN_FORM, describe(pos)


@pytest.mark.parametrize(("sid", "side"), [c for c in CASES if c[1] == "left"] +
                         [c for c in CASES if c[1] == "both"],
                         ids=[f"{s}-{d}" for s, d in CASES if d == "left"] +
                         [f"{s}-{d}" for s, d in CASES if d == "both"])
def test_mirrored_pose_is_found_on_the_other_side(sid, side):
    """Left and right swapped (and a side camera on the other side): the other side is found;
    for stretches on both sides, the mirror image is in form too."""
    scene = mirror(ideal(sid, side))
    angles, vis = measure(scene)
    pos = judge_frame(STRETCHES[sid], angles, vis)
    assert (pos.status, pos.side) == (IN_FORM, other(side)), describe(pos)
    angles, vis = measure(scene, far=FAR_VISIBILITY)
    if sid not in FAR_LEG_REQUIRED:
        pos = judge_frame(STRETCHES[sid], angles, vis)
        assert (pos.status, pos.side) == (IN_FORM, other(side)), describe(pos)


def test_mirror_of_a_scene_swaps_sides():
    scene = ideal("supine_twist", "left")
    swapped = mirror(scene)
    assert swapped.pose.knee_drop == -scene.pose.knee_drop
    assert mirror(ideal("knee_to_chest", "left")).camera.view == "side_right"
    np.testing.assert_allclose(
        measure(mirror(ideal("knee_to_chest", "left")))[0]["hip_flexion_right"], 120.0)


# ---------------------------------------------------------------------------------------------
# One frame: each criterion missed on its own, each limit passed
# ---------------------------------------------------------------------------------------------

def _miss_cases(table: dict[str, list[Miss]]) -> list:
    return [pytest.param(sid, side, m, id=f"{sid}-{side}-{m.label}")
            for sid in STRETCH_IDS for side in sides_of(sid) for m in table[sid]]


def test_every_criterion_and_limit_has_a_miss():
    for sid, stretch in STRETCHES.items():
        missed = {m.angle for m in VIOLATIONS[sid]}
        assert {c.angle for c in stretch.criteria} <= missed, sid
        assert {x.angle for x in stretch.limits} <= {m.angle for m in OVER[sid]}, sid


def _criterion(stretch, angle: str):
    found = [c for c in stretch.criteria if c.angle == angle]
    assert len(found) == 1, angle
    return found[0]


@pytest.mark.parametrize(("sid", "side", "miss"), _miss_cases(VIOLATIONS))
def test_each_criterion_missed_alone(sid, side, miss):
    """Exactly the criterion moved fails, by the miss expected; the status is "nearly" within
    its ``nearly_deg``, else out of form; the cue is that criterion's, for this side."""
    stretch = STRETCHES[sid]
    spec = _criterion(stretch, miss.angle)
    angles, vis = measure(ideal(sid, side, **miss.params))
    for given in (None, side):
        pos = judge_frame(stretch, angles, vis, side=given)
        assert pos.side == side, describe(pos)
        not_met = [(c, s) for c, s in zip(pos.criteria, stretch.criteria, strict=True)
                   if c.state != "met"]
        assert [s.angle for _, s in not_met] == [miss.angle], describe(pos)
        result = not_met[0][0]
        assert result.state == miss.kind, describe(pos)
        assert result.miss_deg == pytest.approx(miss.miss, abs=0.2), describe(pos)
        want = NEARLY if result.miss_deg <= spec.nearly_deg else OUT_OF_FORM
        assert pos.status == want, describe(pos)
        template = spec.low_cue if miss.kind == "low" else spec.high_cue
        assert pos.cue == resolve(template, side), describe(pos)
        assert "{" not in pos.cue
        assert not pos.over_range


def test_the_misses_cover_nearly_and_out_of_form():
    statuses = set()
    for sid in STRETCH_IDS:
        for m in VIOLATIONS[sid]:
            statuses.add(m.miss <= _criterion(STRETCHES[sid], m.angle).nearly_deg)
    assert statuses == {True, False}


@pytest.mark.parametrize(("sid", "side", "miss"), _miss_cases(OVER))
def test_past_a_safe_limit_is_over_range(sid, side, miss):
    stretch = STRETCHES[sid]
    limit = next(x for x in stretch.limits if x.angle == miss.angle)
    angles, vis = measure(ideal(sid, side, **miss.params))
    for given in (None, side):
        pos = judge_frame(stretch, angles, vis, side=given)
        assert pos.side == side, describe(pos)
        assert pos.status == OVER_RANGE, describe(pos)
        assert pos.cue == resolve(limit.cue, side), describe(pos)
        names = {resolve(limit.angle, s) for s in (SIDES if side == "both" else (side,))}
        assert {o.angle for o in pos.over_range} == names
        for o in pos.over_range:
            past = o.value - o.limit if limit.high is not None else o.limit - o.value
            assert past == pytest.approx(miss.miss, abs=0.2)


# ---------------------------------------------------------------------------------------------
# One frame: a hidden joint of the working side
# ---------------------------------------------------------------------------------------------

def _hidden_part(sid: str, side: str) -> str:
    return PART[INDEX[HIDE[sid].format(side="left" if side == "both" else side)]]


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_hidden_joint_of_the_working_side_is_unknown_when_the_side_is_given(sid, side):
    sides = SIDES if side == "both" else (side,)
    angles, vis = measure(ideal(sid, side), hidden=[HIDE[sid].format(side=s) for s in sides])
    pos = judge_frame(STRETCHES[sid], angles, vis, side=side)
    assert pos.status == UNKNOWN, describe(pos)
    assert pos.cue == f"I can't see your {_hidden_part(sid, side)}: bring it into view"


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_hidden_joint_of_the_working_side_is_unknown_when_the_side_is_found(sid, side):
    """No side given: the hidden side may be the one stretched, so the verdict is "unknown"
    naming the hidden part, not the other side judged out of form (fixed in d52d1e2)."""
    sides = SIDES if side == "both" else (side,)
    angles, vis = measure(ideal(sid, side), hidden=[HIDE[sid].format(side=s) for s in sides])
    pos = judge_frame(STRETCHES[sid], angles, vis)
    assert pos.status == UNKNOWN, describe(pos)
    assert pos.cue == f"I can't see your {_hidden_part(sid, side)}: bring it into view"


def test_hidden_far_leg_of_an_optional_criterion_does_not_block_but_a_bad_one_fails():
    """knee_to_chest's other hip is optional: unseen it is skipped; seen raised, it fails."""
    stretch = STRETCHES["knee_to_chest"]
    angles, vis = measure(ideal("knee_to_chest", "left"), hidden=["right_knee"])
    assert judge_frame(stretch, angles, vis).status == IN_FORM
    angles, vis = measure(ideal("knee_to_chest", "left", other_hip=90.0))
    pos = judge_frame(stretch, angles, vis)
    assert pos.status == OUT_OF_FORM and pos.cue == "Keep your right foot on the floor"


@pytest.mark.parametrize("side", SIDES)
def test_overhead_triceps_hand_covered_behind_the_head_does_not_block_but_out_of_view_does(side):
    """From the front the hand reaching down the back hides behind the head: covered in the
    picture (the model places it there, visibility above 0), the elbow is left out. A hand
    out of the picture (visibility 0, as the estimator gives it outside the frame: an arm
    raised straight whose hand leaves the top of the frame) keeps the stretch "unknown", and
    a seen straight arm fails. (A review found the reach timed when the elbow was plainly
    optional, cd7519b, reverted; ``optional = "when covered"`` since.)"""
    stretch = STRETCHES["overhead_triceps"]
    wrist = INDEX[f"{side}_wrist"]
    angles, vis = measure(ideal("overhead_triceps", side), hidden=[f"{side}_wrist"])
    assert 0.0 < vis[wrist] < 0.5  # covered, in the picture
    assert judge_frame(stretch, angles, vis).status == IN_FORM
    assert judge_frame(stretch, angles, vis, side=side).status == IN_FORM
    scene = ideal("overhead_triceps", side)
    image, _, seen = landmarks(scene.pose, scene.placement, scene.camera,
                               far_visibility=SEEN_VISIBILITY, hidden=[f"{side}_wrist"])
    assert camera_check(stretch, side, image, seen) == []  # nothing to move for
    angles, vis = measure(ideal("overhead_triceps", side, elbow=15.0), hidden=[f"{side}_wrist"])
    vis = vis.copy()
    vis[wrist] = 0.0  # out of the picture
    pos = judge_frame(stretch, angles, vis)
    assert pos.status == UNKNOWN, describe(pos)
    angles, vis = measure(ideal("overhead_triceps", side, elbow=15.0))
    pos = judge_frame(stretch, angles, vis)
    assert pos.status == OUT_OF_FORM, describe(pos)
    assert pos.cue == f"Bend your {side} elbow more: reach down your back"


# ---------------------------------------------------------------------------------------------
# Through time
# ---------------------------------------------------------------------------------------------

FPS = 30.0
NOISE_PX = 1.0  # landmark noise: 1 px in the image, and as many metres as 1 px spans at the
                # subject in the world landmarks (5.8 mm at 3.5 m)


def defaults(sid: str) -> dict[str, object]:
    """The builder's own params and their defaults (the ideal pose)."""
    return {name: p.default for name, p in inspect.signature(BUILDERS[sid]).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}


def moving_scene(sid: str, side: str, t: np.ndarray,
                 **params: Callable[[np.ndarray], np.ndarray] | object) -> Scene:
    """The stretch's scene with some builder params functions of time (or constants)."""
    values = {k: (np.asarray(v(t), float) if callable(v) else v) for k, v in params.items()}
    return ideal(sid, side, **values)


def between(t0: float, t1: float, inside: dict, outside: dict, base: dict) -> dict:
    """Params taking ``inside`` values for t0 <= t < t1 and ``outside`` ones otherwise (a
    default of None, "follow the other params", becomes NaN, which the builders read so)."""
    out = {}
    for key in set(inside) | set(outside):
        a, b = (np.nan if v is None else v
                for v in (inside.get(key, base[key]), outside.get(key, base[key])))
        out[key] = (lambda t, a=a, b=b: np.where((t >= t0) & (t < t1), a, b))
    return out


def make_track(scene: Scene, t: np.ndarray, present: np.ndarray | None = None,
               far: float = TIME_FAR, rng: int = 0, fps: float = FPS) -> Track:
    """A Track as the estimator makes it: noisy landmarks, One-Euro smoothed (image in
    frame-height units, world in metres) over the frames with a pose; none in the others."""
    cam = scene.camera
    image, world, vis = sequence(scene.pose, t, scene.placement, cam, noise_px=NOISE_PX,
                                 noise_m=NOISE_PX * cam.distance / cam.focal, rng=rng,
                                 far_visibility=far)
    present = np.ones(len(t), bool) if present is None else present
    h = scene.camera.height
    idx = np.flatnonzero(present)
    image[idx] = smooth_track(image[idx] / h, t[idx]) * h
    world[idx] = smooth_track(world[idx], t[idx])
    image[~present], world[~present], vis[~present] = np.nan, np.nan, 0.0
    return Track(t_s=t, image=image, world=world, visibility=vis,
                 people=present.astype(np.int64), size=(scene.camera.width, h), fps=fps)


def result_for(report, sid: str, side: str):
    found = [r for r in report.results if r.stretch.id == sid and r.side == side]
    assert len(found) == 1, [(r.stretch.id, r.side) for r in report.results]
    return found[0]


def in_and_out(sid: str, side: str, t: np.ndarray, t0: float = 2.0, t1: float = 8.0) -> Scene:
    """The ideal pose from t0 to t1, clearly out of position (``DEPTH[sid].out``) otherwise."""
    return moving_scene(sid, side, t, **between(t0, t1, {}, DEPTH[sid].out, defaults(sid)))


def times(duration: float, fps: float = FPS) -> np.ndarray:
    return np.arange(0.0, duration, 1.0 / fps)


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_hold_from_entering_to_leaving(sid, side):
    """In position from 2.0 s to 8.0 s at 30 fps: one hold, 2.0-8.0 (+-0.1), with its events."""
    t = times(10.0)
    track = make_track(in_and_out(sid, side, t), t, rng=seed(sid, side, "hold"))
    report = check_track(track, CATALOGUE, stretch=sid)
    holds = result_for(report, sid, side).record.holds
    assert len(holds) == 1, holds
    assert holds[0].start_s == pytest.approx(2.0, abs=0.1)
    assert holds[0].end_s == pytest.approx(8.0, abs=0.1)
    assert holds[0].in_form_fraction > 0.95
    kinds = [(e.kind, e.side) for e in report.events if e.stretch == sid]
    assert kinds.count(("hold_started", side)) == 1 and kinds.count(("hold_ended", side)) == 1
    started = next(e for e in report.events if e.kind == "hold_started")
    ended = next(e for e in report.events if e.kind == "hold_ended")
    assert started.t_s == pytest.approx(2.0, abs=0.1) and ended.t_s == pytest.approx(8.0, abs=0.1)
    assert not [e for e in report.events if e.kind in ("bounce", "over_range")]


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_the_same_hold_through_stretch_checker(sid, side):
    """StretchChecker fed frame by frame, with the routine's side given: the same hold and the
    events at the right times."""
    t = times(10.0)
    track = make_track(in_and_out(sid, side, t), t, rng=seed(sid, side, "checker"))
    angles = track.angles()
    checker = StretchChecker(STRETCHES[sid], side=side)
    events = []
    for i, ti in enumerate(t):
        events += checker.update(float(ti), {k: float(v[i]) for k, v in angles.items()},
                                 track.visibility[i])[1]
    events += checker.finish(float(t[-1]))
    got = {e.kind: e.t_s for e in events}
    assert got["position_entered"] == pytest.approx(2.0, abs=0.1)
    assert got["hold_started"] == pytest.approx(2.0, abs=0.1)
    assert got["hold_ended"] == pytest.approx(8.0, abs=0.1)
    assert [h.start_s for h in checker.records[side].holds] == [got["hold_started"]]


def _bounces(report) -> list:
    return [e for e in report.events if e.kind == "bounce"]


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_bouncing_the_depth_angle_is_flagged(sid, side):
    """A 2 Hz +-8 deg bounce of the stretch's depth angle, while in position: flagged, with the
    amplitude (8) and frequency (2 Hz) of the bounce."""
    d = DEPTH[sid]
    t = times(7.0)

    def depth(s):
        return np.where((s >= 2.0) & (s < 5.0), d.centre + 8.0 * np.sin(4.0 * np.pi * s),
                        d.centre)

    track = make_track(moving_scene(sid, side, t, **{d.param: depth}), t,
                       rng=seed(sid, side, "bounce"))
    report = check_track(track, CATALOGUE, stretch=sid)
    names = {resolve(d.angle, s) for s in (SIDES if side == "both" else (side,))}
    on_depth = [e for e in _bounces(report) if e.data["angle"] in names]
    assert on_depth, [e.to_dict() for e in report.events]
    for e in on_depth:
        assert 2.0 <= e.t_s <= 5.2
        # The detector reports the median of the last three swings when the episode starts:
        # smoothing takes ~7 % off, 1 px noise moves the turning points, and the frequency is
        # quantised by the frame interval (1.67, 1.88, 2.14 or 2.5 Hz at 30 fps).
        assert e.data["amplitude_deg"] == pytest.approx(8.0, abs=2.0)
        assert e.data["frequency_hz"] == pytest.approx(2.0, abs=0.5)
    assert result_for(report, sid, side).record.bounces


@pytest.mark.parametrize("motion", ["deepening", "breathing", "still"])
@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_slow_or_small_motion_is_not_bouncing(sid, side, motion):
    """A slow 3 deg/s deepening inside the range, breathing-like 0.25 Hz +-3 deg, and 1 px
    landmark noise alone: never a bounce, and the hold goes on unbroken."""
    d = DEPTH[sid]
    t = times(8.0)
    if motion == "deepening":
        def depth(s):
            return d.ramp_start + d.ramp_rate * np.clip(s - 1.0, 0.0, 6.0)
    elif motion == "breathing":
        def depth(s):
            return d.centre + 3.0 * np.sin(2.0 * np.pi * 0.25 * s)
    else:
        def depth(s):
            return np.full_like(s, d.centre)
    track = make_track(moving_scene(sid, side, t, **{d.param: depth}), t,
                       rng=seed(sid, side, motion))
    report = check_track(track, CATALOGUE, stretch=sid)
    assert _bounces(report) == []
    holds = result_for(report, sid, side).record.holds
    assert len(holds) == 1 and holds[0].duration_s > 7.4, holds


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_short_pose_drop_out_does_not_split_the_hold(sid, side):
    t = times(10.0)
    present = ~((t >= 5.0) & (t < 5.3))
    track = make_track(in_and_out(sid, side, t), t, present, rng=seed(sid, side, "gap"))
    report = check_track(track, CATALOGUE, stretch=sid)
    holds = result_for(report, sid, side).record.holds
    assert len(holds) == 1, holds
    assert holds[0].start_s == pytest.approx(2.0, abs=0.1)
    assert holds[0].end_s == pytest.approx(8.0, abs=0.1)


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_pose_absent_for_three_seconds_ends_the_hold(sid, side):
    t = times(10.0)
    present = ~((t >= 4.0) & (t < 7.0))
    track = make_track(in_and_out(sid, side, t), t, present, rng=seed(sid, side, "lost"))
    report = check_track(track, CATALOGUE, stretch=sid)
    holds = result_for(report, sid, side).record.holds
    assert len(holds) == 2, holds
    assert holds[0].start_s == pytest.approx(2.0, abs=0.1)
    assert holds[0].end_s == pytest.approx(4.0, abs=0.1)
    assert holds[1].start_s == pytest.approx(7.0, abs=0.15)
    kinds = [e.kind for e in report.events]
    assert "pose_lost" in kinds and kinds.count("hold_ended") == 2
    first_end = next(e for e in report.events if e.kind == "hold_ended")
    assert first_end.t_s == pytest.approx(4.0, abs=0.1)


# ---------------------------------------------------------------------------------------------
# Auto mode: which stretch is this?
# ---------------------------------------------------------------------------------------------

AUTO_FPS = 15.0


def _auto_report(sid: str, side: str, far: float):
    t = times(12.0, AUTO_FPS)
    scene = in_and_out(sid, side, t, t0=1.0, t1=11.0)
    return check_track(make_track(scene, t, far=far, rng=seed(sid, side, "auto"),
                                  fps=AUTO_FPS), CATALOGUE)


def _overlap(h, t0: float = 1.0, t1: float = 11.0) -> float:
    return max(0.0, min(h.end_s, t1) - max(h.start_s, t0))


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_auto_mode_recognises_each_stretch_and_no_other(sid, side):
    """All stretches checked at once over a 10 s hold: this one (and side) is held ~10 s, no
    other stretch gets a hold longer than 2 s in the same period."""
    report = _auto_report(sid, side, TIME_FAR)
    mine = result_for(report, sid, side)
    assert mine.record.longest_s > 9.5
    for r in report.results:
        if (r.stretch.id, r.side) != (sid, side):
            assert all(_overlap(h) <= 2.0 for h in r.record.holds), (r.stretch.id, r.side)


#: In a side view with the far leg poorly seen, the seated hamstring stretch (one leg straight,
#: the other bent, far) looks exactly like a seated forward fold: the straight near leg is all
#: there is to see. Auto mode names the forward fold.
SEATED_CONFUSION = ("indistinguishable: seated_hamstring with its bent (far) leg unseen is "
                    "a seated_forward_fold as far as the near leg shows; auto mode reports "
                    "seated_forward_fold (and seated_hamstring itself is 'unknown', see "
                    "FAR_LEG_REQUIRED)")


@pytest.mark.parametrize(("sid", "side"), [
    pytest.param(sid, side, id=f"{sid}-{side}", marks=[pytest.mark.xfail(
        strict=True, reason=SEATED_CONFUSION if sid == "seated_hamstring"
        else FAR_LEG_REQUIRED[sid])] if sid in FAR_LEG_REQUIRED else [])
    for sid, side in SIDE_VIEW])
def test_auto_mode_with_the_far_side_poorly_seen(sid, side):
    report = _auto_report(sid, side, FAR_VISIBILITY)
    assert result_for(report, sid, side).record.longest_s > 9.5
    for r in report.results:
        if (r.stretch.id, r.side) != (sid, side):
            assert all(_overlap(h) <= 2.0 for h in r.record.holds), (r.stretch.id, r.side)


#: Pairs (ideal pose of, other stretch) where the other stretch's check is not "out of form"
#: on a single frame. None is in form: auto mode needs "in form" to start a hold.
KNOWN_NEAR_MISSES = {
    # An arm overhead, upright, no lean: a side bend short of its 10 deg lean (within nearly).
    ("overhead_triceps", "standing_side_bend"), ("cross_body_shoulder", "standing_side_bend"),
    # Seated with legs long, upright enough: the side bend's lean reads ~0 (nearly) with the
    # arms forward at 100 deg reading as abducted 180 (frontal projection of a raised arm).
    ("seated_forward_fold", "standing_side_bend"),
}

TILT_WHEN_FOLDED = (
    "bug: trunk_lateral_tilt is the trunk's frontal-plane projection against vertical, so a "
    "trunk pitched past horizontal with no lean (standing forward fold, pitch 100) reads 180. "
    "standing_side_bend then calls a plain forward fold over-range ('Too far - come back up a "
    "little'), and lying stretches read noise. Expected ~0 (e.g. the roll of the shoulder "
    "line, -asin(left . vertical), which is defined at any pitch).")


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_no_other_stretch_is_in_form_on_an_ideal_pose(sid, side):
    angles, vis = measure(ideal(sid, side), far=TIME_FAR)
    for oid, stretch in STRETCHES.items():
        if oid == sid:
            continue
        pos = judge_frame(stretch, angles, vis)
        assert pos.status != IN_FORM, (oid, describe(pos))
        if (sid, oid) in KNOWN_NEAR_MISSES:
            continue
        if sid == "standing_forward_fold" and oid == "standing_side_bend":
            continue  # see test_forward_fold_is_not_an_over_range_side_bend
        assert pos.status in (OUT_OF_FORM, UNKNOWN), (oid, describe(pos))


def test_forward_fold_is_not_an_over_range_side_bend():
    angles, vis = measure(ideal("standing_forward_fold"))
    # Seen side-on, as the catalogue advises: a side tilt moves only in depth there, so it is
    # not measured at all (pose.view), let alone read as a side bend.
    assert np.isnan(angles["trunk_lateral_tilt"])
    pos = judge_frame(STRETCHES["standing_side_bend"], angles, vis)
    assert pos.status != OVER_RANGE, describe(pos)


def test_placement_arrays_move_with_the_motion():
    """The builders take arrays: a cobra rising from the floor over 3 s."""
    t = times(3.0)
    scene = moving_scene("cobra", "both", t, lift=lambda s: 10.0 * s)
    assert isinstance(scene.placement, Placement) and np.shape(scene.placement.pitch) == t.shape
    assert isinstance(scene.pose, Pose)
    _, world, _ = sequence(scene.pose, t, scene.placement, scene.camera)
    got = joint_angles(world=world)
    np.testing.assert_allclose(got["hip_flexion_left"], -10.0 * t, atol=1e-6)
    np.testing.assert_allclose(got["thigh_inclination_left"], 90.0, atol=1e-6)


def test_cat_cow_slow_cycles_are_counted_and_not_flagged():
    """Cat-cow is done in slow cycles: neck from -12 to 17 and back every 4 s, in position."""
    t = times(12.0)
    scene = moving_scene("cat_cow", "both", t,
                         neck=lambda s: 2.5 + 14.5 * np.sin(2.0 * np.pi * s / 4.0))
    report = check_track(make_track(scene, t, rng=seed("cycles", "slow")), CATALOGUE,
                         stretch="cat_cow")
    record = result_for(report, "cat_cow", "both").record
    assert _bounces(report) == []
    assert record.cycles >= 2
    assert len(record.holds) == 1 and record.holds[0].duration_s > 11.5


def test_cat_cow_rushed_cycles_are_flagged():
    """The same range every 1.5 s: too fast for a cycle of at least 3 s."""
    t = times(8.0)
    scene = moving_scene("cat_cow", "both", t,
                         neck=lambda s: 2.5 + 14.5 * np.sin(2.0 * np.pi * s / 1.5))
    report = check_track(make_track(scene, t, rng=seed("cycles", "rushed")), CATALOGUE,
                         stretch="cat_cow")
    rushed = _bounces(report)
    assert rushed and rushed[0].message.startswith("Slower, please")
    assert rushed[0].data["frequency_hz"] == pytest.approx(1 / 1.5, abs=0.1)


#: The catalogue's camera advice for the neck side bend frames head and shoulders only.
HEAD_AND_SHOULDERS = (
    "catalogue/engine: neck_side_bend's camera advice is 'head and shoulders in view', but its "
    "trunk_lateral_tilt criterion needs a hip landmark (pose.angles: the trunk needs a hip and "
    "a shoulder), so framed as advised the ideal pose is 'unknown: I can't see your left hip' "
    "and camera_check asks to show the hips. Either the advice should say 'head to hips', or "
    "the neck stretch should check the shoulder line instead of the trunk.")


@pytest.mark.parametrize("side", SIDES)
def test_neck_side_bend_framed_as_the_catalogue_advises(side):
    from body import Camera
    scene = ideal("neck_side_bend", side)
    close = Scene(scene.pose, scene.placement,
                  Camera("front", distance=1.0, target=(0.0, -0.6, 0.0)))
    angles, vis = measure(close)
    assert vis[INDEX["left_hip"]] < 0.5 and vis[INDEX["left_ear"]] > 0.5  # framed as advised
    pos = judge_frame(STRETCHES["neck_side_bend"], angles, vis)
    assert (pos.status, pos.side) == (IN_FORM, side), describe(pos)


# ---------------------------------------------------------------------------------------------
# Over-range through time, and the camera advice on the ideal poses
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sid", "side", "miss"), _miss_cases(OVER))
def test_going_past_a_limit_raises_one_over_range_event(sid, side, miss):
    """Ideal, then past the limit from 2 s to 5 s, then back: one over_range event, once the
    angle has stayed past it ``OVER_RANGE_CONFIRM_S`` (the smoothed landmarks reach it within
    a few frames of 2 s), with the limit's cue and the angle's value."""
    stretch = STRETCHES[sid]
    limit = next(x for x in stretch.limits if x.angle == miss.angle)
    t = times(7.0)
    base = defaults(sid)
    scene = moving_scene(sid, side, t, **between(2.0, 5.0, miss.params, {}, base))
    report = check_track(make_track(scene, t, rng=seed(sid, side, "over")), CATALOGUE,
                         stretch=sid)
    over = [e for e in report.events if e.kind == "over_range"]
    names = {resolve(limit.angle, s) for s in (SIDES if side == "both" else (side,))}
    assert over and {e.data["angle"] for e in over} <= names, [e.to_dict() for e in over]
    assert len(over) == len(names)  # one per angle past its limit, for the whole episode
    for e in over:
        assert 2.0 + OVER_RANGE_CONFIRM_S <= e.t_s <= 2.0 + OVER_RANGE_CONFIRM_S + 0.15
        assert e.message == resolve(limit.cue, side)
        assert e.data["limit_deg"] == (limit.high if limit.high is not None else limit.low)
    assert result_for(report, sid, side).record.over_range


def realistic_far_side(scene: Scene, vis: np.ndarray) -> np.ndarray:
    """Visibility as real side-view clips have it: the far hip and shoulder well placed (the
    sample clips give them ~1.0), the far knee, ankle, foot, elbow and wrist poorly seen (0.3)."""
    far = {"side_left": "right", "side_right": "left"}.get(scene.camera.view)
    vis = vis.copy()
    if far is not None:
        for part in ("knee", "ankle", "heel", "foot_index", "elbow", "wrist", "pinky", "index",
                     "thumb"):
            vis[INDEX[f"{far}_{part}"]] = FAR_VISIBILITY
    return vis


CAMERA_CHECK_FAR_SIDE = (
    "bug: camera_check asks for every criterion's landmarks on both sides for a 'both' "
    "stretch, and for optional criteria too, while evaluate judges 'both' criteria on the "
    "visible side and skips unseen optional ones. In the stretch's own side view, with the far "
    "knee poorly seen (its angle is unknown in 29-38 % of the sample side-view clips' frames), "
    "the pose is in form and the live page still says \"I can't see your right knee: move so "
    "the camera sees the whole body this stretch needs\".")
CAMERA_CHECK_NAGS = {sid for sid, _ in SIDE_VIEW} - set(FAR_LEG_REQUIRED)


@pytest.mark.parametrize(("sid", "side"), CASES, ids=IDS)
def test_camera_check_is_happy_with_the_ideal_pose_in_its_view(sid, side):
    from pose.checks import camera_check, camera_view
    scene = ideal(sid, side)
    image, _, vis = landmarks(scene.pose, scene.placement, scene.camera,
                              far_visibility=SEEN_VISIBILITY)
    assert camera_check(STRETCHES[sid], side, image, vis) == []
    view = camera_view(image, vis)
    assert view in (STRETCHES[sid].view, None)
    assert camera_check(STRETCHES[sid], side, image, vis, people=2) == [
        "More than one person in view: I can coach one person at a time"]


@pytest.mark.parametrize(("sid", "side"), [
    pytest.param(sid, side, id=f"{sid}-{side}") for sid, side in CASES])
def test_camera_check_agrees_with_the_verdict_when_the_far_limbs_are_poorly_seen(sid, side):
    """The camera advice must not ask for a body part the verdict does without: in form means
    nothing is missing; unknown names the same part."""
    from pose.checks import camera_check
    scene = ideal(sid, side)
    image, world, vis = landmarks(scene.pose, scene.placement, scene.camera,
                                  far_visibility=SEEN_VISIBILITY)
    vis = realistic_far_side(scene, vis)
    pos = judge_frame(STRETCHES[sid], first_frame(joint_angles(image=image, world=world,
                                                               visibility=vis)), vis)
    advice = camera_check(STRETCHES[sid], side, image, vis)
    if pos.status == IN_FORM:
        assert advice == [], describe(pos)
    else:
        assert pos.status == UNKNOWN and len(advice) == 1
        part = pos.cue.removeprefix("I can't see your ").removesuffix(": bring it into view")
        assert part in advice[0]


@pytest.mark.parametrize("side", SIDES)
def test_neck_side_bend_seen_side_on_asks_to_face_the_camera(side):
    """Side-on, a head tilt moves only in depth: no measure judges it (pose.view), so the
    criterion is unknown with the cue to turn, never a guess either way."""
    from body import Camera

    from pose.checks import FACE_THE_CAMERA
    scene = ideal("neck_side_bend", side)
    turned = Scene(scene.pose, scene.placement, Camera("side_left"))
    angles, vis = measure(turned)
    assert np.isnan(angles["neck_lateral_tilt"]) and np.isnan(angles["shoulder_tilt"])
    pos = judge_frame(STRETCHES["neck_side_bend"], angles, vis)
    assert pos.status == UNKNOWN, describe(pos)
    assert pos.cue == FACE_THE_CAMERA


def test_auto_mode_declines_a_side_bend_seen_side_on_and_says_so():
    """A standing side bend side-on: knees and raised arm judged and met, the lean unknown
    (pose.view). Auto mode claims no side bend hold and report.json says why."""
    from body import Camera
    t = times(6.0, AUTO_FPS)
    scene = ideal("standing_side_bend", "left")
    turned = Scene(scene.pose, scene.placement, Camera("side_left"))
    report = check_track(make_track(turned, t, rng=seed("declined"), fps=AUTO_FPS), CATALOGUE)
    assert all(r.stretch.id != "standing_side_bend" for r in report.results)
    declined = report.to_dict()["declined_for_view"]
    mine = [d for d in declined if d["stretch"] == "standing_side_bend"]
    assert mine and mine[0]["seconds"] >= 5.0
    assert mine[0]["cue"].startswith("Turn to face the camera")
    assert report.to_dict()["camera_views_s"]["side"] == pytest.approx(6.0, abs=0.1)


@pytest.mark.parametrize("hz", [0.3, 0.5])
def test_neck_circles_are_not_a_neck_side_bend_hold(hz):
    """Neck circles, 2-3 s each: the tilt passes 30 deg each side (in range for a third of each
    circle), but the neck's flexion sweeps fastest just then (57 deg/s at 0.3 Hz, above the
    40 deg/s stillness limit): moving, never a hold (pose.stillness: a joint is still only if
    still in every plane). Circles of 5 s and slower move under the limit everywhere, like a
    slowly deepened hold: speed alone cannot tell them apart."""
    t = times(20.0)
    w = 2 * np.pi * hz
    scene = moving_scene("neck_side_bend", "left", t,
                         tilt=lambda s: 30.0 * np.cos(w * s),
                         flexion=lambda s: 30.0 * np.sin(w * s))
    report = check_track(make_track(scene, t, rng=seed("circles", hz)), CATALOGUE,
                         stretch="neck_side_bend")
    held = [h for r in report.results for h in r.record.holds]
    assert sum(h.duration_s for h in held) <= 1.0, held


def test_a_held_neck_side_bend_with_a_steady_nod_angle_is_still_a_hold():
    """The same tilt held, the chin a little forward (flexion 15): a hold."""
    t = times(8.0)
    scene = moving_scene("neck_side_bend", "left", t, tilt=25.0, flexion=15.0)
    report = check_track(make_track(scene, t, rng=seed("nod")), CATALOGUE,
                         stretch="neck_side_bend")
    (hold,) = result_for(report, "neck_side_bend", "left").record.holds
    assert hold.duration_s > 7.5


@pytest.mark.parametrize("side", SIDES)
def test_supine_twist_done_as_quick_reps_is_not_a_hold(side):
    """Knees dropped from 32 to 78 deg and back every 2 s (always inside the 30-80 range):
    40-70 deg/s over half a second, over the 40 deg/s stillness limit: reps, not a hold.
    The same twist held at 55 deg is one hold."""
    t = times(12.0)
    reps = moving_scene("supine_twist", side, t, drop=lambda s: 55.0 - 23.0 * np.cos(np.pi * s))
    report = check_track(make_track(reps, t, rng=seed("reps", side)), CATALOGUE,
                         stretch="supine_twist")
    assert result_for(report, "supine_twist", side).record.holds == []
    held = moving_scene("supine_twist", side, t, drop=55.0)
    report = check_track(make_track(held, t, rng=seed("held", side)), CATALOGUE,
                         stretch="supine_twist")
    (hold,) = result_for(report, "supine_twist", side).record.holds
    assert hold.duration_s > 11.5


def test_a_neck_side_bend_lying_face_down_is_not_one():
    """Head tilted 25 deg, shoulders level, but lying face down (trunk 90 deg from upright):
    the posture gate says no, in auto mode too."""
    scene = BUILDERS["neck_side_bend"]("left", pitch=90.0)
    angles, vis = measure(scene)
    pos = judge_frame(STRETCHES["neck_side_bend"], angles, vis)
    assert pos.status == OUT_OF_FORM and pos.cue == "Sit up tall for this stretch", describe(pos)
    t = times(6.0, AUTO_FPS)
    report = check_track(make_track(scene, t, rng=seed("prone neck"), fps=AUTO_FPS), CATALOGUE)
    assert all(r.stretch.id != "neck_side_bend" for r in report.results)
