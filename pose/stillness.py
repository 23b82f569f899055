"""Is the body still? A hold is a position kept, not one passed through or repeated quickly.

The speed of an angle is its range (max - min) over the last ``window_s`` seconds divided by
the window: a range, not an end-to-end difference, so that a quick back-and-forth (reps)
reads as fast even when it ends where it began.

Constants, measured on the real clips of ``../shared/realclips`` (smoothed landmarks): inside
labelled holds the working angles move at a median 1-14 deg/s (breathing, landmark jitter,
a slow deepening of 3 deg/s), 90th percentile 4-37 deg/s; passing through a position and quick
reps run at 50-300 deg/s. ``MAX_SPEED_DEG_S`` = 40 sits between them; a moment faster than that
inside a hold (a re-grip, a glitch of one landmark) is survived by the hold's grace time.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping

WINDOW_S = 0.5
"""Length of the window speeds are measured over, seconds."""

MAX_SPEED_DEG_S = 40.0
"""Fastest an angle may move, in deg/s over ``WINDOW_S``, for the body to count as still."""

#: The measures of one joint in its different planes. A joint is still only if it is still in
#: every plane: neck, trunk and hip circles pass through a tilt's end range at the moment the
#: joint moves fastest in the other plane. (Inside R08's and R06's labelled neck side bends the
#: neck flexion moves at a median 3-12 deg/s, 90th percentile 5-27.) Not the shoulder: its
#: flexion and abduction are projections that swing wildly, still arm or not, when the arm
#: points along the other plane's axis (R06's cross-body arm: abduction read 236, 261, -88).
FAMILIES: tuple[tuple[str, ...], ...] = (
    ("neck_lateral_tilt", "neck_flexion"),
    ("trunk_lateral_tilt", "trunk_inclination"),
    ("hip_flexion_left", "hip_abduction_left"),
    ("hip_flexion_right", "hip_abduction_right"),
)


def joint_measures(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` with the other planes of each of their joints (see ``FAMILIES``)."""
    out = list(dict.fromkeys(names))
    for family in FAMILIES:
        if any(n in out for n in family):
            out.extend(n for n in family if n not in out)
    return tuple(out)


class _Window:
    """One angle's samples of the last window, and their range as it stands."""

    __slots__ = ("times", "values", "high", "low")

    def __init__(self) -> None:
        self.times: deque[float] = deque()
        self.values: deque[float] = deque()
        self.high = self.low = math.nan

    def __eq__(self, other: object) -> bool:
        """The same samples (the range is theirs, whenever there are any)."""
        if not isinstance(other, _Window):
            return NotImplemented
        return self.times == other.times and self.values == other.values

    __hash__ = None  # type: ignore[assignment]


class SpeedGate:
    """Tracks the recent values of some angles and says how fast the fastest one moves.

    ``update(t_s, angles)`` takes every frame (a NaN or missing value restarts that angle: an
    angle out of view has no speed) and returns the fastest speed in deg/s over the window, 0 when
    nothing could be measured yet. ``moving`` compares it with ``max_deg_s``.
    """

    def __init__(self, names: Iterable[str], window_s: float = WINDOW_S,
                 max_deg_s: float = MAX_SPEED_DEG_S) -> None:
        self.names = tuple(names)
        self.window_s = window_s
        self.max_deg_s = max_deg_s
        self._history: dict[str, _Window] = {n: _Window() for n in self.names}
        self.speed = 0.0
        self._empty = True

    def reset(self) -> None:
        if self._empty:
            return  # the common case, every frame out of position: keep it cheap
        for window in self._history.values():
            window.times.clear()
            window.values.clear()
        self.speed = 0.0
        self._empty = True

    def update(self, t_s: float, angles: Mapping[str, float]) -> float:
        self._empty = False
        fastest = 0.0
        window_s = self.window_s
        oldest = t_s - window_s - 1e-9
        for name, window in self._history.items():
            v = angles.get(name, math.nan)
            times, values = window.times, window.values
            if (times and t_s < times[-1]) or not math.isfinite(v):
                # Time went backwards (a new recording), or out of view: what came before
                # cannot pair with what follows.
                times.clear()
                values.clear()
                if not math.isfinite(v):
                    continue
            # The range is kept as samples come and go, and worked out afresh only when one
            # of its ends leaves the window: a max and min over the window every frame were
            # a tenth of the checks' time (issue 14).
            if not times:
                high = low = v
            else:
                high, low = window.high, window.low
                if v > high:
                    high = v
                elif v < low:
                    low = v
            times.append(t_s)
            values.append(v)
            stale_high = stale_low = False
            while times[0] < oldest:  # never empties: the sample just added is in the window
                times.popleft()
                gone = values.popleft()
                stale_high |= gone == high
                stale_low |= gone == low
            # (Drifting, as a slow deepening does, the oldest sample is always one end.)
            if stale_high:
                high = max(values)
            if stale_low:
                low = min(values)
            window.high, window.low = high, low
            # Over at least half a window: two frames right after a gap are no speed.
            if len(times) >= 2 and times[-1] - times[0] >= 0.5 * window_s:
                speed = (high - low) / window_s
                if speed > fastest:
                    fastest = speed
        self.speed = fastest
        return fastest

    @property
    def moving(self) -> bool:
        return self.speed > self.max_deg_s
