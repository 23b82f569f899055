"""Tests of pose.angles: hand-computed geometry, and round trips through the test body.

The round trips build landmarks from known angles with the forward-kinematics body in
``tests/body.py`` (an independent implementation of the conventions) and check that
``joint_angles`` gets the angles back.
"""

from __future__ import annotations

import dataclasses
import zlib

import body
import numpy as np
import pytest
from body import (
    PRONE,
    STANDING,
    SUPINE,
    VIEWS,
    Camera,
    Placement,
    Pose,
    expected_angles,
    landmarks,
    posture,
    sequence,
)

from pose import landmarks as lm
from pose.angles import (
    ANGLE_NAMES,
    SIDE_TILTS,
    first_frame,
    image_tilt_frames,
    image_tilts,
    joint_angles,
)
from pose.view import camera_views

SIDES = ("left", "right")

#: A camera so far away (10 km, 400 px per metre at the subject) that its projection is
#: orthographic for our purposes. A point r metres off the optical axis and dz metres nearer
#: than the target moves by r*dz/D relative to an orthographic view, so a segment of length l
#: turns by at most r*dz/(D*l) rad: 1 m * 0.6 m / (1e4 m * 0.1 m) = 6e-4 rad = 0.03 deg, far
#: below the 0.5 deg tolerance.
def far(view: str) -> Camera:
    return Camera(view, distance=1e4, focal=4e6, width=1600, height=1600)


def seed(*parts: str) -> int:
    """A stable seed per test case (``hash`` of a str changes between runs)."""
    return zlib.crc32("/".join(parts).encode())


