"""The routine as a person on the floor follows it: get into position, hold, release, rest, next.

``RoutinePlayer`` drives a ``pose.coach.Coach`` (which checks the form and times the holds) and
adds what a person needs to follow it without touching the computer:

* phases: ``position`` (the posture first - "Lie on your back" - with the camera advice, the
  fine cues only once the posture is right) -> ``hold`` (a countdown) or ``cycles`` (cat-cow:
  pace and count) -> ``release`` -> ``rest`` (the next side or stretch announced) -> ``position``
  of the next one, by itself;
* either side first: the coach credits the side that was held (see ``Coach._credit_side``);
* a pause that freezes every timer: the coach runs on a clock that stops while paused (its
  results are handed out on frame time, so a hold after a pause sits where its frames are);
* a camera check at each change of position (the first stretch, and whenever the starting
  position or the camera's place changes): no hold starts before the posture and the camera's
  view are right for the new stretch;
* a cue that stays at least ``cue_min_s`` unless a safety warning replaces it;
* the pain stop: the stretch ends at once, the person is asked what it is and how bad, and either
  stops for today or chooses to rest, skip the stretch or end.

Pure Python on frame timestamps: no Streamlit, no wall clock. It is a checker of the one frame
loop (``pose.pipeline.Checker``), so ``pose.live.LiveSession`` puts it in the loop in place of
the bare coach, and every request of the person is a control (``control``, ``CONTROLS``) that
the loop applies and the store keeps: ``pose.sessions.replay_session`` rebuilds the player and
re-applies them, so a replay gives the session's own results and events.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from pose.checks import (
    IN_FORM,
    NEARLY,
    OUT_OF_FORM,
    OVER_RANGE,
    TOO_FAR,
    UNKNOWN,
    Position,
    camera_check,
    too_far,
)
from pose.coach import Coach
from pose.events import Event
from pose.landmarks import PoseFrame
from pose.report import SideRecord, StretchResult
from pose.stretches import SIDES, Limit, Routine, Stretch

POSITION, HOLD, CYCLES, RELEASE, REST, PAIN, FINISHED, STOPPED_TODAY = (
    "position", "hold", "cycles", "release", "rest", "pain", "finished", "stopped_today")
PHASES = (POSITION, HOLD, CYCLES, RELEASE, REST, PAIN, FINISHED, STOPPED_TODAY)

#: The first thing to say for each starting position of the catalogue (``Stretch.position``).
POSTURE_CUES = {
    "supine": "Lie on your back",
    "prone": "Lie on your front",
    "all_fours": "Come onto your hands and knees",
    "kneeling": "Kneel on the mat",
    "seated": "Sit down with your back tall",
    "standing": "Stand up tall",
}

#: What a person can report after the pain stop, and the words the page uses for them.
FEELINGS = {"sharp": "Sharp pain", "tingling": "Tingling or numbness",
            "discomfort": "Discomfort or a strong stretch"}
#: A rating from this value up ends stretching for today (0-10 scale; the seed's rule).
SEVERE_RATING = 7
STOP_TODAY_ADVICE = ("Stop stretching for today. Sharp pain, tingling or numbness, or strong "
                     "pain are a reason to talk to your doctor or physiotherapist before you "
                     "stretch again.")
AFTER_PAIN_CHOICES = ("rest", "skip", "end")

CONTROLS = ("pause", "resume", "skip", "pain", "pain_answer", "after_pain")
"""What a person can do (keys and buttons), as ``RoutinePlayer.control`` takes them: the
answer to the pain question is "pain_answer:<feeling>" with the rating as the value, the
choice after it "after_pain:<choice>" (so the controls table keeps them as text and number)."""

#: Coaching times closer than this are one moment (half the media clock's shortest step,
#: ``pose.clock.MIN_STEP_S``): the first frame after a resume and the pause it ends.
_SAME_MOMENT_S = 0.0005

#: The cue while nobody is seen in a stretch's position (``pose.live`` words it for a picture
#: too dark to find anyone in).
NOT_SEEN = "I can't see you - come into the camera's view"

#: Events that are safety warnings: they replace any cue at once, and the voice says them first.
SAFETY_EVENTS = {"over_range": 4.0, "bounce": 4.0, "several_people": 3.0}


def side_words(side: str | None) -> str:
    """"left side", "right side", "" for both sides at once, "either side first" if open."""
    if side == "both":
        return ""
    return f"{side} side" if side in SIDES else "either side first"


def step_label(name: str, side: str | None) -> str:
    """"Knee to chest, left side" (for speech and sentences)."""
    words = side_words(side)
    return f"{name}, {words}" if words else name


def target_cycles(stretch: Stretch, hold_s: float) -> int:
    """Slow cycles asked for in place of a hold: one every ``2 * min_period_s`` seconds (an
    unhurried pace, twice the fastest the catalogue accepts), at least 3."""
    assert stretch.cycle is not None
    return max(3, round(hold_s / (2.0 * stretch.cycle.min_period_s)))


#: Whole-body angle ranges (deg, conventions in pose/angles.py) that tell each starting
#: position, wide on purpose: they only decide whether the posture cue ("Lie on your back")
#: comes before the fine cues. Each entry: (angle names, reduce, low, high); the reduced value
#: of the named angles must lie in [low, high]. Kneeling (child's pose, the lunge, upright or
#: sitting back on the heels) is told by a shin along the floor under a bent knee, not lying on
#: the back (a hugged knee holds its shin level too); a squat stands on steep shins.
POSTURE_RANGES: dict[str, tuple[tuple[tuple[str, ...], str, float, float], ...]] = {
    "supine": ((("trunk_inclination",), "min", 50.0, 180.0),
               (("chest_up",), "min", 20.0, 180.0)),
    "prone": ((("chest_up",), "min", -180.0, -20.0),
              (("thigh_inclination_left", "thigh_inclination_right"), "min", 60.0, 180.0)),
    "all_fours": ((("chest_up",), "min", -180.0, -20.0),
                  (("trunk_inclination",), "min", 45.0, 135.0),
                  (("thigh_inclination_left", "thigh_inclination_right"), "max", 0.0, 45.0)),
    "kneeling": ((("shank_inclination_left", "shank_inclination_right"), "max", 60.0, 180.0),
                 (("knee_flexion_left", "knee_flexion_right"), "max", 45.0, 180.0),
                 (("chest_up",), "min", -180.0, 20.0)),
    "seated": ((("trunk_inclination",), "min", 0.0, 70.0),
               (("thigh_inclination_left", "thigh_inclination_right"), "min", 50.0, 130.0)),
    "standing": ((("thigh_inclination_left", "thigh_inclination_right"), "min", 0.0, 30.0),),
}


def posture_missing(stretch: Stretch, angles: Mapping[str, float], seen: bool = True) -> bool:
    """True when the body is clearly not in the stretch's starting position (standing during
    knee to chest): then the posture cue comes before any fine cue. Unseen angles decide
    nothing; with no one seen at all the posture is missing."""
    if not seen:
        return True
    for names, reduce, low, high in POSTURE_RANGES.get(stretch.position, ()):
        values = [angles.get(n, math.nan) for n in names]
        values = [v for v in values if math.isfinite(v)]
        if not values:
            continue
        v = min(values) if reduce == "min" else max(values)
        if not low <= v <= high:
            return True
    return False


@dataclass(frozen=True)
class PainReport:
    """What the person said after the pain stop."""

    t_s: float
    stretch: str
    side: str
    feeling: str
    """A key of ``FEELINGS``."""
    rating: int
    """0 (none) to 10 (worst imaginable)."""

    @property
    def stop_today(self) -> bool:
        return self.feeling in ("sharp", "tingling") or self.rating >= SEVERE_RATING


@dataclass(frozen=True)
class PlayerView:
    """What the page, the overlay and the voice show after a frame."""

    phase: str = POSITION
    paused: bool = False
    stretch: str = ""
    stretch_name: str = ""
    side: str | None = None
    """The person's own side being stretched, "both", or None while either may come first."""
    step: int = 1
    steps: int = 1
    cue: str = ""
    cue_kind: str = "posture"
    """"posture", "form", "safety", "phase" (an announcement) or "info"."""
    status: str = "unknown"
    seconds_left: float | None = None
    """Countdown of the hold, the release or the rest; None in the other phases."""
    held_s: float = 0.0
    target_s: float = 0.0
    cycles: int = 0
    cycles_target: int = 0
    next_label: str = ""
    camera: str = ""
    """The camera advice for the current stretch (for the next one during the rest)."""
    camera_moves: bool = False
    """The rest announces a new camera place for the next stretch."""
    camera_check: bool = False
    """Waiting for the camera to be right for a new position: no hold starts before."""
    pain_feeling: str | None = None
    advice: str = ""
    skip_ends_rest: bool = False
    """Skip (S) ends the rest now (``RoutinePlayer.skip``) rather than skipping a stretch."""

    @property
    def label(self) -> str:
        return step_label_text(self.stretch_name, self.side)

    @property
    def countdown(self) -> int | None:
        """``seconds_left`` as a countdown shows it, in whole seconds rounded up (29.2 s left
        reads 30 until 29.0): the card, the picture and the voice say the same number."""
        return None if self.seconds_left is None else countdown(self.seconds_left)


