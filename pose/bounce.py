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

#: The share of a swing's range left out at each end when it is timed (``SwingTime``): the
#: standard 10-90 % rise time.
END_SHARE = 0.1

#: Shortest time a limb takes to cross the middle of a swing (s): 80 % of a 60 deg swing in
#: less would be over 960 deg/s, beyond a big joint (a kick's hip reaches 700-1000 deg/s at
#: its fastest). Quicker is a landmark jumping from one frame to the next (the model swapping
#: the left and right legs' labels for a moment, or losing the whole body for a frame). Only
#: seen above 20 fps: slower, a frame is longer than this, and a jump reads as a swing.
MIN_MOVING_S = 0.05

#: Samples kept to time a swing, from its first turning point on: 4 s at 120 fps. A swing
#: whose start is gone is not timed (``NOT_TIMED``).
SAMPLES_KEPT = 512

#: A swing is seen on its way when a sample falls in the middle half of its range, this share
#: of it away from either end: a jump of 70 deg with 3 deg of noise on its frames stays out.
SEEN_SHARE = 0.25


@dataclass(frozen=True)
class SwingTime:
    """How a swing between two turning points crossed the middle of its range (``END_SHARE``
    to 1 - ``END_SHARE``)."""

    moving_s: float
    """Time to cross it, the crossings interpolated between samples (inf: not known)."""
    inside: int
    """Samples that fell in the middle half of the swing (``SEEN_SHARE``): none for a
    landmark jumping from one frame to the next, nor, at a low frame rate, for the quickest
    swings."""
    spacing_s: float
    """The longest interval between the samples around the two crossings (s): what the
    interpolation may be off by, at most."""


