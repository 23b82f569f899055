"""The angles every live frame reads (the big joints, the trunk's and the legs'
inclinations) in plain Python floats: what ``pose.angles`` works out for them, operation for
operation in numpy's own order, so the same numbers to the bit (``tests/test_angles_speed.py``:
every measure of every other frame of the real clips; ``tests/test_one_frame.py``: awkward
frames), without numpy's cost per call.

Live, each frame is one pose, and the ballistic watch reads the 11 big joints of every frame
(``pose.ballistic.BIG_JOINTS``), the checks a few more: through numpy that is a few hundred
calls on (1, ...) arrays for a few hundred floating-point operations. The 11 big joints took
314 us a frame through numpy and take 60 us here (A06 at 640x480, 2026-12-02; issue 14).
Here the arithmetic is Python's (IEEE doubles, rounded as numpy's elementwise operations
round), and what numpy does its own way is taken from numpy:

* its arccos, arcsin and arctan2, called on floats (numpy's vectorised ones differ from the C
  library's ``math.acos`` and kin in the last bit for 7-10 % of arguments on this machine; on
  a float numpy runs the same loop as on an array);
* the order of a 3-vector dot product's sum: ``np.einsum`` adds the x and z products first,
  then y (``_dot``); sums of squares (``np.add.reduce``) go x, y, z. That order is numpy's
  build's (its vector lanes, no fused multiply-add): a numpy that sums otherwise, as one for
  another processor may, is found out at the first frame (``agrees_with_numpy``) and every
  frame is then measured through numpy.

A frame without world landmarks (the image-only fallback) is not measured here:
``OneFrame.of`` gives None and ``pose.angles`` works it out as for any block.
"""

from __future__ import annotations

import functools
import math
from functools import cached_property

import numpy as np

from pose import angles
from pose import landmarks as lm

Vec = tuple[float, float, float]

_NAN = float("nan")
_NAN3: Vec = (_NAN, _NAN, _NAN)
_DEG = 180.0 / math.pi  # numpy's ``degrees`` multiplies by this, as ``math.degrees`` does
_arccos, _arcsin, _arctan2 = np.arccos, np.arcsin, np.arctan2


@functools.cache
def agrees_with_numpy() -> bool:
    """Whether ``_dot`` sums as this numpy's ``pose.angles._dot`` does, checked once on
    products whose rounding tells the orders apart (x + y first loses the 1 in 1e16 + 1 - 1e16;
    a fused multiply-add keeps what a product rounds away; three -0.0 products sum to +0.0)
    and on random vectors."""
    rng = np.random.default_rng(0)
    a = np.concatenate([[[1e16, 1.0, -1e16], [0.0, 0.0, 0.0], [1.0 + 2**-30, 1.0, -1.0]],
                        rng.normal(size=(64, 3))])
    b = np.concatenate([[[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0], [1.0 - 2**-30, -1.0, 1.0]],
                        rng.normal(size=(64, 3))])
    want = angles._dot(a, b)
    got = np.array([_dot(u, v) for u, v in zip(a.tolist(), b.tolist(), strict=True)])
    return got.tobytes() == want.tobytes()


def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot(a: Vec, b: Vec) -> float:
    """``pose.angles._dot`` (``np.einsum``): x and z first, then y, then the zeros of the
    vector lanes left over, which make a sum of three -0.0 products +0.0 (and nothing else
    change: an angle from ``arctan2`` of zeros turns on the zeros' signs)."""
    return ((a[0] * b[0] + a[2] * b[2]) + a[1] * b[1]) + 0.0


def _neg(v: Vec) -> Vec:
    return (-v[0], -v[1], -v[2])


def _norm(v: Vec) -> float:
    """``pose.angles._norm``: the squares summed x, y, z (``np.add.reduce``)."""
    return math.sqrt((v[0] * v[0] + v[1] * v[1]) + v[2] * v[2])


def _unit(v: Vec) -> Vec:
    """``pose.angles._unit``: NaN where the length is 1e-9 or less (or NaN)."""
    norm = _norm(v)
    return (v[0] / norm, v[1] / norm, v[2] / norm) if norm > 1e-9 else _NAN3


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _across(v: Vec, axis: Vec) -> Vec:
    """``v`` less its part along the unit ``axis``."""
    d = _dot(v, axis)
    return (v[0] - d * axis[0], v[1] - d * axis[1], v[2] - d * axis[2])


def _clip(x: float, low: float, high: float) -> float:
    """``np.clip`` of a float: NaN stays NaN; each bound taken unless ``x`` is beyond it."""
    if x != x:
        return x
    x = x if x > low else low
    return x if x < high else high


