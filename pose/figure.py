"""Every stretch's target pose, worked out from its catalogue definition.

A stretch is defined by ranges on named angles (``routines/catalogue.toml``). Its *target* on
each criterion is the middle of [min, max], or ``INSET`` inside the bound of a one-sided
range (at least that far inside: see ``targets``); the cycle of a cycling stretch (cat-cow)
is posed at the middle of its cycle. Coming down onto the floor, the figure may then move
anywhere ``INSET`` inside each range.
``target_pose`` finds the body (``pose.body``) that ``pose.angles`` measures at those targets:
it starts from the stretch's position (lying, kneeling, ...) and moves the joints by
least-norm Gauss-Newton steps on the measured angles. The freedom the targets leave (the
steps' null space) first rests the parts the stretch puts on the floor (``rests_on``) on one
level, then pulls the joints no criterion names back towards that starting posture: a bridge
stands on its feet, a lunge on its back knee and front foot, cat-cow on hands and knees.
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
from typing import NamedTuple

import numpy as np

from pose import body
from pose import landmarks as lm
from pose.angles import UNITS, joint_angles
from pose.stretches import HOLDING_BOTH, RESTING_BOTH, SIDES, AngleRange, Stretch, resolve

INSET = {"deg": 10.0, "torso": 0.1}
"""How far inside a range's bounds a figure stays, by unit (issue 12): a one-sided range's
target sits that far inside its bound."""

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

#: The landmarks of each resting part (``pose.stretches.RESTING_PARTS``). A stick figure has
#: no flesh: its joints rest on the floor line itself. Its feet stay square to its shins, so
#: kneeling shins rest on tucked toes, and a foot flat on the floor tips its shin 2-3 deg
#: (its toes sit 2 cm below its heel).
_PART_LANDMARKS = {"hand": ("index",), "knee": ("knee",), "toes": ("foot_index",),
                   "heel": ("heel",), "foot": ("heel", "foot_index"), "hip": ("hip",),
                   "shoulder": ("shoulder",)}

#: The landmarks whose mean is each holding part's point (``pose.stretches.HOLDING_PARTS``).
_HOLD_POINTS = {"hand": ("wrist", "index"), "knee": ("knee",), "ankle": ("ankle",),
                "elbow": ("elbow",), "thigh": ("hip", "knee"), "shin": ("knee", "ankle"),
                "foot": ("heel", "foot_index"), "shoulder": ("shoulder",)}

HEAD_RADIUS_M = 0.6 * body.Dimensions().head_width
"""The head drawn round the mid-ear point (``pose.picture``); a head on the floor rests on it."""

_CONTACT_SCALE = 100.0  # 1 cm off the floor weighs like 1 degree off a target
#: How reluctantly each joint moves to rest the body on the floor in a side view, over
#: ``STIFFNESS``: a body comes down by tipping as a whole first, the head kept in line, and
#: never by splaying or twisting, which the picture would not show.
_RESTING_STIFFNESS = {"pitch": 0.5, "neck_flexion": 4.0, "hip_abduction": 1e3, "knee_drop": 1e3,
                      "trunk_lateral_tilt": 1e3, "neck_lateral_tilt": 1e3,
                      "shoulder_abduction": 1e3, "shoulder_horizontal_adduction": 1e3}
_PLUMB_SLACK_DEG = 2.0  # how far resting may tip a weight-bearing leg off plumb
_PRIOR_WEIGHT = 0.3   # null-space pull towards the starting posture, per iteration
_MAX_STEP_DEG = 15.0  # largest change of one joint in one iteration
_FD_DEG = 0.5         # finite-difference step


@dataclass(frozen=True)
class Target:
    """One criterion's target as ``pose.angles`` measures it (signs already resolved).

    ``low``/``high`` are the criterion's range; a one-sided range also has ``aim_low`` or
    ``aim_high``, its bound moved ``INSET`` inside. A ``free`` target is only held inside
    [aim_low, aim_high], not at ``value`` (see ``target_pose``). A target is ``reached``
    anywhere ``INSET`` inside its range (at its middle if the range is narrower).
    """

    angle: str
    value: float
    low: float | None
    high: float | None
    unit: str
    aim_low: float | None = None
    aim_high: float | None = None
    free: bool = False

    def reached(self, value: float) -> bool:
        tol = TOLERANCE[self.unit]
        if not math.isfinite(value):
            return False
        low, high = _band(self, loose=True)
        return low - tol <= value <= high + tol


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


def _target_value(r: AngleRange, unit: str,
                  joint: tuple[float, float] | None = None) -> float:
    if r.low is not None and r.high is not None:
        return (r.low + r.high) / 2.0
    if joint is not None and r.low is not None:  # "at least": the joint's reach closes it
        return (r.low + joint[1]) / 2.0
    inset = INSET[unit]
    if r.low is not None:
        return r.low + inset
    if r.high is not None:
        return r.high - inset
    raise ValueError(f"{r.angle}: a range needs min, max or both")


def targets(stretch: Stretch, side: str) -> tuple[Target, ...]:
    """The target of every criterion (and of the cycle) of ``stretch`` done on ``side``.

    For "both", a criterion with ``{side}`` has a target on each side. Values are as
    ``pose.angles`` reports them: a ``positive_side`` range read for the other side is mirrored.

    A one-sided range says "at least" or "at most": its target is ``INSET`` inside the
    bound, the small range a person starts with, and it starts ``free``: the figure only has
    to be at least that far inside, and is pinned at the inset bound when it is not (see
    ``target_pose``). An arm raised "at least" so far with no safe limit on it (``RAISED``)
    is where the arm is placed, not how deep the stretch goes: the shoulder's own reach
    (``BOUNDS``) closes its range and the target is the middle, 160 deg for the side bend's
    "at least 120", not 130, which with the lean pointed the arm away from it. (Tried on every
    joint: the lying twist's bent knees sank 13 cm through the floor and the quad's standing
    leg tipped, so only the raised arm.)
    """
    limited = {lim.angle for lim in stretch.limits}
    ranges: list[AngleRange] = list(stretch.criteria)
    if stretch.cycle is not None and all(c.angle != stretch.cycle.angle for c in ranges):
        ranges.append(AngleRange(stretch.cycle.angle, stretch.cycle.low, stretch.cycle.high))
    out: dict[str, Target] = {}
    for r in ranges:
        sides = SIDES if side == "both" and "{side}" in r.angle else (side,)
        for s in sides:
            name = resolve(r.angle, s)
            unit = UNITS[name]
            joint = (BOUNDS[_base(name)] if _base(name) in RAISED and r.high is None
                     and r.angle not in limited else None)
            value = r.reading(_target_value(r, unit, joint), s)  # reading() is its own inverse
            low, high = r.low, r.high
            inset = INSET[unit]
            one_sided = joint is None and (low is None) != (high is None)
            aim_low = low + inset if one_sided and low is not None else None
            aim_high = high - inset if one_sided and high is not None else None
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


#: The arm's elevations: "at least" so far is how the arm is placed (see ``targets``).
RAISED = ("shoulder_flexion", "shoulder_abduction")


def _base(name: str) -> str:
    """An angle's name without its side: ``knee_flexion_left`` -> ``knee_flexion``."""
    return name.removesuffix("_left").removesuffix("_right")