NOT_TIMED = SwingTime(math.inf, 0, math.inf)


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
        pauses: None (bouncing): every swing between the ``min_turns`` turning points is fast
            (at most ``max_half_period_s``). Else that, or fast swings with pauses between
            them as ``pauses`` tells: a kick goes up and down fast and rests, a burpee drops,
            kicks back and in fast and stands.
        seen_moving: a run holding a swing that crossed the middle of its range in under
            ``MIN_MOVING_S`` is a landmark jumping there and back, not bouncing (told above
            20 fps only).
    """

    def __init__(self, angle: str, min_swing_deg: float = 5.0, max_half_period_s: float = 0.55,
                 min_half_period_s: float = 0.1, min_turns: int = 5,
                 rearm_s: float = 2.0, pauses: Pauses | None = None,
                 seen_moving: bool = False) -> None:
        self.angle = angle
        self.min_swing = min_swing_deg
        self.max_half = max_half_period_s
        self.min_half = min_half_period_s
        self.min_turns = min_turns
        self.rearm_s = rearm_s
        self.pauses = pauses
        self._timed = pauses is not None or seen_moving
        self.seen_moving = seen_moving
        self.reset()

    def reset(self) -> None:
        self._direction = 0
        self._lo: tuple[float, float] | None = None
        self._hi: tuple[float, float] | None = None
        self._turns: deque[tuple[float, float]] = deque(maxlen=self.min_turns)
        # With ``pauses`` or ``seen_moving``: each swing's timing (``_swing_time``), the one
        # ending at ``_turns[i + 1]`` at ``_moves[i]``; and the samples it is measured on.
        self._moves: deque[SwingTime] = deque(maxlen=self.min_turns - 1)
        # (Times and values side by side: a pair made every frame of every watched angle
        # cost more than keeping it.)
        self._times: deque[float] = deque(maxlen=SAMPLES_KEPT)
        self._values: deque[float] = deque(maxlen=SAMPLES_KEPT)
        self._last_report: float | None = None
        self._last_t: float | None = None
        self._frame_dt = 0.0
        self.last_seen_s: float | None = None
        """Last time the turning points looked like bouncing (reported or not)."""
        self.whole_limb_seen_s: float | None = None
        """Last time they did with every swing a whole limb's (with ``pauses`` only): the
        pauses' explosive swings, or a bouncing run whose swings are each
        ``Pauses.min_swing_deg`` or more and seen on their way (``SwingTime.inside``)."""

    @property
    def idle(self) -> bool:
        """No motion under watch (fresh, or reset by a gap)."""
        return self._lo is None

    def update(self, t_s: float, value: float) -> Bounce | None:
        last = self._last_t
        if last is not None:
            if t_s > last:
                self._frame_dt = t_s - last
            elif t_s < last and self._timed:
                self._times.clear()  # time went back: a new recording
                self._values.clear()
        self._last_t = t_s
        lo, hi = self._lo, self._hi
        if not math.isfinite(value):
            if lo is not None:  # a gap: what came before cannot pair with what follows
                last, dt, seen = self._last_report, self._frame_dt, self.last_seen_s
                whole = self.whole_limb_seen_s
                self.reset()
                self._last_report, self._frame_dt, self.last_seen_s = last, dt, seen
                self.whole_limb_seen_s = whole
            return None
        if self._timed:
            self._times.append(t_s)
            self._values.append(value)
        if lo is None or hi is None:
            self._lo = self._hi = (t_s, value)
            return None
        # (Every frame of every watched angle comes here: the common case, no turn, reads
        # the state once and leaves.)
        if value <= lo[1]:
            lo = self._lo = (t_s, value)
        if value >= hi[1]:
            hi = self._hi = (t_s, value)
        direction = self._direction
        if direction >= 0 and hi[1] - value >= self.min_swing:
            turned, self._direction = hi, -1
        elif direction <= 0 and value - lo[1] >= self.min_swing:
            turned, self._direction = lo, +1
        else:
            return None
        if self._timed:
            if self._turns:
                self._moves.append(self._swing_time(self._turns[-1], turned))
            times, values = self._times, self._values  # the next swing starts here
            while times and times[0] < turned[0]:
                times.popleft()
                values.popleft()
        self._turns.append(turned)
        self._lo = self._hi = (t_s, value)
        return self._judge(t_s)

    def _swing_time(self, start: tuple[float, float], end: tuple[float, float]) -> SwingTime:
        """How the swing from turning point ``start`` to ``end`` (t s, value deg) crossed the
        middle of its range. Turning point to turning point would count a pause at either
        end as moving: a rest's lowest sample falls anywhere in it. ``NOT_TIMED`` when the
        samples kept no longer reach back to ``start``."""
        (t0, v0), v1 = start, end[1]
        times = self._times
        if not times or times[0] > t0 or v1 == v0:
            return NOT_TIMED
        lo, hi = END_SHARE, 1.0 - END_SHARE
        span = v1 - v0
        left, left_gap, inside = t0, 0.0, 0  # the last crossing of ``lo``: time, interval
        prev: tuple[float, float] | None = None  # the sample before: (t, share)
        for t, v in zip(times, self._values, strict=True):
            if t < t0:
                continue
            share = (v - v0) / span
            if prev is not None:
                pt, ps = prev
                if ps <= lo < share:
                    left, left_gap, inside = pt + (lo - ps) / (share - ps) * (t - pt), t - pt, 0
                if ps < hi <= share:
                    right = t - (share - hi) / (share - ps) * (t - pt)
                    return SwingTime(right - left, inside, max(left_gap, t - pt))
            if SEEN_SHARE < share < 1.0 - SEEN_SHARE:
                inside += 1
            prev = (t, share)
        return NOT_TIMED

    def _judge(self, t_s: float) -> Bounce | None:
        if len(self._turns) < self.min_turns:
            return None
        times = [t for t, _ in self._turns]
        values = [v for _, v in self._turns]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        swings = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
        dt = self._frame_dt
        # Turning points every frame are flicker at any frame rate; but at a low frame rate a
        # real 2 Hz bounce (half-period 0.25 s at 5 fps: 1.25 frames) has some turning points
        # one frame apart and some two, so it is the mean gap that must span frames. A
        # half-period is only known to a frame: half a frame of tolerance on the slow end.
        if min(gaps) < max(self.min_half, 0.99 * dt):
            return None
        if self.seen_moving and any(time.moving_s < MIN_MOVING_S for time in self._moves):
            return None  # the ``min_turns - 1`` swings between the turning points
        if max(gaps) <= self.max_half + 0.5 * dt:  # bouncing: every swing fast
            if sum(gaps) / len(gaps) < max(self.min_half, 1.2 * dt):
                return None
            frequency = 1.0 / (2.0 * median(gaps))
            if self.pauses is not None and all(
                    swing >= self.pauses.min_swing_deg and time.inside > 0
                    for swing, time in zip(swings, self._moves, strict=True)):
                self.whole_limb_seen_s = t_s
        elif self.pauses is not None:
            paused = self.pauses.judge(gaps, swings, list(self._moves))
            if paused is None:
                return None
            frequency = paused
            self.whole_limb_seen_s = t_s
        else:
            return None
        self.last_seen_s = t_s
        if self._last_report is not None and t_s - self._last_report < self.rearm_s:
            self._last_report = t_s  # still the same episode: keep it quiet
            return None
        self._last_report = t_s
        return Bounce(t_s, self.angle, round(median(swings) / 2.0, 1), round(frequency, 2))


#: On a sine, the share of the half-period that a swing takes to cross the middle of its range,
#: ``END_SHARE`` to 1 - ``END_SHARE``: 0.59.
SINE_MIDDLE = (math.acos(2.0 * END_SHARE - 1.0) - math.acos(1.0 - 2.0 * END_SHARE)) / math.pi


@dataclass(frozen=True)
class Pauses:
    """Fast swings with pauses between them (a ``BounceDetector``'s ``pauses``). Of the swings
    between ``min_turns`` turning points spanning at most ``max_span_s``: at least ``min_fast``
    explosive ones, and somewhere a real pause. Explosive: of ``min_swing_deg`` or more,
    crossing the middle of their range (``SwingTime``) at ``min_speed_deg_s`` or faster (the
    time allowed half a sampling interval more: the crossings are interpolated), seen on the
    way (a sample in the middle half, ``SEEN_SHARE``: a landmark jumping from one frame to the
    next, a left/right label swap, has none at any frame rate; so at 5-10 fps the quickest
    kicks and burpees are missed) and not faster than a limb moves (``MIN_MOVING_S``). A
    pause: two turning points ``min_pause_ratio`` times the explosive swings' median moving
    time apart or more. A steady swinging is bouncing's business: on a sine the middle of a
    swing takes ``SINE_MIDDLE`` of the half-period, so its turning points lie 1.7 moving times
    apart.

    ``min_speed_deg_s`` = 400: kicks and a burpee's jumps back and in cross the middle of
    their 85-110 deg at about 500 deg/s (up in 0.2-0.3 s), jumping jacks' arms at about 600;
    a brisk squat (down or up in 0.5 s: 270), marching with the knees high (0.4 s: 250), a
    bird dog (290), toe touches at 0.4 s a way (320) and picking something up (230) stay
    under it (toe touches are found by the trunk's own rule, ``pose.ballistic.FOLDS``).
    ``min_pause_ratio`` = 2.5: above a sine's 1.7 with room for a frame's error at
    5 fps; synthetic kicks read 5-13, burpees 5-10."""

    min_fast: int = 2
    min_swing_deg: float = 60.0
    max_span_s: float = 4.0
    min_speed_deg_s: float = 400.0
    min_pause_ratio: float = 2.5

    def explosive(self, swing_deg: float, time: SwingTime) -> bool:
        """Whether a swing of ``swing_deg`` (peak to trough) crossing its middle as ``time``
        tells is explosive."""
        max_moving_s = (1.0 - 2.0 * END_SHARE) * swing_deg / self.min_speed_deg_s
        return (swing_deg >= self.min_swing_deg and time.inside > 0
                and MIN_MOVING_S <= time.moving_s <= max_moving_s + 0.5 * time.spacing_s)

    def judge(self, gaps: list[float], swings: list[float],
              times: list[SwingTime]) -> float | None:
        """The swings' rate (Hz, a sine's whose swings cross their middle as fast as the
        explosive ones' median) when the run passes, else None. ``gaps`` (s) and ``swings``
        (deg) between consecutive turning points, ``times`` the same swings' ``SwingTime``."""
        if sum(gaps) > self.max_span_s:
            return None
        fast = [t.moving_s for t, s in zip(times, swings, strict=True) if self.explosive(s, t)]
        if len(fast) < self.min_fast or max(gaps) < self.min_pause_ratio * median(fast):
            return None
        return SINE_MIDDLE / (2.0 * median(fast))
