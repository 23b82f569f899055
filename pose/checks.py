"""Per-frame position checks: each criterion met or not, which side, over-range, one cue.

Pure functions of one frame's angles and visibility: no state, no I/O. Timing (holds,
bouncing) lives in ``pose.coach`` on top of these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pose import landmarks as lm
from pose.angles import REQUIRED_LANDMARKS, SIDE_TILTS
from pose.stretches import SIDES, Criterion, Limit, Stretch, resolve

#: Form status of a frame, from best to worst for the overlay and the cue.
IN_FORM, NEARLY, OUT_OF_FORM, OVER_RANGE, UNKNOWN = (
    "in_form", "nearly", "out_of_form", "over_range", "unknown")


FACE_THE_CAMERA = "Turn to face the camera: I can't judge a tilt to the side from here"
VIEW_PART = "side tilt (seen side-on)"
"""The 'part' of a criterion that is in view but cannot be judged from this view."""


@dataclass(frozen=True)
class CriterionResult:
    angle: str
    value: float
    state: str
    """"met", "low", "high" or "unknown"."""
    miss_deg: float
    """How far outside the range (0 when met or unknown)."""
    cue: str
    part: str = ""
    """When unknown: the body part out of view ("left knee")."""


@dataclass(frozen=True)
class OverRange:
    angle: str
    value: float
    limit: float
    cue: str


@dataclass(frozen=True)
class Position:
    """The verdict on one frame for one stretch."""

    side: str | None
    status: str
    criteria: tuple[CriterionResult, ...]
    over_range: tuple[OverRange, ...]
    cue: str

    @property
    def met(self) -> int:
        return sum(c.state == "met" for c in self.criteria)

    @property
    def unseen(self) -> tuple[str, ...]:
        """Body parts that keep criteria unknown in this frame."""
        return tuple(dict.fromkeys(c.part for c in self.criteria if c.state == "unknown"))


def blocked_by_view(stretch: Stretch, pos: Position) -> bool:
    """Everything judged is met, some of it a required criterion, and what is unknown is
    unknown only because of the camera view (in sight, but not measurable from here): the
    stretch may well be done, but this view cannot tell."""
    if pos.status != UNKNOWN:
        return False
    pairs = list(zip(pos.criteria, stretch.criteria, strict=False))
    unknown = [c for c, _ in pairs if c.state == "unknown"]
    required_met = any(c.state == "met" and not spec.optional for c, spec in pairs)
    return required_met and bool(unknown) and all(c.part == VIEW_PART for c in unknown)


def covered(angle: str, visibility: Sequence[float] | np.ndarray | None) -> bool:
    """Whether every landmark group ``angle`` is measured on has a member the model placed
    inside the picture (visibility above 0; ``pose.estimator`` gives 0 outside it), seen or
    not: a part covered in the picture, not one out of it (``Criterion.when_covered``)."""
    if visibility is None:
        return False
    return all(any(visibility[i] > 0.0 for i in group) for group in REQUIRED_LANDMARKS[angle])


def skipped(spec: Criterion, angle: str,
            visibility: Sequence[float] | np.ndarray | None) -> bool:
    """Whether criterion ``spec``, unseen on ``angle``, is left out of the verdict: an
    optional one always, a ``when_covered`` one while its part is ``covered``."""
    return spec.optional or (spec.when_covered and covered(angle, visibility))


def unseen_part(angle: str, visibility: Sequence[float] | np.ndarray | None,
                min_visibility: float = 0.5) -> str:
    """The body part to bring into view for ``angle`` to be measured ("left knee")."""
    if visibility is None:
        return "body"
    for group in REQUIRED_LANDMARKS[angle]:
        if not any(visibility[i] >= min_visibility for i in group):
            return lm.PART.get(group[0], lm.NAMES[group[0]].replace("_", " "))
    return "body"


CLEAR_VISIBILITY = 0.7
"""Landmarks at least this visible are clearly seen. Bouncing is only looked for on clearly
seen joints: a joint the model is unsure of (0.5-0.7, a close-up cutting the legs) swings by
tens of degrees from frame to frame while the person holds still (R03 of the real clips)."""


def seen_clearly(angle: str, clear: Sequence[bool]) -> bool:
    """Whether every landmark group ``angle`` is measured on has a clearly seen member;
    ``clear`` is the 33 flags ``visibility >= CLEAR_VISIBILITY`` (a list: this runs per
    frame and per watched angle)."""
    return all(any(clear[i] for i in group) for group in REQUIRED_LANDMARKS[angle])


_Plan = tuple[tuple[str, bool, str, str], ...]
_PLANS: dict[tuple[int, str], tuple[Criterion, _Plan]] = {}


def criterion_plan(c: Criterion, side: str) -> _Plan:
    """What judging ``c`` on ``side`` needs that does not change from frame to frame: per side
    judged, the angle's name, whether its reading is mirrored (``Criterion.mirrored``) and the
    cues for too low and too high. Kept per criterion object (checked by identity)."""
    key = (id(c), side)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is c:
        return hit[1]
    sides = SIDES if (side == "both" and "{side}" in c.angle) else (side,)
    plan = tuple((c.resolve(s), c.mirrored(s), resolve(c.low_cue, s),
                  resolve(c.high_cue, s)) for s in sides)
    if len(_PLANS) > 4096:  # catalogues loaded again and again: keep no stale criteria alive
        _PLANS.clear()
    _PLANS[key] = (c, plan)
    return plan


def _judge(c: Criterion, side: str, angles: Mapping[str, float],
           visibility: Sequence[float] | np.ndarray | None) -> CriterionResult:
    results = []
    low, high = c.low, c.high
    for name, mirrored, low_cue, high_cue in criterion_plan(c, side):
        v = angles.get(name, math.nan)
        if mirrored:
            v = -v
        if not math.isfinite(v):
            part = unseen_part(name, visibility)
            cue = f"I can't see your {part}: bring it into view"
            if part == "body" and name in SIDE_TILTS:  # in view, but side-on (pose.view)
                part, cue = VIEW_PART, FACE_THE_CAMERA
            results.append(CriterionResult(name, math.nan, "unknown", 0.0, cue, part))
        elif low is not None and v < low:
            results.append(CriterionResult(name, v, "low", low - v, low_cue))
        elif high is not None and v > high:
            results.append(CriterionResult(name, v, "high", v - high, high_cue))
        else:
            results.append(CriterionResult(name, v, "met", 0.0, ""))
    if len(results) == 1:
        return results[0]
    # Both sides at once: judge on the sides that can be seen (a side view hides one).
    known = [r for r in results if r.state != "unknown"]
    if not known:
        return results[0]
    return max(known, key=lambda r: r.miss_deg)


def _over_range(limits: Sequence[Limit], side: str,
                angles: Mapping[str, float]) -> tuple[OverRange, ...]:
    out = []
    for limit in limits:
        sides = SIDES if (side == "both" and "{side}" in limit.angle) else (side,)
        for s in sides:
            name = resolve(limit.angle, s)
            v = limit.reading(angles.get(name, math.nan), s)
            if not math.isfinite(v):
                continue
            if limit.high is not None and v > limit.high:
                out.append(OverRange(name, v, limit.high, resolve(limit.cue, s)))
            elif limit.low is not None and v < limit.low:
                out.append(OverRange(name, v, limit.low, resolve(limit.cue, s)))
    return tuple(out)


def over_range(stretch: Stretch, side: str, angles: Mapping[str, float],
               extra_limits: Sequence[Limit] = ()) -> tuple[OverRange, ...]:
    """The safe limits of ``stretch`` (and ``extra_limits``) passed in one frame done on
    ``side``: ``evaluate``'s ``Position.over_range``, without judging the criteria."""
    return _over_range(tuple(stretch.limits) + tuple(extra_limits), side, angles)