def angle_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in degrees, modulo 360 (so +180 and -180 agree)."""
    return np.abs((np.asarray(got) - np.asarray(want) + 180.0) % 360.0 - 180.0)


def assert_matches(got: dict, want: dict, names, tol: float, min_compared: int = 1) -> None:
    """Every finite expected value of ``names`` is recovered within ``tol``.

    ``knee_to_chest_*`` are distances (torso lengths) and are compared plainly.
    """
    for name in names:
        w, g = np.asarray(want[name]), np.asarray(got[name])
        known = np.isfinite(w)
        assert known.sum() >= min_compared, f"{name}: only {known.sum()} well-defined values"
        assert np.isfinite(g[known]).all(), f"{name}: NaN where {w[known][~np.isfinite(g[known])]}"
        if name.startswith("knee_to_chest"):
            err = np.abs(g[known] - w[known])
        else:
            err = angle_error(g[known], w[known])
        worst = int(np.argmax(err))
        assert err[worst] <= tol, (f"{name}: got {g[known][worst]:.4f}, "
                                   f"want {w[known][worst]:.4f} (error {err[worst]:.4f})")


# ---------------------------------------------------------------------------------------------
# Hand-built landmark arrays
# ---------------------------------------------------------------------------------------------

def standing_world() -> np.ndarray:
    """(33, 3) world landmarks of a person standing straight, facing the camera.

    MediaPipe axes: x right, y down, z away from the camera; the person's left is +x and their
    chest faces -z. Hips 0.2 m apart, shoulders 0.4 m apart and 0.5 m above the hips.
    """
    w = np.zeros((lm.N_LANDMARKS, 3))
    for side, x in (("left", 1.0), ("right", -1.0)):
        def put(part: str, xyz: tuple[float, float, float], side: str = side) -> None:
            w[lm.INDEX[f"{side}_{part}"]] = xyz
        put("hip", (0.1 * x, 0.0, 0.0))
        put("knee", (0.1 * x, 0.45, 0.0))
        put("ankle", (0.1 * x, 0.9, 0.0))
        put("heel", (0.1 * x, 0.95, 0.05))
        put("foot_index", (0.1 * x, 0.95, -0.15))
        put("shoulder", (0.2 * x, -0.5, 0.0))
        put("elbow", (0.2 * x, -0.2, 0.0))
        put("wrist", (0.2 * x, 0.05, 0.0))
        for part in ("pinky", "index", "thumb"):
            put(part, (0.2 * x, 0.13, -0.01))
        put("ear", (0.07 * x, -0.7, 0.0))
        put("eye", (0.03 * x, -0.72, -0.08))
        put("eye_inner", (0.015 * x, -0.72, -0.085))
        put("eye_outer", (0.05 * x, -0.72, -0.07))
    w[lm.INDEX["mouth_left"]] = (0.025, -0.64, -0.085)
    w[lm.INDEX["mouth_right"]] = (-0.025, -0.64, -0.085)
    w[lm.NOSE] = (0.0, -0.68, -0.1)
    return w


def angles_of(world=None, image=None, visibility=None) -> dict[str, float]:
    return first_frame(joint_angles(image=image, world=world, visibility=visibility))


def test_neutral_standing_is_all_zero():
    a = angles_of(standing_world())
    for side in SIDES:
        for base in ("hip_flexion", "hip_abduction", "knee_flexion", "shoulder_flexion",
                     "shoulder_abduction", "elbow_flexion", "thigh_inclination"):
            assert a[f"{base}_{side}"] == pytest.approx(0.0, abs=1e-9), base
        assert a[f"trunk_thigh_{side}"] == pytest.approx(180.0)
    for name in ("trunk_inclination", "chest_up", "trunk_lateral_tilt", "neck_lateral_tilt",
                 "neck_flexion"):
        assert a[name] == pytest.approx(0.0, abs=1e-9), name


def test_right_angle_at_the_knee_when_seated():
    w = standing_world()
    w[lm.LEFT_KNEE] = (0.1, 0.0, -0.45)   # thigh straight forwards, towards the camera
    w[lm.LEFT_ANKLE] = (0.1, 0.45, -0.45)  # shin straight down
    a = angles_of(w)
    assert a["knee_flexion_left"] == pytest.approx(90.0)
    assert a["hip_flexion_left"] == pytest.approx(90.0)
    assert a["trunk_thigh_left"] == pytest.approx(90.0)
    assert a["thigh_inclination_left"] == pytest.approx(90.0)
    assert a["knee_flexion_right"] == pytest.approx(0.0, abs=1e-9)


def test_arm_positions():
    w = standing_world()
    w[lm.LEFT_ELBOW], w[lm.LEFT_WRIST] = (0.2, -0.8, 0.0), (0.2, -1.05, 0.0)   # overhead
    w[lm.RIGHT_ELBOW], w[lm.RIGHT_WRIST] = (-0.5, -0.5, 0.0), (-0.5, -0.5, -0.25)  # out, bent
    a = angles_of(w)
    assert a["shoulder_flexion_left"] == pytest.approx(180.0)
    assert a["shoulder_abduction_left"] == pytest.approx(180.0)
    assert a["elbow_flexion_left"] == pytest.approx(0.0, abs=1e-6)
    assert a["shoulder_abduction_right"] == pytest.approx(90.0)  # out to the person's right
    assert a["elbow_flexion_right"] == pytest.approx(90.0)

    w[lm.LEFT_ELBOW] = (0.2, -0.5, -0.3)  # straight forwards
    w[lm.RIGHT_ELBOW] = (-0.2, -0.5 + 0.3 * np.cos(np.radians(30)), 0.3 * np.sin(np.radians(30)))
    a = angles_of(w)
    assert a["shoulder_flexion_left"] == pytest.approx(90.0)
    assert a["shoulder_flexion_right"] == pytest.approx(-30.0)  # 30 deg behind the body


def _tilt_head(points: np.ndarray, degrees: float, down: float) -> np.ndarray:
    """Ears turned ``degrees`` about their midpoint, the left ear going ``down`` (+y or -y)."""
    p = points.copy()
    mid = (p[lm.LEFT_EAR] + p[lm.RIGHT_EAR]) / 2.0
    half = np.linalg.norm(p[lm.LEFT_EAR] - mid)
    offset = half * np.array([np.cos(np.radians(degrees)), down * np.sin(np.radians(degrees))])
    dims = slice(0, 2)
    p[lm.LEFT_EAR, dims] = mid[dims] + offset
    p[lm.RIGHT_EAR, dims] = mid[dims] - offset
    return p


def test_head_tilted_30_degrees_to_the_left():
    # World: the left ear (+x) drops, i.e. moves to +y.
    assert angles_of(_tilt_head(standing_world(), 30.0, +1.0))["neck_lateral_tilt"] == \
        pytest.approx(30.0)
    assert angles_of(_tilt_head(standing_world(), 30.0, -1.0))["neck_lateral_tilt"] == \
        pytest.approx(-30.0)
    # Image only (front view): pixels, person's left on the image's right, y down.
    image = 320.0 + 200.0 * standing_world()[:, :2]
    image = _tilt_head(image, 30.0, +1.0)
    a = angles_of(image=image)
    assert a["neck_lateral_tilt"] == pytest.approx(30.0)
    assert a["trunk_lateral_tilt"] == pytest.approx(0.0, abs=1e-9)


def test_knee_to_chest_on_a_known_geometry():
    w = standing_world()
    w[lm.LEFT_SHOULDER, 1] = w[lm.RIGHT_SHOULDER, 1] = -0.6  # torso 0.6 m, chest at y = -0.4
    w[lm.LEFT_KNEE] = (0.12, -0.4, -0.16)  # 0.12 m across and 0.16 m in front of the chest
    a = angles_of(w)
    assert a["knee_to_chest_left"] == pytest.approx(0.2 / 0.6)  # a 3-4-5 triangle: 0.2 m
    assert a["knee_to_chest_right"] == pytest.approx(np.hypot(0.1, 0.85) / 0.6)


def _turned_about_x(points: np.ndarray, degrees: float) -> np.ndarray:
    """Points turned about the camera's x axis; +90 lays an upright person on their back."""
    t = np.radians(degrees)
    r = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(t), np.sin(t)], [0.0, -np.sin(t), np.cos(t)]])
    return points @ r.T


def test_trunk_inclination_lying_down_and_leaning():
    lying = _turned_about_x(standing_world(), 90.0)
    assert lying[lm.LEFT_SHOULDER, 2] == pytest.approx(0.5)  # head away from the camera
    a = angles_of(lying)
    assert a["trunk_inclination"] == pytest.approx(90.0)
    assert a["chest_up"] == pytest.approx(90.0)  # on the back
    assert a["hip_flexion_left"] == pytest.approx(0.0, abs=1e-9)  # relative to the trunk

    leaning = _turned_about_x(standing_world(), -30.0)  # upper body towards the camera
    a = angles_of(leaning)
    assert a["trunk_inclination"] == pytest.approx(30.0)
    assert a["chest_up"] == pytest.approx(-30.0)
    assert a["thigh_inclination_left"] == pytest.approx(30.0)  # whole body turned


