"""Running the checks over a whole ``Track`` and writing ``report.json``.

With a stretch named, only that stretch is checked (its side found frame by frame). With a
routine, its stretches are. Otherwise (auto mode) every catalogue stretch is checked at once and
overlapping claims on the same stretch of time are settled: the more specific stretch (more
criteria met) wins, then the longer hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pose.ballistic import BallisticWatch
from pose.checks import FACE_THE_CAMERA, plausible_frames
from pose.coach import Event, PoseWatch, SideRecord, StretchChecker, usable, watch_ballistic
from pose.hold import Hold
from pose.routines import Catalogue, Limit, Routine, Stretch
from pose.track import Track
from pose.view import VIEWS, camera_views

SCHEMA = "stretchcheck.report/1"

NEAR_HOLD_S = 2.0
"""Auto mode keeps a stretch's events, bounces and over-range moments this close to its holds."""


@dataclass
class StretchResult:
    stretch: Stretch
    side: str
    target_hold_s: float
    record: SideRecord

    def to_dict(self) -> dict[str, object]:
        r = self.record
        return {
            "stretch": self.stretch.id,
            "name": self.stretch.name,
            "side": self.side,
            "target_hold_s": self.target_hold_s,
            "holds": [{"start_s": round(h.start_s, 2), "end_s": round(h.end_s, 2),
                       "duration_s": round(h.duration_s, 2),
                       "in_form_fraction": round(h.in_form_fraction, 3),
                       "partial_view_s": round(h.partial_s, 2),
                       "unseen": {part: round(s, 2) for part, s in h.unseen.items()}}
                      for h in r.holds],
            "held_s": round(r.held_s, 2),
            "longest_hold_s": round(r.longest_s, 2),
            "completed": r.longest_s >= self.target_hold_s,
            "bounces": [{"t_s": round(b.t_s, 2), "angle": b.angle,
                         "amplitude_deg": b.amplitude_deg, "frequency_hz": b.frequency_hz}
                        for b in r.bounces],
            "over_range": list(r.over_range),
            "pain_stops": [round(t, 2) for t in r.pain_stops],
            **({"cycles": r.cycles} if self.stretch.kind == "cycles" else {}),
        }


@dataclass
class Report:
    track: Track
    mode: str
    routine: str | None
    results: list[StretchResult]
    events: list[Event] = field(default_factory=list)
    declined: list[dict[str, object]] = field(default_factory=list)
    """Stretches not claimed because this camera view cannot judge them (see
    ``declined_for_view``)."""

    def to_dict(self) -> dict[str, object]:
        t = self.track
        return {
            "schema": SCHEMA,
            "source": t.source,
            "fps": round(t.fps, 3),
            "frames": len(t),
            "frames_with_pose": int(t.has_pose.sum()),
            "duration_s": round(t.duration_s, 2),
            "model": t.model,
            "mode": self.mode,
            "routine": self.routine,
            "stretches": [r.to_dict() for r in self.results],
            "events": [e.to_dict() for e in self.events],
            "warnings": list(t.warnings),
            "camera_views_s": camera_view_seconds(t),
            "declined_for_view": list(self.declined),
        }

    def summary(self) -> str:
        t = self.track
        lines = [f"{t.source or 'recording'}: {t.duration_s:.1f} s, {len(t)} frames, "
                 f"a pose in {int(t.has_pose.sum())}"]
        if not self.results:
            lines.append("no stretch held" if self.mode == "auto" else "nothing to report")
        for r in self.results:
            rec = r.record
            side = "" if r.side == "both" else f" ({r.side})"
            form = ""
            if rec.holds:
                total = sum(h.duration_s for h in rec.holds)
                good = sum(h.duration_s * h.in_form_fraction for h in rec.holds)
                form = f", {100 * good / total:.0f}% in full form" if total else ""
            done = "done" if rec.longest_s >= r.target_hold_s else "not done"
            lines.append(
                f"  {r.stretch.name}{side}: {len(rec.holds)} hold(s), longest {rec.longest_s:.1f} s "
                f"of {r.target_hold_s:.0f} s ({done}){form}; {len(rec.bounces)} bounce(s), "
                f"{len(rec.over_range)} over-range")
        return "\n".join(lines)


def camera_view_seconds(track: Track) -> dict[str, float]:
    """Seconds of the recording seen from each camera view (``pose.view``), frames with a pose."""
    if not len(track):
        return {}
    views = camera_views(track.world)
    step = np.diff(track.t_s, append=track.t_s[-1] + (1.0 / track.fps if track.fps else 0.0))
    return {v: round(float(step[(views == v) & track.has_pose].sum()), 2) for v in VIEWS}