def _degrees_acos(cos: float) -> float:
    return float(_arccos(_clip(cos, -1.0, 1.0))) * _DEG


def _between(a: Vec, b: Vec) -> float:
    """``pose.angles._between``: unsigned angle between vectors, degrees in [0, 180]."""
    return _degrees_acos(_dot(_unit(a), _unit(b)))


def _in_plane(v: Vec, zero: Vec, positive: Vec, low: float) -> float:
    """``pose.angles._in_plane``: signed angle of ``v`` from ``zero`` towards ``positive``,
    degrees in (low, low + 360]."""
    deg = float(_arctan2(_dot(v, positive), _dot(v, zero))) * _DEG
    return deg + 360.0 if deg <= low else deg


def _lifted(bone: Vec, length: float, sign: float) -> Vec:
    """``pose.angles._lifted``: x, y kept, the depth set so that the bone is ``length`` long
    (0 where x, y alone are longer), towards ``sign``."""
    gap = length * length - (bone[0] * bone[0] + bone[1] * bone[1])
    return (bone[0], bone[1], sign * math.sqrt(gap if gap >= 0.0 else 0.0))


class OneFrame:
    """One pose's world landmarks as floats, and the body's axes and limbs ``pose.angles``
    measures on, each worked out when first needed.

    ``world`` (33, 3) metres, all finite; ``seen`` 33 flags, visibility at or over the
    measures' ``min_visibility``. Each measure method returns ``{name: degrees}`` for the names
    ``pose.angles`` works out together (visibility is the caller's: ``pose.angles.LazyAngles``).
    """

    def __init__(self, world: list[list[float]], seen: list[bool]) -> None:
        self.p = world
        self.seen = seen

    @classmethod
    def of(cls, world: np.ndarray | None, visibility: np.ndarray, min_visibility: float
           ) -> OneFrame | None:
        """From a (1, 33, 3) block of world landmarks and its (1, 33) visibility; None without
        world landmarks, with any not finite (the image-only fallback), or where this numpy's
        arithmetic is not ``_dot``'s (``agrees_with_numpy``). Raises ``ValueError`` on a block
        of another shape."""
        if world is None or not np.isfinite(world).all() or not agrees_with_numpy():
            return None
        if world.shape != (1, lm.N_LANDMARKS, 3):
            raise ValueError(f"expected one frame's world landmarks (1, 33, 3), got {world.shape}")
        return cls(world[0].tolist(), (visibility[0] >= min_visibility).tolist())

    def _point(self, i: int) -> Vec:
        x, y, z = self.p[i]
        return (x, y, z)

    def _mid(self, a: int, b: int) -> Vec:
        pa, pb = self.p[a], self.p[b]
        return ((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2, (pa[2] + pb[2]) / 2)

    @cached_property
    def axes(self) -> tuple[Vec, Vec, Vec]:
        """The trunk's unit ``up``, ``left`` and ``forward`` (``pose.angles._body_axes``)."""
        p = self._point
        hip_mid = self._mid(lm.LEFT_HIP, lm.RIGHT_HIP)
        sh_mid = self._mid(lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER)
        up = _unit(_sub(sh_mid, hip_mid))
        hips = _sub(p(lm.LEFT_HIP), p(lm.RIGHT_HIP))
        shoulders = _sub(p(lm.LEFT_SHOULDER), p(lm.RIGHT_SHOULDER))
        across = (hips[0] + shoulders[0], hips[1] + shoulders[1], hips[2] + shoulders[2])
        left = _unit(_across(across, up))
        return up, left, _unit(_cross(left, up))

    @cached_property
    def _outward(self) -> tuple[Vec, Vec]:
        left = self.axes[1]
        return left, _neg(left)

    def _bone(self, start: int, end: int) -> Vec:
        return _sub(self._point(end), self._point(start))

    _SIDES = ((lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_SHOULDER, lm.LEFT_ELBOW),
              (lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE, lm.RIGHT_SHOULDER, lm.RIGHT_ELBOW))

    def flexions(self) -> dict[str, float]:
        """``pose.angles._m_flexions``: hip flexion, shoulder flexion and abduction."""
        up, _, forward = self.axes
        down = _neg(up)
        thighs = [self._bone(hip, knee) for hip, knee, *_ in self._SIDES]
        arms = [self._bone(sh, el) for *_, sh, el in self._SIDES]
        out = {}
        for s, side in enumerate(angles.SIDES):
            out[f"hip_flexion_{side}"] = _in_plane(thighs[s], down, forward, -180.0)
            out[f"shoulder_flexion_{side}"] = _in_plane(arms[s], down, forward, -90.0)
            out[f"shoulder_abduction_{side}"] = _in_plane(arms[s], down, self._outward[s],
                                                          -90.0)
        return out

    def hip_abduction(self) -> dict[str, float]:
        """``pose.angles._m_hip_abduction``."""
        out = {}
        for s, side in enumerate(angles.SIDES):
            hip, knee = self._SIDES[s][:2]
            sine = _clip(_dot(_unit(self._bone(hip, knee)), self._outward[s]), -1.0, 1.0)
            out[f"hip_abduction_{side}"] = float(_arcsin(sine)) * _DEG
        return out

    def from_vertical(self) -> dict[str, float]:
        """``pose.angles._m_from_vertical``: trunk inclination, chest up (by the trunk and by
        the shoulder line)."""
        up, _, forward = self.axes
        shoulders = _sub(self._point(lm.LEFT_SHOULDER), self._point(lm.RIGHT_SHOULDER))
        upper_forward = _unit(_cross(_unit(_across(shoulders, up)), up))
        trunk, chest, upper = (_degrees_acos(-_unit(v)[1]) for v in (up, forward, upper_forward))
        return {"trunk_inclination": trunk, "chest_up": 90.0 - chest,
                "chest_up_shoulders": 90.0 - upper}

    def inclinations(self) -> dict[str, float]:
        """``pose.angles._m_inclinations``: thighs and shanks against straight down."""
        out = {}
        for s, side in enumerate(angles.SIDES):
            hip, knee, ankle = self._SIDES[s][:3]
            out[f"thigh_inclination_{side}"] = _degrees_acos(_unit(self._bone(hip, knee))[1])
            out[f"shank_inclination_{side}"] = _degrees_acos(_unit(self._bone(knee, ankle))[1])
        return out

    def knee_flexion(self) -> dict[str, float]:
        """``pose.angles._m_knee_flexion``, with ``restored_knee_flexion``'s shortened bones."""
        legs = [(self._point(h), self._point(k), self._point(a)) for h, k, a, *_ in self._SIDES]
        out = {f"knee_flexion_{side}": 180.0 - _between(_sub(hip, knee), _sub(ankle, knee))
               for side, (hip, knee, ankle) in zip(angles.SIDES, legs, strict=True)}
        for side, (knee, weight) in self._restored_knees(legs).items():
            name = f"knee_flexion_{side}"
            out[name] = out[name] + weight * (knee - out[name])
        return out

    def _restored_knees(self, legs: list[tuple[Vec, Vec, Vec]]) -> dict[str, tuple[float, float]]:
        """``pose.angles.restored_knee_flexion`` for the sides it restores (weight over 0):
        {side: (flexion, weight)}. Empty when no leg bone is shortened (nearly always)."""
        upper = [_sub(knee, hip) for hip, knee, _ in legs]
        lower = [_sub(ankle, knee) for _, knee, ankle in legs]
        u, v = [_norm(b) for b in upper], [_norm(b) for b in lower]
        if not all(0.0 < x < math.inf for x in u + v):
            return self._restored_knees_by_numpy()
        seen = self.seen
        limb_seen = [seen[h] and seen[k] and seen[a] for h, k, a, *_ in self._SIDES]
        first, full = angles.SHORTENED
        out: dict[str, tuple[float, float]] = {}
        back = _neg(self.axes[2])
        for s, side in enumerate(angles.SIDES):
            ratio = min(u[s] / u[1 - s], v[s] / v[1 - s])
            weight = _clip((first - ratio) / (first - full), 0.0, 1.0)
            if not limb_seen[1 - s] or weight == 0.0:
                continue
            way = 1.0 if upper[s][2] >= 0.0 else -1.0
            up = _lifted(upper[s], max(u[1 - s], u[s]), way)
            lows = [_lifted(lower[s], max(v[1 - s], v[s]), sign) for sign in (way, -way)]
            u_unit = _unit(up)
            towards = _unit(_across(back, u_unit))
            folds = [_dot(_unit(_across(low, u_unit)), towards) for low in lows]
            pick = 0 if folds[0] >= folds[1] else 1
            best, other = folds[pick], folds[1 - pick]
            if best >= angles.FOLDS_BACK and other <= 0.0:
                out[side] = (180.0 - _between(_neg(up), lows[pick]), weight)
        return out

    def _restored_knees_by_numpy(self) -> dict[str, tuple[float, float]]:
        """The same through ``pose.angles`` itself, for a leg bone of no (or no finite)
        length, whose ratios numpy meets with its own NaN and infinity rules."""
        restored = angles.restored_knee_flexion(np.array([self.p]), np.array([self.axes[2]]),
                                                np.array([self.seen]))
        return {side: (float(knee[0]), float(weight[0]))
                for side, (knee, weight) in restored.items() if weight[0] > 0.0}
