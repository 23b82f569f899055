"""Live coaching: the webcam's frames through the one pipeline, a routine, and the recording.

``LiveSession.on_frame`` runs on streamlit-webrtc's worker thread; the page thread only reads
``snapshot()`` and posts actions with ``request``. Nothing here calls Streamlit, so all of it is
tested without a browser by feeding frames to ``process``.
"""

from __future__ import annotations

import threading
from collections import deque
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pose.checks import IN_FORM, camera_check, joints_of
from pose.coach import Event
from pose.draw import STATUS_COLOURS, draw_coaching, draw_phase_badge, draw_skeleton
from pose.estimator import PoseEstimator
from pose.phases import POSITION, RoutinePlayer
from pose.pipeline import FrameResult, Pipeline
from pose.report import Report, StretchResult
from pose.routines import Routine
from pose.voice import Announcer

#: What the page may ask of a session (``request``), with the arguments each takes.
ACTIONS = {"pause": 0, "resume": 0, "toggle_pause": 0, "skip": 0, "pain": 0,
           "pain_answer": 2, "after_pain": 1}


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
    phase: str = POSITION
    """One of ``pose.phases.PHASES``."""
    label: str = ""
    """The stretch and the person's side: "Knee to chest - left side"."""
    cue_kind: str = "info"
    seconds_left: float | None = None
    cycles: int = 0
    cycles_target: int = 0
    next_label: str = ""
    camera_advice: str = ""
    camera_moves: bool = False
    advice: str = ""
    pain_feeling: str | None = None
    utterances: tuple[dict, ...] = ()
    """The voice's recent utterances (``pose.voice.Utterance.to_dict``), oldest first."""