def declined_for_view(checkers: Sequence[StretchChecker],
                      min_s: float = 2.0) -> list[dict[str, object]]:
    """Stretches taken for at least ``min_s`` as far as the view lets them be judged, whose
    deciding criteria this view cannot judge: not claimed, and said so."""
    return [{"stretch": c.stretch.id, "side": side, "seconds": round(s, 2),
             "reason": "its deciding criteria cannot be judged from this camera view",
             "cue": FACE_THE_CAMERA}
            for c in checkers for side, s in c.declined_s.items() if s >= min_s]


def _frame_angles(arrays: dict, i: int) -> dict[str, float]:
    return {name: float(v[i]) for name, v in arrays.items()}


def run_checkers(track: Track, checkers: Sequence[StretchChecker]) -> list[Event]:
    """Feed every frame of ``track`` to ``checkers``; returns all events in time order."""
    arrays = track.angles()
    plausible = [plausible_frames(c.stretch, arrays) for c in checkers]
    watch, ballistic = PoseWatch(), BallisticWatch()
    events: list[Event] = []
    for i in range(len(track)):
        t = float(track.t_s[i])
        pose = track.frame(i)
        events.extend(watch.update(t, pose))
        seen = usable(pose)
        angles = _frame_angles(arrays, i) if seen else {}
        events.extend(watch_ballistic(ballistic, t, pose, angles))
        for checker, maybe in zip(checkers, plausible):
            if seen and not maybe[i] and checker.idle:
                checker.out_of_position(t)
            else:
                events.extend(checker.observe(t, pose, angles)[1])
    end = float(track.t_s[-1]) if len(track) else 0.0
    for checker in checkers:
        events.extend(checker.finish(end))
    events.sort(key=lambda e: e.t_s)
    return events


def _near(holds: Sequence[Hold], t_s: float) -> bool:
    return any(h.start_s - NEAR_HOLD_S <= t_s <= h.end_s + NEAR_HOLD_S for h in holds)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _settle(results: list[StretchResult]) -> list[StretchResult]:
    """Auto mode: keep, for each stretch of time, the stretch that explains it best."""
    claims = [(len(r.stretch.criteria), h.duration_s, n, h)
              for n, r in enumerate(results) for h in r.record.holds]
    claims.sort(key=lambda c: (-c[0], -c[1]))
    kept: list[tuple[int, Hold]] = []
    for _, _, n, h in claims:
        clash = sum(_overlap(h.start_s, h.end_s, k.start_s, k.end_s)
                    for m, k in kept if m != n)
        if clash <= 0.5 * max(h.duration_s, 1e-6):
            kept.append((n, h))
    winners = []
    for n, r in enumerate(results):
        holds = [h for m, h in kept if m == n]
        if not holds:
            continue
        r.record.holds = sorted(holds, key=lambda h: h.start_s)
        r.record.bounces = [b for b in r.record.bounces if _near(holds, b.t_s)]
        r.record.over_range = [o for o in r.record.over_range
                               if _near(holds, float(o["t_s"]))]
        winners.append(r)
    return winners


def check_track(track: Track, catalogue: Catalogue, routine: Routine | None = None,
                stretch: str | None = None,
                personal_limits: dict[str, Sequence[Limit]] | None = None) -> Report:
    """Run the checks over a recorded track. ``stretch`` "auto" or None means auto mode."""
    personal = personal_limits or {}
    plan: list[tuple[Stretch, float]]
    if stretch not in (None, "auto"):
        mode = "stretch"
        s = catalogue.stretch(stretch)
        plan = [(s, s.hold_s)]
    elif routine is not None:
        mode = "routine"
        plan = list(dict.fromkeys((st.stretch, st.hold_s) for st in routine.steps))
    else:
        mode = "auto"
        plan = [(s, s.hold_s) for s in catalogue.stretches.values()]
    checkers = [StretchChecker(s, hold, extra_limits=personal.get(s.id, ())) for s, hold in plan]
    events = run_checkers(track, checkers)

    results = [StretchResult(c.stretch, side, c.target_hold_s, rec)
               for c in checkers for side, rec in c.records.items()]
    if mode == "auto":
        results = _settle(results)
        keep = {(r.stretch.id, r.side): r for r in results}

        def relevant(e: Event) -> bool:
            if e.stretch is None:
                return True
            r = keep.get((e.stretch, e.side))
            return r is not None and _near(r.record.holds, e.t_s)

        events = [e for e in events if relevant(e)]
    elif mode == "routine":
        wanted = {(st.stretch.id, side) for st in routine.steps for side in st.sides}
        results = [r for r in results if (r.stretch.id, r.side) in wanted]
    return Report(track, mode, routine.id if routine else None, results, events,
                  declined_for_view(checkers))
