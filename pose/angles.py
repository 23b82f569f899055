"""Named joint angles, computed for many frames at once.

Conventions (all angles in degrees):

* 0 means straight / neutral: a straight knee, a hip in line with the trunk, an arm hanging by
  the side, an upright trunk, a level head.
* Flexion-type angles are signed within the body's own planes, built from the hips and
  shoulders: ``up`` runs from mid-hip to mid-shoulder, ``left`` from the right to the left side,
  ``forward`` is ``left x up`` (the way the chest faces). Signed angles never wrap: those that can
  go past 180 (a shoulder raised overhead) live in (-90, 270], the others in (-180, 180].
* ``knee_to_chest_*`` is a distance, not an angle: knee to chest (two thirds up the trunk), in
  torso lengths (mid-hip to mid-shoulder), so it does not depend on the person's size.
* World landmarks (metres, hip-centred, y down, z away from the camera) are used when a frame has
  them. Otherwise the image landmarks (pixels, y down) are used as a 2-D fallback: the image plane
  then stands for the body plane the camera faces, ``forward`` is the in-image perpendicular of the
  trunk towards the face (or the toes), and angles that need depth (``knee_drop``) are NaN.
* An angle whose joints are not visible (visibility below ``min_visibility``) is NaN: unknown,
  never a guess.
* A leg bone the world landmarks shorten (pointing along the line of sight, its depth guessed
  short: R03 of the real clips, a quad stretch seen from behind, thigh 31 cm against the other
  thigh's 43, knee read 93-97 where it is held near 140) does not decide the knee's flexion
  (see ``restored_knee_flexion``).
* The camera view decides how side tilts are measured (see ``pose.view``): seen from the front
  or the back with the trunk near the image plane, ``shoulder_tilt``, ``trunk_lateral_tilt``
  and ``neck_lateral_tilt`` are measured on the image landmarks (the world landmarks under-read
  them there); seen side-on they are NaN (no measure judges a tilt that moves only in depth).

Angles (``side`` is ``left`` or ``right``):

=============================  =============================================================
``hip_flexion_<side>``         thigh against the trunk in the sagittal plane; + flexion
                               (knee forward/up), - extension (thigh behind the trunk)
``hip_abduction_<side>``       how far the thigh leaves the sagittal plane; + away from the
                               midline, - across it; in [-90, 90], defined whatever the flexion
``knee_flexion_<side>``        180 - the hip-knee-ankle angle; 0 straight, ~135 fully bent
``shoulder_flexion_<side>``    upper arm against the trunk, sagittal plane; 90 forward, 180
                               overhead, - behind
``shoulder_abduction_<side>``  upper arm against the trunk, frontal plane; 90 out to the side,
                               180 overhead, - across the chest
``shoulder_horizontal_adduction_<side>``
                               upper arm in the transverse plane, from straight ahead; + across
                               the chest, -90 out to the side (cross-body stretch); NaN when
                               the arm hangs along the trunk
``elbow_flexion_<side>``       180 - the shoulder-elbow-wrist angle
``trunk_thigh_<side>``         unsigned angle between trunk (hip to shoulder) and thigh; 180
                               standing, 90 sitting, ~50 knee hugged to the chest
``knee_to_chest_<side>``       knee-to-chest distance in torso lengths
``thigh_inclination_<side>``   thigh (hip to knee) against straight down; 0 standing, 90
                               horizontal (seated), 180 pointing up
``shank_inclination_<side>``   shank (knee to ankle) against straight down; 0 standing or
                               squatting, 90 along the floor (kneeling, on all fours, legs out
                               in front); tells a kneeling body from a squatting one
``trunk_inclination``          trunk against vertical; 0 upright, 90 lying or on all fours
``chest_up``                   how far ``forward`` points above the horizontal: +90 lying on
                               the back, 0 upright, -90 lying face down or on all fours
``chest_up_shoulders``         the same from the shoulder line alone: the upper chest, which
                               stays on the floor while the pelvis turns in a lying twist
``trunk_lateral_tilt``         roll of the trunk (its left axis below the horizontal); + leaning
                               to the left; in [-90, 90], defined at any pitch
``shoulder_tilt``              the shoulder line against the horizontal; + left shoulder lower;
                               needs only the shoulders (a desk hides the hips)
``neck_lateral_tilt``          ear line against shoulder line; + head tilted to the left
``neck_flexion``               head (mid-shoulder to mid-ear) against the trunk in the sagittal
                               plane; + chin towards the chest
``knee_drop``                  both thighs against ``forward`` in the transverse plane; + knees
                               dropped to the person's left (supine twist); NaN when the hips
                               are too straight for it to mean anything
=============================  =============================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pose import landmarks as lm
from pose import one_frame  # which reads this module's names when called, not when imported
from pose.view import BACK, SIDE, camera_views, facing

SIDES = ("left", "right")

_BILATERAL = (
    "hip_flexion", "hip_abduction", "knee_flexion", "shoulder_flexion",
    "shoulder_abduction", "shoulder_horizontal_adduction", "elbow_flexion", "trunk_thigh",
    "knee_to_chest", "thigh_inclination", "shank_inclination",
)
_AXIAL = ("trunk_inclination", "chest_up", "trunk_lateral_tilt", "shoulder_tilt",
          "neck_lateral_tilt", "neck_flexion", "knee_drop", "chest_up_shoulders")

ANGLE_NAMES: tuple[str, ...] = tuple(
    f"{base}_{side}" for base in _BILATERAL for side in SIDES
) + _AXIAL

#: Unit of each named measure: degrees, except the knee-to-chest distances.
UNITS: dict[str, str] = {
    name: ("torso" if name.startswith("knee_to_chest") else "deg") for name in ANGLE_NAMES
}

_L, _R = 0, 1
_JOINTS = {
    "shoulder": (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER),
    "elbow": (lm.LEFT_ELBOW, lm.RIGHT_ELBOW),
    "wrist": (lm.LEFT_WRIST, lm.RIGHT_WRIST),
    "hip": (lm.LEFT_HIP, lm.RIGHT_HIP),
    "knee": (lm.LEFT_KNEE, lm.RIGHT_KNEE),
    "ankle": (lm.LEFT_ANKLE, lm.RIGHT_ANKLE),
}
_SHOULDERS = _JOINTS["shoulder"]
_HIPS = _JOINTS["hip"]
_EARS = (lm.LEFT_EAR, lm.RIGHT_EAR)


def _requirements() -> dict[str, tuple[tuple[int, ...], ...]]:
    """Landmarks each measure needs, as groups of which at least one must be visible.

    The trunk axes only need one hip and one shoulder: in a side view the far side is hidden
    but the model still places it well enough to orient the trunk. The working limb itself must
    be seen.
    """
    trunk = (_SHOULDERS, _HIPS)
    req: dict[str, tuple[tuple[int, ...], ...]] = {}
    for s, side in enumerate(SIDES):
        sh, el, wr = _JOINTS["shoulder"][s], _JOINTS["elbow"][s], _JOINTS["wrist"][s]
        hip, knee, ankle = _JOINTS["hip"][s], _JOINTS["knee"][s], _JOINTS["ankle"][s]
        req[f"hip_flexion_{side}"] = trunk + ((hip,), (knee,))
        req[f"hip_abduction_{side}"] = trunk + ((hip,), (knee,))
        req[f"knee_flexion_{side}"] = ((hip,), (knee,), (ankle,))
        req[f"shoulder_flexion_{side}"] = trunk + ((sh,), (el,))
        req[f"shoulder_abduction_{side}"] = trunk + ((sh,), (el,))
        req[f"shoulder_horizontal_adduction_{side}"] = trunk + ((sh,), (el,))
        req[f"elbow_flexion_{side}"] = ((sh,), (el,), (wr,))
        req[f"trunk_thigh_{side}"] = trunk + ((hip,), (knee,))
        req[f"knee_to_chest_{side}"] = trunk + ((hip,), (knee,))
        req[f"thigh_inclination_{side}"] = ((hip,), (knee,))
        req[f"shank_inclination_{side}"] = ((knee,), (ankle,))
    req["trunk_inclination"] = trunk
    req["chest_up"] = trunk
    req["chest_up_shoulders"] = ((lm.LEFT_SHOULDER,), (lm.RIGHT_SHOULDER,), _HIPS)
    req["trunk_lateral_tilt"] = trunk
    req["shoulder_tilt"] = ((lm.LEFT_SHOULDER,), (lm.RIGHT_SHOULDER,))
    req["neck_lateral_tilt"] = ((lm.LEFT_EAR,), (lm.RIGHT_EAR,), (lm.LEFT_SHOULDER,),
                                (lm.RIGHT_SHOULDER,))
    req["neck_flexion"] = trunk + (_EARS,)
    req["knee_drop"] = trunk + ((lm.LEFT_KNEE,), (lm.RIGHT_KNEE,))
    return req


REQUIRED_LANDMARKS: dict[str, tuple[tuple[int, ...], ...]] = _requirements()


# The primitives below do numpy's own arithmetic (the same operations in the same order, so
# the same numbers to the bit, tests/test_angles_speed.py) without its argument handling: one
# live frame is a few dozen tiny arrays, and there the handling (``np.linalg.norm``'s
# checks, ``np.cross``'s axis moves, ``np.errstate``) cost more than the sums (issue 14).
_YZX, _ZXY = [1, 2, 0], [2, 0, 1]


def _norm(v: np.ndarray) -> np.ndarray:
    """Euclidean length over the last axis: ``np.linalg.norm(v, axis=-1)`` for float ``v``
    (the square root of the sum of squares, ``np.add.reduce``)."""
    return np.sqrt(np.add.reduce(v * v, axis=-1))


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.cross`` of 3-vectors over the last axis: each component ``a1 * b2 - a2 * b1``
    (and so on), the products rounded before the difference, as ``np.cross`` does. C order,
    like ``np.cross``'s: ``np.einsum`` can sum a strided axis in another order (``_dot``)."""
    first = a[..., _YZX] * b[..., _ZXY]
    return np.subtract(first, a[..., _ZXY] * b[..., _YZX], out=np.empty(first.shape))