def _in_stretch(failing: Sequence[tuple[CriterionResult, Criterion]], past: set[str]) -> bool:
    return all(c.miss_deg <= spec.nearly_deg for c, spec in failing if c.angle not in past)


def evaluate(stretch: Stretch, side: str, angles: Mapping[str, float],
             visibility: np.ndarray | None = None,
             extra_limits: Sequence[Limit] = ()) -> Position:
    """Judge one frame of ``stretch`` done on ``side`` ("left", "right" or "both")."""
    # The visibilities as Python floats: read one by one when a criterion is unknown.
    vis = visibility.tolist() if isinstance(visibility, np.ndarray) else visibility
    criteria = tuple(_judge(c, side, angles, vis) for c in stretch.criteria)
    over = over_range(stretch, side, angles, extra_limits)
    failing: list[tuple[CriterionResult, Criterion]] = []
    unknown: list[CriterionResult] = []
    for c, spec in zip(criteria, stretch.criteria, strict=True):
        if c.state == "low" or c.state == "high":
            failing.append((c, spec))
        elif c.state == "unknown" and not skipped(spec, c.angle, vis):
            unknown.append(c)
    # Over-range means "in this stretch, too far": the criteria on the angles past their limit
    # fail of course, but every other criterion must be (nearly) met.
    if over and _in_stretch(failing, {o.angle for o in over}):
        status, cue = OVER_RANGE, over[0].cue
    elif failing:
        worst = max(failing, key=lambda f: f[0].miss_deg)[0]
        close = all(c.miss_deg <= spec.nearly_deg for c, spec in failing)
        status = NEARLY if close and not unknown else OUT_OF_FORM
        cue = worst.cue
    elif unknown:
        status, cue = UNKNOWN, unknown[0].cue
    else:
        status, cue = IN_FORM, "Good - hold it there and breathe slowly"
    return Position(side, status, criteria, over, cue)