def countdown(seconds_left: float) -> int:
    """Whole seconds left as a countdown shows them: rounded up, so a hold reads 0 only when
    it is done (the 1e-6 keeps 29.0000001 from floating-point sums at 30 - 1 = 29)."""
    return math.ceil(seconds_left - 1e-6)


def step_label_text(name: str, side: str | None) -> str:
    words = side_words(side)
    return f"{name} - {words}" if words else name


@dataclass
class _CueHold:
    """The shown cue: a new one replaces it only after ``min_s`` unless it is a safety
    warning or a phase announcement. ``status`` is the form status the cue was said for: the
    badge beside a form cue shows it, so that "Good" never stands beside "Lift your hips
    higher" while the cue waits out its minimum."""

    min_s: float
    text: str = ""
    kind: str = "info"
    since: float = -math.inf
    status: str = UNKNOWN

    def offer(self, t_s: float, text: str, kind: str, status: str) -> None:
        if text == self.text:
            self.status = status  # the same words: the badge may follow the form at once
            return
        if kind in ("safety", "phase") or t_s - self.since >= self.min_s:
            self.text, self.kind, self.since, self.status = text, kind, t_s, status


@dataclass
class RoutinePlayer:
    """A routine, played to a person frame by frame (see the module docstring).

    Args:
        routine: the routine.
        personal_limits: over-range limits from the profile, by stretch id.
        rest_s: rest between sides and stretches (s).
        release_s: time to come out of a completed hold before the rest (s).
        cue_min_s: least time a cue stays (s), unless a safety warning replaces it.
        skip_ends_rest: skip during a rest after a hold ends the rest (``skip``); False for
            sessions recorded before it did, so that their replay skips what they skipped.
    """

    routine: Routine
    personal_limits: Mapping[str, Sequence[Limit]] | None = None
    rest_s: float = 8.0
    release_s: float = 3.0
    cue_min_s: float = 2.0
    skip_ends_rest: bool = True
    coach: Coach = field(init=False)
    phase: str = field(init=False, default=POSITION)
    paused: bool = field(init=False, default=False)
    pain_reports: list[PainReport] = field(init=False, default_factory=list)
    _paused_total: float = field(init=False, default=0.0)
    _paused_at: float | None = field(init=False, default=None)
    _last_t: float = field(init=False, default=0.0)
    _phase_until: float = field(init=False, default=math.inf)
    _warning: tuple[str, float] | None = field(init=False, default=None)
    _pain_feeling: str | None = field(init=False, default=None)
    _pain_at: tuple[str, str] | None = field(init=False, default=None)
    """(stretch id, side) of the last pain stop."""
    _advice: str = field(init=False, default="")
    _seen: bool = field(init=False, default=False)
    _angles: Mapping[str, float] = field(init=False, default_factory=dict)
    _crowd: bool = field(init=False, default=False)
    _far: bool = field(init=False, default=False)
    """The person in view spans too little of the picture to be checked (``too_far``)."""
    _pauses: list[tuple[float, float]] = field(init=False, default_factory=list)
    """(coaching time of a pause, its length in s), in order: coaching time -> frame time."""
    _rest_after_pain: bool = field(init=False, default=False)
    """Resting after a pain stop ("rest"): the coach still stands on the stretch that hurt,
    where a rest after a hold stands on the next one."""
    _camera_ok_for: int | None = field(init=False, default=None)
    """The plan position whose camera check has passed."""
    _camera_problem: str = field(init=False, default="")

    mode = "routine"

    def __post_init__(self) -> None:
        # The player times release and rest itself: the coach never moves on by its own clock.
        self.coach = Coach(self.routine, self.personal_limits, rest_s=math.inf)
        self.routine_id: str | None = self.routine.id
        self._cue = _CueHold(self.cue_min_s)

    # -- time ------------------------------------------------------------------------------

    def _clock(self, t_s: float) -> float:
        """Coaching time: frame time minus every pause, so no timer runs while paused."""
        return t_s - self._paused_total

    def frame_time(self, t: float) -> float:
        """Frame time of coaching time ``t``: ``t`` plus every pause taken up to it. The
        coaching clock stands still while paused, so the first frame after a resume has the
        pause's own coaching time (to rounding, ``_SAME_MOMENT_S``); no frame is checked
        while paused, so that time is always the frame after the pause."""
        return t + sum(length for at, length in self._pauses if at < t + _SAME_MOMENT_S)

    def _frame_time(self, events: list[Event]) -> list[Event]:
        """Events on frame time (the store's and the review's clock), from coaching time:
        each by the pauses up to its own moment (a hold's end told after a resume may lie
        before the pause)."""
        if not self._pauses:
            return list(events)
        return [replace(e, t_s=self.frame_time(e.t_s)) for e in events]

    @property
    def finished(self) -> bool:
        return self.phase in (FINISHED, STOPPED_TODAY)

    # -- the frame loop's checker (``pose.pipeline.Checker``) ------------------------------

    @property
    def active(self) -> bool:
        """Coaching: not paused, not waiting for the pain answers, not finished (the loop
        watches the pose only then)."""
        return not (self.paused or self.phase in (PAIN, FINISHED, STOPPED_TODAY))

    def screen(self, angles: Mapping[str, np.ndarray], visibility: np.ndarray) -> None:
        """Nothing to work out ahead: live checks one stretch, every frame."""
        return None

    def update(self, t_s: float, pose: PoseFrame | None, angles: Mapping[str, float],
               hint: object = None) -> tuple[Position | None, list[Event]]:
        self._last_t = t_s
        self._seen = pose is not None
        self._angles = angles
        self._crowd = pose is not None and pose.people > 1
        self._far = pose is not None and too_far(pose.span)  # not checked: see usable()
        if not self.active:
            return None, []
        t = self._clock(t_s)
        if self.phase == REST:
            if t >= self._phase_until:
                self._enter(POSITION, t)
            else:
                return None, []
        if self.phase == POSITION and not self._camera_right(pose, angles):
            # The coach sees no one until the camera is right: no hold starts on a wrong view.
            pose, angles = None, {}
        pos, events = self.coach.update(t, pose, angles)
        events = self._frame_time(events)
        self.heed(t_s, events)
        events += self._advance_phase(t, t_s, events)
        return pos, events

    def _needs_camera_check(self) -> bool:
        """The first step of a new position: the first stretch, or a stretch whose starting
        position or camera place differs from the one before (a side switch needs none)."""
        coach = self.coach
        if self._camera_ok_for == coach.position or coach.finished:
            return False
        if coach.position == 0:
            return True
        before = coach.routine.steps[coach.plan[coach.position - 1][0]].stretch
        now = coach.step.stretch
        return (before.position, before.camera) != (now.position, now.camera)

    def _camera_right(self, pose: PoseFrame | None, angles: Mapping[str, float]) -> bool:
        """The camera check of a new position: the person seen in the stretch's starting
        posture, from the stretch's view, with every body part it judges in sight."""
        if not self._needs_camera_check():
            self._camera_problem = ""
            return True
        coach = self.coach
        stretch = coach.step.stretch
        if pose is None:
            self._camera_problem = NOT_SEEN
            return False
        if self._far:
            self._camera_problem = TOO_FAR
            return False
        if posture_missing(stretch, angles):
            self._camera_problem = POSTURE_CUES.get(stretch.position, "Get into position")
            return False
        side = coach.checker.side or "both"  # either side first: one side in sight will do
        problems = camera_check(stretch, side, pose.image, pose.visibility, pose.people)
        self._camera_problem = problems[0] if problems else ""
        if problems:
            return False
        self._camera_ok_for = coach.position
        return True

    def heed(self, t_s: float, events: Sequence[Event]) -> None:
        """The safety warnings among a frame's events: ``update`` heeds the checks' own, the
        live session also the loop's watches' (several people, ballistic movement). The cue
        shows them for a few seconds, replacing any other."""
        t = self._clock(t_s)
        for e in events:
            if e.kind in SAFETY_EVENTS:
                self._warning = (e.message, t + SAFETY_EVENTS[e.kind])
        if self._warning is not None and t > self._warning[1]:
            self._warning = None

    def control(self, action: str, t_s: float, value: float | None = None) -> list[Event]:
        """Apply one of ``CONTROLS`` at frame time ``t_s`` ("pain_answer:<feeling>" with the
        0-10 rating as ``value``, "after_pain:<choice>"). Raises ``ValueError`` on any other."""
        name, _, arg = action.partition(":")
        if name == "pause" and not arg:
            self.pause(t_s)
        elif name == "resume" and not arg:
            self.resume(t_s)
        elif name == "skip" and not arg:
            return self.skip(t_s)
        elif name == "pain" and not arg:
            return self.pain(t_s)
        elif name == "pain_answer" and value is not None:
            return self.answer_pain(t_s, arg, int(value))
        elif name == "after_pain":
            return self.after_pain(t_s, arg)
        else:
            raise ValueError(f"unknown action {action!r}: one of {', '.join(CONTROLS)}")
        return []

    def drop_out(self, t_s: float) -> list[Event]:
        """The source lost time before the frame at ``t_s``: no hold runs across it."""
        if not self.active:
            return []
        return self._frame_time(self.coach.drop_out(self._clock(t_s)))

    def finish(self, t_s: float) -> list[Event]:
        """The session ends at ``t_s``: close the open holds."""
        if self.coach.finished:
            return []
        t = self._clock(self._paused_at if self.paused and self._paused_at is not None
                        else t_s)
        return self._frame_time(self.coach.finish(t))

    def results(self) -> list[StretchResult]:
        """The coach's results on frame time (the recording's clock): every hold, bounce and
        pain stop moved by the pauses taken before it. A hold that spans a pause keeps its
        held length (the pause is not held time) and is placed from its start."""
        if not self._pauses:
            return self.coach.results()
        return [replace(r, record=self._record_on_frame_time(r.record))
                for r in self.coach.results()]

    def _record_on_frame_time(self, record: SideRecord) -> SideRecord:
        shift = self.frame_time
        holds = [replace(h, start_s=shift(h.start_s),
                           end_s=h.end_s + shift(h.start_s) - h.start_s) for h in record.holds]
        return replace(record, holds=holds,
                         bounces=[replace(b, t_s=shift(b.t_s)) for b in record.bounces],
                         over_range=[{**o, "t_s": round(shift(float(o["t_s"])), 3)}
                                     for o in record.over_range],
                         pain_stops=[shift(t) for t in record.pain_stops])

    def declined(self) -> list[dict[str, object]]:
        return self.coach.declined()

    def report_events(self, events: Sequence[Event]) -> list[Event]:
        """Live events are reported as they happened, in that order."""
        return list(events)

    def _advance_phase(self, t: float, t_s: float, events: list[Event]) -> list[Event]:
        coach = self.coach
        stretch = coach.step.stretch
        if self.phase in (POSITION, HOLD, CYCLES):
            if stretch.cycle is not None:
                side = coach.active_side or coach.side
                done = coach.checker.records.get(side)
                if done is not None and done.cycles >= target_cycles(stretch, coach.step.hold_s):
                    self._enter(RELEASE, t)
                else:
                    in_place = any(tm.current is not None for tm in coach.checker.timers.values())
                    self.phase = CYCLES if in_place else POSITION
            elif any(e.kind == "hold_completed" for e in events):
                self._enter(RELEASE, t)
            else:
                held, _ = coach.hold_progress()
                self.phase = HOLD if held > 0 else POSITION
        if self.phase == RELEASE and t >= self._phase_until:
            return self._next(t, t_s)
        return []

    def _next(self, t: float, t_s: float) -> list[Event]:
        """After a release: rest, with the next side or stretch announced, or the end."""
        events = self._frame_time(self.coach.next_step(t))
        if self.coach.finished:
            self._enter(FINISHED, t)
        else:
            self._enter(REST, t)
        return events

    def _enter(self, phase: str, t: float) -> None:
        self.phase = phase
        self._rest_after_pain = False
        self._phase_until = t + {RELEASE: self.release_s, REST: self.rest_s}.get(phase, math.inf)
        self._cue.since = -math.inf  # a new phase speaks at once

    # -- the person's requests (keys and buttons) -------------------------------------------

    def pause(self, t_s: float) -> None:
        if not self.paused and not self.finished:
            self.paused, self._paused_at = True, t_s

    def resume(self, t_s: float) -> None:
        if self.paused:
            at = self._paused_at if self._paused_at is not None else t_s
            length = max(0.0, t_s - at)
            if length > 0:
                self._pauses.append((at - self._paused_total, length))
            self._paused_total += length
            self.paused, self._paused_at = False, None
            # Going on speaks at once: the coaching clock stood still while paused, so the
            # pause's cue would stay its 2 s into the coaching again ("Paused - press the
            # space bar" seen 2.5 s after the resume).
            self._cue.since = -math.inf

    def skip(self, t_s: float) -> list[Event]:
        """Leave this side or stretch now; the next one starts at its position phase.
        Resting after a hold, the rest ends instead and the side or stretch it announced starts
        now: a new user's S there skipped that stretch unseen, which cannot be undone, where a
        second S skips it once shown. Resting after a pain stop ("rest, then try again"), S
        still skips the stretch that hurt: the rest is not what the person would cut short."""
        if self.finished:
            return []
        self.resume(t_s)
        t = self._clock(t_s)
        if self._skip_ends_rest():
            self._enter(POSITION, t)
            return []
        events = self._frame_time(self.coach.next_step(t))
        self._enter(FINISHED if self.coach.finished else POSITION, t)
        return events

    def _skip_ends_rest(self) -> bool:
        return self.skip_ends_rest and self.phase == REST and not self._rest_after_pain

    def pain(self, t_s: float) -> list[Event]:
        """The pain stop: the hold ends now and the person is asked what it is."""
        if self.finished or self.phase == PAIN:
            return []
        self.resume(t_s)
        t = self._clock(t_s)
        coach = self.coach
        if self.phase == REST and not self._rest_after_pain and coach.position > 0:
            # Resting after a hold, the coach already stands on the next stretch: the pain
            # belongs to the one just done, whose hold has ended.
            index, side = coach.plan[coach.position - 1]
            done = coach.routine.steps[index].stretch.id
            events = [Event(t_s, "pain_stop", done, side, "Stopped because it hurt. Rest, and "
                                                          "only go as far as is comfortable")]
            coach.events.extend(events)
            if len(coach.checkers) > 1:  # and in its results, as a stop during its hold is
                records = coach.checkers[-2].records
                records[side if side in records else next(iter(records))].pain_stops.append(t)
        else:
            events = self._frame_time(coach.stop_for_pain(t, advance=False))
        self._enter(PAIN, t)
        self._pain_feeling = None
        stop = next((e for e in events if e.kind == "pain_stop"), None)
        self._pain_at = (stop.stretch or "", stop.side or "") if stop else \
            (coach.step.stretch.id, coach.active_side or coach.side)
        return events

    def answer_pain(self, t_s: float, feeling: str, rating: int) -> list[Event]:
        """What it is and how bad (0-10). Sharp pain, tingling or a high rating end stretching
        for today; otherwise the person chooses with ``after_pain``."""
        if feeling not in FEELINGS:
            raise ValueError(f"unknown feeling {feeling!r}; one of {', '.join(FEELINGS)}")
        if not 0 <= int(rating) <= 10:
            raise ValueError(f"a pain rating is 0-10, not {rating!r}")
        coach = self.coach
        stretch, side = self._pain_at or (coach.step.stretch.id, coach.active_side or coach.side)
        report = PainReport(t_s, stretch, side, feeling, int(rating))
        self.pain_reports.append(report)
        self._pain_feeling = feeling
        message = f"{FEELINGS[feeling]}, {report.rating} out of 10"
        data: dict[str, float | str] = {"feeling": feeling, "rating": report.rating,
                                        "stop_today": "yes" if report.stop_today else "no"}
        events = [Event(t_s, "pain_report", report.stretch, side, message, data)]
        if report.stop_today:
            self._advice = STOP_TODAY_ADVICE
            self.phase = STOPPED_TODAY
            self.coach.finished = True
            events.append(Event(t_s, "routine_finished", message="Stopped for today because "
                                                                 "of pain"))
            coach.events.extend(events)
        else:
            coach.events.extend(events)
        return events

    def after_pain(self, t_s: float, choice: str) -> list[Event]:
        """"rest" (then the same stretch again), "skip" (the next one) or "end"."""
        if choice not in AFTER_PAIN_CHOICES:
            raise ValueError(f"unknown choice {choice!r}; one of {', '.join(AFTER_PAIN_CHOICES)}")
        if self.phase != PAIN:
            return []
        t = self._clock(t_s)
        if choice == "rest":
            self._enter(REST, t)
            self._rest_after_pain = True
            return []
        if choice == "skip":
            # "Skip this stretch": every side of the one that hurt still to come, not only
            # the next entry of the plan (during the rest the coach may stand on another).
            hurt = self._pain_at[0] if self._pain_at else self.coach.step.stretch.id
            self.phase = POSITION
            events: list[Event] = []
            while not self.coach.finished and self.coach.step.stretch.id == hurt:
                events += self.skip(t_s)
            if not self.coach.finished:
                self._enter(POSITION, t)
            return events
        self.phase = FINISHED
        self.coach.finished = True
        event = Event(t_s, "routine_finished", message="Ended after the pain stop")
        self.coach.events.append(event)
        return [event]

    # -- what to show ------------------------------------------------------------------------

    def view(self) -> PlayerView:
        """What to show now. Call once per frame: the cue's minimum time is kept here."""
        coach = self.coach
        t = self._clock(self._paused_at if self.paused and self._paused_at is not None
                        else self._last_t)
        step, stretch = coach.step, coach.step.stretch
        side = coach.checker.side
        if side is None:  # either side may come first: name one once it is being held
            side = next((k for k, tm in coach.checker.timers.items()
                         if tm.current is not None or tm.entering), None)
        if stretch.sides == "both":
            side = "both"
        held, target = coach.hold_progress()
        pos = coach.last
        seconds_left = None
        if self.phase == HOLD:
            seconds_left = max(0.0, target - held)
        elif self.phase in (RELEASE, REST):
            seconds_left = max(0.0, self._phase_until - t)
        cycles = cycles_target = 0
        if stretch.cycle is not None:
            record = coach.checker.records.get(coach.active_side or coach.side)
            cycles = record.cycles if record else 0
            cycles_target = target_cycles(stretch, step.hold_s)
        camera, moves = stretch.camera, False
        if self.phase == REST and not self._rest_after_pain and coach.position > 0:
            # During the rest the coach already stands on the next side or stretch (not after
            # a pain stop's "rest, then try again": the same one comes again, the camera stays).
            previous = coach.routine.steps[coach.plan[coach.position - 1][0]].stretch
            moves = previous.camera != stretch.camera
        text, kind = self._cue_for(t, pos, stretch, side, moves)
        status = (pos.status if pos is not None and self.phase in (POSITION, HOLD, CYCLES)
                  else UNKNOWN)
        if kind == "form" and status == OVER_RANGE and coach.checker.over_range_fleeting \
                and self._cue.text:
            # A moment past a limit, not yet an over-stretch (``pose.coach``'s
            # ``OVER_RANGE_CONFIRM_S``): the words and the badge shown stand.
            text, kind, status = self._cue.text, self._cue.kind, self._cue.status
        self._cue.offer(t, text, kind, status)
        if self._cue.kind == "form":  # the badge agrees with the words beside it
            status = self._cue.status
        return PlayerView(
            phase=self.phase, paused=self.paused, stretch=stretch.id, stretch_name=stretch.name,
            side=side, step=min(coach.position + 1, len(coach.plan)), steps=len(coach.plan),
            cue=self._cue.text, cue_kind=self._cue.kind, status=status,
            seconds_left=seconds_left, held_s=held if self.phase == HOLD else 0.0,
            target_s=target, cycles=cycles, cycles_target=cycles_target,
            next_label=step_label(stretch.name, self.planned_side())
            if self.phase == REST else "",
            camera=camera, camera_moves=moves,
            camera_check=self.phase == POSITION and self._needs_camera_check(),
            pain_feeling=self._pain_feeling, skip_ends_rest=self._skip_ends_rest(),
            advice=self._advice)

    def planned_side(self) -> str | None:
        """The side the coach asks for: "both", a side, or None while either may come first."""
        coach = self.coach
        if coach.step.stretch.sides == "both":
            return "both"
        return coach.checker.side

    def _cue_for(self, t: float, pos: Position | None, stretch: Stretch, side: str | None,
                 camera_moves: bool) -> tuple[str, str]:
        if self.phase == STOPPED_TODAY:
            return "Stop for today - see the advice on screen", "safety"
        if self.phase == FINISHED:
            return "Routine finished - well done", "phase"
        if self.phase == PAIN:
            if self._pain_feeling is None:
                return "Stopped. Rest. What do you feel, and how strong is it?", "safety"
            return "Rest, skip this stretch, or end for today?", "safety"
        if self.paused:
            # At once: the coaching clock stands still, so a cue's 2 s would never pass.
            return "Paused - press the space bar to go on", "phase"
        if self._warning is not None:
            return self._warning[0], "safety"
        if self.phase == RELEASE:
            return "Release slowly and relax", "phase"
        if self.phase == REST:
            move = f" Then move the camera: {stretch.camera}" if camera_moves else ""
            return f"Rest and relax.{move}", "phase"
        if not self._seen:
            return NOT_SEEN, "info"
        if self._crowd:
            return "More than one person in view: I can coach one person at a time", "safety"
        if self._far:
            return TOO_FAR, "posture"
        if self.phase == CYCLES:
            assert stretch.cycle is not None
            pace = 2.0 * stretch.cycle.min_period_s
            out = (t % pace) < pace / 2
            return ("Breathe out and round your back up" if out
                    else "Breathe in and let your belly sink"), "form"
        if posture_missing(stretch, self._angles, self._seen):
            return POSTURE_CUES.get(stretch.position, "Get into position"), "posture"
        if self.phase == POSITION and self._camera_problem and self._needs_camera_check():
            return self._camera_problem, "posture"
        if self.phase == HOLD:
            if pos is not None and pos.status in (NEARLY, OUT_OF_FORM):
                return pos.cue, "form"
            return "Hold it there and breathe slowly", "form"
        if pos is not None and pos.status != IN_FORM:
            return pos.cue, "form"
        return "Good - stay there", "form"

