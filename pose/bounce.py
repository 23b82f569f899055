"""Spotting bouncing: fast back-and-forth of a working angle while in a stretch.

Bouncing (ballistic stretching) is what back-pain advice forbids. It shows as repeated
reversals of several degrees at about 1 Hz or faster. Slow deepening never reverses; landmark
jitter reverses often but by too little; breathing is too slow. Reversals are found with
hysteresis: a turning point only counts once the angle has come back ``min_swing_deg`` from it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class Bounce:
    t_s: float
    angle: str
    amplitude_deg: float
    """Half the typical peak-to-peak swing: a +-8 degree bounce has amplitude 8."""
    frequency_hz: float


class BounceDetector:
    """Watches one angle; ``update`` returns a ``Bounce`` when an episode of bouncing starts.

    Args:
        min_swing_deg: smallest reversal that counts (peak to trough).
        max_half_period_s: turning points further apart than this are slow motion, not bouncing
            (0.55 s: about 0.9 Hz and faster counts).
        min_half_period_s: closer turning points are jitter, not a body moving.
        min_turns: turning points in a row needed to call it bouncing (5: two full swings and
            a half; fewer let a quick change of position or a wobble pass for bouncing).
        rearm_s: after a bounce is reported, quiet time before another episode is reported.
        min_fast: None (bouncing): every swing between the ``min_turns`` turning points is fast
            (at most ``max_half_period_s``). Else that, or at least ``min_fast`` of the swings
            fast and large (``min_fast_swing_deg``) and the others pausing, the whole run
            within ``max_span_s``: a kick goes up and down fast and rests, a burpee drops,
            kicks back and in fast and stands.
        min_fast_swing_deg: smallest swing (peak to trough) that counts towards ``min_fast``;
            None: ``min_swing_deg``.
        max_span_s: longest the ``min_turns`` turning points may span with pauses (s).
    """

    def __init__(self, angle: str, min_swing_deg: float = 5.0, max_half_period_s: float = 0.55,
                 min_half_period_s: float = 0.1, min_turns: int = 5,
                 rearm_s: float = 2.0, min_fast: int | None = None,
                 min_fast_swing_deg: float | None = None, max_span_s: float = math.inf) -> None:
        self.angle = angle
        self.min_swing = min_swing_deg
        self.max_half = max_half_period_s
        self.min_half = min_half_period_s
        self.min_turns = min_turns
        self.rearm_s = rearm_s
        self.min_fast = min_fast
        self.min_fast_swing = min_swing_deg if min_fast_swing_deg is None else min_fast_swing_deg
        self.max_span = max_span_s
        self.reset()

    def reset(self) -> None:
        self._direction = 0
        self._lo: tuple[float, float] | None = None
        self._hi: tuple[float, float] | None = None
        self._turns: deque[tuple[float, float]] = deque(maxlen=self.min_turns)
        self._last_report: float | None = None
        self._last_t: float | None = None
        self._frame_dt = 0.0
        self.last_seen_s: float | None = None
        """Last time the turning points looked like bouncing (reported or not)."""

    @property
    def idle(self) -> bool:
        """No motion under watch (fresh, or reset by a gap)."""
        return self._lo is None

    def update(self, t_s: float, value: float) -> Bounce | None:
        if self._last_t is not None and t_s > self._last_t:
            self._frame_dt = t_s - self._last_t
        self._last_t = t_s
        if not math.isfinite(value):
            if self._lo is not None:  # a gap: what came before cannot pair with what follows
                last, dt, seen = self._last_report, self._frame_dt, self.last_seen_s
                self.reset()
                self._last_report, self._frame_dt, self.last_seen_s = last, dt, seen
            return None
        if self._lo is None or self._hi is None:
            self._lo = self._hi = (t_s, value)
            return None
        if value <= self._lo[1]:
            self._lo = (t_s, value)
        if value >= self._hi[1]:
            self._hi = (t_s, value)

        turned = None
        if self._direction >= 0 and self._hi[1] - value >= self.min_swing:
            turned, self._direction = self._hi, -1
        elif self._direction <= 0 and value - self._lo[1] >= self.min_swing:
            turned, self._direction = self._lo, +1
        if turned is None:
            return None
        self._turns.append(turned)
        self._lo = self._hi = (t_s, value)
        return self._judge(t_s)

    def _judge(self, t_s: float) -> Bounce | None:
        if len(self._turns) < self.min_turns:
            return None
        times = [t for t, _ in self._turns]
        values = [v for _, v in self._turns]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        dt = self._frame_dt
        # Turning points every frame are flicker at any frame rate; but at a low frame rate a
        # real 2 Hz bounce (half-period 0.25 s at 5 fps: 1.25 frames) has some turning points
        # one frame apart and some two, so it is the mean gap that must span frames. A
        # half-period is only known to a frame: half a frame of tolerance on the slow end.
        if min(gaps) < max(self.min_half, 0.99 * dt):
            return None
        slowest = self.max_half + 0.5 * dt
        swings = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
        if max(gaps) <= slowest:
            fast = gaps  # bouncing: every swing fast
        elif self.min_fast is not None and times[-1] - times[0] <= self.max_span:
            # Fast, large swings with pauses between them.
            fast = [g for g, s in zip(gaps, swings, strict=True)
                    if g <= slowest and s >= self.min_fast_swing]
            if len(fast) < self.min_fast:
                return None
        else:
            return None
        if sum(fast) / len(fast) < max(self.min_half, 1.2 * dt):
            return None
        self.last_seen_s = t_s
        if self._last_report is not None and t_s - self._last_report < self.rearm_s:
            self._last_report = t_s  # still the same episode: keep it quiet
            return None
        self._last_report = t_s
        return Bounce(t_s, self.angle, round(median(swings) / 2.0, 1),
                      round(1.0 / (2.0 * median(fast)), 2))