def _bound(name: str) -> tuple[float, float]:
    return BOUNDS[_base(name)]


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


def _part_sides(word: str, side: str, both: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """A part word's part and the sides it names in the picture on ``side``: a plural in
    ``both`` ("hands") both sides, "<part>_{side}" / "<part>_{other}" one, and every part of a
    stretch done on both sides both."""
    part, _, template = word.partition("_")
    if word in both or side == "both":
        return both.get(word, part), SIDES
    return part, (resolve(template, side),)


def floor_contacts(stretch: Stretch, side: str) -> tuple[np.ndarray, np.ndarray]:
    """What rests on the floor in the picture of ``stretch`` on ``side``: (M,) landmark indices
    and (M,) metres each sits above the floor when it rests there (the head's radius for the
    ears, else 0)."""
    index: list[int] = []
    lift: list[float] = []
    for word in stretch.rests_on:
        if word == "head":
            names, above = ["left_ear", "right_ear"], HEAD_RADIUS_M
        else:
            part, sides = _part_sides(word, side, RESTING_BOTH)
            names, above = [f"{s}_{p}" for s in sides for p in _PART_LANDMARKS[part]], 0.0
        index += [lm.INDEX[n] for n in names]
        lift += [above] * len(names)
    return np.array(index, int), np.array(lift)


def _points(word: str, side: str) -> np.ndarray:
    """(S, 33) weights averaging a holding part's landmarks, one row per side it names."""
    part, sides = _part_sides(word, side, HOLDING_BOTH)
    rows = np.zeros((len(sides), lm.N_LANDMARKS))
    for row, s in zip(rows, sides, strict=True):
        points = [lm.INDEX[f"{s}_{p}"] for p in _HOLD_POINTS[part]]
        row[points] = 1.0 / len(points)
    return rows


def holds(stretch: Stretch, side: str) -> np.ndarray:
    """(K, 33) weights whose product with (33, 3) landmarks is each hold's gap (holder less
    held, metres) in the picture of ``stretch`` on ``side``. Both sides on both sides pair up
    ("feet on thighs"); one part of each side holds a one-sided part with both ("hands on
    knee_{side}")."""
    gaps = []
    for holder, held in stretch.holds:  # one side against both broadcasts
        gaps.append(_points(holder, side) - _points(held, side))
    return np.concatenate(gaps) if gaps else np.zeros((0, lm.N_LANDMARKS))


class Resting(NamedTuple):
    """How a figure rests: its floor contacts (``floor_contacts``) and holds (``holds``)."""

    contacts: np.ndarray
    lift: np.ndarray
    gaps: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.contacts) + 3 * len(self.gaps)


