"""Every stretch's target pose, worked out from its catalogue definition.

A stretch is defined by ranges on named angles (``routines/catalogue.toml``). Its *target* on
each criterion is the middle of [min, max], or ``ONE_SIDED_INSET`` inside the bound of a
one-sided range (at least that far inside: see ``targets``); the cycle of a cycling stretch
(cat-cow) is posed at the middle of its cycle.
``target_pose`` finds the body (``pose.body``) that ``pose.angles`` measures at those targets:
it starts from the stretch's position (lying, kneeling, ...) and moves the joints by
least-norm Gauss-Newton steps on the measured angles, while the joints no criterion names stay
as near that starting posture as the targets allow (the steps' null space pulls them back).
Nothing is drawn by hand, so a stretch added to the TOML gets its figure for free; a
definition whose targets no body can reach (or that lands past a safe limit) comes back with
``problems``, which ``stretchcheck routines check`` reports.

Pure numpy: no drawing (``pose.picture``) and no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from pose import body
from pose.angles import UNITS, joint_angles
from pose.stretches import SIDES, AngleRange, Stretch, resolve

ONE_SIDED_INSET = {"deg": 10.0, "torso": 0.1}
"""How far inside the bound of a one-sided range its target sits, by unit (issue 12)."""

TOLERANCE = {"deg": 1.0, "torso": 0.01}
"""A target counts as reached when measured this close to it."""

#: Where the solver starts for each catalogue ``position`` (``pose.body`` postures).
START = {"supine": "supine", "prone": "prone", "all_fours": "all_fours", "kneeling": "kneeling",
         "seated": "seated", "standing": "standing"}

#: Joint ranges the figure stays within (degrees), so it bends like a person: a knee never
#: bends backwards to reach a target. Source: typical adult ranges of motion, rounded out.
BOUNDS: dict[str, tuple[float, float]] = {
    "hip_flexion": (-45.0, 160.0), "hip_abduction": (-40.0, 80.0), "knee_flexion": (0.0, 160.0),
    "shoulder_flexion": (-60.0, 230.0), "shoulder_abduction": (-40.0, 200.0),
    "elbow_flexion": (0.0, 160.0), "shoulder_horizontal_adduction": (-85.0, 85.0),
    "trunk_lateral_tilt": (-90.0, 90.0), "neck_flexion": (-60.0, 60.0),
    "neck_lateral_tilt": (-60.0, 60.0), "knee_drop": (-90.0, 90.0), "pitch": (-200.0, 200.0),
}

#: Joints moved reluctantly: leaning, twisting or splaying to reach a target is how a figure
#: cheats (a fold reached by tipping sideways); people stretch in the sagittal plane first.
STIFFNESS = {"hip_abduction": 4.0, "shoulder_abduction": 2.0, "trunk_lateral_tilt": 4.0,
             "knee_drop": 4.0, "neck_lateral_tilt": 4.0}

_PRIOR_WEIGHT = 0.3   # null-space pull towards the starting posture, per iteration
_MAX_STEP_DEG = 15.0  # largest change of one joint in one iteration
_FD_DEG = 0.5         # finite-difference step


@dataclass(frozen=True)
class Target:
    """One criterion's target as ``pose.angles`` measures it (signs already resolved).

    ``low``/``high`` are the criterion's range; a one-sided range also has ``aim_low`` or
    ``aim_high``, its bound moved ``ONE_SIDED_INSET`` inside. A ``free`` target is only held
    inside [aim_low, aim_high], not at ``value`` (see ``target_pose``).
    """

    angle: str
    value: float
    low: float | None
    high: float | None
    unit: str
    aim_low: float | None = None
    aim_high: float | None = None
    free: bool = False

    @property
    def one_sided(self) -> bool:
        return self.aim_low is not None or self.aim_high is not None

    @property
    def inset_value(self) -> float:
        """The inset bound of a one-sided target (its ``value`` when two-sided)."""
        return next((v for v in (self.aim_low, self.aim_high) if v is not None), self.value)

    def reached(self, value: float) -> bool:
        tol = TOLERANCE[self.unit]
        if not math.isfinite(value):
            return False
        if self.free:
            return ((self.aim_low is None or value >= self.aim_low - tol)
                    and (self.aim_high is None or value <= self.aim_high + tol))
        return abs(value - self.value) <= tol


@dataclass(frozen=True)
class Figure:
    """A stretch's target pose on one side.

    Attributes:
        stretch: the catalogue stretch.
        side: "left", "right" or "both" (the side being stretched).
        pose, placement: the ``pose.body`` joint angles and trunk pitch that reach the targets.
        targets: what each criterion asks for.
        measured: ``{angle: value}`` measured back with ``pose.angles`` on the posed body.
        problems: one sentence per target missed by more than ``TOLERANCE`` or limit crossed;
            empty when the figure shows the stretch as defined.
    """

    stretch: Stretch
    side: str
    pose: body.Pose
    placement: body.Placement
    targets: tuple[Target, ...]
    measured: dict[str, float]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def view(self) -> body.View:
        """The ``pose.body`` camera view of the stretch: the working side for a side view."""
        if self.stretch.view == "front":
            return "front"
        return "side_right" if self.side == "right" else "side_left"


def _target_value(r: AngleRange, unit: str) -> float:
    if r.low is not None and r.high is not None:
        return (r.low + r.high) / 2.0
    inset = ONE_SIDED_INSET[unit]
    if r.low is not None:
        return r.low + inset
    if r.high is not None:
        return r.high - inset
    raise ValueError(f"{r.angle}: a range needs min, max or both")


def targets(stretch: Stretch, side: str) -> tuple[Target, ...]:
    """The target of every criterion (and of the cycle) of ``stretch`` done on ``side``.

    For "both", a criterion with ``{side}`` has a target on each side. Values are as
    ``pose.angles`` reports them: a ``positive_side`` range read for the other side is mirrored.

    A one-sided range says "at least" or "at most": its target is ``ONE_SIDED_INSET`` inside
    the bound, and it starts ``free``: the figure only has to be at least that far inside,
    and is pinned at the inset bound when it is not (see ``target_pose``).
    """
    ranges: list[AngleRange] = list(stretch.criteria)
    if stretch.cycle is not None and all(c.angle != stretch.cycle.angle for c in ranges):
        ranges.append(AngleRange(stretch.cycle.angle, stretch.cycle.low, stretch.cycle.high))
    out: dict[str, Target] = {}
    for r in ranges:
        sides = SIDES if side == "both" and "{side}" in r.angle else (side,)
        for s in sides:
            name = resolve(r.angle, s)
            unit = UNITS[name]
            value = r.reading(_target_value(r, unit), s)  # reading() is its own inverse
            low, high = r.low, r.high
            inset = ONE_SIDED_INSET[unit]
            aim_low = low + inset if low is not None and high is None else None
            aim_high = high - inset if high is not None and low is None else None
            if r.positive_side not in (None, s):  # read mirrored for this side
                low, high = (None if high is None else -high), (None if low is None else -low)
                aim_low, aim_high = (None if aim_high is None else -aim_high,
                                     None if aim_low is None else -aim_low)
            out[name] = Target(name, value, low, high, unit, aim_low, aim_high,
                               free=aim_low is not None or aim_high is not None)
    return tuple(out.values())


# --------------------------------------------------------------------------------------------
# Solving for the pose
# --------------------------------------------------------------------------------------------

def _variables(fields_used: set[str]) -> list[str]:
    names = [f for f in body.POSE_FIELDS if not f.startswith("shoulder_horizontal_adduction")]
    names += sorted(f for f in fields_used if f.startswith("shoulder_horizontal_adduction"))
    return names + ["pitch"]


def _bound(name: str) -> tuple[float, float]:
    base = name.removesuffix("_left").removesuffix("_right")
    return BOUNDS[base]


def _start(stretch: Stretch, wanted: Sequence[Target]) -> tuple[dict[str, float], set[str]]:
    """Starting joint angles: the stretch's position, moved to where every target is defined."""
    pose, place = body.POSTURES[START[stretch.position]]
    x = {f: float(getattr(pose, f)) for f in body.POSE_FIELDS}
    x["pitch"] = float(place.pitch)
    used = set()
    names = {t.angle for t in wanted}
    for side in SIDES:
        if f"shoulder_horizontal_adduction_{side}" in names:
            # The transverse angle only exists with the arm raised off the trunk.
            used.add(f"shoulder_horizontal_adduction_{side}")
            x[f"shoulder_horizontal_adduction_{side}"] = 0.0
            x[f"shoulder_flexion_{side}"] = 90.0
    if "knee_drop" in names:
        for side in SIDES:  # the drop is only defined with the hips bent
            x[f"hip_flexion_{side}"] = max(x[f"hip_flexion_{side}"], 60.0)
    return x, used


