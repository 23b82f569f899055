"""Live coaching: the webcam's frames through the one pipeline, a routine, and the recording.

``LiveSession.on_frames`` runs on streamlit-webrtc's worker thread with the frames that queued
up while the last one was processed: the clock sees every one's timestamp, the pipeline only the
newest (the page drops frames rather than queue them). The checker behind the loop is the
routine player (``pose.phases``: position, hold, release, rest, next; pause; the pain stop's
questions), and each of the person's requests reaches it as a control of the loop, stored with
the session, so a stored session replays faithfully. The page thread only reads ``snapshot()``
and posts actions with ``request``. Nothing here calls Streamlit, so all of it is tested without
a browser by feeding frames to ``process`` (or poses to ``process_pose``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pose import timecode
from pose.checks import IN_FORM, camera_check, joints_of
from pose.clock import MIN_STEP_S, Tick
from pose.draw import STATUS_COLOURS, draw_coaching, draw_phase_badge
from pose.errors import StretchCheckError
from pose.events import Event
from pose.landmarks import PoseFrame
from pose.phases import (
    AFTER_PAIN_CHOICES,
    CYCLES,
    FEELINGS,
    HOLD,
    POSITION,
    PlayerView,
    RoutinePlayer,
)
from pose.pipeline import Estimator, FrameLoop, FrameResult
from pose.render import overlay
from pose.report import Report, StretchResult
from pose.sessions import checker_spec
from pose.smoothing import OneEuroParams
from pose.stretches import Limit, Routine
from pose.voice import Announcer

#: What the page may ask of a session (``request``), with the arguments each takes.
ACTIONS = {"pause": 0, "resume": 0, "toggle_pause": 0, "skip": 0, "pain": 0,
           "pain_answer": 2, "after_pain": 1}


class SessionRecorder(Protocol):
    """Where a live session is written as it goes (``pose.store.Recorder``): never blocks."""

    def add_frame(self, t_s: float, pose: PoseFrame | None) -> None: ...

    def add_event(self, event: Event) -> None: ...

    def add_control(self, t_s: float, action: str, value: float | None = None) -> None: ...

    def close(self, ended_at: float | None = None, results: Report | None = None) -> None: ...


#: Makes the recorder at the first frame: (width, height, how the session is checked) ->
#: (session id, recorder).
RecorderFactory = Callable[[int, int, dict[str, Any]], tuple[int, SessionRecorder]]


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows, copied out under the lock so the page never sees half an update."""

    frames: int = 0
    fps: float = 0.0
    status: str = "unknown"
    cue: str = "Press START and step into view"
    stretch: str = ""
    stretch_name: str = ""
    instructions: str = ""
    side: str = ""
    step: int = 0
    steps: int = 0
    held_s: float = 0.0
    target_s: float = 0.0
    warning: str = ""
    camera: tuple[str, ...] = ()
    paused: bool = False
    finished: bool = False
    session_id: int | None = None
    events: tuple[Event, ...] = ()
    recording_error: str = ""
    """Why recording stopped (a full disk...); coaching goes on, results are kept in memory."""
    phase: str = POSITION
    """One of ``pose.phases.PHASES``."""
    label: str = ""
    """The stretch and the person's side: "Knee to chest - left side"."""
    cue_kind: str = "info"
    seconds_left: float | None = None
    cycles: int = 0
    cycles_target: int = 0
    next_label: str = ""
    next_stretch: str = ""
    """During the rest: the id of the stretch that comes next (for its picture)."""
    next_side: str | None = None
    """During the rest: the side that comes next ("both", or None while either may)."""
    camera_advice: str = ""
    camera_moves: bool = False
    advice: str = ""
    pain_feeling: str | None = None
    utterances: tuple[dict, ...] = ()
    """The voice's recent utterances (``pose.voice.Utterance.to_dict``), oldest first."""
    t_s: float = 0.0
    """Frame time of the frame this snapshot shows (the one the video shows with it)."""