NOWHERE = Resting(np.zeros(0, int), np.zeros(0), np.zeros((0, lm.N_LANDMARKS)))


def resting(stretch: Stretch, side: str) -> Resting:
    """Everything ``stretch`` rests on and holds in its picture on ``side``."""
    return Resting(*floor_contacts(stretch, side), holds(stretch, side))


def _measure(xs: np.ndarray, variables: Sequence[str], fixed: Mapping[str, float],
             names: Sequence[str], rest: Resting = NOWHERE) -> np.ndarray:
    """(K, len(names) + M + 3G) angles measured by ``pose.angles`` on K bodies, one per row
    of ``xs``, then the heights (metres, down) of the M floor contacts of ``rest`` and the
    (x, y, z) gaps (metres) of its G holds."""
    columns = dict(zip(variables, xs.T, strict=True))
    fields = {f: columns.get(f, fixed.get(f, math.nan)) for f in body.POSE_FIELDS}
    image, world, vis = body.sequence(body.Pose(**fields), np.arange(len(xs), dtype=float),
                                      body.Placement(columns["pitch"]))
    angles = joint_angles(world=world)
    measured = [angles[n] for n in names]
    heights = world[:, rest.contacts, 1] + rest.lift
    gaps = np.einsum("gl,nlc->ngc", rest.gaps, world).reshape(len(xs), -1)
    return np.concatenate([np.stack(measured, axis=1) if measured else np.zeros((len(xs), 0)),
                           heights, gaps], axis=1)


def _rest_error(measured: np.ndarray, rest: Resting) -> float:
    """How far from resting a body is (cm): its floor contacts' spread in height, or its
    widest hold gap. ``measured``: the (M + 3G,) tail of a ``_measure`` row."""
    m = len(rest.contacts)
    spread = np.ptp(measured[:m]) if m else 0.0
    gap = np.linalg.norm(measured[m:].reshape(-1, 3), axis=1).max(initial=0.0)
    return 100.0 * float(max(spread, gap))


