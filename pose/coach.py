"""Checks over time: holds, bouncing, over-range and the events they raise.

``StretchChecker`` follows one stretch through a recording or a live session, on whichever side
is being stretched. ``Coach`` steps a person through a routine: the checker of a live session
(and of its faithful replay), behind the pipeline's checker interface (``pose.pipeline``).
Everything is driven by session time (``pose.clock``), never the wall clock, so a video analysed
faster than real time gives the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TypeVar, cast

import numpy as np

from pose.angles import UNITS
from pose.ballistic import MESSAGE as BALLISTIC_MESSAGE
from pose.ballistic import Ballistic, BallisticWatch
from pose.block_checks import Verdict
from pose.bounce import Bounce, BounceDetector
from pose.checks import (
    CLEAR_VISIBILITY,
    FACE_THE_CAMERA,
    IN_FORM,
    NEARLY,
    OVER_RANGE,
    UNKNOWN,
    Position,
    blocked_by_view,
    evaluate,
    judge_frame,
    seen_clearly,
    too_far,
)
from pose.cycles import CycleCounter
from pose.events import EVENT_KINDS, Event  # noqa: F401 - re-exported
from pose.hold import Form, Hold, HoldTimer
from pose.landmarks import PoseFrame
from pose.report import SideRecord, StretchResult
from pose.stillness import SpeedGate, joint_measures
from pose.stretches import SIDES, Limit, Routine, Stretch, resolve

DECLINED_MIN_S = 2.0
"""A stretch taken this long (seconds) without a judgeable view is reported as declined."""

OVER_RANGE_CONFIRM_S = 0.15
"""How long (s) an angle stays past its safe limit before the over-range warning: an
over-stretch is a position pushed into and kept, where the model's reading of a landmark can
jump for a frame or two (the real clips of ``../shared/realclips``: R06's shoulder flexion read
173, 251, -18 deg on three frames at a jump cut, and R02's title card put the knees 2-18 deg
past the twist's limit for its first 80 ms; each raised a spoken "too far" for 4 s). The run
past the limit goes on through frames that do not read the angle (no pose for a moment) for
up to ``OVER_RANGE_GAP_S``, and through readings back inside it shorter than this time (an
angle jittering about its limit is at it); it ends once the angle has read inside for this
long. A single jerk past the limit and straight back is not warned of; repeated, it is
bouncing (``pose.bounce``). Held past the limit, the warning comes at 5 fps on the second
frame, at 30 fps on the sixth."""
OVER_RANGE_GAP_S = 0.5
"""How long (s) frames that do not read an angle may interrupt its run past the limit."""

_FORM = {IN_FORM: Form.GOOD, NEARLY: Form.CLOSE, UNKNOWN: Form.PARTIAL}

_Judged = TypeVar("_Judged", Position, Verdict)
"""A frame's verdict: a ``Position`` judged there and then, or a ``Verdict`` read from a block
judged ahead (``pose.block_checks``); the state machine reads the same fields of either."""


def hold_form(pos: Position | Verdict | None, moving: bool = False) -> Form:
    """What a frame's verdict means for a hold.

    Unknown criteria with every seen one met is partial view (a hold goes on, see
    ``pose.hold``), as long as something is seen at all. A body in position but moving faster
    than the stillness limit (``pose.stillness``) is ``Form.MOVING``: not holding, whatever
    its angles.
    """
    if pos is None:
        return Form.BAD
    form = _FORM.get(pos.status, Form.BAD)
    if moving and form is not Form.BAD:
        return Form.MOVING
    if form is Form.PARTIAL and pos.met == 0:
        return Form.BAD
    return form


def _resolved(templates: Sequence[str], side: str) -> list[str]:
    """Angle names of ``templates`` for one side, or for both sides of a "both" stretch."""
    sides = SIDES if side == "both" else (side,)
    return list(dict.fromkeys(resolve(a, s) for a in templates for s in sides))


def _seconds(s: float) -> str:
    return f"{max(0, math.ceil(s - 1e-6)):d} s"


class StretchChecker:
    """Follows one stretch frame by frame.

    Args:
        stretch: what to check.
        target_hold_s: hold wanted on each side.
        side: the side a routine asks for, or None to find it each frame.
        extra_limits: personal over-range limits (from the user's profile) on top of the
            stretch's safe limits.
    """

    def __init__(self, stretch: Stretch, target_hold_s: float | None = None,
                 side: str | None = None, extra_limits: Sequence[Limit] = (),
                 confirm_s: float = 0.5, grace_s: float = 1.0) -> None:
        self.stretch = stretch
        self.target_hold_s = target_hold_s or stretch.hold_s
        self.side = side
        self.extra_limits = tuple(extra_limits)
        keys = ("both",) if stretch.sides == "both" else SIDES
        self.timers = {k: HoldTimer(confirm_s, grace_s) for k in keys}
        self.records = {k: SideRecord() for k in keys}
        self._detectors = {
            k: [BounceDetector(name) for name in self._watched(k)] for k in keys
        }
        self._still = {k: SpeedGate(n for n in self._steady(k) if UNITS.get(n) == "deg")
                       for k in keys}
        self._completed: set[int] = set()
        self._over_since: dict[str, float] = {}
        # Each angle's run past its safe limit: (first, last) frame time read past it.
        self._past: dict[str, tuple[float, float]] = {}
        self._cycles = {k: [CycleCounter(replace(stretch.cycle, angle=name))
                            for name in self._cycle_angles(k)]
                        for k in keys} if stretch.cycle else {}
        self._rushed_at: float | None = None
        self.last: Position | Verdict | None = None
        self.declined_s = {k: 0.0 for k in keys}
        """Seconds per side in which the position was taken as far as this camera view lets
        it be judged, but no hold was timed (see ``pose.checks.blocked_by_view``)."""
        self._blocked_at: float | None = None

    def _cycle_angles(self, side: str) -> list[str]:
        assert self.stretch.cycle is not None
        return _resolved((self.stretch.cycle.angle,), side)

    def _watched(self, side: str) -> list[str]:
        return _resolved(self.stretch.working_angles, side)

    def _steady(self, side: str) -> list[str]:
        """Angles that must be steady for a hold: the required criteria's joints, in every
        plane (an optional criterion is a part the view may not show well, the far limb of a
        side view or a trunk behind a desk: too unreliable to time a hold by)."""
        required = [c.angle for c in self.stretch.criteria if not c.optional]
        return list(joint_measures(_resolved(required, side)))

    def observe(self, t_s: float, pose: PoseFrame | None,
                angles: Mapping[str, float]) -> tuple[Position | None, list[Event]]:
        """``update`` from a pipeline frame: a frame without one clearly seen person counts as
        no pose (see ``usable``)."""
        if pose is not None and usable(pose):
            return self.update(t_s, angles, pose.visibility)
        return self.update(t_s, {}, None)

    def update(self, t_s: float, angles: Mapping[str, float],
               visibility: np.ndarray | None) -> tuple[Position | None, list[Event]]:
        """Judge one frame; ``angles`` empty and ``visibility`` None when there is no pose."""
        pos = None
        if angles:
            pos = judge_frame(self.stretch, angles, visibility, self.side, self.extra_limits)
            pos = self._keep_holding_side(pos, angles, visibility)
        return pos, self._follow(t_s, pos, angles, visibility)

    def update_judged(self, t_s: float, verdict: Verdict, angles: Mapping[str, float],
                      visibility: np.ndarray | None) -> list[Event]:
        """``update`` of a frame with a pose, judged ahead with its block (the batch entries:
        ``pose.block_checks``): ``verdict`` is what ``judge_frame`` says of it (the side not
        given: ``side`` None). Returns the events."""
        if self.side is not None:
            raise ValueError("a block verdict finds the side: this checker has it given")
        return self._follow(t_s, self._keep_holding_side(verdict, angles, visibility), angles,
                            visibility)

    def _follow(self, t_s: float, pos: Position | Verdict | None, angles: Mapping[str, float],
                visibility: np.ndarray | None) -> list[Event]:
        """The state machine on a frame's verdict: holds, stillness, bounces, over-range and
        cycles; the events of the frame."""
        events: list[Event] = []
        self.last = pos
        active = pos.side if pos is not None and pos.side in self.timers else None
        self._count_declined(t_s, pos, active)
        for key, timer in self.timers.items():
            gate = self._still[key]
            if key != active and timer.current is None and not timer.entering:
                gate.reset()  # (the other side, nothing under way there: the common case)
                timer.update(t_s, Form.BAD)
                continue
            placed = hold_form(pos) if key == active else Form.BAD
            moving = False
            if placed is Form.BAD and timer.current is None and not timer.entering:
                # Speed counts from the moment the position is reached: arriving is not
                # holding, but it does not make the first still moments "moving" either.
                gate.reset()
            else:
                gate.update(t_s, angles)
                moving = gate.moving
            form = hold_form(pos, moving) if key == active else Form.BAD
            # (What is unseen only counts within a hold: not worked out otherwise.)
            unseen = pos.unseen if (pos is not None and form is Form.PARTIAL
                                    and timer.current is not None) else ()
            for what, hold in timer.update(t_s, form, unseen):
                events.extend(self._hold_event(t_s, key, what, hold))
            if timer.current is not None:
                events.extend(self._completion(t_s, key, timer.current))
        self._follow_past(t_s, pos, angles)
        if pos is not None and active is not None:
            events.extend(self._watch_bounce(t_s, active, pos, angles, visibility))
            if self._in_or_entering(active, pos):
                events.extend(self._watch_range(t_s, active, pos))
                events.extend(self._watch_cycles(t_s, active, angles))
        return events

    def _follow_past(self, t_s: float, pos: Position | Verdict | None,
                     angles: Mapping[str, float]) -> None:
        """Each angle's run past its safe limit (``OVER_RANGE_CONFIRM_S``), on a frame's
        verdict (None: nothing read)."""
        over = {o.angle for o in pos.over_range} if pos is not None else set()
        past = self._past
        for angle, (_, last) in list(past.items()):
            if angle in over:
                continue
            quiet = t_s - last
            back = pos is not None and math.isfinite(angles.get(angle, math.nan))
            if quiet > OVER_RANGE_GAP_S or (back and quiet >= OVER_RANGE_CONFIRM_S):
                del past[angle]
        for angle in over:
            past[angle] = (past[angle][0] if angle in past else t_s, t_s)

    def _count_declined(self, t_s: float, pos: Position | Verdict | None,
                        active: str | None) -> None:
        blocked = (pos is not None and active is not None
                   and (pos.blocked if isinstance(pos, Verdict)
                        else blocked_by_view(self.stretch, pos))
                   and self.timers[active].current is None)
        if blocked and self._blocked_at is not None and active is not None:
            self.declined_s[active] += max(0.0, t_s - self._blocked_at)
        self._blocked_at = t_s if blocked else None

    def _keep_holding_side(self, pos: _Judged, angles: Mapping[str, float],
                           visibility: np.ndarray | None) -> _Judged:
        """While a hold goes on, judge its side first: with part of the body out of view the
        side rule may read the other side, but the hold's side is what is being held until a
        seen criterion says otherwise."""
        if self.side is not None:
            return pos
        held = [k for k, t in self.timers.items() if t.current is not None and k in SIDES]
        if not held or pos.side == held[0] and pos.status != UNKNOWN:
            return pos
        mine = cast(_Judged, pos.on_side(held[0]) if isinstance(pos, Verdict) else
                    evaluate(self.stretch, held[0], angles, visibility, self.extra_limits))
        if mine.status in (IN_FORM, NEARLY, UNKNOWN, OVER_RANGE) and \
                pos.status not in (IN_FORM, OVER_RANGE):
            return mine
        return pos

    def _watch_cycles(self, t_s: float, side: str, angles: Mapping[str, float]) -> list[Event]:
        events = []
        for counter in self._cycles.get(side, ()):
            step = counter.update(t_s, angles.get(counter.cycle.angle, math.nan))
            if step is None:
                continue
            self.records[side].cycles = max(c.cycles for c in self._cycles[side])
            minimum = counter.cycle.min_period_s
            if step.period_s is not None and step.period_s < minimum:
                last, self._rushed_at = self._rushed_at, t_s
                if last is not None and t_s - last < 2.0 * minimum:
                    continue  # the same rushed episode: said once
                hz = round(1.0 / step.period_s, 2)
                self.records[side].bounces.append(
                    Bounce(t_s, counter.cycle.angle, 0.0, hz))
                events.append(Event(t_s, "bounce", self.stretch.id, side,
                                    f"Slower, please: about {minimum:.0f} s or more for each "
                                    "full cycle", {"angle": counter.cycle.angle,
                                                   "frequency_hz": hz}))
        return events

    @property
    def idle(self) -> bool:
        """Nothing under way: no hold, no position being entered, no motion being watched."""
        return all(t.current is None and not t.entering for t in self.timers.values()) and \
            all(d.idle for dets in self._detectors.values() for d in dets) and \
            not self._over_since and not self._past

    @property
    def over_range_fleeting(self) -> bool:
        """An angle has gone past its safe limit too briefly yet to be warned of
        (``OVER_RANGE_CONFIRM_S``), and no warning's episode is under way."""
        return not self._over_since and any(last - first < OVER_RANGE_CONFIRM_S
                                            for first, last in self._past.values())

    def out_of_position(self, t_s: float) -> None:
        """Same as ``update``, when the checker is ``idle``, for a frame without a usable pose
        or whose verdict cannot move it (``pose.block_checks.BlockJudgement.moves``): only
        time moves on."""
        for timer in self.timers.values():
            timer.update(t_s, Form.BAD)
        for gate in self._still.values():
            gate.reset()
        self._blocked_at = None
        self._follow_past(t_s, None, {})
        for dets in self._detectors.values():
            for d in dets:
                d.update(t_s, math.nan)
        self.last = None

    def drop_out(self, t_s: float) -> list[Event]:
        """The source lost time before the frame at ``t_s`` (``pose.clock``): holds end at their
        last frame before the gap and motion watched across it is forgotten."""
        events = []
        for key, timer in self.timers.items():
            for what, hold in timer.drop_out():
                events.extend(self._hold_event(t_s, key, what, hold))
        for gate in self._still.values():
            gate.reset()  # speed measured across the gap would be a guess
        self._blocked_at = None
        self._past.clear()  # nor is a run past a limit one across it
        for dets in self._detectors.values():
            for d in dets:
                d.update(t_s, math.nan)
        return events

    def declined(self, min_s: float = DECLINED_MIN_S) -> list[dict[str, object]]:
        """Sides taken for at least ``min_s`` as far as the view lets them be judged, whose
        deciding criteria this view cannot judge (``declined_s``): not claimed, and said so."""
        return [{"stretch": self.stretch.id, "side": side, "seconds": round(s, 2),
                 "reason": "its deciding criteria cannot be judged from this camera view",
                 "cue": FACE_THE_CAMERA}
                for side, s in self.declined_s.items() if s >= min_s]

    def results(self, side: str | None = None) -> list[StretchResult]:
        """Per side (or only ``side``), what this stretch achieved."""
        return [StretchResult(self.stretch, key, self.target_hold_s, record)
                for key, record in self.records.items() if side in (None, key)]

    def finish(self, t_s: float) -> list[Event]:
        """Close holds still open at the end of a recording."""
        events = []
        for key, timer in self.timers.items():
            hold = timer.finish()
            if hold is not None:
                events.extend(self._hold_event(t_s, key, "ended", hold))
        return events

    def stop_for_pain(self, t_s: float) -> list[Event]:
        side = self.last.side if self.last and self.last.side in self.timers else None
        key = side or self.side or next(iter(self.timers))
        self.records[key].pain_stops.append(t_s)
        events = self.finish(t_s)
        events.append(Event(t_s, "pain_stop", self.stretch.id, key,
                            "Stopped because it hurt. Rest, and only go as far as is comfortable"))
        return events

    # -- internals -------------------------------------------------------------------------

    def _hold_event(self, t_s: float, side: str, what: str, hold: Hold | None) -> list[Event]:
        sid = self.stretch.id
        if what == "entered":
            return [Event(t_s, "position_entered", sid, side, "In position - keep still")]
        if what == "left":
            return [Event(t_s, "position_left", sid, side, "Out of position")]
        assert hold is not None
        if what == "started":
            left = self.target_hold_s - hold.duration_s
            return [Event(hold.start_s, "hold_started", sid, side,
                          f"Holding - {_seconds(left)} to go")]
        self.records[side].holds.append(hold)
        self._completed.discard(id(hold))
        return [
            Event(hold.end_s, "hold_ended", sid, side,
                  f"Hold ended after {hold.duration_s:.1f} s",
                  {"duration_s": round(hold.duration_s, 2)}),
            Event(hold.end_s, "position_left", sid, side, "Out of position"),
        ]

    def _completion(self, t_s: float, side: str, hold: Hold) -> list[Event]:
        if id(hold) in self._completed or hold.duration_s < self.target_hold_s:
            return []
        self._completed.add(id(hold))
        return [Event(t_s, "hold_completed", self.stretch.id, side,
                      f"Well done - {self.target_hold_s:.0f} s held. Release slowly")]

    def _in_or_entering(self, side: str, pos: Position | Verdict) -> bool:
        return pos.status in (IN_FORM, NEARLY, OVER_RANGE) or \
            self.timers[side].current is not None

    def _watch_bounce(self, t_s: float, side: str, pos: Position | Verdict,
                      angles: Mapping[str, float],
                      visibility: np.ndarray | None = None) -> list[Event]:
        events: list[Event] = []
        detectors = self._detectors[side]
        if not self._in_or_entering(side, pos):
            for det in detectors:
                det.update(t_s, math.nan)  # not watched: no bounce comes of it
            return events
        if isinstance(pos, Verdict):  # its block worked out what is clearly seen
            seen = [pos.seen_clearly(det.angle) for det in detectors]
        elif visibility is None:
            seen = [True] * len(detectors)
        else:
            clear = (np.asarray(visibility) >= CLEAR_VISIBILITY).tolist()
            seen = [seen_clearly(det.angle, clear) for det in detectors]
        for det, clearly in zip(detectors, seen, strict=True):
            bounce = det.update(t_s, angles.get(det.angle, math.nan) if clearly else math.nan)
            if bounce is not None:
                self.records[side].bounces.append(bounce)
                events.append(Event(t_s, "bounce", self.stretch.id, side,
                                    "Don't bounce - ease in slowly and hold still",
                                    {"angle": bounce.angle,
                                     "amplitude_deg": bounce.amplitude_deg,
                                     "frequency_hz": bounce.frequency_hz}))
        return events

    def _watch_range(self, t_s: float, side: str, pos: Position | Verdict) -> list[Event]:
        events = []
        now = {o.angle for o in pos.over_range}
        for o in pos.over_range:
            if t_s - self._past[o.angle][0] < OVER_RANGE_CONFIRM_S:
                continue  # not yet an over-stretch: a reading may jump for a frame
            if o.angle not in self._over_since:
                record: dict[str, float | str] = {"t_s": round(t_s, 3), "angle": o.angle,
                                                  "value_deg": round(o.value, 1),
                                                  "limit_deg": o.limit}
                self.records[side].over_range.append(record)
                events.append(Event(t_s, "over_range", self.stretch.id, side, o.cue,
                                    {"angle": o.angle, "value_deg": round(o.value, 1),
                                     "limit_deg": o.limit}))
            self._over_since[o.angle] = t_s
        for angle in list(self._over_since):
            # One event per episode: re-arm once back inside the limit for a second.
            if angle not in now and t_s - self._over_since[angle] > 1.0:
                del self._over_since[angle]
        return events


class PoseWatch:
    """Raises pose_lost / pose_found / several_people events, debounced."""

    def __init__(self, lost_after_s: float = 0.5) -> None:
        self.lost_after_s = lost_after_s
        self._seen = False
        self._last_pose: float | None = None
        self._crowd = False

    def update(self, t_s: float, pose: PoseFrame | None) -> list[Event]:
        events = []
        if pose is not None:
            if not self._seen:
                events.append(Event(t_s, "pose_found", message="I can see you"))
            self._seen, self._last_pose = True, t_s
            crowd = pose.people > 1
            if crowd and not self._crowd:
                events.append(Event(t_s, "several_people",
                                    message="More than one person in view: I can coach one"))
            self._crowd = crowd
        elif self._seen and (self._last_pose is None or
                             t_s - self._last_pose >= self.lost_after_s):
            self._seen = False
            events.append(Event(t_s, "pose_lost",
                                message="I can't see you - step back into view"))
        return events


def ballistic_event(b: Ballistic) -> Event:
    """A ``bounce`` event for ballistic movement seen anywhere (no stretch, no side)."""
    return Event(b.t_s, "bounce", None, None, BALLISTIC_MESSAGE,
                 {"detail": b.detail, "angle": b.joints[0], "joints": ",".join(b.joints),
                  "amplitude_deg": b.amplitude_deg, "frequency_hz": b.frequency_hz})


def watch_ballistic(watch: BallisticWatch, t_s: float, pose: PoseFrame | None,
                    angles: Mapping[str, float]) -> list[Event]:
    """Feed one frame to ``watch`` (the pose too, so that it can tell walking past from
    swinging in place); the event of an episode that starts there, if any."""
    if usable(pose):
        b = watch.update(t_s, angles, pose)
    else:
        b = watch.update(t_s, {})
    return [ballistic_event(b)] if b is not None else []


def usable(pose: PoseFrame | None) -> bool:
    """Checks run only on one clearly seen person: several people could mix up the coaching,
    and a body far in the background (``pose.checks.MIN_SPAN``) is not the user and is read
    too coarsely."""
    return pose is not None and pose.people == 1 and not too_far(pose.span)


CONTROLS = ("pause", "resume", "skip", "pain")
"""What a person can do during a live session (the page's buttons)."""


class Coach:
    """Steps through a routine live: each stretch, each side, in turn.

    It moves on once the target hold is completed (after ``rest_s`` to release), on ``skip``,
    or after a pain stop. ``feedback`` after each update holds what the page shows.
    """

    def __init__(self, routine: Routine,
                 personal_limits: Mapping[str, Sequence[Limit]] | None = None,
                 rest_s: float = 5.0) -> None:
        self.routine = routine
        self.routine_id: str | None = routine.id
        self.mode = "routine"
        self.personal = dict(personal_limits or {})
        self.rest_s = rest_s
        self.plan = [(i, side) for i, step in enumerate(routine.steps) for side in step.sides]
        self.position = 0
        self.paused = False
        self.finished = False
        self.checkers: list[StretchChecker] = []
        self._rest_until: float | None = None
        self._started_at: float | None = None
        self.last: Position | None = None
        self.events: list[Event] = []
        self._new_checker()

    # -- what the page shows ---------------------------------------------------------------

    @property
    def step(self):
        return self.routine.steps[self.plan[min(self.position, len(self.plan) - 1)][0]]

    @property
    def side(self) -> str:
        return self.plan[min(self.position, len(self.plan) - 1)][1]

    @property
    def checker(self) -> StretchChecker:
        return self.checkers[-1]

    @property
    def active_side(self) -> str | None:
        """The side being done now: the planned one, or, while either side may come first
        (``checker.side`` None), the side being held or last seen; None before any is seen."""
        checker = self.checker
        if checker.side is not None:
            return checker.side
        held = [k for k, timer in checker.timers.items() if timer.current is not None]
        if held:
            return held[0]
        return self.last.side if self.last is not None and self.last.side in SIDES else None

    def hold_progress(self) -> tuple[float, float]:
        """(seconds held in the current hold, target seconds)."""
        timer = self.checker.timers[self.active_side or self.side]
        current = timer.current.duration_s if timer.current else 0.0
        return current, self.checker.target_hold_s

    # -- control ---------------------------------------------------------------------------

    def _either_side_first(self) -> bool:
        """Both sides of this step are still to do: the person may start with either."""
        index = self.plan[self.position][0]
        return sum(i == index for i, _ in self.plan[self.position:]) > 1

    def _new_checker(self) -> None:
        step = self.step
        side = None if self._either_side_first() else self.side
        self.checkers.append(StretchChecker(step.stretch, step.hold_s, side,
                                            self.personal.get(step.stretch.id, ())))
        self._started_at = None

    def _credit_side(self, side: str) -> None:
        """The first completed hold of a step decides which side it was: the plan swaps its
        sides when the person started with the other one."""
        if self.checker.side is not None:
            return
        self.checker.side = side
        if side != self.side:
            later = next(k for k in range(self.position + 1, len(self.plan))
                         if self.plan[k] == (self.plan[self.position][0], side))
            self.plan[self.position], self.plan[later] = self.plan[later], self.plan[self.position]

    def next_step(self, t_s: float) -> list[Event]:
        """Move on to the next side or stretch now (the caller timed release and rest)."""
        return self.skip(t_s)

    def _advance(self, t_s: float) -> list[Event]:
        if self.checker.side is None:
            self._credit_side(self.side)
        events = self.checker.finish(t_s)
        self.position += 1
        self._rest_until = None
        if self.position >= len(self.plan):
            self.finished = True
            events.append(Event(t_s, "routine_finished", message="Routine finished - well done"))
            return events
        self._new_checker()
        self._started_at = t_s  # announced here: the next update must not announce it again
        events.append(self._step_started(t_s, "Next: "))
        return events

    def _step_started(self, t_s: float, lead: str = "") -> Event:
        step = self.step
        side = "" if self.side == "both" else f", {self.side} side"
        return Event(t_s, "step_started", step.stretch.id, self.side,
                     f"{lead}{step.stretch.name}{side}")

    @property
    def active(self) -> bool:
        """Coaching: neither paused nor finished (the pipeline watches the pose only then)."""
        return not (self.finished or self.paused)

    def control(self, action: str, t_s: float, value: float | None = None) -> list[Event]:
        """Apply one of ``CONTROLS`` at ``t_s``: "pause", "resume", "skip" or "pain" (they
        take no ``value``)."""
        if action == "pause":
            self.paused = True
        elif action == "resume":
            self.paused = False
        elif action == "skip":
            return self.skip(t_s)
        elif action == "pain":
            return self.stop_for_pain(t_s)
        else:
            raise ValueError(f"unknown action {action!r}: one of {', '.join(CONTROLS)}")
        return []

    def skip(self, t_s: float) -> list[Event]:
        if self.finished:
            return []
        return self._record(self._advance(t_s))

    def stop_for_pain(self, t_s: float, advance: bool = True) -> list[Event]:
        """End the current hold because it hurts; move on unless ``advance`` is False (the
        caller then asks the person what to do)."""
        if self.finished:
            return []
        events = self.checker.stop_for_pain(t_s)
        return self._record(events + (self._advance(t_s) if advance else []))

    def _record(self, events: list[Event]) -> list[Event]:
        self.events.extend(events)
        return events

    def screen(self, angles: Mapping[str, np.ndarray], visibility: np.ndarray) -> None:
        """Nothing to work out ahead: live checks one stretch, every frame."""
        return None

    def update(self, t_s: float, pose: PoseFrame | None, angles: Mapping[str, float],
               hint: object = None) -> tuple[Position | None, list[Event]]:
        """Judge one frame of the current step; moves on after a completed hold and a rest."""
        if not self.active:
            return None, []
        events: list[Event] = []
        if self._started_at is None:
            self._started_at = t_s
            events.append(self._step_started(t_s))
        pos, checks = self.checker.observe(t_s, pose, angles)
        events.extend(checks)
        self.last = pos
        for e in checks:
            if e.kind == "hold_completed":
                if e.side in SIDES:
                    self._credit_side(e.side)
                self._rest_until = t_s + self.rest_s
        if self._rest_until is not None and t_s >= self._rest_until:
            events.extend(self._advance(t_s))
        return pos, self._record(events)

    def drop_out(self, t_s: float) -> list[Event]:
        if not self.active:
            return []
        return self._record(self.checker.drop_out(t_s))

    def finish(self, t_s: float) -> list[Event]:
        """Close the current step's open holds (the session ends)."""
        if self.finished:
            return []
        return self._record(self.checker.finish(t_s))

    def results(self) -> list[StretchResult]:
        """Per stretch and side coached so far, in the routine's order."""
        return [r for c in self.checkers for r in c.results(c.side)]

    def declined(self) -> list[dict[str, object]]:
        """The coached stretches this camera view could not judge (``StretchChecker.declined``)."""
        return [d for c in self.checkers for d in c.declined()]

    def report_events(self, events: Sequence[Event]) -> list[Event]:
        """Live events are reported as they happened, in that order."""
        return list(events)