def _measure(xs: np.ndarray, variables: Sequence[str], fixed: Mapping[str, float],
             names: Sequence[str]) -> np.ndarray:
    """(K, len(names)) angles measured by ``pose.angles`` on K bodies, one per row of ``xs``."""
    columns = dict(zip(variables, xs.T, strict=True))
    fields = {f: columns.get(f, fixed.get(f, math.nan)) for f in body.POSE_FIELDS}
    image, world, vis = body.sequence(body.Pose(**fields), np.arange(len(xs), dtype=float),
                                      body.Placement(columns["pitch"]))
    angles = joint_angles(world=world)
    return np.stack([angles[n] for n in names], axis=1) if names else np.zeros((len(xs), 0))


def _residual(measured: np.ndarray, goal: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    diff = measured - goal
    return np.where(degrees, (diff + 180.0) % 360.0 - 180.0, diff)


def _descend(x0: np.ndarray, lo: np.ndarray, hi: np.ndarray, variables: Sequence[str],
             fixed: Mapping[str, float], wanted: Sequence[Target], keep: Mapping[str, float],
             iterations: int) -> tuple[np.ndarray, float, float]:
    """Joint angles from ``x0`` that reach ``wanted``; the worst miss left (NaN: unmeasurable)
    and the worst miss of the ``keep`` angles.

    Each step is the least-norm change towards the targets (finite-difference Jacobian, one
    vectorised batch of bodies). The freedom it leaves (the Jacobian's null space) is spent,
    in this order, on holding the ``keep`` angles (legs that bear the weight stay plumb) and on
    pulling every other joint back towards ``x0``.
    """
    names = [t.angle for t in wanted]
    goal = np.array([t.value for t in wanted])
    degrees = np.array([t.unit == "deg" for t in wanted])
    scale = np.where(degrees, 1.0, 100.0)  # 0.01 torso lengths weigh like 1 degree
    stiff = np.array([1.0 if v in names else
                      STIFFNESS.get(v.removesuffix("_left").removesuffix("_right"), 1.0)
                      for v in variables])
    held = list(keep)
    held_goal = np.array([keep[n] for n in held])
    eye = np.eye(len(x0))
    x = x0.copy()
    worst = math.nan
    for _ in range(iterations):
        probes = np.vstack([x, x + _FD_DEG * eye])
        m = _measure(probes, variables, fixed, names + held)
        r = _residual(m[0], np.r_[goal, held_goal], np.r_[degrees, np.ones(len(held), bool)])
        r[:len(names)] *= scale
        known = np.isfinite(r)
        worst = (float(np.abs(r[:len(names)]).max(initial=0.0)) if known[:len(names)].all()
                 else math.nan)
        kept = float(np.abs(np.nan_to_num(r[len(names):], nan=180.0)).max(initial=0.0))
        jac = (m[1:] - m[0]).T / _FD_DEG
        jac[:len(names)] *= scale[:, None]
        jac = np.where(np.isfinite(jac) & known[:, None], jac, 0.0)
        r = np.where(known, r, 0.0)
        j1, r1, j2, r2 = jac[:len(names)], r[:len(names)], jac[len(names):], r[len(names):]
        # Least-norm in joints scaled by their stiffness: a stiff joint moves only when the
        # supple ones cannot reach a target.
        p1 = np.linalg.pinv(j1 / stiff, rcond=1e-3) / stiff[:, None]
        step = -p1 @ r1
        null = eye - p1 @ j1
        if held:
            j2n = j2 @ null
            p2 = np.linalg.pinv(j2n, rcond=1e-3)
            step += null @ p2 @ (-r2 - j2 @ step)
            null = null @ (eye - p2 @ j2n)
        step += _PRIOR_WEIGHT * null @ (x0 - x)
        x = np.clip(x + np.clip(step, -_MAX_STEP_DEG, _MAX_STEP_DEG), lo, hi)
        if worst < 0.05 and np.abs(step).max() < 0.2:
            break
    return x, worst, kept


def _kept(stretch: Stretch, wanted: Sequence[Target]) -> dict[str, float]:
    """Angles held where the starting posture has them unless a target moves them: the thighs
    of a standing or kneeling body, which carry its weight."""
    if stretch.position not in ("standing", "kneeling"):
        return {}
    names = {t.angle for t in wanted}
    thigh = ("hip_flexion", "hip_abduction", "thigh_inclination", "trunk_thigh", "knee_to_chest")
    return {f"thigh_inclination_{s}": 0.0 for s in SIDES
            if not any(f"{a}_{s}" in names for a in thigh)}


def solve(stretch: Stretch, side: str, wanted: Sequence[Target], iterations: int = 120
          ) -> tuple[body.Pose, body.Placement]:
    """The body nearest the stretch's position whose measured angles hit ``wanted``.

    Besides the position itself, the search also starts from it hinged at the hips to each
    trunk inclination a target asks for (the legs kept where they were): a fold is easier to
    reach bent at the hips than through a thigh swung past plumb, where the inclination has a
    kink. The best start wins: the smallest worst miss, then the plumbest weight-bearing legs,
    then the least change of posture.
    """
    start, used = _start(stretch, wanted)
    variables = _variables(used)
    fixed = {f: v for f, v in start.items() if f not in variables}
    lo, hi = np.array([_bound(v) for v in variables]).T
    x0 = np.array([start[v] for v in variables])
    starts = [x0]
    keep = _kept(stretch, wanted)
    hips = [i for i, v in enumerate(variables) if v.startswith("hip_flexion")]
    pitch = variables.index("pitch")
    for t in wanted:
        if t.angle == "trunk_inclination":
            for d in (t.value - abs(start["pitch"]), -t.value - start["pitch"]):
                hinged = x0.copy()
                hinged[pitch] += d
                hinged[hips] += d
                starts.append(np.clip(hinged, lo, hi))
    best: tuple[float, float, float, np.ndarray] | None = None
    for x_start in starts:
        x, worst, kept = _descend(x_start, lo, hi, variables, fixed, wanted, keep, iterations)
        rank = (round(worst, 1) if math.isfinite(worst) else math.inf, round(kept),
                float(np.abs(x - x_start).sum()))
        if best is None or rank < best[:3]:
            best = (*rank, x)
    assert best is not None  # starts holds x0 at least
    values = dict(zip(variables, best[3], strict=True))
    fields = {f: float(values.get(f, fixed.get(f, math.nan))) for f in body.POSE_FIELDS}
    return body.Pose(**fields), body.Placement(float(values["pitch"]))


def measure(pose: body.Pose, placement: body.Placement) -> dict[str, float]:
    """Every named angle of a posed body, as ``pose.angles`` measures it."""
    _, world, _ = body.landmarks(pose, placement)
    return {name: float(v[0]) for name, v in joint_angles(world=world).items()}


def _limit_problems(stretch: Stretch, side: str, measured: Mapping[str, float]) -> list[str]:
    out = []
    for limit in stretch.limits:
        sides = SIDES if side == "both" and "{side}" in limit.angle else (side,)
        for s in sides:
            name = resolve(limit.angle, s)
            v = limit.reading(measured.get(name, math.nan), s)
            if limit.high is not None and v > limit.high or limit.low is not None and v < limit.low:
                out.append(f"{name} at its target pose is {v:.0f}, past the safe limit "
                           f"{limit.low if limit.low is not None else limit.high:g}")
    return out


@cache
def target_pose(stretch: Stretch, side: str | None = None) -> Figure:
    """The figure of ``stretch`` at its targets; ``side`` defaults to "left" (or "both").

    Raises ValueError for a side the stretch is not done on.
    """
    side = side or ("both" if stretch.sides == "both" else "left")
    allowed = ("both",) if stretch.sides == "both" else SIDES
    if side not in allowed:
        raise ValueError(f"{stretch.id} is done on {' or '.join(allowed)}, not {side!r}")
    wanted = list(targets(stretch, side))
    while True:
        pose, placement = solve(stretch, side, [t for t in wanted if not t.free])
        measured = measure(pose, placement)
        missed = [not t.reached(measured.get(t.angle, math.nan)) for t in wanted]
        # A free (one-sided) target left short of its inset bound is pinned at that bound.
        # Free targets let the figure rest as its position does wherever the stretch allows
        # it: "chest up at least 45 deg" lying on the back is lying flat (90), not rolled onto
        # one side at 55; "the other hip bent at most 70 deg" leaves the other leg down.
        relaxed = [replace(t, free=False) if miss and t.free else t
                   for t, miss in zip(wanted, missed, strict=True)]
        if relaxed == wanted:
            break
        wanted = relaxed
    problems = []
    for t, miss in zip(wanted, missed, strict=True):
        if miss:
            v = measured.get(t.angle, math.nan)
            got = "cannot be measured" if not math.isfinite(v) else f"reaches {v:.0f}"
            problems.append(f"{t.angle}: no body reaches the target {t.value:g} "
                            f"together with the other targets ({got})")
    problems += _limit_problems(stretch, side, measured)
    return Figure(stretch, side, pose, placement, tuple(wanted), measured, tuple(problems))


def drawing_problems(stretches: Mapping[str, Stretch]) -> list[str]:
    """One line per stretch whose target pose cannot be drawn: ``"<id> (<side>): <why>"``."""
    out = []
    for sid, stretch in stretches.items():
        sides = ("both",) if stretch.sides == "both" else SIDES
        for side in sides:
            for problem in target_pose(stretch, side).problems:
                out.append(f"stretch {sid} ({side}): {problem}")
    return out