def side_candidates(stretch: Stretch, angles: Mapping[str, float],
                    visibility: np.ndarray | None = None) -> tuple[str, ...]:
    """The sides this frame may show being stretched, most likely first.

    "both" for stretches done on both sides at once. Otherwise the side rule decides; when it
    cannot (its angle hidden, or too close to neutral to say), both sides are candidates and the
    caller keeps whichever fits the position better.

    With ``visibility``, a limb seen only dimly (0.5 to ``CLEAR_VISIBILITY``: the far limb of
    a side view, placed by the model behind the near one) does not win the comparison against
    a clearly seen one: "whichever angle is larger" means nothing when one of the two is a
    guess. The clearly seen limb is taken if it passes the rule's threshold; otherwise both
    sides stay candidates.
    """
    if stretch.sides == "both":
        return ("both",)
    rule = stretch.side_by
    if rule is None:
        return SIDES
    if rule.positive is not None:
        v = angles.get(rule.angle, math.nan)
        if math.isfinite(v) and abs(v) >= max(rule.threshold or 0.0, 1e-9):
            other = "left" if rule.positive == "right" else "right"
            return (rule.positive,) if v > 0 else (other,)
        return SIDES
    values = {s: angles.get(resolve(rule.angle, s), math.nan) for s in SIDES}
    sign = 1.0 if rule.pick == "max" else -1.0
    known = {s: sign * v for s, v in values.items() if math.isfinite(v)}
    if visibility is not None and len(known) == 2:
        clear = (np.asarray(visibility) >= CLEAR_VISIBILITY).tolist()
        clearly = [s for s in known if seen_clearly(resolve(rule.angle, s), clear)]
        if len(clearly) == 1:
            known = {clearly[0]: known[clearly[0]]}
    if not known:
        return SIDES
    best = max(known, key=known.__getitem__)
    if rule.threshold is not None and known[best] < sign * rule.threshold:
        return SIDES  # no side is doing it yet: let the position checks decide
    return (best,)


_RANK = {IN_FORM: 0, OVER_RANGE: 1, NEARLY: 2, UNKNOWN: 3, OUT_OF_FORM: 4}
"""Statuses from best to worst, for choosing between the sides a frame may show."""


def judge_frame(stretch: Stretch, angles: Mapping[str, float],
                visibility: np.ndarray | None = None, side: str | None = None,
                extra_limits: Sequence[Limit] = ()) -> Position:
    """Judge a frame, finding the side unless ``side`` is given.

    With a side given (a routine says which side is next) and the other side in form instead,
    the cue says to switch.
    """
    if side is not None:
        pos = evaluate(stretch, side, angles, visibility, extra_limits)
        if pos.status != IN_FORM and side in SIDES:
            other = "right" if side == "left" else "left"
            alt = evaluate(stretch, other, angles, visibility, extra_limits)
            if alt.status == IN_FORM:
                return Position(side, OUT_OF_FORM, pos.criteria, pos.over_range,
                                f"That is your {other} side: now stretch your {side} side")
        return pos
    # With the side undecided, a side that cannot be seen may well be the one being stretched:
    # saying so ("I can't see your left knee") beats coaching the other side on a guess.
    candidates = side_candidates(stretch, angles, visibility)
    results = [evaluate(stretch, s, angles, visibility, extra_limits) for s in candidates]
    return min(results, key=lambda p: (_RANK[p.status], -p.met))


