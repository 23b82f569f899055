"""A forward-kinematics body: joint angles in, MediaPipe-like landmarks out.

Tests of angles and checks need landmarks whose angles are known exactly, and every stretch's
picture (``pose.figure``) needs a body posed at its targets. This module builds them the other
way round from ``pose.angles``: it starts from the joint angles and rotates the body's segments
into place. Pure numpy, no I/O. It shares nothing with ``pose.angles`` but the conventions, written
out again below (only ``pose.landmarks`` is used, for indices and names).

Units and shapes
================
* Angles: degrees. Lengths: metres. Image coordinates: pixels.
* ``landmarks`` returns one frame: ``image`` (33, 2), ``world`` (33, 3), ``visibility`` (33,).
  ``sequence`` returns N frames: (N, 33, 2), (N, 33, 3), (N, 33).
* ``world`` is hip-centred (origin at mid-hip) in the camera's axes, like MediaPipe: x right,
  y down, z away from the camera. The camera is level, so -y is straight up.
* ``image`` is a pinhole projection: x right, y down, origin at the top-left corner.

How the body is built
=====================
Everything starts in *body axes*: ``left`` (from the right to the left side), ``up`` (mid-hip to
mid-shoulder) and ``forward = left x up`` (where the chest faces); ``down = -up``. These are the
axes ``pose.angles`` rebuilds from the hips and shoulders, so measured in them the angles below
are exact.

* Trunk: mid-hip at the origin, mid-shoulder ``torso`` metres up; hips and shoulders on the
  ``left`` axis. It never bends, so ``up`` and ``left`` are exactly the trunk's axes.
* Hip angles: ``hip_flexion`` is a *projected* angle, the thigh's projection on the sagittal
  plane (``down``, ``forward``) against ``down``; ``hip_abduction`` is an *elevation*, how far
  the thigh leaves the sagittal plane (degrees(arcsin(thigh . outward)), + away from the
  midline), in [-90, 90] and meaningful at any flexion, like those of ``pose.angles``. Outward
  is ``left`` for the left limbs and ``-left`` for the right ones. The thigh is
  ``cos(abd) * (sagittal direction at hip_flexion) + sin(abd) * outward``, so both are measured
  exactly whatever the flexion (a knee hugged to the chest with abduction 10 measures 10).
* Shoulder angles are *projected* angles, like those of ``pose.angles``: the arm's
  direction is the one whose projection on the sagittal plane (``down``, ``forward``) makes
  ``shoulder_flexion`` with ``down``, and whose projection on the frontal plane (``down``,
  outward) makes ``shoulder_abduction`` with ``down``. Such a pair names one direction only
  when both are below horizontal (cos > 0) or both above (cos < 0). When they disagree, the one
  below horizontal is read as how far the raised arm leans out of the other plane, and is
  mirrored across the horizontal (x becomes +-180 - x), which is what ``pose.angles`` then
  reports: ``shoulder_abduction=180`` alone is an arm straight overhead and measures shoulder
  flexion 180. At exactly +-90 in one plane (a horizontal arm) the other projection shrinks to
  a point and the other angle has no effect; that is also where ``pose.angles`` cannot measure
  it. For a horizontal arm across the chest, set ``shoulder_horizontal_adduction`` instead of
  the abduction (see ``Pose``): the arm then has that transverse angle and the given flexion.
* Knee and elbow: a hinge about the limb's own ``left`` axis. Each limb's frame is the body's
  frame turned by the smallest rotation taking ``down`` onto the limb (for a limb straight
  overhead, half a turn about ``left``, as if raised forwards). The knee bends the shank
  backwards, the elbow bends the forearm forwards; the feet sit at right angles to the shanks.
* ``knee_drop``: after the hip and knee angles, each whole leg is turned by ``knee_drop`` about
  an axis through its own hip parallel to ``up``, ``forward`` turning towards ``left`` (knees
  to the person's left for positive values). The hips themselves stay put. ``pose.angles``
  measures exactly ``knee_drop`` when the two thighs are mirror images (same flexion and
  abduction) and point forwards; the hip angles it then measures are those of the turned
  thighs (see ``expected_angles``).
* Head: mid-ear ``neck`` metres from mid-shoulder. Its ear line is ``left`` turned by
  ``neck_lateral_tilt`` in the frontal plane (left ear down for +), and its axis is the one
  whose sagittal projection makes ``neck_flexion`` with ``up`` (forward for +) and that is
  square to the ear line. Nose, eyes and mouth sit in front of the ears.
* Placement: the body is then rolled by ``trunk_lateral_tilt`` about ``forward`` (whole-body
  lean to the left for +; legs follow, so a side bend with the feet planted also needs
  ``hip_abduction_left = +tilt`` and ``hip_abduction_right = -tilt``), then pitched by
  ``Placement.pitch`` about its own ``left`` axis: 0 upright, +90 chest down (prone, all
  fours), -90 chest up (supine). ``pose.angles`` then measures ``trunk_inclination =
  acos(cos(pitch) cos(tilt))`` and, while the trunk is not near horizontal, ``trunk_lateral_tilt
  = tilt`` (exactly, for |pitch| < 90).
* Camera: level, ``distance`` metres from the ``target`` point (default mid-hip), looking at
  it. ``front``: the person faces the camera (their left on the image's right); ``back``; and
  ``side_left`` / ``side_right``: the camera sees that side of the person (``side_left``: the
  person faces the image's left when upright, head to the image's right when supine).

Visibility: 0.99 for landmarks in view; ``far_visibility`` (0.3) for the far side's landmarks
in side views (every ``right_*`` landmark in ``side_left`` and vice versa) and for the face in a
back view, since real models report those as poorly seen; ``HIDDEN_VISIBILITY`` (0.05) for
landmarks projected outside the image and for those named in ``hidden``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from pose import landmarks as lm

SIDES = ("left", "right")
SEEN_VISIBILITY = 0.99
FAR_VISIBILITY = 0.3
HIDDEN_VISIBILITY = 0.05

# Body axes as coordinates: (left, up, forward) are the unit vectors e0, e1, e2.
_LEFT, _UP, _FORWARD = np.eye(3)
_DOWN = -_UP


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

#: An angle in degrees: a float, or in ``sequence`` an (N,) array, one value per frame.
Angle = float | np.ndarray


@dataclass(frozen=True)
class Pose:
    """Joint angles in degrees; the defaults are a person standing straight, arms by the side.

    Field names and meanings are those of ``pose.angles.ANGLE_NAMES``. In ``sequence`` a field
    may also hold an (N,) array, one value per frame.

    ``shoulder_horizontal_adduction_<side>`` is NaN (unused) by default. When set, the arm is
    placed by ``shoulder_flexion`` (its sagittal projection) and this transverse angle instead,
    and ``shoulder_abduction`` is ignored: ``shoulder_flexion=90,
    shoulder_horizontal_adduction=40`` is an arm at shoulder height, 40 deg across the chest
    (a cross-body stretch). It needs 0 < flexion < 180 and |adduction| < 90.
    """

    hip_flexion_left: Angle = 0.0
    hip_flexion_right: Angle = 0.0
    hip_abduction_left: Angle = 0.0
    hip_abduction_right: Angle = 0.0
    knee_flexion_left: Angle = 0.0
    knee_flexion_right: Angle = 0.0
    shoulder_flexion_left: Angle = 0.0
    shoulder_flexion_right: Angle = 0.0
    shoulder_abduction_left: Angle = 0.0
    shoulder_abduction_right: Angle = 0.0
    elbow_flexion_left: Angle = 0.0
    elbow_flexion_right: Angle = 0.0
    trunk_lateral_tilt: Angle = 0.0
    neck_flexion: Angle = 0.0
    neck_lateral_tilt: Angle = 0.0
    knee_drop: Angle = 0.0
    shoulder_horizontal_adduction_left: Angle = math.nan
    shoulder_horizontal_adduction_right: Angle = math.nan

    @classmethod
    def symmetric(cls, **angles: float) -> Pose:
        """A pose from side-less names set on both sides, e.g. ``Pose.symmetric(knee_flexion=90)``.

        Full field names (``neck_flexion``, ``knee_flexion_left``) are accepted too.
        """
        return cls(**both_sides(angles))


POSE_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Pose))

_V = TypeVar("_V")


def both_sides(angles: Mapping[str, _V]) -> dict[str, _V]:
    """Expand side-less names (``knee_flexion``) to both sides; full field names pass through."""
    out: dict[str, _V] = {}
    for name, value in angles.items():
        if name in POSE_FIELDS:
            out[name] = value
        elif all(f"{name}_{side}" in POSE_FIELDS for side in SIDES):
            out.update({f"{name}_{side}": value for side in SIDES})
        else:
            raise TypeError(f"Pose has no angle {name!r}")
    return out


@dataclass(frozen=True)
class Placement:
    """Where the trunk points: ``pitch`` in degrees about the person's left-right axis.

    0 upright, +90 chest down and horizontal (prone, all fours), -90 chest up (supine);
    in ``sequence`` it may be an (N,) array.
    """

    pitch: float = 0.0


STANDING = Placement(0.0)
SUPINE = Placement(-90.0)
PRONE = Placement(90.0)

View = Literal["front", "back", "side_left", "side_right"]
VIEWS: tuple[View, ...] = ("front", "back", "side_left", "side_right")

# Where the person's level left, straight up and level heading point, in camera axes.
_VIEW_AXES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "front": ((1, 0, 0), (0, -1, 0), (0, 0, -1)),
    "back": ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
    "side_left": ((0, 0, -1), (0, -1, 0), (-1, 0, 0)),
    "side_right": ((0, 0, 1), (0, -1, 0), (1, 0, 0)),
}


@dataclass(frozen=True)
class Camera:
    """A pinhole camera, level unless tilted.

    Attributes:
        view: which way the person is seen (see the module docstring).
        distance: metres from the camera to ``target`` along the optical axis.
        focal: focal length in pixels.
        width, height: image size in pixels; the optical axis hits the image centre.
        target: the point on the optical axis, in world coordinates (metres from mid-hip).
        tilt_deg: how far the camera looks down at the body (negative: up), degrees: a
            laptop on a table aimed at a mat. The world landmarks are in the camera's frame,
            as the model's are (R02's high shot reads a lying trunk at 104-116 deg from
            vertical), so they tilt with it.
    """

    view: View = "front"
    distance: float = 3.5
    focal: float = 600.0
    width: int = 640
    height: int = 480
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    tilt_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.view not in _VIEW_AXES:
            raise ValueError(f"view must be one of {VIEWS}, got {self.view!r}")

    @property
    def axes(self) -> np.ndarray:
        """(3, 3) matrix taking (level left, up, level heading) coordinates to camera axes."""
        level = np.array(_VIEW_AXES[self.view], dtype=float).T
        if not self.tilt_deg:
            return level
        c, s = math.cos(math.radians(self.tilt_deg)), math.sin(math.radians(self.tilt_deg))
        # Looking down, what is above the target comes nearer and higher in the picture.
        return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]) @ level

    def project(self, world: np.ndarray) -> np.ndarray:
        """Pixels (..., 2) of world points (..., 3); NaN for points at or behind the camera."""
        rel = np.asarray(world, float) - np.asarray(self.target, float)
        depth = rel[..., 2] + self.distance
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(depth > 1e-9, self.focal / depth, np.nan)
        centre = np.array([self.width / 2.0, self.height / 2.0])
        return centre + rel[..., :2] * scale[..., None]


@dataclass(frozen=True)
class Dimensions:
    """Segment lengths in metres (an average adult by default)."""

    torso: float = 0.50           # mid-hip to mid-shoulder
    hip_width: float = 0.22       # between the two hip landmarks
    shoulder_width: float = 0.36  # between the two shoulder landmarks
    thigh: float = 0.43
    shank: float = 0.42
    upper_arm: float = 0.30
    forearm: float = 0.26
    neck: float = 0.20            # mid-shoulder to mid-ear
    head_width: float = 0.15      # ear to ear
    hand: float = 0.09            # wrist to index knuckle
    foot: float = 0.20            # heel to toes

    def scaled(self, factor: float) -> Dimensions:
        """Every length times ``factor``."""
        return Dimensions(**{k: v * factor for k, v in dataclasses.asdict(self).items()})


# Small parts at the default size, as (left, up, forward) offsets in the part's own frame.
_FACE = {  # from mid-ear, head frame
    "nose": (0.0, -0.02, 0.10),
    "left_eye_inner": (0.015, 0.015, 0.085), "right_eye_inner": (-0.015, 0.015, 0.085),
    "left_eye": (0.033, 0.015, 0.08), "right_eye": (-0.033, 0.015, 0.08),
    "left_eye_outer": (0.05, 0.015, 0.07), "right_eye_outer": (-0.05, 0.015, 0.07),
    "mouth_left": (0.025, -0.05, 0.085), "mouth_right": (-0.025, -0.05, 0.085),
}
_HAND = {  # from the wrist, forearm frame (fingers along down, thumb forwards); left hand
    "index": (0.0, -0.09, 0.02), "pinky": (0.0, -0.08, -0.02), "thumb": (-0.01, -0.045, 0.035),
}
_FOOT = {  # from the ankle, shank frame (shank along up, toes forwards)
    "heel": (0.0, -0.05, -0.05), "foot_index": (0.0, -0.07, 0.15),
}


# --------------------------------------------------------------------------------------------
# Rotations (vectorised over a leading frame axis)
# --------------------------------------------------------------------------------------------

def _skew(v: np.ndarray) -> np.ndarray:
    """(N, 3, 3) cross-product matrices of (N, 3) vectors."""
    k = np.zeros(v.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2] = -v[..., 2], v[..., 1]
    k[..., 1, 0], k[..., 1, 2] = v[..., 2], -v[..., 0]
    k[..., 2, 0], k[..., 2, 1] = -v[..., 1], v[..., 0]
    return k


def _rotation(axis: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """(N, 3, 3) right-handed rotations by ``degrees`` (N,) about a fixed unit ``axis`` (3,)."""
    theta = np.radians(np.asarray(degrees, float))
    k = _skew(np.broadcast_to(axis, theta.shape + (3,)))
    s, c = np.sin(theta)[..., None, None], np.cos(theta)[..., None, None]
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


def _align_down(direction: np.ndarray) -> np.ndarray:
    """(N, 3, 3) smallest rotations taking ``down`` onto unit vectors (N, 3).

    Straight up (no unique smallest rotation) gets half a turn about ``left``.
    """
    v = np.cross(_DOWN, direction)
    c = direction @ _DOWN
    k = _skew(v)
    opposite = 1.0 + c < 1e-12
    denom = np.where(opposite, 1.0, 1.0 + c)[..., None, None]
    r = np.eye(3) + k + (k @ k) / denom
    return np.where(opposite[..., None, None], np.diag([1.0, -1.0, -1.0]), r)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _mirror(rad: np.ndarray) -> np.ndarray:
    """Reflect an angle across the horizontal: x -> 180 - x (x >= 0) or -180 - x."""
    return np.where(rad >= 0.0, np.pi - rad, -np.pi - rad)


def leg_direction(flexion: np.ndarray, abduction: np.ndarray, outward: float) -> np.ndarray:
    """Unit (N, 3) body-axes thigh direction: sagittal projection at ``flexion`` from ``down``
    towards ``forward``, raised ``abduction`` degrees out of the sagittal plane (``outward`` is
    +1 for the left leg, -1 for the right)."""
    f, a = np.radians(np.asarray(flexion, float)), np.radians(np.asarray(abduction, float))
    f, a = np.broadcast_arrays(f, a)
    return _unit(np.stack([outward * np.sin(a), -np.cos(a) * np.cos(f), np.cos(a) * np.sin(f)],
                          axis=-1))


def arm_direction_across(flexion: np.ndarray, across: np.ndarray, outward: float) -> np.ndarray:
    """Unit (N, 3) body-axes arm direction whose sagittal projection makes ``flexion`` with
    ``down`` and whose transverse projection makes ``across`` with ``forward`` (towards the
    midline for +). Well defined for 0 < flexion < 180 and |across| < 90."""
    f, h = np.radians(np.asarray(flexion, float)), np.radians(np.asarray(across, float))
    f, h = np.broadcast_arrays(f, h)
    # (up, forward) ~ (-cos f, sin f) and (outward, forward) ~ (-sin h, cos h): scale to agree.
    return _unit(np.stack([-outward * np.sin(h) * np.sin(f), -np.cos(f) * np.cos(h),
                           np.sin(f) * np.cos(h)], axis=-1))


def limb_direction(flexion: np.ndarray, abduction: np.ndarray, outward: float) -> np.ndarray:
    """Unit (N, 3) body-axes direction with the given sagittal and frontal projected angles.

    ``outward`` is +1 for a left limb, -1 for a right one. See the module docstring for pairs
    that disagree about being above or below horizontal.
    """
    f, a = np.radians(np.asarray(flexion, float)), np.radians(np.asarray(abduction, float))
    f, a = np.broadcast_arrays(f, a)

    def cosine(x: np.ndarray) -> np.ndarray:
        c = np.cos(x)
        return np.where(np.abs(c) < 1e-12, 0.0, c)  # cos(90 deg) is 6e-17 in floating point

    cf, ca = cosine(f), cosine(a)
    disagree = cf * ca < 0.0
    f = np.where(disagree & (cf > 0.0), _mirror(f), f)
    a = np.where(disagree & (ca > 0.0), _mirror(a), a)
    cf, ca = cosine(f), cosine(a)
    sf, sa = np.sin(f), np.sin(a)
    # (down, forward) is proportional to (cos f, sin f) and (down, outward) to (cos a, sin a).
    down, fwd, out = np.abs(ca) * cf, np.abs(ca) * sf, np.abs(cf) * sa
    horizontal = (cf == 0.0) & (ca == 0.0)
    fwd, out = np.where(horizontal, sf, fwd), np.where(horizontal, sa, out)
    return _unit(np.stack([outward * out, -down, fwd], axis=-1))


# --------------------------------------------------------------------------------------------
# The skeleton in body axes
# --------------------------------------------------------------------------------------------

def _angle_arrays(pose: Pose, n: int | None = None) -> dict[str, np.ndarray]:
    """Every Pose field as a float array of one common shape (N,)."""
    values = [np.asarray(getattr(pose, name), float) for name in POSE_FIELDS]
    shape = np.broadcast_shapes(*(v.shape for v in values), () if n is None else (n,))
    if len(shape) == 0:
        shape = (1,)
    if len(shape) != 1:
        raise ValueError(f"Pose fields must be scalars or (N,) arrays, got shape {shape}")
    return {name: np.broadcast_to(v, shape).astype(float)
            for name, v in zip(POSE_FIELDS, values, strict=True)}


def _head_frame(flexion: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """(N, 3, 3) head frames (columns: ear line, head axis, face direction) in body axes."""
    f, t = np.radians(flexion), np.radians(tilt)
    ears = np.stack([np.cos(t), -np.sin(t), np.zeros_like(t)], axis=-1)
    axis = _unit(np.stack([np.sin(t) * np.cos(f), np.cos(t) * np.cos(f), np.cos(t) * np.sin(f)],
                          axis=-1))
    return np.stack([ears, axis, np.cross(ears, axis)], axis=-1)


def skeleton(pose: Pose, dims: Dimensions = Dimensions()) -> np.ndarray:
    """(N, 33, 3) landmarks in body axes (left, up, forward), metres from mid-hip.

    N is 1 for a pose of plain floats, else the length of its array fields.
    """
    return _skeleton(_angle_arrays(pose), dims)


def _skeleton(a: Mapping[str, np.ndarray], dims: Dimensions) -> np.ndarray:
    n = len(a["knee_drop"])
    pts = np.zeros((n, lm.N_LANDMARKS, 3))

    def put(name: str, value: np.ndarray) -> None:
        pts[:, lm.INDEX[name]] = value

    def attach(origin: np.ndarray, frame: np.ndarray, offset: Sequence[float], k: float):
        """``origin`` plus an offset given in ``frame``'s axes, scaled by ``k``."""
        return origin + frame @ (k * np.asarray(offset, float))

    sh_mid = dims.torso * _UP
    drop = _rotation(_UP, a["knee_drop"])
    for side, s in (("left", 1.0), ("right", -1.0)):
        # Leg: thigh from the hip angles, knee hinge, then the whole leg dropped.
        hip = s * dims.hip_width / 2.0 * _LEFT
        thigh = leg_direction(a[f"hip_flexion_{side}"], a[f"hip_abduction_{side}"], s)
        r_thigh = drop @ _align_down(thigh)
        r_shank = r_thigh @ _rotation(_LEFT, a[f"knee_flexion_{side}"])  # shank backwards
        knee = hip + dims.thigh * (r_thigh @ _DOWN)
        ankle = knee + dims.shank * (r_shank @ _DOWN)
        put(f"{side}_hip", np.broadcast_to(hip, (n, 3)))
        put(f"{side}_knee", knee)
        put(f"{side}_ankle", ankle)
        for part, offset in _FOOT.items():
            put(f"{side}_{part}", attach(ankle, r_shank, offset, dims.foot / 0.20))

        # Arm: the same, with the elbow bending the forearm forwards.
        shoulder = sh_mid + s * dims.shoulder_width / 2.0 * _LEFT
        upper = limb_direction(a[f"shoulder_flexion_{side}"], a[f"shoulder_abduction_{side}"], s)
        across = a[f"shoulder_horizontal_adduction_{side}"]
        upper = np.where(np.isfinite(across)[:, None], arm_direction_across(
            a[f"shoulder_flexion_{side}"], np.nan_to_num(across), s), upper)
        r_upper = _align_down(upper)
        r_fore = r_upper @ _rotation(_LEFT, -a[f"elbow_flexion_{side}"])  # forearm forwards
        elbow = shoulder + dims.upper_arm * (r_upper @ _DOWN)
        wrist = elbow + dims.forearm * (r_fore @ _DOWN)
        put(f"{side}_shoulder", np.broadcast_to(shoulder, (n, 3)))
        put(f"{side}_elbow", elbow)
        put(f"{side}_wrist", wrist)
        for part, (x, y, z) in _HAND.items():
            put(f"{side}_{part}", attach(wrist, r_fore, (s * x, y, z), dims.hand / 0.09))

    head = _head_frame(a["neck_flexion"], a["neck_lateral_tilt"])
    ear_mid = sh_mid + dims.neck * head[..., 1]
    put("left_ear", ear_mid + dims.head_width / 2.0 * head[..., 0])
    put("right_ear", ear_mid - dims.head_width / 2.0 * head[..., 0])
    for name, offset in _FACE.items():
        put(name, attach(ear_mid, head, offset, dims.head_width / 0.15))
    return pts