def _unit(v: np.ndarray) -> np.ndarray:
    """``v`` over its length (last axis); NaN where the length is 1e-9 or less (or NaN)."""
    norm = _norm(v)[..., None]
    out = np.empty(v.shape)
    out.fill(np.nan)
    return np.divide(v, norm, out=out, where=norm > 1e-9)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", a, b)


def _between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors, degrees in [0, 180]."""
    cos = np.clip(_dot(_unit(a), _unit(b)), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def _in_plane(v: np.ndarray, zero: np.ndarray, positive: np.ndarray,
              low: float | np.ndarray) -> np.ndarray:
    """Signed angle of ``v`` from ``zero`` towards ``positive``, in (low, low + 360] (one
    ``low`` for all, or one per entry of the result's last axis).

    ``zero`` and ``positive`` are orthogonal unit vectors spanning the plane; the part of ``v``
    out of that plane is ignored.
    """
    deg = np.degrees(np.arctan2(_dot(v, positive), _dot(v, zero)))
    return np.where(deg <= low, deg + 360.0, deg)


def _off_axis(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Sine of the angle between ``v`` and a unit ``axis``: how far it points across it."""
    norm = _norm(v)
    across = _norm(v - _dot(v, axis)[..., None] * axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 1e-9, across / norm, 0.0)


def _as_frames(a: np.ndarray | None, width: int) -> np.ndarray | None:
    if a is None:
        return None
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2:
        a = a[None]
    if a.shape[1:] != (lm.N_LANDMARKS, width):
        raise ValueError(f"expected landmarks shaped (N, 33, {width}), got {a.shape}")
    return a


def _points(image: np.ndarray | None, world: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(N, 33, 3) points to measure on, and a (N,) mask of frames using the 2-D fallback."""
    if world is None:
        if image is None:
            raise ValueError("need image or world landmarks")
        flat = np.concatenate([image, np.zeros(image.shape[:2] + (1,))], axis=-1)
        return flat, np.ones(len(image), dtype=bool)
    has_world = np.isfinite(world).all(axis=(1, 2))
    if image is None or has_world.all():
        return world, ~has_world
    flat = np.concatenate([image, np.zeros(image.shape[:2] + (1,))], axis=-1)
    return np.where(has_world[:, None, None], world, flat), ~has_world


def _mid(p: np.ndarray, pair: tuple[int, int]) -> np.ndarray:
    """The mid-point (N, D) of a landmark ``pair`` of ``p`` (N, 33, D): ``mean(axis=1)``'s
    own arithmetic (the sum, then over 2) without its Python wrapper (a few microseconds a
    call, each live frame)."""
    return np.add.reduce(p[:, pair], axis=1) / 2


def _body_axes(p: np.ndarray, flat: np.ndarray, hip_mid: np.ndarray, sh_mid: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit ``up``, ``left`` and ``forward`` axes of the trunk, each (N, 3), from the points
    ``p`` (N, 33, 3) and the trunk's mid-points (N, 3) (``_Body``)."""
    up = _unit(sh_mid - hip_mid)
    across = (p[:, lm.LEFT_HIP] - p[:, lm.RIGHT_HIP]) + (p[:, lm.LEFT_SHOULDER]
                                                         - p[:, lm.RIGHT_SHOULDER])
    left = _unit(across - _dot(across, up)[:, None] * up)
    forward = _unit(_cross(left, up))

    if flat.any():
        # In one image plane "left" and "forward" collapse onto the same in-image normal of
        # the trunk; orient it by what the face (or, failing that, the toes) points at.
        normal = np.stack([-up[:, 1], up[:, 0], np.zeros(len(up))], axis=1)
        ear_mid = p[:, _EARS].mean(axis=1)
        toes = (p[:, [lm.LEFT_FOOT_INDEX, lm.RIGHT_FOOT_INDEX]]
                - p[:, [lm.LEFT_HEEL, lm.RIGHT_HEEL]]).sum(axis=1)
        face = _dot(normal, p[:, lm.NOSE] - ear_mid)
        facing = np.where(np.abs(face) > 1e-9, np.sign(face), np.sign(_dot(normal, toes)))
        facing = np.where(facing == 0, 1.0, facing)
        sided = np.sign(_dot(normal, across))
        sided = np.where(sided == 0, 1.0, sided)
        forward = np.where(flat[:, None], normal * facing[:, None], forward)
        left = np.where(flat[:, None], normal * sided[:, None], left)
    return up, left, forward


def _requirement_tables() -> tuple[np.ndarray, np.ndarray]:
    """``REQUIRED_LANDMARKS`` as arrays for ``_visible_mask``: a (groups, 33) membership table
    (one row per group, over every measure in ``ANGLE_NAMES`` order) and each measure's first
    row in it."""
    rows: list[np.ndarray] = []
    starts: list[int] = []
    for name in ANGLE_NAMES:
        starts.append(len(rows))
        for group in REQUIRED_LANDMARKS[name]:
            row = np.zeros(lm.N_LANDMARKS, dtype=np.int64)
            row[list(group)] = 1
            rows.append(row)
    return np.array(rows).T.copy(), np.array(starts)


_GROUPS, _GROUP_STARTS = _requirement_tables()


def _gather_tables() -> tuple[np.ndarray, np.ndarray]:
    """``_GROUPS`` as index tables for ``_visible_mask`` on a block of frames, whose rows of
    seen flags are the 33 landmarks', then one never seen, then one always seen.

    Returns ``groups`` (groups + 1, k): each group's landmarks, a smaller group padded with
    the never-seen row, and an extra last group of the always-seen row; and ``measures``
    (measures, m): each measure's groups, a measure of fewer padded with that extra group."""
    members = [np.flatnonzero(column) for column in _GROUPS.T]
    groups = np.full((len(members) + 1, max(map(len, members))), lm.N_LANDMARKS)
    for g, landmarks in enumerate(members):
        groups[g, :len(landmarks)] = landmarks
    groups[-1] = lm.N_LANDMARKS + 1
    bounds = [*_GROUP_STARTS.tolist(), len(members)]
    needs = [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    measures = np.full((len(needs), max(map(len, needs))), len(members))
    for m, need in enumerate(needs):
        measures[m, :len(need)] = need
    return groups, measures


_GROUP_LANDMARKS, _MEASURE_GROUPS = _gather_tables()

#: Up to this many frames ``_visible_mask`` takes the matrix product (fewer numpy calls), and
#: for more the gathers: numpy multiplies integer matrices in a plain loop, 25 times slower
#: than the gathers on 540 frames (issue 14).
_FEW_FRAMES = 8


def _visible_mask(visibility: np.ndarray, min_visibility: float) -> np.ndarray:
    """(measures, N): True where every landmark group a measure needs has one landmark seen
    (measures in ``ANGLE_NAMES`` order). For a few frames (live: one) one matrix product, a
    few numpy calls rather than a fancy index per group; for a block, two gathers
    (``_gather_tables``). The same mask either way (``tests/test_angles_speed.py``)."""
    n = len(visibility)
    if n <= _FEW_FRAMES:
        seen = (visibility >= min_visibility).astype(np.int64)
        group_seen = (seen @ _GROUPS) > 0  # (N, groups)
        return np.logical_and.reduceat(group_seen, _GROUP_STARTS, axis=1).T
    rows = np.empty((lm.N_LANDMARKS + 2, n), dtype=bool)  # the landmarks, never, always
    np.greater_equal(visibility.T, min_visibility, out=rows[:-2])
    rows[-2], rows[-1] = False, True
    return rows[_GROUP_LANDMARKS].any(axis=1)[_MEASURE_GROUPS].all(axis=1)


def joint_angles(
    image: np.ndarray | None = None,
    world: np.ndarray | None = None,
    visibility: np.ndarray | None = None,
    min_visibility: float = 0.5,
) -> dict[str, np.ndarray]:
    """All named measures for a run of frames.

    Args:
        image: (N, 33, 2) image landmarks in pixels (or (33, 2) for one frame), or None.
        world: (N, 33, 3) world landmarks in metres, or None; a frame whose world landmarks
            are not all finite falls back to its image landmarks.
        visibility: (N, 33) in [0, 1]; None means every landmark is visible.
        min_visibility: landmarks below this are treated as unseen.

    Returns:
        ``{name: (N,) float array}`` for every name in ``ANGLE_NAMES``; NaN where unknown.
    """
    angles = LazyAngles(image, world, visibility, min_visibility)
    return {name: angles[name] for name in ANGLE_NAMES}


class LazyAngles(Mapping[str, np.ndarray]):
    """``joint_angles`` as a mapping whose measures are worked out when first read, a few
    related ones at a time (both sides of a joint, the three tilts...), each with the very
    operations ``joint_angles`` does: the same numbers to the bit (``tests/test_angles_speed.py``).

    For one frame live, where the calls are what costs: a routine's checks read 10-18 of the
    46 measures a frame (the big joints for bouncing, the stretch's own, its posture), so the
    side tilts, the neck and the rest are not worked out (issue 14). Same arguments as
    ``joint_angles``; reading an unknown name raises ``KeyError``.
    """

    def __init__(self, image: np.ndarray | None = None, world: np.ndarray | None = None,
                 visibility: np.ndarray | None = None, min_visibility: float = 0.5) -> None:
        image, world = _as_frames(image, 2), _as_frames(world, 3)
        if image is None and world is None:
            raise ValueError("need image or world landmarks")
        n = len(world) if world is not None else len(image)  # type: ignore[arg-type]
        vis = np.ones((n, lm.N_LANDMARKS)) if visibility is None \
            else np.asarray(visibility, float).reshape(n, lm.N_LANDMARKS)
        self._args = (image, world, vis, min_visibility)
        self._visible = _visible_mask(vis, min_visibility)  # (measures, N)
        # One frame (live): each measure is seen or not as a whole, so the reading is kept
        # or replaced by NaN without an ``np.where`` per measure (the same values); and the
        # big joints are measured in plain floats (``pose.one_frame``, the same numbers).
        self._one = self._visible[:, 0].tolist() if n == 1 else None
        self._frame = one_frame.OneFrame.of(world, vis, min_visibility) if n == 1 else None
        self._values: dict[str, np.ndarray] = {}
        self._floats: dict[str, float] = {}  # the measures worked out in floats (``value``)

    @cached_property
    def _body(self) -> _Body:
        return _Body(*self._args)

    def __getitem__(self, name: str) -> np.ndarray:
        value = self._values.get(name)
        if value is None:
            group, one = _MEASURES[name], self._one
            if one is None:
                for measured, raw in group(self._body).items():
                    self._values[measured] = np.where(self._visible[_ROW[measured]], raw, np.nan)
                return self._values[name]
            if self._frame is not None and group in _IN_FLOATS:
                value = self._values[name] = np.array([self.value(name)])
                return value
            for measured, raw in group(self._body).items():
                self._values[measured] = raw if one[_ROW[measured]] else np.full(1, np.nan)
            value = self._values[name]
        return value

    def value(self, name: str, i: int = 0) -> float:
        """``float(self[name][i])``, degrees (NaN: unknown). A measure of one frame that
        ``pose.one_frame`` works out in floats is read as the float itself, with no array
        made of it and read back (the checks read 10-18 such measures a live frame)."""
        value = self._floats.get(name)
        if value is not None:
            return value
        method = _IN_FLOATS.get(_MEASURES[name]) if self._frame is not None else None
        if method is None:
            return float(self[name][i])
        seen = self._one
        for measured, raw in getattr(self._frame, method)().items():
            self._floats[measured] = float(raw) if seen[_ROW[measured]] else math.nan  # type: ignore[index]
        return self._floats[name]

    def __iter__(self):
        return iter(ANGLE_NAMES)

    def __len__(self) -> int:
        return len(ANGLE_NAMES)


class FrameAngles(Mapping[str, float]):
    """The angles of frame ``i`` of a ``LazyAngles`` as floats (a frame's own mapping for
    the checks), each read from it when first asked for."""

    def __init__(self, angles: LazyAngles, i: int = 0) -> None:
        self._angles = angles
        self._i = i
        self._floats: dict[str, float] = {}

    def __getitem__(self, name: str) -> float:
        value = self._floats.get(name)
        if value is None:
            value = self._floats[name] = self._angles.value(name, self._i)
        return value

    def __iter__(self):
        return iter(ANGLE_NAMES)

    def __len__(self) -> int:
        return len(ANGLE_NAMES)


class _Body:
    """The points and the trunk's axes ``joint_angles`` measures on, for N frames, and what
    several measures share, each worked out once when first needed."""

    def __init__(self, image: np.ndarray | None, world: np.ndarray | None,
                 visibility: np.ndarray, min_visibility: float) -> None:
        """``visibility`` (N, 33), as ``LazyAngles`` shapes it."""
        self.image = image
        self.p, self.flat = p, flat = _points(image, world)
        self.vis = visibility
        self.min_visibility = min_visibility
        self.hip_mid, self.sh_mid = _mid(p, _HIPS), _mid(p, _SHOULDERS)
        self.up, self.left, self.forward = _body_axes(p, flat, self.hip_mid, self.sh_mid)

    @cached_property
    def limbs(self) -> dict[str, np.ndarray]:
        """Both sides at once, (N, 2, 3) limbs against (N, 1, 3) trunk axes: half the numpy
        calls (one frame at a time, live, the calls are what costs; issue 14)."""
        p = self.p
        out = {j: p[:, list(_JOINTS[j])] for j in (
            "shoulder", "elbow", "wrist", "hip", "knee", "ankle")}
        out["thigh"], out["upper_arm"] = out["knee"] - out["hip"], out["elbow"] - out["shoulder"]
        return out

    @cached_property
    def outward(self) -> np.ndarray:
        """Left for the left side, right for the right: (N, 2, 3)."""
        return np.stack([self.left, -self.left], axis=1)

    @cached_property
    def shoulders(self) -> np.ndarray:
        return self.p[:, lm.LEFT_SHOULDER] - self.p[:, lm.RIGHT_SHOULDER]


def _sided(measure: Callable[[_Body], np.ndarray]) -> Callable[[_Body], dict[str, np.ndarray]]:
    """A measure of both sides, (N, 2), as its ``_left`` and ``_right`` names."""
    base = measure.__name__.removeprefix("_m_")

    def both(b: _Body) -> dict[str, np.ndarray]:
        values = measure(b)
        return {f"{base}_{side}": values[:, s] for s, side in enumerate(SIDES)}

    both.__name__ = base
    return both


def _m_flexions(b: _Body) -> dict[str, np.ndarray]:
    """Hip flexion, shoulder flexion and shoulder abduction, both sides: the same plane
    angle (``_in_plane``, from straight down) of the thighs and upper arms, worked out in
    one call for the six (the big joints every live frame reads for bouncing: one call
    costs what each of three did; the same elementwise operations)."""
    limbs, n = b.limbs, len(b.p)
    bones = np.concatenate([limbs["thigh"], limbs["upper_arm"], limbs["upper_arm"]], axis=1)
    towards = np.concatenate([np.broadcast_to(b.forward[:, None], (n, 4, 3)), b.outward],
                             axis=1)  # (N, 6, 3): forward for flexion, outward for abduction
    values = _in_plane(bones, -b.up[:, None], towards, _FLEXION_FROM)
    return {name: values[:, i] for i, name in enumerate(_FLEXIONS)}


_FLEXIONS = tuple(f"{kind}_{side}" for kind in ("hip_flexion", "shoulder_flexion",
                                                "shoulder_abduction") for side in SIDES)
_FLEXION_FROM = np.array([-180.0, -180.0, -90.0, -90.0, -90.0, -90.0])
"""Where each of ``_FLEXIONS`` wraps (``_in_plane``'s ``low``), degrees."""


@_sided
def _m_hip_abduction(b: _Body) -> np.ndarray:
    # An elevation out of the sagittal plane rather than a projected angle: a projection
    # flips by 180 degrees once the hip is flexed past horizontal (a knee hug).
    return np.degrees(np.arcsin(np.clip(_dot(_unit(b.limbs["thigh"]), b.outward), -1.0, 1.0)))


def _m_knee_flexion(b: _Body) -> dict[str, np.ndarray]:
    limbs = b.limbs
    values = 180.0 - _between(limbs["hip"] - limbs["knee"], limbs["ankle"] - limbs["knee"])
    out = {f"knee_flexion_{side}": values[:, s] for s, side in enumerate(SIDES)}
    if not b.flat.all():
        world = np.where(b.flat[:, None, None], np.nan, b.p) if b.flat.any() else b.p
        seen = b.vis >= b.min_visibility
        for side, (knee, weight) in restored_knee_flexion(world, b.forward, seen).items():
            if not (weight > 0.0).any():  # nothing shortened (nearly always): keep the reading
                continue
            name = f"knee_flexion_{side}"
            out[name] = np.where(weight > 0.0, out[name] + weight * (knee - out[name]),
                                 out[name])
    return out


@_sided
def _m_shoulder_horizontal_adduction(b: _Body) -> np.ndarray:
    upper_arm = b.limbs["upper_arm"]
    return np.where(_off_axis(upper_arm, b.up[:, None]) >= 0.5,
                    _in_plane(upper_arm, b.forward[:, None], -b.outward, -180.0), np.nan)


@_sided
def _m_elbow_flexion(b: _Body) -> np.ndarray:
    limbs = b.limbs
    return 180.0 - _between(limbs["shoulder"] - limbs["elbow"], limbs["wrist"] - limbs["elbow"])


@_sided
def _m_trunk_thigh(b: _Body) -> np.ndarray:
    return _between(b.up[:, None], b.limbs["thigh"])


@_sided
def _m_knee_to_chest(b: _Body) -> np.ndarray:
    torso = _norm(b.sh_mid - b.hip_mid)
    chest = b.hip_mid + (2.0 / 3.0) * (b.sh_mid - b.hip_mid)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _norm(b.limbs["knee"] - chest[:, None]) / torso[:, None]


def _m_inclinations(b: _Body) -> dict[str, np.ndarray]:
    # Against straight down, both legs' thighs and shanks in one go: the cosine with (0, 1, 0)
    # is the unit bone's y (the very number a dot product with it gives).
    p = b.p
    legs = p[:, [lm.LEFT_KNEE, lm.RIGHT_KNEE, lm.LEFT_ANKLE, lm.RIGHT_ANKLE]] - p[
        :, [lm.LEFT_HIP, lm.RIGHT_HIP, lm.LEFT_KNEE, lm.RIGHT_KNEE]]
    inclinations = np.degrees(np.arccos(np.clip(_unit(legs)[..., 1], -1.0, 1.0)))
    out = {}
    for s, side in enumerate(SIDES):
        out[f"thigh_inclination_{side}"] = inclinations[:, s]
        out[f"shank_inclination_{side}"] = inclinations[:, 2 + s]
    return out


def _m_from_vertical(b: _Body) -> dict[str, np.ndarray]:
    up, forward, flat, shoulders = b.up, b.forward, b.flat, b.shoulders
    shoulder_left = _unit(shoulders - _dot(shoulders, up)[:, None] * up)
    upper_forward = (_unit(_cross(shoulder_left, up)) if not flat.any()
                     else np.where(flat[:, None], forward, _unit(_cross(shoulder_left, up))))
    # Against the vertical, the cosine is minus the unit vector's y (what a dot product with
    # (0, -1, 0) gives), for the three axes at once.
    ups = -_unit(np.stack([up, forward, upper_forward], axis=1))[..., 1]
    from_vertical = np.degrees(np.arccos(np.clip(ups, -1.0, 1.0)))
    return {"trunk_inclination": from_vertical[:, 0], "chest_up": 90.0 - from_vertical[:, 1],
            "chest_up_shoulders": 90.0 - from_vertical[:, 2]}


def _m_side_tilts(b: _Body) -> dict[str, np.ndarray]:
    up, left, forward, flat, shoulders, p = b.up, b.left, b.forward, b.flat, b.shoulders, b.p
    # The roll of the body's left axis: defined at any pitch (upright, folded, lying); and the
    # shoulder line's.
    lines = np.stack([left, _unit(shoulders)], axis=1)
    rolls = -np.degrees(np.arcsin(np.clip(-lines[..., 1], -1, 1)))
    out = {"trunk_lateral_tilt": rolls[:, 0], "shoulder_tilt": rolls[:, 1]}
    ears = p[:, lm.LEFT_EAR] - p[:, lm.RIGHT_EAR]
    # In the flat fallback "forward" lies in the image; a head tilt turns about the axis through
    # the image instead, pointing to the camera when the person faces it (seen from "left").
    facing_axis = (forward if not flat.any()
                   else np.where(flat[:, None], _unit(_cross(left, up)), forward))
    out["neck_lateral_tilt"] = np.degrees(np.arctan2(
        _dot(_cross(ears, shoulders), facing_axis), _dot(ears, shoulders)))
    _tilts_by_view(out, p, flat, b.image)
    return out


def _m_neck_flexion(b: _Body) -> dict[str, np.ndarray]:
    head = b.p[:, _EARS].mean(axis=1) - b.sh_mid
    return {"neck_flexion": _in_plane(head, b.up, b.forward, -180.0)}


def _m_knee_drop(b: _Body) -> dict[str, np.ndarray]:
    thighs = b.p[:, [lm.LEFT_KNEE, lm.RIGHT_KNEE]].mean(axis=1) - b.hip_mid
    drop = _in_plane(thighs, b.forward, b.left, -180.0)
    # With the hips straight the thighs run along the trunk and their direction across it is
    # noise: only measure the drop when the thighs point well away from the trunk axis.
    return {"knee_drop": np.where(b.flat | (_off_axis(thighs, b.up) < 0.5), np.nan, drop)}


def _measures() -> dict[str, Callable[[_Body], dict[str, np.ndarray]]]:
    """Each measure's name -> what works it out (with the others it comes with)."""
    groups = (_m_flexions, _m_hip_abduction, _m_knee_flexion,
              _m_shoulder_horizontal_adduction, _m_elbow_flexion,
              _m_trunk_thigh, _m_knee_to_chest, _m_inclinations, _m_from_vertical,
              _m_side_tilts, _m_neck_flexion, _m_knee_drop)
    names = {"_m_inclinations": [f"{kind}_inclination_{side}" for kind in ("thigh", "shank")
                                 for side in SIDES],
             "_m_from_vertical": ["trunk_inclination", "chest_up", "chest_up_shoulders"],
             "_m_side_tilts": list(SIDE_TILTS), "_m_neck_flexion": ["neck_flexion"],
             "_m_knee_drop": ["knee_drop"], "_m_flexions": list(_FLEXIONS)}
    out = {}
    for group in groups:
        base = group.__name__.removeprefix("_m_")
        for name in names.get(group.__name__, [f"{base}_{side}" for side in SIDES]):
            out[name] = group
    if set(out) != set(ANGLE_NAMES):
        raise RuntimeError(f"measures without a group: {set(ANGLE_NAMES) ^ set(out)}")
    return out


SHORTENED = (0.95, 0.85)
"""A leg bone shorter than the first share of the same bone on the other leg is taken as
shortened by the world landmarks' depth guess, fully so below the second; in between the
reading moves linearly from the world's to the restored one (a switch would make a held knee
jump by the difference, 8-10 deg in R02, which reads as a bounce). Real bones differ far less
between sides (a few per cent); the model shortens a bone pointing along the line of sight by
15-30 % (R03: thigh 0.74, shank 0.83 of its twin, while the seen leg's bones stay within 3 %
of their own length frame to frame)."""

FOLDS_BACK = 0.5
"""Cosine from straight back (behind the thigh, in the thigh's sagittal plane) within which a
shank counts as folding backwards, as a knee bends; one folding forwards (cosine <= 0) is a
bend no knee makes."""


@dataclass(frozen=True)
class Hinge:
    """A hinge joint's two bends that fit one view once its shortened bones are restored.

    All (N,) arrays for one side: ``bends`` the two flexions in degrees (the distal bone's
    depth the proximal's way, and the other way), ``folds`` for each how squarely the distal
    bone folds towards ``back`` (cosine), ``weight`` in [0, 1] how far the world reading is
    shortened (0: not at all; see ``SHORTENED``). With no frame shortened, bends and folds
    are not worked out (NaN).
    """

    bends: tuple[np.ndarray, np.ndarray]
    folds: tuple[np.ndarray, np.ndarray]
    weight: np.ndarray


def hinge_bends(world: np.ndarray, seen: np.ndarray, joint: str,
                back: np.ndarray | None = None) -> dict[str, Hinge]:
    """The bends of a limb's hinge (``joint`` "knee" or "elbow") that fit one view.

    ``world`` (N, 33, 3) metres (NaN rows for frames without them), ``seen`` (N, 33)
    visibility flags, ``back`` (N, 3) the unit direction the distal bone folds towards
    (``folds`` are NaN without it).

    Where a bone of the limb is shorter than ``SHORTENED`` of its twin on the other (seen)
    limb, its depth is a guess that came out short: the bone keeps its direction across the
    image (x, y: what the camera sees) and gets its twin's length back, its depth set to fit
    (the symmetric-length reconstruction of one view; Taylor, "Reconstruction of articulated
    objects from point correspondences in a single uncalibrated image", CVIU 2000). Depth's
    sign is what one view cannot tell: two bends fit.
    """
    upper, lower, shortened = _shortening(world, seen, joint)
    weights = shortened.weights
    if shortened.sides:
        lifted = _lift(*shortened.limbs(upper, lower), back)
        bends, folds = _bends(lifted), lifted.folds
    out: dict[str, Hinge] = {}
    for s, side in enumerate(SIDES):
        if s not in shortened.sides:
            none = np.full(len(world), np.nan)
            out[side] = Hinge((none, none), (none, none), weights[:, s])
            continue
        k = shortened.sides.index(s)
        out[side] = Hinge((bends[:, k, 0], bends[:, k, 1]), (folds[:, k, 0], folds[:, k, 1]),
                          weights[:, s])
    return out


@dataclass(frozen=True)
class _Shortening:
    """How far each limb of a pair is shortened (``hinge_bends``): ``weights`` (N, 2) in
    [0, 1] per side, ``sides`` the sides shortened in some frame (often none), ``lengths``
    (N, 2) each bone's full length: (upper, lower), its own or its twin's, the longer."""

    weights: np.ndarray
    sides: list[int]
    lengths: tuple[np.ndarray, np.ndarray]

    def limbs(self, upper: np.ndarray, lower: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The shortened sides' bones (N, K, 3) and full lengths (N, K)."""
        k = self.sides
        return upper[:, k], lower[:, k], self.lengths[0][:, k], self.lengths[1][:, k]


def _shortening(world: np.ndarray, seen: np.ndarray, joint: str
                ) -> tuple[np.ndarray, np.ndarray, _Shortening]:
    """A limb pair's upper and lower bones (N, 2 sides, 3) and how they are shortened."""
    top, mid, end = {"knee": ("hip", "knee", "ankle"),
                     "elbow": ("shoulder", "elbow", "wrist")}[joint]
    # One index for the three joints of both limbs: (N, 3 joints, 2 sides, ...).
    joints = _JOINTS[top] + _JOINTS[mid] + _JOINTS[end]
    points = world[:, joints].reshape(len(world), 3, 2, 3)
    upper, lower = points[:, 1] - points[:, 0], points[:, 2] - points[:, 1]  # (N, 2 sides, 3)
    limb_seen = np.logical_and.reduce(seen[:, joints].reshape(len(seen), 3, 2), axis=1)
    u_len, l_len = _norm(upper), _norm(lower)
    first, full = SHORTENED
    # Both sides at once (column s against its twin, column 1 - s): the same elementwise
    # operations as side by side, in half the numpy calls (live, the calls are what costs).
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.minimum(u_len / u_len[:, ::-1], l_len / l_len[:, ::-1])  # (N, 2)
        weights = np.clip((first - ratio) / (first - full), 0.0, 1.0)
    weights = np.where(limb_seen[:, ::-1] & np.isfinite(weights), weights, 0.0)
    sides = [s for s in range(len(SIDES)) if weights[:, s].any()]
    lengths = ((np.maximum(u_len[:, ::-1], u_len), np.maximum(l_len[:, ::-1], l_len))
               if sides else (u_len, l_len))
    return upper, lower, _Shortening(weights, sides, lengths)


@dataclass(frozen=True)
class _Lifted:
    """K limbs' bones restored to full length (``_lift``): ``up`` the upper bone (N, K, 3),
    ``low`` the lower one with its depth either way (N, K, 2 signs, 3), ``folds`` (N, K, 2)
    how squarely each lower bone folds towards ``back`` (NaN without it)."""

    up: np.ndarray
    low: np.ndarray
    folds: np.ndarray


def _lift(upper: np.ndarray, lower: np.ndarray, upper_length: np.ndarray,
          lower_length: np.ndarray, back: np.ndarray | None) -> _Lifted:
    """``hinge_bends``' two fits for K limbs: ``upper`` and ``lower`` (N, K, 3) bones,
    lifted to ``upper_length`` and ``lower_length`` (N, K); ``back`` (N, 3) or None: the
    distal bone's depth the proximal's way, then the other way (the same elementwise
    operations as one limb and one sign at a time)."""
    way = np.where(upper[..., 2] >= 0.0, 1.0, -1.0)  # (N, K)
    up = _lifted(upper, upper_length, way)
    signs = np.array([1.0, -1.0]) * way[..., None]  # (N, K, 2)
    # C order, as one sign at a time gives it: einsum (``_dot``) may sum another layout's
    # axis in another order.
    low = _lifted(np.repeat(lower[:, :, None], 2, axis=2), lower_length[..., None],
                  signs)  # (N, K, 2, 3)
    if back is None:
        return _Lifted(up, low, np.full(low.shape[:-1], np.nan))
    u_unit = _unit(up)[:, :, None]  # (N, K, 1, 3)
    across = low - _dot(low, u_unit)[..., None] * u_unit
    towards = _unit(back[:, None, None] - _dot(back[:, None, None], u_unit)[..., None] * u_unit)
    return _Lifted(up, low, _dot(_unit(across), towards))


def _bends(lifted: _Lifted) -> np.ndarray:
    """The hinge's flexion for each fit of ``_lift``, (N, K, 2) degrees."""
    return 180.0 - _between(-lifted.up[:, :, None], lifted.low)


def restored_knee_flexion(world: np.ndarray, forward: np.ndarray,
                          seen: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Knee flexion with shortened leg bones restored, and how far to trust it.

    ``world`` (N, 33, 3) metres, ``forward`` (N, 3) the trunk's unit forward axis, ``seen``
    (N, 33) visibility flags. Returns ``{side: (flexion, weight)}``, both (N,): the restored
    flexion in degrees and its weight in [0, 1] against the world reading (0: the world reading
    stands; see ``SHORTENED``). The flexion is worked out only where some frame has a weight:
    elsewhere it is NaN (one live frame, nearly always: its knees cost no bends then).

    Of the two bends that fit the view (``hinge_bends``), the one whose shank folds behind the
    thigh is taken, and only when the other would fold it forwards, which no knee does;
    otherwise (both possible) the world reading stands. Symmetric, well-seen legs (every
    synthetic body) keep the world reading exactly (weight 0).
    """
    upper, lower, shortened = _shortening(world, seen, "knee")
    n = len(world)
    flexion, weight = np.full((n, 2), np.nan), np.zeros((n, 2))
    if shortened.sides:
        k = shortened.sides
        lifted = _lift(*shortened.limbs(upper, lower), -forward)
        folds = lifted.folds  # (N, K, 2)
        first = folds[..., 0] >= folds[..., 1]
        best = np.where(first, folds[..., 0], folds[..., 1])
        other = np.where(first, folds[..., 1], folds[..., 0])
        with np.errstate(invalid="ignore"):
            clear = (best >= FOLDS_BACK) & (other <= 0.0)
        weight[:, k] = np.where(clear, shortened.weights[:, k], 0.0)
        if clear.any():
            bends = _bends(lifted)
            flexion[:, k] = np.where(first, bends[..., 0], bends[..., 1])
    return {side: (flexion[:, s], weight[:, s]) for s, side in enumerate(SIDES)}


def _lifted(bone: np.ndarray, length: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """(..., 3) ``bone`` with its x, y kept and its depth set so that it is ``length`` long
    (0 depth where x, y alone are longer), towards ``sign`` (both (...))."""
    depth = np.sqrt(np.maximum(length**2 - (bone[..., :2] ** 2).sum(axis=-1), 0.0))
    return np.concatenate([bone[..., :2], (sign * depth)[..., None]], axis=-1)


SIDE_TILTS = ("shoulder_tilt", "trunk_lateral_tilt", "neck_lateral_tilt")
"""Tilts to the side: measured in the image from the front or back, unknown side-on."""


def image_tilts(image: np.ndarray, back: np.ndarray) -> dict[str, np.ndarray]:
    """The side tilts measured in the image plane, for a person seen from the front or back.

    ``image`` (N, 33, 2) pixels, y down; ``back`` (N,) True where the camera sees the back.
    Same conventions as the world measures: + left shoulder lower, + leaning to the left,
    + head tilted to the left.
    """
    def lower(v: np.ndarray) -> np.ndarray:  # degrees the vector's start end sits lower
        norm = _norm(v)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(norm > 1e-9, np.degrees(np.arcsin(np.clip(
                v[:, 1] / norm, -1.0, 1.0))), np.nan)

    sh = image[:, lm.LEFT_SHOULDER] - image[:, lm.RIGHT_SHOULDER]
    up = _unit(image[:, _SHOULDERS].mean(axis=1) - image[:, _HIPS].mean(axis=1))
    across = sh + (image[:, lm.LEFT_HIP] - image[:, lm.RIGHT_HIP])
    across = across - _dot(across, up)[:, None] * up  # the trunk's own left axis
    ears = image[:, lm.LEFT_EAR] - image[:, lm.RIGHT_EAR]
    # The image's y runs down, which mirrors a turn; seen from behind it is mirrored again.
    turn = np.degrees(np.arctan2(sh[:, 0] * ears[:, 1] - sh[:, 1] * ears[:, 0], _dot(sh, ears)))
    turn = np.where(_norm(sh) * _norm(ears) > 1e-9, turn, np.nan)
    return {"shoulder_tilt": lower(sh), "trunk_lateral_tilt": lower(across),
            "neck_lateral_tilt": np.where(back, -turn, turn)}


TRUNK_IN_PLANE = 45.0
"""Side tilts are read on the image only while the trunk is within this many degrees of the
image plane: a body lying along the line of sight (seen from beyond the feet) shows its trunk
end-on, and the image then says nothing about its tilts."""


def image_tilt_frames(world: np.ndarray, views: np.ndarray | None = None) -> np.ndarray:
    """(N,) True where the side tilts are measured on the image: seen from the front or back,
    with the trunk (mid-hip to mid-shoulder) within ``TRUNK_IN_PLANE`` of the image plane.
    ``views``: ``camera_views(world)`` if the caller has it already."""
    up = _unit(world[:, _SHOULDERS].mean(axis=1) - world[:, _HIPS].mean(axis=1))
    with np.errstate(invalid="ignore"):
        in_plane = np.abs(up[:, 2]) <= _IN_PLANE_Z
    return facing(camera_views(world) if views is None else views) & in_plane


_IN_PLANE_Z = np.sin(np.radians(TRUNK_IN_PLANE))


def _tilts_by_view(out: dict[str, np.ndarray], p: np.ndarray, flat: np.ndarray,
                   image: np.ndarray | None) -> None:
    """Measure the side tilts where this frame's view measures them (in place)."""
    world = np.where(flat[:, None, None], np.nan, p)
    views = camera_views(world)
    if image is not None:
        front_or_back = image_tilt_frames(world, views)
        if front_or_back.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                seen = image_tilts(image, views == BACK)
            for name, values in seen.items():
                out[name] = np.where(front_or_back, values, out[name])
    for name in SIDE_TILTS:
        out[name] = np.where(views == SIDE, np.nan, out[name])


def first_frame(angles: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The first frame of a ``joint_angles`` result as plain floats (handy for one frame)."""
    return {name: float(values[0]) for name, values in angles.items()}


_MEASURES = _measures()
_ROW = {name: i for i, name in enumerate(ANGLE_NAMES)}
#: The measure groups ``pose.one_frame.OneFrame`` works out for one frame: its method for each.
_IN_FLOATS = {_m_flexions: "flexions", _m_hip_abduction: "hip_abduction",
              _m_knee_flexion: "knee_flexion", _m_from_vertical: "from_vertical",
              _m_inclinations: "inclinations"}
