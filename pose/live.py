"""Live coaching: the webcam's frames through the one pipeline, a routine, and the recording.

``LiveSession.on_frame`` runs on streamlit-webrtc's worker thread; the page thread only reads
``snapshot()`` and posts actions with ``request``. Nothing here calls Streamlit, so all of it is
tested without a browser by feeding frames to ``process``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose.checks import IN_FORM, camera_check, joints_of
from pose.coach import Coach, Event
from pose.draw import STATUS_COLOURS, draw_coaching, draw_skeleton
from pose.errors import StretchCheckError
from pose.estimator import PoseEstimator
from pose.pipeline import FrameResult, Pipeline
from pose.report import Report, StretchResult
from pose.routines import Routine

#: Events the page warns about at once, in a banner, for a few seconds.
URGENT = {"bounce": 4.0, "over_range": 4.0, "several_people": 3.0, "pose_lost": 2.0}


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
        self.coach = Coach(routine, personal_limits)
        self._estimator_factory = estimator_factory
        self._recorder_factory = recorder_factory
        self._on_finish = on_finish
        self._pipeline: Pipeline | None = None
        self._recorder = None
        self._session_id: int | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._requests: list[str] = []  # actions posted by the page, under the lock
        self._snapshot = LiveSnapshot(steps=len(self.coach.plan))
        self._warning: tuple[str, float] | None = None
        self._frames = 0
        self._first_t: float | None = None
        self._t0: float | None = None
        self._last_t = -np.inf
        self.dropped = 0
        self.closed = False
        self._record_error: str | None = None
        self.save_error: str | None = None
        """Why the session's end or results could not go into the store (then see
        ``saved_to``); None when they did."""
        self.saved_to: Path | None = None
        """Where the results were written instead, if the store could not take them."""

    # -- page thread ----------------------------------------------------------------------

    def request(self, action: str) -> None:
        """Queue "pause", "resume", "skip" or "pain"; applied at the next frame's time."""
        if action not in ("pause", "resume", "skip", "pain"):
            raise ValueError(f"unknown action {action!r}")
        with self._lock:
            self._requests.append(action)

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot

    # -- worker thread --------------------------------------------------------------------

    def on_frame(self, frame):  # av.VideoFrame -> av.VideoFrame
        """streamlit-webrtc's callback. A frame arriving while one is still being processed
        is passed through unprocessed: the picture stays live instead of queueing."""
        import av

        if not self._busy.acquire(blocking=False):
            self.dropped += 1
            return frame
        try:
            rgb = frame.to_ndarray(format="rgb24")
            t = float(frame.time) if frame.time is not None else None
            out = self.process(rgb, t)
            return av.VideoFrame.from_ndarray(out, format="rgb24")
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
            self._pipeline = Pipeline(self._estimator_factory(), self.coach)
            if self._recorder_factory is not None:
                height, width = rgb.shape[:2]
                try:
                    self._session_id, self._recorder = self._recorder_factory(width, height)
                except (StretchCheckError, OSError) as exc:  # coaching goes on unrecorded
                    self._record_error = str(exc)

        events = self._apply_requests(t)
        result = self._pipeline.step(rgb, t)
        events += result.events
        self._frames += 1
        if self._recorder is not None:
            self._recorder.add_frame(t, result.pose)
            for e in events:
                self._recorder.add_event(e)
        out = self._render(rgb, result)
        self._publish(t, result, events)
        return out

    def _apply_requests(self, t: float) -> list[Event]:
        with self._lock:
            actions, self._requests = self._requests, []
        events: list[Event] = []
        for action in actions:
            if action == "pause":
                self.coach.paused = True
            elif action == "resume":
                self.coach.paused = False
            elif action == "skip":
                events += self.coach.skip(t)
            elif action == "pain":
                events += self.coach.stop_for_pain(t)
        return events

    def _render(self, rgb: np.ndarray, result: FrameResult) -> np.ndarray:
        coach = self.coach
        pos = coach.last if not (coach.finished or coach.paused) else None
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
        else:
            out = rgb.copy()
        if coach.finished:
            return draw_coaching(out, self.routine.name, "Routine finished - well done", IN_FORM)
        step = coach.step
        side = "" if coach.side == "both" else f" - {coach.side} side"
        title = f"{step.stretch.name}{side}  ({coach.position + 1}/{len(coach.plan)})"
        held, target = coach.hold_progress()
        cue = "Paused" if coach.paused else self._current_cue(pos, result)
        return draw_coaching(out, title, cue, status, held / target if target else 0.0,
                             f"{held:.0f} / {target:.0f} s")

    def _current_cue(self, pos, result: FrameResult) -> str:
        if self._warning is not None:
            return self._warning[0]
        if result.pose is None:
            return "I can't see you - step into view"
        if result.pose.people > 1:
            return "More than one person in view: I can coach one person at a time"
        return pos.cue if pos is not None else ""

    def _publish(self, t: float, result: FrameResult, events: list[Event]) -> None:
        for e in events:
            if e.kind in URGENT:
                self._warning = (e.message, t + URGENT[e.kind])
        if self._warning is not None and t > self._warning[1]:
            self._warning = None
        coach = self.coach
        pos = coach.last
        step = coach.step
        held, target = coach.hold_progress()
        pose = result.pose
        camera = () if coach.finished else tuple(camera_check(
            step.stretch, coach.side, pose.image if pose else None,
            pose.visibility if pose else None, pose.people if pose else 0))
        elapsed = self._clock() - (self._t0 or self._clock())
        with self._lock:
            previous = self._snapshot.events
            self._snapshot = LiveSnapshot(
                frames=self._frames,
                fps=self._frames / elapsed if elapsed > 0 else 0.0,
                status=pos.status if pos is not None else "unknown",
                cue=self._current_cue(pos, result),
                stretch=step.stretch.id,
                stretch_name=step.stretch.name,
                instructions=step.stretch.instructions,
                side=coach.side,
                step=min(coach.position + 1, len(coach.plan)),
                steps=len(coach.plan),
                held_s=held,
                target_s=target,
                warning=self._warning[0] if self._warning else "",
                camera=camera,
                paused=coach.paused,
                finished=coach.finished,
                session_id=self._session_id,
                events=(previous + tuple(events))[-50:],
                recording_error=(self._record_error
                                 or getattr(self._recorder, "error", None) or ""),
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
                events = self.coach.checker.finish(max(self._last_t, 0.0))
                if self._recorder is not None:
                    for e in events:
                        self._recorder.add_event(e)
            if self._pipeline is not None and self._pipeline.estimator is not None:
                self._pipeline.estimator.close()
            if self._recorder is not None:
                # A full disk must not cost the session its results: they stay in memory
                # (``results()``), go to the store if it takes them, else to a file.
                try:
                    self._recorder.close()
                    if self._on_finish is not None and self._session_id is not None:
                        track = self._recorder.store.load_track(self._session_id)
                        report = Report(track, "routine", self.routine.id, self.results(),
                                        list(self.coach.events))
                        self._on_finish(self._session_id, report)
                except (StretchCheckError, OSError) as exc:
                    self.save_error = str(exc)
                    self.saved_to = save_results_elsewhere(
                        self._session_id, self.routine.id, self.results(),
                        list(self.coach.events), self._recorder.store.path.parent)
                finally:
                    with contextlib.suppress(Exception):
                        self._recorder.store.close()
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