def trunk_rotation(pitch: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotation from body axes to (level left, up, level heading) axes.

    Roll by ``tilt`` about ``forward`` (left side down for +), then pitch about the body's own
    ``left`` axis (chest down for +).
    """
    return _rotation(_FORWARD, -np.asarray(tilt, float)) @ _rotation(_LEFT, pitch)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

Motion = Pose | Sequence[Pose] | Callable[[np.ndarray], Pose]
PlacementLike = Placement | Callable[[np.ndarray], Placement]


def _landmark_indices(items: Iterable[int | str]) -> list[int]:
    return [lm.INDEX[i] if isinstance(i, str) else int(i) for i in items]


def _far_side(view: str) -> list[int]:
    """Landmarks a model sees poorly in this view."""
    if view == "side_left":
        return [i for i, name in enumerate(lm.NAMES) if name.startswith("right_")]
    if view == "side_right":
        return [i for i, name in enumerate(lm.NAMES) if name.startswith("left_")]
    if view == "back":
        return [i for i, name in enumerate(lm.NAMES) if "eye" in name or "mouth" in name
                or name == "nose"]
    return []


def _render(
    pose: Pose,
    pitch: np.ndarray,
    camera: Camera,
    dims: Dimensions,
    noise_px: float,
    noise_m: float,
    rng: np.random.Generator | int | None,
    hidden: Iterable[int | str],
    far_visibility: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = _angle_arrays(pose)
    body = _skeleton(a, dims)
    n = len(body)
    rot = camera.axes @ trunk_rotation(np.broadcast_to(pitch, (n,)), a["trunk_lateral_tilt"])
    world = np.einsum("nij,nkj->nki", rot, body)
    image = camera.project(world)

    vis = np.full((n, lm.N_LANDMARKS), SEEN_VISIBILITY)
    vis[:, _far_side(camera.view)] = far_visibility
    inside = ((image[..., 0] >= 0) & (image[..., 0] < camera.width)
              & (image[..., 1] >= 0) & (image[..., 1] < camera.height))
    vis[~inside] = HIDDEN_VISIBILITY
    vis[:, _landmark_indices(hidden)] = HIDDEN_VISIBILITY

    if noise_px or noise_m:
        gen = np.random.default_rng(0 if rng is None else rng)
        image = image + gen.normal(0.0, noise_px, image.shape) if noise_px else image
        world = world + gen.normal(0.0, noise_m, world.shape) if noise_m else world
    return image, world, vis


def landmarks(
    pose: Pose = Pose(),
    placement: Placement = STANDING,
    camera: Camera = Camera(),
    *,
    dims: Dimensions = Dimensions(),
    noise_px: float = 0.0,
    noise_m: float = 0.0,
    rng: np.random.Generator | int | None = None,
    hidden: Iterable[int | str] = (),
    far_visibility: float = FAR_VISIBILITY,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One frame: ``image`` (33, 2) px, ``world`` (33, 3) m, ``visibility`` (33,).

    Args:
        noise_px, noise_m: standard deviation of Gaussian noise added to every image / world
            coordinate (visibility is decided on the noise-free image).
        rng: generator or seed for the noise; None means seed 0, so runs are reproducible.
        hidden: landmark indices (or names) forced to ``HIDDEN_VISIBILITY``.
        far_visibility: visibility of the far side in side views and of the face from behind.
    """
    image, world, vis = _render(pose, np.asarray(placement.pitch, float), camera, dims,
                                noise_px, noise_m, rng, hidden, far_visibility)
    if len(world) != 1:
        raise ValueError("landmarks() is for one frame; use sequence() for arrays of angles")
    return image[0], world[0], vis[0]


def _pose_over(motion: Motion, times: np.ndarray) -> Pose:
    """The motion as one Pose whose fields are (N,) arrays."""
    if isinstance(motion, Pose):
        pose = motion
    elif callable(motion):
        pose = motion(times)
    else:
        poses = list(motion)
        if len(poses) != len(times):
            raise ValueError(f"{len(poses)} poses for {len(times)} times")
        pose = Pose(**{name: np.array([getattr(p, name) for p in poses], float)
                       for name in POSE_FIELDS})
    arrays = _angle_arrays(pose, len(times))
    return Pose(**arrays)


def sequence(
    motion: Motion,
    times: np.ndarray | Sequence[float],
    placement: PlacementLike = STANDING,
    camera: Camera = Camera(),
    *,
    dims: Dimensions = Dimensions(),
    noise_px: float = 0.0,
    noise_m: float = 0.0,
    rng: np.random.Generator | int | None = None,
    hidden: Iterable[int | str] = (),
    far_visibility: float = FAR_VISIBILITY,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N frames: ``image`` (N, 33, 2), ``world`` (N, 33, 3), ``visibility`` (N, 33).

    Args:
        motion: a Pose (held still), one Pose per time, or a function called once with the
            (N,) times in seconds returning a Pose whose fields are floats or (N,) arrays
            (see ``moving``, ``bounce``, ``ramp``).
        times: (N,) seconds.
        placement: a Placement, or a function of the (N,) times returning one (whose pitch may
            be an (N,) array).
        The other arguments are those of ``landmarks``; noise is drawn for every frame.
    """
    times = np.asarray(times, float)
    pose = _pose_over(motion, times)
    place = placement(times) if callable(placement) else placement
    pitch = np.broadcast_to(np.asarray(place.pitch, float), times.shape)
    return _render(pose, pitch, camera, dims, noise_px, noise_m, rng, hidden, far_visibility)


# --------------------------------------------------------------------------------------------
# Motions
# --------------------------------------------------------------------------------------------

AngleFn = Callable[[np.ndarray], np.ndarray]


def moving(base: Pose = Pose(), **angles: float | AngleFn) -> Callable[[np.ndarray], Pose]:
    """A motion for ``sequence``: ``base`` with some fields constant or functions of time.

    ``moving(base, hip_flexion_left=bounce(90.0))``. Side-less names (``knee_flexion``) set both
    sides, as in ``Pose.symmetric``.
    """
    expanded = both_sides(angles)

    def at(times: np.ndarray) -> Pose:
        times = np.asarray(times, float)
        values = {name: (np.broadcast_to(v(times), times.shape) if callable(v) else v)
                  for name, v in expanded.items()}
        return dataclasses.replace(base, **values)

    return at


def hold(value: float) -> AngleFn:
    """A constant angle."""
    return lambda t: np.full(np.shape(t), float(value))


def bounce(
    centre: float, amplitude: float = 8.0, hz: float = 2.0, phase: float = 0.0,
) -> AngleFn:
    """``centre + amplitude * sin(2 pi hz t + phase)``: a bouncing stretch (2 Hz, +-8 deg)."""
    return lambda t: centre + amplitude * np.sin(2.0 * np.pi * hz * np.asarray(t) + phase)


def ramp(start: float, rate: float = 3.0, t0: float = 0.0, stop: float | None = None) -> AngleFn:
    """``start`` until ``t0``, then ``rate`` deg/s more each second (a slow deepening) up to
    ``stop``."""
    def angle(t: np.ndarray) -> np.ndarray:
        value = start + rate * np.maximum(np.asarray(t, float) - t0, 0.0)
        if stop is not None:
            value = np.minimum(value, stop) if rate >= 0 else np.maximum(value, stop)
        return value
    return angle


# --------------------------------------------------------------------------------------------
# Named postures and the exact answers
# --------------------------------------------------------------------------------------------

POSTURES: dict[str, tuple[Pose, Placement]] = {
    "standing": (Pose(), STANDING),
    "supine": (Pose(), SUPINE),
    "prone": (Pose(), PRONE),
    "all_fours": (Pose.symmetric(hip_flexion=90.0, knee_flexion=90.0, shoulder_flexion=90.0),
                  PRONE),
    "seated": (Pose.symmetric(hip_flexion=90.0, knee_flexion=90.0), STANDING),
    "kneeling": (Pose.symmetric(knee_flexion=90.0), STANDING),
}


def posture(name: str, **angles: float) -> tuple[Pose, Placement]:
    """A named starting posture, optionally with some angles changed (side-less names allowed).

    ``pose, place = posture("supine", hip_flexion=90, knee_flexion=90, knee_drop=40)``.
    """
    pose, place = POSTURES[name]
    return dataclasses.replace(pose, **both_sides(angles)), place


def _projected(along: np.ndarray, zero: np.ndarray, norm: np.ndarray, low: float) -> np.ndarray:
    """Signed angle (deg) of a plane projection, in (low, low + 360]; NaN when it is too short.

    ``along`` / ``zero`` are the components along the positive and the zero direction; a
    projection shorter than 2 % of the segment has no meaningful angle.
    """
    deg = np.degrees(np.arctan2(along, zero))
    deg = np.where(deg <= low, deg + 360.0, deg)
    return np.where(np.hypot(along, zero) < 0.02 * norm, np.nan, deg)


def _hinge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """180 minus the angle at a joint, from the two segments leaving it (N, 3)."""
    inner = np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.einsum("ni,ni->n", a, b))
    return 180.0 - np.degrees(inner)


def expected_angles(
    pose: Pose = Pose(), placement: Placement = STANDING, dims: Dimensions = Dimensions(),
) -> dict[str, np.ndarray]:
    """What an exact measurement reports for this body: ``{name: (N,) array}``.

    Measured on the skeleton in body axes, where left/up/forward are the coordinate axes, with
    the definitions of ``pose.angles``. It equals the Pose's own angles, except where the module
    docstring says otherwise (mirrored pairs, legs turned by ``knee_drop``), and adds the
    measures that are not Pose fields (``trunk_inclination``, ``chest_up``, ``trunk_thigh_*``,
    ``thigh_inclination_*``, ``shank_inclination_*``, ``knee_to_chest_*``,
    ``shoulder_horizontal_adduction_*``).

    NaN marks values that are not well defined: a projected angle whose projection is shorter
    than 2 % of its segment (hip flexion of a thigh straight out to the side),
    ``shoulder_horizontal_adduction_*`` with the upper arm and ``knee_drop`` with the mean thigh
    within 30 deg of the trunk axis (sine below 0.5, as ``pose.angles`` itself has them), and
    ``trunk_lateral_tilt`` with the trunk within ~6 deg of horizontal.
    """
    a = _angle_arrays(pose)
    body = _skeleton(a, dims)

    def at(name: str) -> np.ndarray:
        return body[:, lm.INDEX[name]]

    out: dict[str, np.ndarray] = {}
    chest = (2.0 / 3.0) * dims.torso * _UP
    for side, s in (("left", 1.0), ("right", -1.0)):
        hip, knee, ankle = at(f"{side}_hip"), at(f"{side}_knee"), at(f"{side}_ankle")
        sh, el, wr = at(f"{side}_shoulder"), at(f"{side}_elbow"), at(f"{side}_wrist")
        thigh, arm = knee - hip, el - sh
        tn, an = np.linalg.norm(thigh, axis=-1), np.linalg.norm(arm, axis=-1)
        # Components: [:, 0] left, [:, 1] up, [:, 2] forward; down is -[:, 1].
        out[f"hip_flexion_{side}"] = _projected(thigh[:, 2], -thigh[:, 1], tn, -180.0)
        out[f"hip_abduction_{side}"] = np.degrees(np.arcsin(np.clip(s * thigh[:, 0] / tn,
                                                                    -1.0, 1.0)))
        out[f"knee_flexion_{side}"] = _hinge(hip - knee, ankle - knee)
        out[f"shoulder_flexion_{side}"] = _projected(arm[:, 2], -arm[:, 1], an, -90.0)
        out[f"shoulder_abduction_{side}"] = _projected(s * arm[:, 0], -arm[:, 1], an, -90.0)
        # Transverse-plane angle, unknown with the arm within 30 deg of the trunk axis.
        along_trunk = np.abs(arm[:, 1]) / an
        horizontal = np.degrees(np.arctan2(-s * arm[:, 0], arm[:, 2]))
        out[f"shoulder_horizontal_adduction_{side}"] = np.where(
            np.sqrt(np.maximum(1.0 - along_trunk**2, 0.0)) < 0.5, np.nan, horizontal)
        out[f"elbow_flexion_{side}"] = _hinge(sh - el, wr - el)
        out[f"trunk_thigh_{side}"] = np.degrees(np.arccos(np.clip(thigh[:, 1] / tn, -1.0, 1.0)))
        out[f"knee_to_chest_{side}"] = np.linalg.norm(knee - chest, axis=-1) / dims.torso

    # Against gravity: turn body axes into (level left, up, level heading) axes.
    pitch = np.broadcast_to(np.asarray(placement.pitch, float), a["knee_drop"].shape)
    rot = trunk_rotation(pitch, a["trunk_lateral_tilt"])
    for side in SIDES:
        thigh = rot @ _unit(at(f"{side}_knee") - at(f"{side}_hip"))[..., None]
        out[f"thigh_inclination_{side}"] = np.degrees(np.arccos(np.clip(-thigh[:, 1, 0], -1, 1)))
        shank = rot @ _unit(at(f"{side}_ankle") - at(f"{side}_knee"))[..., None]
        out[f"shank_inclination_{side}"] = np.degrees(np.arccos(np.clip(-shank[:, 1, 0], -1, 1)))
    out["chest_up"] = np.degrees(np.arcsin(np.clip((rot @ _FORWARD)[:, 1], -1.0, 1.0)))
    out["chest_up_shoulders"] = out["chest_up"]  # the trunk is rigid: shoulders turn with hips
    pitch, tilt = np.radians(pitch), np.radians(a["trunk_lateral_tilt"])
    vertical = np.cos(pitch) * np.cos(tilt)
    out["trunk_inclination"] = np.degrees(np.arccos(np.clip(vertical, -1.0, 1.0)))
    lateral = np.degrees(np.arctan2(np.cos(pitch) * np.sin(tilt), vertical))
    out["trunk_lateral_tilt"] = np.where(np.abs(np.cos(pitch)) < 0.1, np.nan, lateral)

    ears = at("left_ear") - at("right_ear")
    head = (at("left_ear") + at("right_ear")) / 2.0 - dims.torso * _UP
    out["neck_lateral_tilt"] = np.degrees(np.arctan2(-ears[:, 1], ears[:, 0]))
    out["neck_flexion"] = _projected(head[:, 2], head[:, 1], np.linalg.norm(head, axis=-1),
                                     -180.0)

    thighs = (at("left_knee") + at("right_knee")) / 2.0  # mid-hip is the origin
    transverse = np.hypot(thighs[:, 0], thighs[:, 2])
    drop = np.degrees(np.arctan2(thighs[:, 0], thighs[:, 2]))
    out["knee_drop"] = np.where(transverse < 0.5 * np.linalg.norm(thighs, axis=-1), np.nan, drop)
    return out
