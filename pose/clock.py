"""The media clock: a source's own timestamps turned into session time.

Cameras and containers hand over broken timestamps: forward jumps (13 hours in one real camera
report), restarts at 0, frames with none at all, WebM files that start below zero. Taken as they
come, each became held time or froze the session. The clock makes session time of them:

- the first frame is 0 s, and session time only moves forward, by the source's own steps;
- a forward step longer than ``max_gap_s`` (the hold's grace) is a *drop-out*: session time
  moves on by one frame interval and the tick says so, so the checks end any hold there
  instead of counting the gap as held (``Tick.dropout_s``);
- a step back or a restart *re-anchors*: session time moves on by one frame interval and the
  source's new timeline is followed from there;
- a repeated timestamp (within ``MIN_STEP_S`` of the last) adds no time: the frame is placed
  ``MIN_STEP_S`` after the last one and the source's timeline goes on as it was, so the next
  step takes that millisecond back. A coarse time base stamps 30 fps frames in pairs (1/15 s
  apart), and a source may hand the same frame twice: adding a frame interval for each
  repeat made an 11 s hold 22 s;
- a frame without a timestamp takes the frame interval, never the wall clock.

A live source can say more: how long the receiver waited for each frame, ready for it and
idle (``tick``'s ``waited_s``; time spent busy with the last frame does not count). It is read
only where the source's own time cannot say how long passed - a frame without a timestamp, a
step back, a restart, a repeated timestamp - and only to tell a drop-out: a camera that stops
for 10 s and restarts its timestamps at 0 has not been watched for those 10 s, and they must
not become held time. Session time still moves by one frame interval there.

The frame interval is the median of the source's last normal steps; before there are any, the
nominal one (a container's frame rate, which files with gaps misstate) or 1/30 s. The pose model
receives session time, so its timestamps are strictly increasing and spaced like the frames. No
wall clock is read here: waiting times, where given, come from the caller.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, replace

MAX_GAP_S = 1.0
"""A source gap longer than this is a drop-out: the hold's grace (``pose.hold.HoldTimer``'s
``grace_s``), so a gap the hold would not survive with the person in view is never held time."""

DEFAULT_INTERVAL_S = 1.0 / 30.0
"""Frame interval assumed until a source without a nominal rate has shown a few normal steps."""

MIN_STEP_S = 0.001
"""A step shorter than this (1 ms, the model's timestamp unit) is a repeated timestamp."""


@dataclass(frozen=True)
class Tick:
    """One frame's time.

    Attributes:
        t_s: session time in seconds (0 at the first frame, strictly increasing).
        source_t_s: the timestamp the source gave (None when it gave none).
        dropout_s: the source gap in seconds before this frame when it was a drop-out, else 0.
        reanchored: the source went back, restarted or repeated itself before this frame.
    """

    t_s: float
    source_t_s: float | None
    dropout_s: float = 0.0
    reanchored: bool = False


class MediaClock:
    """Turns one source's timestamps into session time; see the module docstring.

    Args:
        interval_s: the source's nominal frame interval in seconds (1 / fps), or None to
            measure it from the timestamps.
        max_gap_s: the longest source step that is still time passing in view (``MAX_GAP_S``).
    """

    def __init__(self, interval_s: float | None = None, max_gap_s: float = MAX_GAP_S) -> None:
        if interval_s is not None and not (math.isfinite(interval_s) and interval_s > 0):
            interval_s = None
        self.nominal_s = interval_s
        self.max_gap_s = max_gap_s
        self._steps: deque[float] = deque(maxlen=15)
        self._source: float | None = None  # the last source time (or its stand-in)
        self._t: float | None = None
        # Session time is anchor_t + (source - anchor_source) until the next fault, so a clean
        # source keeps its own spacing exactly (no sum of rounded steps).
        self._anchor = (0.0, 0.0)
        self.dropouts: list[tuple[float, float]] = []
        """(session time, source gap in seconds) of every drop-out so far."""
        self.reanchors = 0

    @property
    def interval_s(self) -> float:
        """The frame interval in seconds: measured, else nominal, else 1/30 s."""
        if self._steps:
            return statistics.median(self._steps)
        return self.nominal_s if self.nominal_s is not None else DEFAULT_INTERVAL_S

    @property
    def t_s(self) -> float | None:
        """Session time of the last tick (None before the first)."""
        return self._t

    def tick(self, source_t_s: float | None, waited_s: float | None = None) -> Tick:
        """Session time of the next frame, given the timestamp its source gave it and, for a
        live source, how long the receiver waited for it (seconds; see the module
        docstring)."""
        src = float(source_t_s) if source_t_s is not None and math.isfinite(source_t_s) \
            else None
        waited = waited_s or 0.0
        if self._t is None or self._source is None:
            self._source = src if src is not None else 0.0
            self._t, self._anchor = 0.0, (0.0, self._source)
            return Tick(0.0, source_t_s)
        # (The measured interval, a median, only where the source's own time is broken.)
        if src is None:  # no timestamp: one frame later, and the source is assumed to agree
            step = self.interval_s
            return self._reanchor(self._source + step,
                                  self._unwatched(Tick(self._t + step, source_t_s), waited))
        dt = src - self._source
        if dt > self.max_gap_s:
            tick = Tick(self._t + self.interval_s, source_t_s, dropout_s=dt)
            self.dropouts.append((tick.t_s, dt))
            return self._reanchor(src, tick)
        if abs(dt) < MIN_STEP_S:  # a repeat: no time passed by the source's own clock
            self._t += MIN_STEP_S
            return self._unwatched(Tick(self._t, source_t_s, reanchored=True), waited)
        if dt < 0.0:
            self.reanchors += 1
            tick = Tick(self._t + self.interval_s, source_t_s, reanchored=True)
            return self._reanchor(src, self._unwatched(tick, waited))
        self._steps.append(dt)
        anchor_t, anchor_src = self._anchor
        t = anchor_t + (src - anchor_src)
        if t < self._t + MIN_STEP_S:  # after repeats, a step no longer than they took
            return self._reanchor(src, Tick(self._t + MIN_STEP_S, source_t_s))
        self._source, self._t = src, t
        return Tick(t, source_t_s)

    def _unwatched(self, tick: Tick, waited_s: float) -> Tick:
        """``tick``, a drop-out of ``waited_s`` if the frame came that much longer than the
        longest gap after the last one (the source's own time being broken here)."""
        if waited_s <= self.max_gap_s:
            return tick
        self.dropouts.append((tick.t_s, waited_s))
        return replace(tick, dropout_s=waited_s)

    def _reanchor(self, source: float, tick: Tick) -> Tick:
        self._source, self._t = source, tick.t_s
        self._anchor = (tick.t_s, source)
        return tick
