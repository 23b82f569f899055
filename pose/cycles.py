"""Counting slow cycles (cat-cow): the working angle must travel from one end to the other."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pose.stretches import Cycle


@dataclass(frozen=True)
class CycleStep:
    """One end of the range reached: ``period_s`` is the time since the other end was left."""

    t_s: float
    end: str  # "low" or "high"
    period_s: float | None


class CycleCounter:
    """Counts half-cycles between ``cycle.low`` and ``cycle.high`` of one angle.

    A half-cycle counts when the angle reaches one end after having reached the other. Each
    reported step carries the time the full cycle took (two half-cycles), so the caller can tell
    a slow, controlled cycle from a rushed one (shorter than ``cycle.min_period_s``).
    """

    def __init__(self, cycle: Cycle) -> None:
        self.cycle = cycle
        self.half_cycles = 0
        self._end: str | None = None
        self._ends: list[float] = []

    @property
    def cycles(self) -> int:
        return self.half_cycles // 2

    def update(self, t_s: float, value: float) -> CycleStep | None:
        if not math.isfinite(value):
            return None
        end = "low" if value <= self.cycle.low else "high" if value >= self.cycle.high else None
        if end is None or end == self._end:
            return None
        first = self._end is None
        self._end = end
        if first:
            return None
        self.half_cycles += 1
        self._ends.append(t_s)
        period = self._ends[-1] - self._ends[-3] if len(self._ends) >= 3 else None
        return CycleStep(t_s, end, period)
