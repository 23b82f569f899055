"""Timing a held position from frame timestamps (never the wall clock).

A video analysed faster than real time must give the same holds as the live camera, so every
duration here is a difference of frame timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

MAX_PARTIAL_S = 10.0
"""Longest stretch of partial view a hold survives (a close-up that cuts the feet, a hand
behind the head): long enough for a camera cut or a re-grip, short enough that a person who
left the position out of view is not timed for long."""


class Form(Enum):
    """What one frame says about the position, as far as holding it goes."""

    GOOD = "good"      # every criterion met: starts a hold, counts as full form
    CLOSE = "close"    # nearly there: keeps a hold going, not counted as full form
    PARTIAL = "partial"  # every criterion in view met, some out of view: keeps a hold going,
    #                      counted as held for up to MAX_PARTIAL_S; never starts one
    MOVING = "moving"  # moving faster than a hold allows: like BAD, but it also cancels a
    #                    position being entered at once (passing through, quick reps)
    BAD = "bad"        # out of position, over-range, unseen or no pose: ends a hold if it lasts


@dataclass
class Hold:
    """One hold, from the first to the last frame in full form.

    ``start_s`` is when the position was reached (not when the timer confirmed it).
    """

    start_s: float
    end_s: float
    in_form_s: float = 0.0
    partial_s: float = 0.0
    """Seconds of the hold timed in partial view (some criteria out of sight)."""
    unseen: dict[str, float] = field(default_factory=dict)
    """Body parts out of view during the hold -> seconds they were out of view."""

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)

    @property
    def in_form_fraction(self) -> float:
        return min(1.0, self.in_form_s / self.duration_s) if self.duration_s > 0 else 1.0


class HoldTimer:
    """Turns a stream of per-frame ``Form`` verdicts into holds.

    A hold starts once the position has been held ``confirm_s`` without a break. Being nearly
    in form keeps it going; other drop-outs (lost pose, a wobble out of form) are survived when
    shorter than ``grace_s``. Partial view (``Form.PARTIAL``: every criterion still seen met)
    keeps it going and counts as held for up to ``max_partial_s`` in a row, then counts as a
    drop-out. It ends at its last frame in full form (or counted partial view).

    ``update`` returns the transitions of that frame: "entered" (first good frame), "started"
    (confirmed; the hold's ``start_s`` is the entry time), "ended" (with the finished hold) and
    "left" (position lost before a hold was confirmed).
    """

    def __init__(self, confirm_s: float = 0.5, grace_s: float = 1.0,
                 max_partial_s: float = MAX_PARTIAL_S) -> None:
        self.confirm_s = confirm_s
        self.grace_s = grace_s
        self.max_partial_s = max_partial_s
        self._partial_since: float | None = None
        self._reached_at: float | None = None
        self.holds: list[Hold] = []
        self.current: Hold | None = None
        self._entered_at: float | None = None
        self._last_in_position: float | None = None
        self._prev_t: float | None = None
        self._prev_form = Form.BAD
        self._pending_good_s = 0.0

    @property
    def entering(self) -> bool:
        """The position was reached but the hold is not confirmed yet."""
        return self._entered_at is not None

    @property
    def held_s(self) -> float:
        """Total time held so far, including a hold still going on."""
        done = sum(h.duration_s for h in self.holds)
        return done + (self.current.duration_s if self.current else 0.0)

    def update(self, t_s: float, form: Form,
               unseen: Iterable[str] = ()) -> list[tuple[str, Hold | None]]:
        """One frame's verdict; ``unseen`` names the parts out of view (with ``Form.PARTIAL``)."""
        if form is Form.BAD and self.current is None and self._entered_at is None:
            # Out of position with nothing under way (most frames): only time moves on.
            self._reached_at = self._partial_since = None
            self._prev_t, self._prev_form = t_s, Form.BAD
            return []
        out: list[tuple[str, Hold | None]] = []
        dt = 0.0 if self._prev_t is None else max(0.0, t_s - self._prev_t)
        moving = form is Form.MOVING
        if moving:
            form = Form.BAD
        # When the position was reached: in it (full form, nearly, or still settling into it)
        # without a break since then.
        if moving or form in (Form.GOOD, Form.CLOSE):
            if self._reached_at is None:
                self._reached_at = t_s
        else:
            self._reached_at = None
        if form is Form.PARTIAL:
            if self._partial_since is None:
                self._partial_since = t_s
            if self.current is None or t_s - self._partial_since > self.max_partial_s:
                form = Form.BAD  # never a hold on the unseen alone, nor for long
        else:
            self._partial_since = None
        # Time between two frames counts as full form only when both ends were good.
        good_span = dt if (form is Form.GOOD and self._prev_form is Form.GOOD) else 0.0
        partial_span = dt if (form is Form.PARTIAL and self._prev_form is not Form.BAD) else 0.0
        self._prev_t, self._prev_form = t_s, form

        if self.current is not None:
            if form is Form.GOOD:
                self.current.end_s = t_s
                self.current.in_form_s += good_span
            elif form is Form.PARTIAL:
                self.current.end_s = t_s
                self.current.partial_s += partial_span
                for part in unseen:
                    self.current.unseen[part] = self.current.unseen.get(part, 0.0) + partial_span
            if form is not Form.BAD:
                self._last_in_position = t_s
            elif t_s - (self._last_in_position or t_s) > self.grace_s:
                out.append(("ended", self._finish()))
            return out

        if form is Form.GOOD:
            if self._entered_at is None:
                self._entered_at = t_s
                self._pending_good_s = 0.0
                out.append(("entered", None))
            else:
                self._pending_good_s += good_span
            self._last_in_position = t_s
            if t_s - self._entered_at >= self.confirm_s:
                # The hold starts when the position was reached: settling into it (moving,
                # within grace_s of coming to rest) is part of it; quick reps never come to
                # rest long enough to be confirmed.
                reached = self._entered_at if self._reached_at is None else \
                    max(self._reached_at, self._entered_at - self.grace_s)
                self.current = Hold(reached, t_s, self._pending_good_s)
                out.append(("started", self.current))
        elif self._entered_at is not None:
            # (PARTIAL has become BAD here: an unconfirmed position is not kept on the unseen.)
            lost_for = t_s - (self._last_in_position or t_s)
            if form is Form.CLOSE:
                self._last_in_position = t_s
            elif moving or lost_for > min(self.grace_s, self.confirm_s):
                self._entered_at = None
                out.append(("left", None))
        return out

    def drop_out(self) -> list[tuple[str, Hold | None]]:
        """The source lost time before the next frame (a drop-out, ``pose.clock``): end a hold
        at its last frame in full form and forget a position being entered, so no time across
        the gap is held. Returns the transitions, as ``update`` does."""
        out: list[tuple[str, Hold | None]] = []
        if self.current is not None:
            out.append(("ended", self._finish()))
        elif self._entered_at is not None:
            self._entered_at = None
            out.append(("left", None))
        self._prev_form = Form.BAD
        self._reached_at = self._partial_since = None  # nothing reached carries across the gap
        return out

    def finish(self) -> Hold | None:
        """Close a hold still open at the end of a recording."""
        return self._finish() if self.current is not None else None

    def _finish(self) -> Hold:
        hold = self.current
        assert hold is not None
        self.holds.append(hold)
        self.current = None
        self._entered_at = None
        return hold