def side_view_image(facing: float = -1.0) -> np.ndarray:
    """(33, 2) pixels of a person seen from the side, sitting: thigh forwards, shin down.

    ``facing`` -1: the person faces the image's left, +1 its right. Both sides overlap.
    """
    x0 = 320.0
    img = np.zeros((lm.N_LANDMARKS, 2))

    def put(part: str, dx: float, y: float) -> None:
        for side in SIDES:
            img[lm.INDEX[f"{side}_{part}"]] = (x0 + facing * dx, y)
    put("hip", 0, 300)
    put("shoulder", 0, 200)
    put("knee", 90, 300)
    put("ankle", 90, 390)
    put("heel", 85, 400)
    put("foot_index", 125, 400)
    put("elbow", 0, 260)
    put("wrist", 0, 310)
    for part in ("pinky", "index", "thumb"):
        put(part, 0, 320)
    put("ear", 0, 160)
    for part in ("eye", "eye_inner", "eye_outer"):
        put(part, 18, 155)
    img[lm.NOSE] = (x0 + facing * 20, 165)
    img[lm.INDEX["mouth_left"]] = img[lm.INDEX["mouth_right"]] = (x0 + facing * 17, 175)
    return img


@pytest.mark.parametrize("facing", [-1.0, 1.0])
def test_2d_fallback_in_a_side_view(facing):
    a = angles_of(image=side_view_image(facing))
    for side in SIDES:
        assert a[f"hip_flexion_{side}"] == pytest.approx(90.0)
        assert a[f"knee_flexion_{side}"] == pytest.approx(90.0)
        assert a[f"trunk_thigh_{side}"] == pytest.approx(90.0)
        assert a[f"thigh_inclination_{side}"] == pytest.approx(90.0)
        assert a[f"shoulder_flexion_{side}"] == pytest.approx(0.0, abs=1e-9)
    assert a["trunk_inclination"] == pytest.approx(0.0, abs=1e-9)
    assert a["chest_up"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(a["knee_drop"])  # needs depth


def test_2d_fallback_faces_by_the_toes_when_the_face_is_ambiguous():
    img = side_view_image(-1.0)
    img[lm.NOSE] = img[lm.LEFT_EAR]  # no profile to read
    a = angles_of(image=img)
    assert a["hip_flexion_left"] == pytest.approx(90.0)


def test_world_rows_of_nan_fall_back_to_the_image_frame_by_frame():
    img = side_view_image()
    world = np.stack([standing_world(), np.full((lm.N_LANDMARKS, 3), np.nan)])
    both = joint_angles(image=np.stack([img, img]), world=world)
    image_only = first_frame(joint_angles(image=img))
    world_only = first_frame(joint_angles(world=standing_world()))
    # The world row faces the camera: its side tilts are measured on the image (pose.view),
    # here a side-on picture whose shoulders overlap, so they cannot be measured at all.
    seen = {k: float(v[0]) for k, v in image_tilts(img[None], np.array([False])).items()}
    for name in ANGLE_NAMES:
        np.testing.assert_equal(both[name][0], seen.get(name, world_only[name]), err_msg=name)
        np.testing.assert_equal(both[name][1], image_only[name], err_msg=name)
    assert set(seen) == set(SIDE_TILTS) and all(np.isnan(v) for v in seen.values())
    assert both["hip_flexion_left"][0] == pytest.approx(0.0, abs=1e-9)
    assert both["hip_flexion_left"][1] == pytest.approx(90.0)


# Measures that need the left knee, written out by hand from the definitions.
_NEED_LEFT_KNEE = {"hip_flexion_left", "hip_abduction_left", "knee_flexion_left",
                   "trunk_thigh_left", "knee_to_chest_left", "thigh_inclination_left",
                   "shank_inclination_left",
                   "knee_drop"}


def test_hidden_joint_blanks_exactly_the_angles_that_use_it():
    # Arms forwards, so that horizontal adduction is defined too.
    image, world, vis = landmarks(Pose.symmetric(hip_flexion=40.0, knee_flexion=60.0,
                                                 shoulder_flexion=90.0),
                                  hidden=[lm.LEFT_KNEE])
    assert vis[lm.LEFT_KNEE] == pytest.approx(body.HIDDEN_VISIBILITY)
    a = angles_of(world, image, vis)
    nan = {name for name, value in a.items() if np.isnan(value)}
    assert nan == _NEED_LEFT_KNEE & set(ANGLE_NAMES)


def test_the_trunk_needs_only_one_hip_and_one_shoulder():
    _, world, vis = landmarks(Pose(), hidden=[lm.RIGHT_HIP, lm.RIGHT_SHOULDER])
    a = angles_of(world, visibility=vis)
    assert a["trunk_inclination"] == pytest.approx(0.0, abs=1e-9)
    assert a["hip_flexion_left"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(a["hip_flexion_right"]) and np.isnan(a["shoulder_flexion_right"])
    assert np.isnan(a["neck_lateral_tilt"])  # needs both shoulders and both ears

    _, world, vis = landmarks(Pose(), hidden=[lm.LEFT_HIP, lm.RIGHT_HIP])
    a = angles_of(world, visibility=vis)
    assert np.isnan(a["trunk_inclination"]) and np.isnan(a["shoulder_flexion_left"])
    assert a["elbow_flexion_left"] == pytest.approx(0.0, abs=1e-6)  # no trunk needed


def test_visibility_threshold_is_inclusive():
    vis = np.full(lm.N_LANDMARKS, 0.99)
    vis[lm.LEFT_KNEE] = 0.5
    assert np.isfinite(angles_of(standing_world(), visibility=vis)["knee_flexion_left"])
    vis[lm.LEFT_KNEE] = 0.4999
    assert np.isnan(angles_of(standing_world(), visibility=vis)["knee_flexion_left"])


# ---------------------------------------------------------------------------------------------
# Round trips through the test body
# ---------------------------------------------------------------------------------------------

def random_pose(rng: np.random.Generator, n: int, *, sagittal: bool = False,
                frontal: bool = False) -> Pose:
    """``n`` random poses (a Pose of (n,) arrays) within physiological ranges.

    Shoulders are either below horizontal in both planes or above in both (hip abduction is an
    elevation, defined at any hip flexion).
    ``sagittal``: everything in the sagittal plane (no abduction, no tilts). ``frontal``:
    everything in the frontal plane (no flexion).
    """
    def u(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, n)

    angles: dict[str, np.ndarray] = {}
    for side in SIDES:
        raised = rng.random(n) < 0.4
        angles |= {
            f"hip_flexion_{side}": u(-20.0, 130.0),
            f"hip_abduction_{side}": u(-15.0, 40.0),
            f"knee_flexion_{side}": u(0.0, 140.0),
            f"shoulder_flexion_{side}": np.where(raised, u(100.0, 180.0), u(-40.0, 80.0)),
            f"shoulder_abduction_{side}": np.where(raised, u(100.0, 180.0), u(-25.0, 80.0)),
            f"elbow_flexion_{side}": u(0.0, 145.0),
        }
    angles |= {"neck_flexion": u(-40.0, 50.0), "neck_lateral_tilt": u(-35.0, 35.0),
               "trunk_lateral_tilt": u(-30.0, 30.0)}
    if sagittal:
        for name in angles:
            if "abduction" in name or "tilt" in name:
                angles[name] = np.zeros(n)
        for side in SIDES:
            angles[f"shoulder_flexion_{side}"] = u(-40.0, 180.0)
    if frontal:
        for name in angles:
            if "flexion" in name and "neck" not in name:
                angles[name] = np.zeros(n)
        for side in SIDES:
            angles[f"shoulder_abduction_{side}"] = u(-25.0, 180.0)
            angles[f"hip_abduction_{side}"] = u(-15.0, 50.0)
    return Pose(**angles)


def placed(name: str, rng: np.random.Generator, n: int, **kw) -> tuple[Pose, Placement]:
    """Random poses in a named placement: standing (leaning -20..45 deg), supine, all fours."""
    pose = random_pose(rng, n, **kw)
    if name == "standing":
        return pose, Placement(rng.uniform(-20.0, 45.0, n))
    if name == "supine":
        return pose, SUPINE
    # All fours: around hips, knees and shoulders at 90 deg, trunk horizontal, chest down.
    base, place = posture("all_fours")
    jitter = {f"{j}_{s}": getattr(base, f"{j}_{s}") + rng.uniform(-25.0, 25.0, n)
              for j in ("hip_flexion", "knee_flexion", "shoulder_flexion") for s in SIDES}
    pose = dataclasses.replace(pose, trunk_lateral_tilt=np.zeros(n), **jitter)
    return pose, place


PLACEMENTS = ("standing", "supine", "all_fours")
N = 150


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("view", VIEWS)
def test_round_trip_world(view, placement):
    rng = np.random.default_rng(seed(view, placement))
    pose, place = placed(placement, rng, N)
    image, world, vis = sequence(pose, np.arange(N) / 30.0, place, Camera(view))
    got = joint_angles(image=image, world=world)
    want = expected_angles(pose, place)
    # The side tilts are measured by view (pose.view): on the image from the front or back,
    # not at all side-on, on the (exact) world landmarks from three-quarters.
    views = camera_views(world)
    seen = image_tilts(image, views == "back")
    for name in SIDE_TILTS:
        if name not in want:
            continue  # not a body measure expected_angles knows (shoulder_tilt)
        want[name] = np.where(image_tilt_frames(world), seen[name],
                              np.where(views == "side", np.nan, want[name]))
    names = [n for n in ANGLE_NAMES if n in want]
    for name in SIDE_TILTS:
        if name in names and (views == "side").all():  # side-on: never measured
            assert np.isnan(got[name]).all(), name
            names.remove(name)
    if placement != "standing" and "trunk_lateral_tilt" in names:
        names.remove("trunk_lateral_tilt")  # undefined with the trunk horizontal
    assert_matches(got, want, names, tol=0.5, min_compared=10)
    # Much better than the tolerance in fact: world landmarks are exact.
    assert_matches(got, want, names, tol=1e-6, min_compared=10)


def test_expected_angles_are_the_pose_angles():
    """The body really has the angles it was asked for (the exact answers checks rely on)."""
    rng = np.random.default_rng(7)
    pose, place = placed("standing", rng, N)
    want = expected_angles(pose, place)
    for name in body.POSE_FIELDS:
        if name == "knee_drop":
            continue
        value = getattr(pose, name)
        if not np.isfinite(value).any():
            continue  # an optional field left unset (shoulder_horizontal_adduction_*)
        known = np.isfinite(want[name])
        assert known.sum() > N // 2, name
        np.testing.assert_allclose(angle_error(want[name][known], value[known]), 0.0,
                                   atol=1e-9, err_msg=name)
    pitch = np.radians(place.pitch)
    tilt = np.radians(pose.trunk_lateral_tilt)
    np.testing.assert_allclose(want["trunk_inclination"],
                               np.degrees(np.arccos(np.cos(pitch) * np.cos(tilt))))


def test_supine_twist_knee_drop_round_trip():
    rng = np.random.default_rng(3)
    n = N
    hips, knees = rng.uniform(30.0, 110.0, n), rng.uniform(30.0, 120.0, n)
    pose = Pose.symmetric(hip_flexion=hips, knee_flexion=knees, knee_drop=rng.uniform(-70, 70, n))
    for view in VIEWS:
        _, world, _ = sequence(pose, np.arange(n), SUPINE, Camera(view))
        got = joint_angles(world=world)
        want = expected_angles(pose, SUPINE)
        np.testing.assert_allclose(want["knee_drop"], pose.knee_drop, atol=1e-9)
        legs = [n for n in ANGLE_NAMES if n in want and n.startswith(
            ("hip_", "knee_", "trunk_thigh", "thigh_", "trunk_inclination", "chest_up"))]
        assert_matches(got, want, legs, tol=1e-6, min_compared=n)


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("view", ["side_left", "side_right"])
def test_side_view_image_only_gives_the_sagittal_angles(view, placement):
    """Image landmarks alone, real camera (3.5 m, f = 600 px), poses in the sagittal plane.

    A plane parallel to the image is imaged by a similarity even under perspective, so angles
    within one limb's sagittal plane come back exactly. ``neck_flexion`` mixes points at
    different depths (ears 7.5 cm, shoulders 18 cm either side of the midline): 0.25 deg off at
    most, inside the 0.5 deg tolerance. The far side is reported as poorly seen, so is NaN.
    """
    rng = np.random.default_rng(seed(view, placement, "2d"))
    pose, place = placed(placement, rng, N, sagittal=True)
    image, _, vis = sequence(pose, np.arange(N) / 30.0, place, Camera(view))
    got = joint_angles(image=image, visibility=vis)
    want = expected_angles(pose, place)
    near, far_side = ("left", "right") if view == "side_left" else ("right", "left")
    limb = ("hip_flexion", "knee_flexion", "shoulder_flexion", "elbow_flexion", "trunk_thigh",
            "thigh_inclination")
    names = [f"{j}_{near}" for j in limb] + ["trunk_inclination", "chest_up", "neck_flexion"]
    assert_matches(got, want, [n for n in names if n in got], tol=0.5, min_compared=N // 2)
    for j in limb:
        assert np.isnan(got[f"{j}_{far_side}"]).all()
    assert np.isnan(got["knee_drop"]).all()


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("view", ["side_left", "side_right"])
def test_side_view_image_gives_the_sagittal_projections_of_any_pose(view, placement):
    """Limbs out of the sagittal plane: flexion angles are sagittal *projections*, which an
    orthographic side view shows exactly (near-orthographic camera, see ``far``)."""
    rng = np.random.default_rng(seed(view, placement, "proj"))
    pose, place = placed(placement, rng, N)
    pose = dataclasses.replace(pose, trunk_lateral_tilt=np.zeros(N))
    image, _, vis = sequence(pose, np.arange(N), place, far(view))
    got = joint_angles(image=image, visibility=vis)
    want = expected_angles(pose, place)
    near = "left" if view == "side_left" else "right"
    names = [f"hip_flexion_{near}", f"shoulder_flexion_{near}", "trunk_inclination",
             "chest_up", "neck_flexion"]
    assert_matches(got, want, [n for n in names if n in got], tol=0.5, min_compared=N // 2)


FRONTAL = ("shoulder_abduction_left", "shoulder_abduction_right", "hip_abduction_left",
           "hip_abduction_right", "trunk_lateral_tilt", "neck_lateral_tilt")


def seen_from_the_front(pose: Pose) -> dict[str, np.ndarray]:
    """Expected angles as the 2-D fallback sees them in a front or back view.

    The image shows the frontal projection of each thigh, so ``hip_abduction`` (an elevation
    out of the sagittal plane in 3-D) comes out as the thigh's *frontal projected* angle folded
    into [-90, 90] (the arcsine of its sine). Thighs whose frontal projection is shorter than
    30 % of their length (pointing at the camera) are NaN here: their image direction is
    ill-conditioned. Everything else is as ``expected_angles``.
    """
    want = dict(expected_angles(pose, STANDING))
    points = body.skeleton(pose)
    for side, s in (("left", 1.0), ("right", -1.0)):
        thigh = points[:, lm.INDEX[f"{side}_knee"]] - points[:, lm.INDEX[f"{side}_hip"]]
        frontal = np.hypot(thigh[:, 0], thigh[:, 1])
        elevation = np.degrees(np.arcsin(np.clip(s * thigh[:, 0] / frontal, -1.0, 1.0)))
        short = frontal < 0.3 * np.linalg.norm(thigh, axis=1)
        want[f"hip_abduction_{side}"] = np.where(short, np.nan, elevation)
    return want


def test_front_view_image_only_gives_the_frontal_angles():
    """Any pose, upright trunk, near-orthographic camera: abductions are frontal projections."""
    rng = np.random.default_rng(11)
    pose = random_pose(rng, N)
    image, _, vis = sequence(pose, np.arange(N), STANDING, far("front"))
    got = joint_angles(image=image, visibility=vis)
    assert_matches(got, seen_from_the_front(pose), FRONTAL, tol=0.5, min_compared=N // 2)
    assert np.isnan(got["knee_drop"]).all()


def test_3d_hip_abduction_is_an_elevation_not_the_frontal_projection():
    """A knee hugged to the chest and turned 10 deg out: 10 in 3-D, whatever the flexion; the
    frontal projection of the same thigh would be far larger (the thigh points mostly up)."""
    for flexion in (0.0, 45.0, 90.0, 120.0, 140.0):
        pose = Pose(hip_flexion_left=flexion, hip_abduction_left=10.0,
                    hip_flexion_right=flexion, hip_abduction_right=-5.0)
        a = angles_of(landmarks(pose, SUPINE, Camera("side_left"))[1])
        assert a["hip_flexion_left"] == pytest.approx(flexion, abs=1e-6)
        assert a["hip_abduction_left"] == pytest.approx(10.0, abs=1e-6)
        assert a["hip_abduction_right"] == pytest.approx(-5.0, abs=1e-6)
    front = seen_from_the_front(Pose(hip_flexion_left=60.0, hip_abduction_left=10.0))
    assert front["hip_abduction_left"][0] == pytest.approx(
        np.degrees(np.arctan(np.tan(np.radians(10.0)) / np.cos(np.radians(60.0)))))


def test_front_view_real_camera_frontal_plane_poses():
    """Real camera (3.5 m, f = 600 px), poses in the frontal plane: exact, as planes parallel
    to the image are imaged by a similarity (each arm and leg lies in one)."""
    rng = np.random.default_rng(12)
    pose = random_pose(rng, N, frontal=True)
    image, _, vis = sequence(pose, np.arange(N), STANDING, Camera("front"))
    got = joint_angles(image=image, visibility=vis)
    assert_matches(got, expected_angles(pose, STANDING), FRONTAL, tol=0.5, min_compared=N // 2)


def test_back_view_image_only_gives_abductions_and_trunk_tilt():
    rng = np.random.default_rng(13)
    pose = random_pose(rng, N)
    image, _, vis = sequence(pose, np.arange(N), STANDING, far("back"))
    got = joint_angles(image=image, visibility=vis)
    assert_matches(got, seen_from_the_front(pose), FRONTAL, tol=0.5, min_compared=N // 2)


def test_vectorised_call_equals_per_frame_calls():
    t = np.arange(400) / 30.0
    motion = body.moving(Pose.symmetric(knee_flexion=100.0), hip_flexion=body.bounce(100.0),
                         shoulder_abduction=body.ramp(20.0, 3.0, t0=2.0),
                         neck_lateral_tilt=lambda s: 10 * np.sin(s))
    image, world, vis = sequence(motion, t, SUPINE, Camera("side_left"), noise_px=2.0,
                                 noise_m=0.01, rng=5)
    world[::7] = np.nan            # some frames without world landmarks: 2-D fallback
    vis[::5, lm.LEFT_KNEE] = 0.1   # and some with a joint out of sight
    together = joint_angles(image=image, world=world, visibility=vis)
    alone = [joint_angles(image=image[i], world=world[i], visibility=vis[i])
             for i in range(len(t))]
    for name in ANGLE_NAMES:
        one_by_one = np.concatenate([frame[name] for frame in alone])
        np.testing.assert_allclose(together[name], one_by_one, rtol=0, atol=1e-9, err_msg=name)
    assert np.isnan(together["knee_drop"][::7]).all()  # the 2-D frames
    assert np.isfinite(together["hip_flexion_left"][1:5]).all()
    assert np.isnan(together["hip_flexion_left"][::5]).all()


def test_one_frame_at_a_time_equals_the_run_exactly_on_real_people():
    """Live measures one frame at a time, files a run at once: on every real clip (shortened
    legs, side and back views, hidden joints) each frame alone gives exactly the run's values."""
    from conftest import SHARED

    traces = sorted((SHARED / "realclips").glob("*.npz"))
    if not traces:
        pytest.skip("../shared/realclips is not here")
    for path in traces:
        with np.load(path) as d:
            found = d["found"].astype(bool)
            image, world, vis = d["image"][found], d["world"][found], d["visibility"][found]
        together = joint_angles(image=image, world=world, visibility=vis)
        for i in range(0, len(image), 9):
            alone = joint_angles(image=image[i], world=world[i], visibility=vis[i])
            for name in ANGLE_NAMES:
                np.testing.assert_array_equal(alone[name], together[name][i:i + 1],
                                              err_msg=f"{path.name} frame {i} {name}")


def test_time_series_of_a_bounce_and_a_deepening_hold():
    t = np.arange(0.0, 4.0, 1.0 / 30.0)
    motion = body.moving(Pose(), hip_flexion_left=body.bounce(90.0, 8.0, 2.0),
                         knee_flexion_left=body.ramp(40.0, 3.0, stop=49.0))
    image, world, vis = sequence(motion, t, SUPINE, Camera("side_left"))
    assert image.shape == (len(t), 33, 2) and world.shape == (len(t), 33, 3)
    assert vis.shape == (len(t), 33)
    got = joint_angles(image=image, world=world, visibility=vis)
    np.testing.assert_allclose(got["hip_flexion_left"], 90 + 8 * np.sin(4 * np.pi * t), atol=1e-6)
    np.testing.assert_allclose(got["knee_flexion_left"], np.minimum(40 + 3 * t, 49.0), atol=1e-6)


# ---------------------------------------------------------------------------------------------
# The test body itself
# ---------------------------------------------------------------------------------------------

def test_body_segments_keep_their_lengths():
    rng = np.random.default_rng(21)
    pose, place = placed("standing", rng, N)
    pose = dataclasses.replace(pose, knee_drop=rng.uniform(-40, 40, N))
    _, world, _ = sequence(pose, np.arange(N), place, Camera("side_right"))
    dims = body.Dimensions()
    for side in SIDES:
        for a, b, length in (("hip", "knee", dims.thigh), ("knee", "ankle", dims.shank),
                             ("shoulder", "elbow", dims.upper_arm),
                             ("elbow", "wrist", dims.forearm)):
            d = world[:, lm.INDEX[f"{side}_{b}"]] - world[:, lm.INDEX[f"{side}_{a}"]]
            np.testing.assert_allclose(np.linalg.norm(d, axis=1), length, err_msg=f"{side} {a}")
        for part in ("pinky", "index", "thumb"):
            d = world[:, lm.INDEX[f"{side}_{part}"]] - world[:, lm.INDEX[f"{side}_wrist"]]
            assert (np.linalg.norm(d, axis=1) < 0.12).all()
    hip_mid = world[:, [lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=1)
    np.testing.assert_allclose(hip_mid, 0.0, atol=1e-12)


def test_body_face_and_feet_are_placed_plausibly():
    image, world, vis = landmarks(Pose(), STANDING, Camera("front"))
    ears = world[[lm.LEFT_EAR, lm.RIGHT_EAR]]
    assert (world[lm.NOSE, 2] < ears[:, 2]).all()              # nose nearer the camera
    assert world[lm.LEFT_EAR, 0] > 0 > world[lm.RIGHT_EAR, 0]   # left on the image's right
    assert (world[[lm.LEFT_HEEL, lm.RIGHT_HEEL], 2] > world[[lm.LEFT_FOOT_INDEX,
                                                              lm.RIGHT_FOOT_INDEX], 2]).all()
    assert (world[:, 1].argmin() in (lm.INDEX["left_eye_inner"], lm.INDEX["right_eye_inner"],
                                     lm.INDEX["left_eye"], lm.INDEX["right_eye"],
                                     lm.INDEX["left_eye_outer"], lm.INDEX["right_eye_outer"]))
    assert ((image >= 0) & (image < [640, 480])).all()
    np.testing.assert_allclose(vis, body.SEEN_VISIBILITY)


def test_body_visibility_by_view():
    _, _, vis = landmarks(Pose(), STANDING, Camera("side_left"))
    right = [i for i, name in enumerate(lm.NAMES) if name.startswith("right_")]
    assert (vis[right] == body.FAR_VISIBILITY).all()
    assert (np.delete(vis, right) == body.SEEN_VISIBILITY).all()
    _, _, vis = landmarks(Pose(), STANDING, Camera("back"), far_visibility=0.2)
    assert vis[lm.NOSE] == 0.2 and vis[lm.LEFT_EAR] == body.SEEN_VISIBILITY
    # Off the image: a camera too close to see the feet.
    image, _, vis = landmarks(Pose(), STANDING, Camera("front", distance=1.2))
    assert (image[lm.LEFT_ANKLE, 1] > 480) and vis[lm.LEFT_ANKLE] == body.HIDDEN_VISIBILITY
    _, _, vis = landmarks(hidden=["nose", lm.LEFT_WRIST])
    assert vis[lm.NOSE] == vis[lm.LEFT_WRIST] == body.HIDDEN_VISIBILITY


def test_body_noise_is_reproducible_and_of_the_right_size():
    a = sequence(Pose(), np.arange(500), noise_px=3.0, noise_m=0.02, rng=1)
    b = sequence(Pose(), np.arange(500), noise_px=3.0, noise_m=0.02, rng=1)
    clean = sequence(Pose(), np.arange(500))
    np.testing.assert_array_equal(a[0], b[0])
    assert np.std(a[0] - clean[0]) == pytest.approx(3.0, rel=0.05)
    assert np.std(a[1] - clean[1]) == pytest.approx(0.02, rel=0.05)


def test_body_postures_and_placements():
    for pose, place in body.POSTURES.values():
        want = expected_angles(pose, place)
        got = angles_of(landmarks(pose, place)[1])
        assert got["trunk_inclination"] == pytest.approx(float(want["trunk_inclination"][0]))
    a = angles_of(landmarks(*posture("all_fours"))[1])
    assert a["trunk_inclination"] == pytest.approx(90.0)
    assert a["chest_up"] == pytest.approx(-90.0)
    assert a["thigh_inclination_left"] == pytest.approx(0.0, abs=1e-6)  # thighs plumb
    assert angles_of(landmarks(*posture("supine"))[1])["chest_up"] == pytest.approx(90.0)
    assert angles_of(landmarks(Pose(), PRONE)[1])["chest_up"] == pytest.approx(-90.0)
    pose, _ = posture("supine", hip_flexion=90, knee_drop=30)
    assert pose.hip_flexion_left == pose.hip_flexion_right == 90 and pose.knee_drop == 30


def test_body_mirrors_pairs_past_horizontal():
    """Arm straight overhead from abduction alone; a knee pulled up to the chest is not
    mirrored."""
    a = angles_of(landmarks(Pose(shoulder_abduction_left=180.0))[1])
    assert a["shoulder_flexion_left"] == pytest.approx(180.0)
    a = angles_of(landmarks(Pose(shoulder_abduction_left=120.0))[1])
    assert a["shoulder_abduction_left"] == pytest.approx(120.0)
    assert a["shoulder_flexion_left"] == pytest.approx(180.0)
    # Hip abduction is an elevation (no mirroring): a knee hug 10 deg out reads 10.
    a = angles_of(landmarks(Pose(hip_flexion_left=120.0, hip_abduction_left=10.0))[1])
    assert a["hip_flexion_left"] == pytest.approx(120.0)
    assert a["hip_abduction_left"] == pytest.approx(10.0)


# ---------------------------------------------------------------------------------------------
# Problems once found in pose.angles, now fixed (kept as regression tests)
# ---------------------------------------------------------------------------------------------

def test_knee_hug_hip_abduction_reads_near_zero():
    """Was: hip_abduction as the frontal projection read +-180 for a knee hugged straight to the
    chest and flipped between about +179 and -179 with mm-level jitter."""
    pose, place = posture("supine", hip_flexion=120.0, knee_flexion=120.0)
    _, world, _ = sequence(pose, np.arange(60), place, Camera("side_left"), noise_m=0.002)
    abduction = joint_angles(world=world)["hip_abduction_left"]
    assert (np.abs(abduction) < 30.0).all(), abduction
    assert np.abs(np.median(abduction)) < 2.0


def test_seated_knees_apart_read_as_abduction():
    """Was: with the thigh horizontal its frontal projection had no 'down' part, so knees 20 deg
    apart read 90."""
    w = standing_world()
    turn = np.radians(20.0)
    w[lm.LEFT_KNEE] = w[lm.LEFT_HIP] + 0.45 * np.array([np.sin(turn), 0.0, -np.cos(turn)])
    w[lm.RIGHT_KNEE] = w[lm.RIGHT_HIP] + 0.45 * np.array([-np.sin(turn), 0.0, -np.cos(turn)])
    a = angles_of(w)
    assert a["hip_flexion_left"] == pytest.approx(90.0)
    assert a["hip_abduction_left"] == pytest.approx(20.0, abs=1e-6)
    assert a["hip_abduction_right"] == pytest.approx(20.0, abs=1e-6)


@pytest.mark.parametrize("view", ["front", "back"])
@pytest.mark.parametrize("tilt", [30.0, -20.0])
def test_2d_neck_tilt_sign_front_and_back(view, tilt):
    """Was: the 2-D fallback assumed the face towards the camera, so from behind the sign was
    reversed (head tilted 30 deg left read -30)."""
    image, _, vis = landmarks(Pose(neck_lateral_tilt=tilt), STANDING, Camera(view))
    assert angles_of(image=image, visibility=vis)["neck_lateral_tilt"] == pytest.approx(
        tilt, abs=0.5)


def test_horizontal_adduction_is_unknown_with_the_arm_along_the_trunk():
    """NaN within 30 deg of the trunk axis (hanging or straight overhead), defined beyond."""
    for flexion, defined in ((0.0, False), (25.0, False), (35.0, True), (90.0, True),
                             (155.0, False), (180.0, False)):
        a = angles_of(landmarks(Pose(shoulder_flexion_left=flexion))[1])
        assert np.isfinite(a["shoulder_horizontal_adduction_left"]) == defined, flexion
        if defined:
            assert a["shoulder_horizontal_adduction_left"] == pytest.approx(0.0, abs=1e-6)
    a = angles_of(landmarks(Pose(shoulder_abduction_right=90.0))[1])  # out to the side
    assert a["shoulder_horizontal_adduction_right"] == pytest.approx(-90.0, abs=1e-6)


@pytest.mark.parametrize("view", VIEWS)
def test_arm_across_the_chest_round_trip(view):
    """The body's cross-body arm: any flexion 35-145, transverse angle -60..80, both sides."""
    rng = np.random.default_rng(seed(view, "across"))
    flexion, across = rng.uniform(35.0, 145.0, N), rng.uniform(-60.0, 80.0, N)
    pose = Pose.symmetric(shoulder_flexion=flexion, shoulder_horizontal_adduction=across)
    _, world, _ = sequence(pose, np.arange(N), STANDING, Camera(view))
    got = joint_angles(world=world)
    want = expected_angles(pose)
    for side in SIDES:
        np.testing.assert_allclose(want[f"shoulder_flexion_{side}"], flexion, atol=1e-9)
        defined = np.isfinite(want[f"shoulder_horizontal_adduction_{side}"])
        assert defined.sum() > N // 2
        np.testing.assert_allclose(want[f"shoulder_horizontal_adduction_{side}"][defined],
                                   across[defined], atol=1e-9)
    names = [f"shoulder_{j}_{s}" for j in ("flexion", "abduction", "horizontal_adduction")
             for s in SIDES]
    assert_matches(got, want, names, tol=1e-6, min_compared=N // 2)
    # At shoulder height: the cross-body stretch.
    a = angles_of(landmarks(Pose(shoulder_flexion_left=90.0,
                                 shoulder_horizontal_adduction_left=40.0), camera=Camera(view))[1])
    assert a["shoulder_horizontal_adduction_left"] == pytest.approx(40.0, abs=1e-6)
    assert a["shoulder_flexion_left"] == pytest.approx(90.0, abs=1e-6)


def test_knee_drop_is_unknown_with_the_legs_along_the_trunk():
    for flexion, defined in ((0.0, False), (25.0, False), (35.0, True), (90.0, True)):
        pose, place = posture("supine", hip_flexion=flexion, knee_flexion=60.0, knee_drop=20.0)
        a = angles_of(landmarks(pose, place)[1])
        assert np.isfinite(a["knee_drop"]) == defined, flexion
        if defined:
            assert a["knee_drop"] == pytest.approx(20.0, abs=1e-6)
