"""``Event``: something that happened in a session, at a time in seconds of session time.

The checks raise events, the live page shows them, the store keeps them and ``report.json``
lists them. A module of its own so that the store and the pages need not import the checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

EVENT_KINDS = ("position_entered", "position_left", "hold_started", "hold_ended",
               "hold_completed", "bounce", "over_range", "pose_lost", "pose_found",
               "several_people", "pain_stop", "step_started", "routine_finished",
               "pain_report")


@dataclass(frozen=True)
class Event:
    t_s: float
    kind: str
    stretch: str | None = None
    side: str | None = None
    message: str = ""
    data: Mapping[str, float | str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"t_s": round(self.t_s, 3), "kind": self.kind,
                                "stretch": self.stretch, "side": self.side,
                                "message": self.message}
        d.update(self.data)
        return d