class LiveSession:
    """One person coached through one routine from a camera.

    Args:
        routine: the routine to step through.
        estimator_factory: makes the pose estimator (on the worker thread, at the first frame).
        recorder_factory: called once, at the first frame, with its (width, height); returns
            (session_id, recorder) whose ``add_frame(t_s, pose)`` / ``add_event(event)`` never
            block (``pose.store.Recorder``). None records nothing.
        personal_limits: over-range limits from the user's profile, by stretch id.
        on_finish: called at the end with the session id and the session's ``Report`` (to
            save results and grow the profile's ranges).
        clock: fallback time source for frames without a timestamp.
    """

    def __init__(self, routine: Routine,
                 estimator_factory: Callable[[], PoseEstimator],
                 recorder_factory: Callable[[int, int], tuple[int, object]] | None = None,
                 personal_limits: dict | None = None,
                 on_finish: Callable[[int, Report], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.routine = routine
        self.player = RoutinePlayer(routine, personal_limits)
        self.coach = self.player.coach
        self.voice = Announcer()
        self._estimator_factory = estimator_factory
        self._recorder_factory = recorder_factory
        self._on_finish = on_finish
        self._pipeline: Pipeline | None = None
        self._recorder = None
        self._session_id: int | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._requests: list[tuple] = []  # actions posted by the page, under the lock
        self._snapshot = LiveSnapshot(steps=len(self.coach.plan))
        self._frames = 0
        self._recent: deque[float] = deque(maxlen=45)  # clock times of the latest frames
        self._first_t: float | None = None
        self._t0: float | None = None
        self._last_t = -np.inf
        self.dropped = 0
        self._last_out: np.ndarray | None = None  # the latest picture with the overlay
        self.closed = False

    # -- page thread ----------------------------------------------------------------------

    def request(self, action: str, *args: object) -> None:
        """Queue one of ``ACTIONS`` ("pause", "skip", "pain", "pain_answer" with (feeling,
        rating), "after_pain" with a choice, ...); applied at the next frame's time."""
        if ACTIONS.get(action) != len(args):
            raise ValueError(f"unknown action {action!r} with {len(args)} arguments")
        with self._lock:
            self._requests.append((action, *args))

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot

    # -- worker thread --------------------------------------------------------------------

    def on_frame(self, frame):  # av.VideoFrame -> av.VideoFrame
        """streamlit-webrtc's callback. A frame arriving while one is still being processed
        is dropped: the latest coached picture is shown again in its place (never the raw,
        unmirrored camera picture, which would flicker), so nothing queues."""
        import av

        if not self._busy.acquire(blocking=False):
            self.dropped += 1
            last = self._last_out
            if last is None:
                return frame
            out = av.VideoFrame.from_ndarray(last, format="rgb24")
            out.pts, out.time_base = frame.pts, frame.time_base
            return out
        try:
            rgb = frame.to_ndarray(format="rgb24")
            t = float(frame.time) if frame.time is not None else None
            self._last_out = self.process(rgb, t)
            return av.VideoFrame.from_ndarray(self._last_out, format="rgb24")
        finally:
            self._busy.release()

    def process(self, rgb: np.ndarray, t_s: float | None = None) -> np.ndarray:
        """Run one RGB frame through the pipeline; returns the frame with the overlay."""
        if self.closed:
            return rgb
        if t_s is None:
            t_s = self._clock()
        if self._first_t is None:
            self._first_t, self._t0 = t_s, self._clock()
        t = t_s - self._first_t  # session time starts at 0 with the first frame
        if t <= self._last_t:
            t = self._last_t + 1e-3
        self._last_t = t
        if self._pipeline is None:
            self._pipeline = Pipeline(self._estimator_factory(), self.player)
            if self._recorder_factory is not None:
                height, width = rgb.shape[:2]
                self._session_id, self._recorder = self._recorder_factory(width, height)

        events = self._apply_requests(t)
        result = self._pipeline.step(rgb, t)
        events += result.events
        self._frames += 1
        if self._recorder is not None:
            self._recorder.add_frame(t, result.pose)
            for e in events:
                self._recorder.add_event(e)
        view = self.player.view()
        out = self._render(rgb, result, view)
        self._publish(t, result, events, view)
        return out

    def _apply_requests(self, t: float) -> list[Event]:
        with self._lock:
            actions, self._requests = self._requests, []
        player = self.player
        events: list[Event] = []
        for action, *args in actions:
            if action == "toggle_pause":
                action = "resume" if player.paused else "pause"
            if action == "pause":
                player.pause(t)
            elif action == "resume":
                player.resume(t)
            elif action == "skip":
                events += player.skip(t)
            elif action == "pain":
                events += player.pain(t)
            elif action == "pain_answer":
                events += player.answer_pain(t, str(args[0]), int(args[1]))
            elif action == "after_pain":
                events += player.after_pain(t, str(args[0]))
        return events

    def _render(self, rgb: np.ndarray, result: FrameResult, view) -> np.ndarray:
        """The skeleton on the camera's picture, shown as a mirror (the person's left on the
        left of the screen), then the coaching text, which must not be mirrored."""
        player = self.player
        coaching = view.phase in (POSITION, "hold", "cycles") and not view.paused
        pos = self.coach.last if coaching else None
        status = pos.status if pos is not None else "unknown"
        out = rgb
        if result.pose is not None:
            highlight = {}
            if pos is not None and status != IN_FORM:
                colour = STATUS_COLOURS[status]
                for c in pos.criteria:
                    if c.state != "met":
                        highlight.update({j: colour for j in joints_of(c.angle)})
                for o in pos.over_range:
                    highlight.update({j: STATUS_COLOURS["over_range"] for j in joints_of(o.angle)})
            out = draw_skeleton(rgb, result.pose.image, result.pose.visibility,
                                colour=STATUS_COLOURS.get(status, STATUS_COLOURS["tracking"]),
                                joint_colours=highlight)
        out = np.ascontiguousarray(out[:, ::-1])
        if player.finished:
            draw_coaching(out, self.routine.name, view.cue, IN_FORM)
        else:
            title = f"{view.label}  ({view.step}/{view.steps})"
            fraction = None
            if view.seconds_left is not None and view.target_s:
                fraction = view.held_s / view.target_s if view.phase == "hold" else None
            draw_coaching(out, title, view.cue, status, fraction,
                          f"{view.seconds_left:.0f} s" if view.seconds_left is not None else "")
        return draw_phase_badge(out, "paused" if view.paused else view.phase)

    def _publish(self, t: float, result: FrameResult, events: list[Event], view) -> None:
        coach = self.coach
        pose = result.pose
        side = view.side if view.side is not None else coach.side
        camera = () if view.phase not in (POSITION, "hold", "cycles") or view.paused else \
            tuple(camera_check(coach.step.stretch, side, pose.image if pose else None,
                               pose.visibility if pose else None, pose.people if pose else 0))
        said = self.voice.update(t, view, events)
        now = self._clock()
        self._recent.append(now)
        # Frames processed a second over the last few seconds: the rate now, not since START.
        span = now - self._recent[0]
        fps = (len(self._recent) - 1) / span if span > 0 else 0.0
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
                phase=view.phase,
                label=view.label,
                cue_kind=view.cue_kind,
                seconds_left=view.seconds_left,
                cycles=view.cycles,
                cycles_target=view.cycles_target,
                next_label=view.next_label,
                camera_advice=view.camera,
                camera_moves=view.camera_moves,
                advice=view.advice,
                pain_feeling=view.pain_feeling,
                utterances=(previous.utterances + tuple(u.to_dict() for u in said))[-20:]
                if said else previous.utterances,
            )

    # -- end ------------------------------------------------------------------------------

    def results(self) -> list[StretchResult]:
        """Per stretch and side, what this session achieved (for the summary and the store)."""
        out = []
        for checker in self.coach.checkers:
            for side, record in checker.records.items():
                if side == checker.side or checker.side is None:
                    out.append(StretchResult(checker.stretch, side, checker.target_hold_s,
                                             record))
        return out

    def close(self) -> int | None:
        """Finish the session: close open holds, write the results, stop the recorder."""
        with self._busy:
            if self.closed:
                return self._session_id
            self.closed = True
            if self._pipeline is not None and not self.coach.finished:
                # Answers the page posted after the last frame (the pain questions) still count.
                events = self._apply_requests(max(self._last_t, 0.0))
                events += self.coach.checker.finish(max(self._last_t, 0.0))
                if self._recorder is not None:
                    for e in events:
                        self._recorder.add_event(e)
            if self._pipeline is not None and self._pipeline.estimator is not None:
                self._pipeline.estimator.close()
            if self._recorder is not None:
                self._recorder.close()
                if self._on_finish is not None and self._session_id is not None:
                    track = self._recorder.store.load_track(self._session_id)
                    report = Report(track, "routine", self.routine.id, self.results(),
                                    list(self.coach.events))
                    self._on_finish(self._session_id, report)
                self._recorder.store.close()
        return self._session_id