def _residual(measured: np.ndarray, goal: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    diff = measured - goal
    return np.where(degrees, (diff + 180.0) % 360.0 - 180.0, diff)


def _band(t: Target, loose: bool) -> tuple[float, float]:
    """Where ``t`` is met: at its value, or (``loose``) anywhere ``INSET`` inside its range."""
    if not loose:
        return t.value, t.value
    inset = INSET[t.unit]
    low = -math.inf if t.low is None else t.low + inset
    high = math.inf if t.high is None else t.high - inset
    return (low, high) if low < high else (t.value, t.value)


def _descend(x0: np.ndarray, lo: np.ndarray, hi: np.ndarray, variables: Sequence[str],
             fixed: Mapping[str, float], wanted: Sequence[Target], keep: Mapping[str, float],
             rest: Resting, side_view: bool, iterations: int
             ) -> tuple[np.ndarray, float, float]:
    """Joint angles from ``x0`` that reach ``wanted``; the worst miss left (NaN: unmeasurable)
    and the worst miss of the ``keep`` angles (``_rest_error`` says how well it rests).

    Each step is the least-norm change towards the targets (finite-difference Jacobian, one
    vectorised batch of bodies). The freedom it leaves (the Jacobian's null space) is spent,
    in this order, on resting the ``rest`` contacts on the floor and closing its holds, on
    holding the ``keep`` angles (legs that bear the weight stay plumb) and on pulling every
    other joint back towards ``x0``.
    """
    names = [t.angle for t in wanted]
    n, n_held, n_rest, n_floor = len(names), len(keep), rest.rows, len(rest.contacts)
    # With a floor to rest on, a target is met anywhere INSET inside its range: a child's pose
    # comes down onto the floor by sinking its hips deeper and its chest lower, cat-cow's trunk
    # tips as far as its arms are longer than its thighs.
    band_low, band_high = np.array([_band(t, loose=n_rest > 0) for t in wanted]
                                   ).reshape(-1, 2).T
    degrees = np.array([t.unit == "deg" for t in wanted])
    scale = np.where(degrees, 1.0, 100.0)  # 0.01 torso lengths weigh like 1 degree
    stiff = np.array([1.0 if v in names else STIFFNESS.get(_base(v), 1.0) for v in variables])
    reluctance = np.array([_RESTING_STIFFNESS.get(_base(v), s) if side_view else s
                           for v, s in zip(variables, stiff, strict=True)])
    held = list(keep)
    held_goal = np.array([keep[h] for h in held])
    eye = np.eye(len(x0))
    x = x0.copy()
    pinned = band_low == band_high
    edge = band_low.copy()
    worst = math.nan
    kept = 0.0
    for _ in range(iterations):
        probes = np.vstack([x, x + _FD_DEG * eye])
        m = _measure(probes, variables, fixed, names + held, rest)
        # Each contact's height over the lowest one, the floor: the body comes down onto its
        # lowest part, as a weight does, and never lifts that part to meet the others.
        heights = m[:, n + n_held:n + n_held + n_floor]
        if n_floor:
            heights -= heights[:, [heights[0].argmax()]]
        m[:, n + n_held:] *= _CONTACT_SCALE
        # A target once found outside its band is held at the bound it crossed from then on:
        # let go again, the pull back to the starting posture would swing it out again.
        outside = (m[0, :n] < band_low) | (m[0, :n] > band_high)
        pinned |= outside
        edge = np.where(outside, np.clip(m[0, :n], band_low, band_high), edge)
        goal = np.where(pinned, edge, m[0, :n])
        r = np.r_[_residual(m[0, :n + n_held], np.r_[goal, held_goal],
                            np.r_[degrees, np.ones(n_held, bool)]), m[0, n + n_held:]]
        r[:n] *= scale
        known = np.isfinite(r)
        worst = float(np.abs(r[:n]).max(initial=0.0)) if known[:n].all() else math.nan
        kept = float(np.abs(np.nan_to_num(r[n:n + n_held], nan=180.0)).max(initial=0.0))
        jac = (m[1:] - m[0]).T / _FD_DEG
        jac[:n] *= (scale * pinned)[:, None]  # a target inside its band leaves it free
        jac = np.where(np.isfinite(jac) & known[:, None], jac, 0.0)
        r = np.where(known, r, 0.0)
        # Least-norm in joints scaled by their stiffness: a stiff joint moves only when the
        # supple ones cannot reach a target.
        p1 = np.linalg.pinv(jac[:n] / stiff, rcond=1e-3) / stiff[:, None]
        step = -p1 @ r[:n]
        null = eye - p1 @ jac[:n]
        for rows, weight in ((slice(n + n_held, None), reluctance),
                             (slice(n, n + n_held), np.ones(len(x0)))):
            j2, r2 = jac[rows], r[rows]  # the floor first, then the plumb legs
            if not len(r2):
                continue
            j2n = j2 @ null
            p2 = np.linalg.pinv(j2n / weight, rcond=1e-3) / weight[:, None]
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


def _deepened(x: np.ndarray, variables: Sequence[str], wanted: Sequence[Target],
              lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``x`` with each joint a one-sided target names ("at least") moved halfway from that
    target's inset bound to the joint's own limit: a second place to come down to the floor
    from, since a fold held at its least (a child's pose kneeling up) cannot sink onto it."""
    deeper = x.copy()
    for t in wanted:
        if t.angle not in variables or (t.aim_low is None) == (t.aim_high is None):
            continue
        i = variables.index(t.angle)
        if t.aim_low is not None:
            deeper[i] = max(deeper[i], (t.aim_low + hi[i]) / 2.0)
        else:
            deeper[i] = min(deeper[i], (t.aim_high + lo[i]) / 2.0)
    return deeper


def solve(stretch: Stretch, side: str, wanted: Sequence[Target], iterations: int = 120
          ) -> tuple[body.Pose, body.Placement]:
    """The body nearest the stretch's position whose measured angles hit ``wanted`` (those
    not ``free``; the free ones only stay past their inset bounds while it comes down onto
    the floor, as the one-sided ones may go further past them).

    Besides the position itself, the search also starts from it hinged at the hips to each
    trunk inclination a target asks for (the legs kept where they were): a fold is easier to
    reach bent at the hips than through a thigh swung past plumb, where the inclination has a
    kink. The best start wins: the smallest worst miss, then the plumbest weight-bearing legs,
    then the least change of posture. From there, and from it folded deeper (``_deepened``),
    the body comes down onto the parts the stretch rests on (``floor_contacts``), if it can
    without missing a target; the best rested wins.
    """
    held, wanted = [t for t in wanted if not t.free], list(wanted)
    start, used = _start(stretch, held)
    rest = resting(stretch, side)
    variables = _variables(used)
    fixed = {f: v for f, v in start.items() if f not in variables}
    lo, hi = np.array([_bound(v) for v in variables]).T
    x0 = np.array([start[v] for v in variables])
    starts = [x0]
    keep = _kept(stretch, held)
    hips = [i for i, v in enumerate(variables) if v.startswith("hip_flexion")]
    pitch = variables.index("pitch")
    for t in held:
        if t.angle == "trunk_inclination":
            for d in (t.value - abs(start["pitch"]), -t.value - start["pitch"]):
                hinged = x0.copy()
                hinged[pitch] += d
                hinged[hips] += d
                starts.append(np.clip(hinged, lo, hi))
    side_view = stretch.view == "side"
    best: tuple[float, float, float, np.ndarray] | None = None
    for x_start in starts:
        x, worst, kept = _descend(x_start, lo, hi, variables, fixed, held, keep, NOWHERE,
                                     side_view, iterations)
        rank = (round(worst, 1) if math.isfinite(worst) else math.inf, round(kept),
                float(np.abs(x - x_start).sum()))
        if best is None or rank < best[:3]:
            best = (*rank, x)
    assert best is not None  # starts holds x0 at least
    # Then down onto the floor, from that pose and pulled back towards it, the targets held.
    # Kept only if it reaches them as well (a floor is worth no miss), the weight-bearing
    # legs stay as plumb (within _PLUMB_SLACK_DEG), and it rests better.
    x = best[3]
    if rest.rows:
        # Thighs a free target names are its to move (a child's pose folds them under).
        keep = _kept(stretch, wanted)
        held_there = _measure(x[None], variables, fixed, list(keep), rest)[0]
        plumb = float(np.abs(held_there[:len(keep)] - list(keep.values())).max(initial=0.0))
        spread = _rest_error(held_there[len(keep):], rest)
        for x_start in (x, _deepened(x, variables, wanted, lo, hi)):
            rested, worst, kept = _descend(x_start, lo, hi, variables, fixed, wanted, keep,
                                              rest, side_view, iterations)
            after = _rest_error(_measure(rested[None], variables, fixed, [], rest)[0], rest)
            if ((round(worst, 1) if math.isfinite(worst) else math.inf) <= best[0]
                    and kept <= plumb + _PLUMB_SLACK_DEG and after < spread - 0.5):
                # Half a centimetre better at least: a tie keeps the less folded body, so the
                # left and right figures stay mirror images.
                x, spread = rested, after
    values = dict(zip(variables, x, strict=True))
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


def target_pose(stretch: Stretch, side: str | None = None) -> Figure:
    """The figure of ``stretch`` at its targets; ``side`` defaults to "left" (or "both").
    Cached: worked out once per stretch and side however the side is given (a solve takes
    0.05-1 s, and a page asks for each stretch's figure more than once).

    Raises ValueError for a side the stretch is not done on.
    """
    side = side or ("both" if stretch.sides == "both" else "left")
    allowed = ("both",) if stretch.sides == "both" else SIDES
    if side not in allowed:
        raise ValueError(f"{stretch.id} is done on {' or '.join(allowed)}, not {side!r}")
    return _target_pose(stretch, side)


@cache
def _target_pose(stretch: Stretch, side: str) -> Figure:
    wanted = list(targets(stretch, side))
    while True:
        pose, placement = solve(stretch, side, wanted)
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

