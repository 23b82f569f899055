"""Personal range: start with the smallest comfortable arc and grow it gradually.

Each stretch has one *depth* angle: the one its safe limit is on (knee pulled closer, fold
deeper). A profile remembers the deepest comfortable value reached in past holds, as a *depth*
(degrees counted in the deepening direction, so larger is always deeper, also for stretches
that deepen towards negative angles such as the cobra's hip extension); the next session warns
past that depth plus a small progression, and never past the safe limit. A
"flexion-sensitive" profile starts forward bends small and grows them half as fast.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from pose.checks import joints_of
from pose.report import Report
from pose.stretches import SIDES, Catalogue, Limit, Stretch, resolve

PROGRESSION_DEG = 10.0
"""How much deeper than last time's comfortable value a session may go."""
SENSITIVE_START_DEG = 15.0
"""For flexion-sensitive profiles with no history: how far past the in-form threshold."""
MIN_COMFORTABLE_S = 10.0
"""Shortest hold whose depth counts as comfortable: a third of the usual 30 s target, long
enough to say the position was borne, not passed through (a 2 s hold in a 4 s session moved a
profile's range, and so its next limit, for good)."""
PAIN_AFTER_S = 2.0
"""A pain stop up to this long after a hold ended says that hold hurt: releasing, then
reaching for the key, takes a moment."""


def depth_limit(stretch: Stretch) -> Limit | None:
    """The safe limit that says which way is "deeper" for this stretch (None if it has none)."""
    return stretch.limits[0] if stretch.limits else None


def _deeper(limit: Limit) -> float:
    return 1.0 if limit.high is not None else -1.0


def comfortable_values(report: Report) -> list[tuple[str, str, float]]:
    """(stretch, angle, depth) of the deepest comfortable value reached during holds.

    "Deepest comfortable" is the 90th percentile of the depth angle (in its deepening direction)
    over the frames of the holds, so a single overshoot does not count as comfortable. Only
    holds of ``MIN_COMFORTABLE_S`` or more count, and none that a pain stop ended (during it or
    up to ``PAIN_AFTER_S`` after): a range that hurt is not comfortable.
    """
    angles = report.track.angles()
    t = report.track.t_s
    out = []
    for r in report.results:
        limit = depth_limit(r.stretch)
        holds = [h for h in r.record.holds if h.duration_s >= MIN_COMFORTABLE_S
                 and not any(h.start_s <= p <= h.end_s + PAIN_AFTER_S
                             for p in r.record.pain_stops)]
        if limit is None or not holds:
            continue
        in_hold = np.zeros(len(t), dtype=bool)
        for h in holds:
            in_hold |= (t >= h.start_s) & (t <= h.end_s)
        name = _depth_angle(limit, r.side, report.track.visibility[in_hold])
        values = angles[name][in_hold]
        values = values[np.isfinite(values)]
        if not len(values):
            continue
        sign = _deeper(limit)
        out.append((r.stretch.id, name, float(np.percentile(sign * values, 90))))
    return out


def _depth_angle(limit: Limit, side: str, visibility: np.ndarray) -> str:
    """The angle a stretch's depth is read on for ``side``. Done on both sides at once (a
    bridge, a forward fold), the side better seen in the hold's frames (``visibility`` (N,
    33): the mean of the landmarks the angle needs): seen side-on, the far hip is the model's
    guess, and the depth read there became the profile's range and its next limit."""
    if side != "both" or "{side}" not in limit.angle:
        return resolve(limit.angle, side)

    def seen(name: str) -> float:
        needed = sorted(set(joints_of(name)))
        return float(visibility[:, needed].mean()) if len(visibility) else 0.0

    return max((resolve(limit.angle, s) for s in SIDES), key=seen)


def personal_limits(catalogue: Catalogue, comfortable: Mapping[str, Mapping[str, float]],
                    flexion_sensitive: bool = False) -> dict[str, Sequence[Limit]]:
    """Extra over-range limits per stretch id, from a profile's comfortable depths."""
    out: dict[str, Sequence[Limit]] = {}
    for sid, stretch in catalogue.stretches.items():
        limit = depth_limit(stretch)
        if limit is None:
            continue
        sign = _deeper(limit)
        safe = limit.high if limit.high is not None else limit.low
        if safe is None:  # a limit has min, max or both (pose.routines checks it)
            continue
        step = PROGRESSION_DEG / (2.0 if flexion_sensitive and stretch.forward_bend else 1.0)
        known = comfortable.get(sid, {})
        limits = []
        for side in ("left", "right"):
            name = resolve(limit.angle, side)
            edge: float | None
            if name in known:
                edge = sign * (known[name] + step)
            elif flexion_sensitive and stretch.forward_bend:
                edge = _start_small(stretch, limit, side)
            else:
                continue
            if edge is None or not math.isfinite(edge):
                continue
            edge = min(edge, safe) if sign > 0 else max(edge, safe)
            cue = ("That's further than your comfortable range so far - ease back a little; "
                   "it will grow over the weeks")
            limits.append(Limit(name, None if sign > 0 else edge, edge if sign > 0 else None,
                                cue=cue))
        if limits:
            out[sid] = limits
    return out


def _start_small(stretch: Stretch, limit: Limit, side: str) -> float | None:
    """A first limit just past where the position starts to count, on the depth angle."""
    for c in stretch.criteria:
        if c.angle == limit.angle:
            threshold = c.low if limit.high is not None else c.high
            if threshold is not None:
                return threshold + _deeper(limit) * SENSITIVE_START_DEG
    return None