def camera_view(image_px: np.ndarray, visibility: np.ndarray,
                min_visibility: float = 0.5) -> str | None:
    """Which way the person faces the camera: "front" (or back), "side", or None if unsure.

    Judged from the image: shoulders far apart compared with the trunk's length mean the camera
    sees the chest or back; shoulders nearly on top of each other mean a side view.
    """
    need = (lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER, lm.LEFT_HIP, lm.RIGHT_HIP)
    if not all(visibility[i] >= min_visibility for i in need[:2]):
        return None
    shoulders = np.linalg.norm(image_px[lm.LEFT_SHOULDER] - image_px[lm.RIGHT_SHOULDER])
    trunk = np.linalg.norm(image_px[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].mean(axis=0)
                           - image_px[[lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=0))
    if trunk < 1e-6:
        return None
    ratio = shoulders / trunk
    if ratio >= 0.45:
        return "front"
    if ratio <= 0.25:
        return "side"
    return None


MIN_SPAN = 0.2
"""The least share of the picture (``PoseFrame.span``) a person must span to be checked. The
user, 2-3 m from a laptop, spans 0.4-0.8 of it standing or lying (the nine real clips: 0.34 at
their smallest, a seated fold filmed wide); a fifth is a body some 8 m away, whose landmarks the
model reads from a few dozen pixels: a passer-by in the background (samples/A07's walkers span
0.13-0.21; their walking was read as fast, jerky movement twice, and the live page coached
one of them when no one else was in view)."""

TOO_FAR = "You are far from the camera: come closer so I can see you well"
NOBODY = "I can't see anyone - step into view"
TOO_DARK = "It is too dark for me to see you: turn on a light"


def too_far(span: float) -> bool:
    """Whether a person spanning ``span`` of the picture (``PoseFrame.span``) is too far away
    to be checked (``MIN_SPAN``). NaN, too little seen to size them, is not: the parts not
    seen are named instead."""
    return span < MIN_SPAN


def camera_check(stretch: Stretch, side: str, image_px: np.ndarray | None,
                 visibility: np.ndarray | None, people: int = 1,
                 span: float = 1.0, dark: bool = False) -> list[str]:
    """What stops the camera from seeing ``stretch`` on ``side``; empty when all is well.
    ``span``: the share of the picture the person spans (``PoseFrame.span``; NaN: too little
    seen to size them, and the parts not seen are named instead). ``dark``: the picture is
    too dark to find anyone in (``pose.live.DARK_LUMA``), said instead of "step into view" to
    a person who is in view."""
    if image_px is None or visibility is None or people == 0:
        return [TOO_DARK if dark else NOBODY]
    if too_far(span):
        return [TOO_FAR]
    problems = []
    if people > 1:
        problems.append("More than one person in view: I can coach one person at a time")
    missing: list[str] = []
    for c in stretch.criteria:
        # Both-sides-at-once criteria are judged on the sides in view: one is enough.
        sides = SIDES if (side == "both" and "{side}" in c.angle) else (side,)
        if any(skipped(c, c.resolve(s), visibility) for s in sides):
            continue  # skipped by the checks while unseen: no reason to move for it
        parts = [unseen_part(c.resolve(s), visibility) for s in sides]
        if all(p != "body" for p in parts) and parts[0] not in missing:
            missing.append(parts[0])
    if missing:
        problems.append(f"I can't see your {', '.join(missing)}: move so the camera sees "
                        "the whole body this stretch needs")
    view = camera_view(image_px, visibility)
    if view is not None and view != stretch.view:
        problems.append("Turn side-on to the camera for this stretch" if stretch.view == "side"
                        else "Face the camera for this stretch")
    return problems


def joints_of(angle: str) -> tuple[int, ...]:
    """Landmarks an angle is measured on (for highlighting them in the overlay)."""
    return tuple(i for group in REQUIRED_LANDMARKS[angle] for i in group)
