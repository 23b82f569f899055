"""What a session achieved, per stretch and side, and ``report.json``.

``report.json`` is a contract (``SCHEMA``, guarded by ``tests/test_report_contract.py``): fields
are added, never renamed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pose.bounce import Bounce
from pose.events import Event
from pose.hold import Hold
from pose.stretches import Stretch
from pose.track import Track
from pose.view import VIEWS, camera_views

SCHEMA = "stretchcheck.report/1"


@dataclass
class SideRecord:
    """What happened on one side of one stretch."""

    holds: list[Hold] = field(default_factory=list)
    bounces: list[Bounce] = field(default_factory=list)
    over_range: list[dict[str, float | str]] = field(default_factory=list)
    pain_stops: list[float] = field(default_factory=list)
    cycles: int = 0

    @property
    def held_s(self) -> float:
        return sum(h.duration_s for h in self.holds)

    @property
    def longest_s(self) -> float:
        return max((h.duration_s for h in self.holds), default=0.0)


@dataclass
class StretchResult:
    stretch: Stretch
    side: str
    target_hold_s: float
    record: SideRecord

    def to_dict(self) -> dict[str, Any]:
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
    """A session's outcome.

    Attributes:
        track: the landmarks the checks saw (session time, 0 at the first frame).
        mode: "routine" (a coached routine, or a recording checked as one), "stretch" (one
            stretch) or "auto" (any catalogue stretch recognised).
        routine: the routine's id, if any.
        results: per stretch and side.
        events: everything that happened, in order.
        dropouts: (session time s, source gap s) of each drop-out in the source's timestamps
            (``pose.clock``): time that was never counted as held.
    """

    track: Track
    mode: str
    routine: str | None
    results: list[StretchResult]
    events: list[Event] = field(default_factory=list)
    dropouts: list[tuple[float, float]] = field(default_factory=list)
    declined: list[dict[str, object]] = field(default_factory=list)
    """Stretches not claimed because this camera view cannot judge them
    (``pose.coach.StretchChecker.declined``), as ``report.json``'s ``declined_for_view``."""
    checker: dict[str, Any] | None = None
    """How the session was checked, for a faithful replay (``pose.sessions.checker_spec``)."""

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
            "dropouts": [{"t_s": round(at, 3), "gap_s": round(gap, 3)}
                         for at, gap in self.dropouts],
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
                f"  {r.stretch.name}{side}: {len(rec.holds)} hold(s), "
                f"longest {rec.longest_s:.1f} s of {r.target_hold_s:.0f} s ({done}){form}; "
                f"{len(rec.bounces)} bounce(s), {len(rec.over_range)} over-range")
        return "\n".join(lines)


def camera_view_seconds(track: Track) -> dict[str, float]:
    """Seconds of the recording seen from each camera view (``pose.view``), frames with a pose."""
    if not len(track):
        return {}
    views = camera_views(track.world)
    step = np.diff(track.t_s, append=track.t_s[-1] + (1.0 / track.fps if track.fps else 0.0))
    return {v: round(float(step[(views == v) & track.has_pose].sum()), 2) for v in VIEWS}