class LiveSession:
    """One person coached through one routine from a camera.

    Args:
        routine: the routine to step through.
        estimator_factory: makes the pose estimator (on the worker thread, at the first frame).
        recorder_factory: called once, at the first frame (see ``RecorderFactory``); None
            records nothing.
        personal_limits: over-range limits from the user's profile, by stretch id.
        on_finish: called at the end with the session id and the session's ``Report`` (whose
            results the recorder has written already), e.g. to grow the profile's ranges.
        smoothing: One-Euro parameters for the model's landmarks.
    """

    def __init__(self, routine: Routine,
                 estimator_factory: Callable[[], Estimator],
                 recorder_factory: RecorderFactory | None = None,
                 personal_limits: Mapping[str, Sequence[Limit]] | None = None,
                 on_finish: Callable[[int, Report], None] | None = None,
                 smoothing: OneEuroParams | None = OneEuroParams()) -> None:
        self.routine = routine
        self.player = RoutinePlayer(routine, personal_limits)
        self.coach = self.player.coach
        self.voice = Announcer()
        self.loop = FrameLoop(self.player, smoothing=smoothing)
        self.checker_spec = checker_spec(self.player, smoothing)
        self._estimator_factory = estimator_factory
        self._recorder_factory = recorder_factory
        self._on_finish = on_finish
        self._recorder: SessionRecorder | None = None
        self._session_id: int | None = None
        self._size = (0, 0)
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._requests: list[tuple[str, float | None]] = []  # controls posted by the page
        self._snapshot = LiveSnapshot(steps=len(self.coach.plan))
        self._frames = 0
        self._wall_start: float | None = None  # only for the fps shown, never session time
        self._recent: deque[float] = deque(maxlen=45)  # wall times of the latest frames (fps)
        self._view = PlayerView()
        self._timecode = timecode.wanted()
        self.dropped = 0
        self.closed = False
        self._record_error: str | None = None
        self.save_error: str | None = None
        """Why the session's end or results could not go into the store (then see
        ``saved_to``); None when they did."""
        self.saved_to: Path | None = None
        """Where the results were written instead, if the store could not take them."""
        self.finish_error: str | None = None
        """Why ``on_finish`` failed after the results were stored (e.g. the profile's
        comfortable ranges were not updated); None when it did not."""

    # -- page thread ----------------------------------------------------------------------

    def request(self, action: str, *args: object) -> None:
        """Queue one of ``ACTIONS`` ("pause", "resume", "toggle_pause", "skip", "pain",
        "pain_answer" with (feeling, rating 0-10), "after_pain" with a choice); applied at the
        next frame's time as a control of the loop (``pose.phases.CONTROLS``).

        Raises ``ValueError`` on an unknown action or argument.
        """
        if ACTIONS.get(action) != len(args):
            raise ValueError(f"unknown action {action!r} with {len(args)} arguments")
        control: tuple[str, float | None] = (action, None)
        if action == "pain_answer":
            feeling, rating = str(args[0]), args[1]
            if feeling not in FEELINGS or not isinstance(rating, int) or not 0 <= rating <= 10:
                raise ValueError(f"a pain answer is one of {', '.join(FEELINGS)} and a rating "
                                 f"0-10, not {feeling!r}, {rating!r}")
            control = (f"pain_answer:{feeling}", float(rating))
        elif action == "after_pain":
            if args[0] not in AFTER_PAIN_CHOICES:
                raise ValueError(f"unknown choice {args[0]!r}; one of "
                                 f"{', '.join(AFTER_PAIN_CHOICES)}")
            control = (f"after_pain:{args[0]}", None)
        with self._lock:
            self._requests.append(control)

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot

    # -- worker thread --------------------------------------------------------------------

    async def on_frames(self, frames: list[Any]) -> list[Any]:
        """streamlit-webrtc's queued-frames callback (a coroutine, run on its worker thread's
        event loop): see ``process_queued``."""
        return self.process_queued(frames)

    def process_queued(self, frames: list[Any]) -> list[Any]:
        """The ``av.VideoFrame``s that queued up while the last one was processed: the clock
        sees each timestamp; only the newest frame is processed and returned with its overlay,
        so the picture stays live instead of queueing."""
        import av

        if not frames:
            return []
        with self._busy:
            for skipped in frames[:-1]:
                self.skip(skipped.time)
            frame = frames[-1]
            out = self.process(frame.to_ndarray(format="rgb24"), frame.time)
            return [av.VideoFrame.from_ndarray(out, format="rgb24")]

    def skip(self, t_s: float | None) -> None:
        """A camera frame not processed (the page was busy): its timestamp still counts."""
        if not self.closed:
            self.loop.tick(t_s)
            self.dropped += 1

    def process(self, rgb: np.ndarray, t_s: float | None = None) -> np.ndarray:
        """Run one RGB camera frame (timestamp ``t_s`` from the camera, None if it had none)
        through the pipeline; returns the frame with the overlay."""
        if self.closed:
            return rgb
        if self.loop.estimator is None:
            self.loop.estimator = self._estimator_factory()
        result = self._step(rgb.shape[1], rgb.shape[0], t_s,
                            lambda tick: self.loop.step_image(rgb, tick=tick))
        return self._render(rgb, result)

    def process_pose(self, pose: PoseFrame | None, t_s: float | None = None,
                     size: tuple[int, int] = (640, 480)) -> FrameResult | None:
        """Continue from a pose already estimated (a pose stream): the same steps as
        ``process`` after the model. ``size`` is the (width, height) of the frames."""
        if self.closed:
            return None
        return self._step(*size, t_s, lambda tick: self.loop.step_pose(pose, tick=tick))

    def _step(self, width: int, height: int, t_s: float | None,
              run: Callable[[Tick], FrameResult]) -> FrameResult:
        if self._wall_start is None:
            self._wall_start = time.monotonic()
            self._size = (width, height)
            if self._recorder_factory is not None:
                try:
                    self._session_id, self._recorder = self._recorder_factory(
                        width, height, self.checker_spec)
                except (StretchCheckError, OSError) as exc:  # coaching goes on unrecorded
                    self._record_error = str(exc)
        tick = self.loop.tick(t_s)
        actions, events = self._apply_requests(tick.t_s)
        result = run(tick)
        events += result.events
        self.player.heed(tick.t_s, events)
        self._frames += 1
        if self._recorder is not None:
            for action, value in actions:
                self._recorder.add_control(tick.t_s, action, value)
            if tick.dropout_s > 0:
                self._recorder.add_control(tick.t_s, "dropout", tick.dropout_s)
            self._recorder.add_frame(tick.t_s, result.pose)
            for e in events:
                self._recorder.add_event(e)
        self._view = self.player.view()
        self._publish(result, events, self._view)
        return result

    def _apply_requests(self, t_s: float) -> tuple[list[tuple[str, float | None]], list[Event]]:
        """The page's requests as controls of the loop at ``t_s``: (the controls applied, with
        their values, to be stored; the events they raised)."""
        with self._lock:
            requests, self._requests = self._requests, []
        applied: list[tuple[str, float | None]] = []
        events: list[Event] = []
        for action, value in requests:
            if action == "toggle_pause":  # stored as what it did
                action = "resume" if self.player.paused else "pause"
            events += self.loop.control(action, t_s, value)
            applied.append((action, value))
        return applied, events

    def _render(self, rgb: np.ndarray, result: FrameResult) -> np.ndarray:
        """The skeleton on the camera's picture, shown as a mirror (the person's left on the
        left of the screen), then the coaching text and the phase badge, not mirrored."""
        view = self._view
        coaching = view.phase in (POSITION, HOLD, CYCLES) and not view.paused
        pos = result.position if coaching else None
        status = pos.status if pos is not None else "unknown"
        highlight = {}
        if pos is not None and status != IN_FORM:
            colour = STATUS_COLOURS[status]
            for c in pos.criteria:
                if c.state != "met":
                    highlight.update({j: colour for j in joints_of(c.angle)})
            for o in pos.over_range:
                highlight.update({j: STATUS_COLOURS["over_range"] for j in joints_of(o.angle)})
        out = np.ascontiguousarray(overlay(rgb, result.pose, status, highlight)[:, ::-1])
        if self.player.finished:
            draw_coaching(out, self.routine.name, view.cue, IN_FORM)
        else:
            title = f"{view.label}  ({view.step}/{view.steps})"
            fraction = (view.held_s / view.target_s
                        if view.phase == HOLD and view.seconds_left is not None and view.target_s
                        else None)
            draw_coaching(out, title, view.cue, status, fraction,
                          f"{view.seconds_left:.0f} s" if view.seconds_left is not None else "")
        out = draw_phase_badge(out, "paused" if view.paused else view.phase)
        return timecode.stamp(out, result.t_s) if self._timecode else out

    def _publish(self, result: FrameResult, events: list[Event], view: PlayerView) -> None:
        coach = self.coach
        pose = result.pose
        side = view.side if view.side is not None else coach.side
        camera = () if view.phase not in (POSITION, HOLD, CYCLES) or view.paused else \
            tuple(camera_check(coach.step.stretch, side, pose.image if pose else None,
                               pose.visibility if pose else None, pose.people if pose else 0))
        said = self.voice.update(result.t_s, view, events)
        now = time.monotonic()
        self._recent.append(now)
        # Frames processed a second over the last few seconds: the rate now, not since START.
        span = now - self._recent[0]
        fps = (len(self._recent) - 1) / span if span > 0 else 0.0
        rest = view.phase == "rest"
        with self._lock:
            previous = self._snapshot
            self._snapshot = LiveSnapshot(
                frames=self._frames,
                fps=fps,
                status=view.status,
                cue=view.cue,
                stretch=view.stretch,
                stretch_name=view.stretch_name,
                instructions=coach.step.stretch.instructions,
                side=side,
                step=view.step,
                steps=view.steps,
                held_s=view.held_s,
                target_s=view.target_s,
                warning=view.cue if view.cue_kind == "safety" else "",
                camera=camera,
                paused=view.paused,
                finished=self.player.finished,
                session_id=self._session_id,
                events=(previous.events + tuple(events))[-50:],
                recording_error=(self._record_error
                                 or getattr(self._recorder, "error", None) or ""),
                phase=view.phase,
                label=view.label,
                cue_kind=view.cue_kind,
                seconds_left=view.seconds_left,
                cycles=view.cycles,
                cycles_target=view.cycles_target,
                next_label=view.next_label,
                next_stretch=view.stretch if rest else "",
                next_side=self.player.planned_side() if rest else None,
                camera_advice=view.camera,
                camera_moves=view.camera_moves,
                advice=view.advice,
                pain_feeling=view.pain_feeling,
                utterances=(previous.utterances + tuple(u.to_dict() for u in said))[-20:]
                if said else previous.utterances,
                t_s=result.t_s,
            )

    # -- end ------------------------------------------------------------------------------

    def results(self) -> list[StretchResult]:
        """Per stretch and side, what this session achieved (for the summary and the store)."""
        return self.player.results()

    def report(self) -> Report:
        """The session's report, from memory (after ``close``: complete)."""
        model = getattr(self.loop.estimator, "model", "")
        return self.loop.report(self.loop.track(self._size, 0.0, "webcam", model))

    def close(self) -> int | None:
        """Finish the session: close open holds, then write the results with the recording's
        last transaction (from memory: nothing is read back from the store).

        Never raises on a store fault: when the store cannot take the end of the session
        (a full disk), ``save_error`` says why and the results go to ``saved_to``; a failing
        ``on_finish`` is kept in ``finish_error``.
        """
        with self._busy:
            if self.closed:
                return self._session_id
            self.closed = True
            started = self._wall_start is not None
            if started:
                # Answers the page posted after the last frame (the pain questions) still
                # count: applied just after it, and stored, so a replay applies them too.
                last = self.loop.last.t_s if self.loop.last is not None else 0.0
                actions, events = self._apply_requests(last + MIN_STEP_S)
                if self._recorder is not None:
                    for action, value in actions:
                        self._recorder.add_control(last + MIN_STEP_S, action, value)
                for e in events + self.loop.finish():
                    if self._recorder is not None:
                        self._recorder.add_event(e)
            if self.loop.estimator is not None:
                self.loop.estimator.close()
            if self._recorder is not None:
                # A full disk must not cost the session its results: they come from memory
                # and go in the recording's last transaction when the store takes them, else
                # to a file beside it.
                report = self.report()
                try:
                    self._recorder.close(results=report)
                except (StretchCheckError, OSError) as exc:
                    self.save_error = str(exc)
                    store = getattr(self._recorder, "store", None)
                    self.saved_to = save_results_elsewhere(
                        self._session_id, self.routine.id, report.results, report.events,
                        *([store.path.parent] if store is not None else []))
                else:
                    if self._on_finish is not None and self._session_id is not None:
                        try:
                            self._on_finish(self._session_id, report)
                        except (StretchCheckError, OSError) as exc:
                            self.finish_error = str(exc)
        return self._session_id


def save_results_elsewhere(session_id: int | None, routine: str,
                           results: list[StretchResult], events: list[Event],
                           *folders: Path) -> Path | None:
    """Write a session's results as JSON into the first of ``folders`` (then the system's
    temporary folder, then the home folder) that takes it; None if none does."""
    import json
    import tempfile

    data = {"schema": "stretchcheck.live-results/1", "session": session_id, "routine": routine,
            "saved_at": time.time(), "stretches": [r.to_dict() for r in results],
            "events": [e.to_dict() for e in events]}
    name = f"stretchcheck-session-{session_id or 'unsaved'}-results.json"
    text = json.dumps(data, indent=1, default=float) + "\n"
    for folder in (*folders, Path(tempfile.gettempdir()), Path.home()):
        path = Path(folder) / name
        try:
            path.write_text(text)
            return path
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)  # no half-written file left on a full disk
    return None
