"""Live coaching: the webcam's frames through the one pipeline, a routine, and the recording.

``LiveSession.on_frames`` runs on streamlit-webrtc's worker thread with the frames that queued
up while the last one was processed: the clock sees every one's timestamp, the pipeline only the
newest (the page drops frames rather than queue them). The page thread only reads ``snapshot()``
and posts actions with ``request``. Nothing here calls Streamlit, so all of it is tested without
a browser by feeding frames to ``process`` (or poses to ``process_pose``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pose.checks import IN_FORM, camera_check, joints_of
from pose.clock import Tick
from pose.coach import CONTROLS, Coach
from pose.draw import STATUS_COLOURS
from pose.errors import StretchCheckError
from pose.events import Event
from pose.landmarks import PoseFrame
from pose.pipeline import Estimator, FrameLoop, FrameResult
from pose.render import overlay
from pose.report import Report, StretchResult
from pose.sessions import checker_spec
from pose.smoothing import OneEuroParams
from pose.stretches import Limit, Routine

#: Events the page warns about at once, in a banner, for a few seconds.
URGENT = {"bounce": 4.0, "over_range": 4.0, "several_people": 3.0, "pose_lost": 2.0}


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
        self.coach = Coach(routine, personal_limits)
        self.loop = FrameLoop(self.coach, smoothing=smoothing)
        self.checker_spec = checker_spec(self.coach, smoothing)
        self._estimator_factory = estimator_factory
        self._recorder_factory = recorder_factory
        self._on_finish = on_finish
        self._recorder: SessionRecorder | None = None
        self._session_id: int | None = None
        self._size = (0, 0)
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._requests: list[str] = []  # actions posted by the page, under the lock
        self._snapshot = LiveSnapshot(steps=len(self.coach.plan))
        self._warning: tuple[str, float] | None = None
        self._frames = 0
        self._wall_start: float | None = None  # only for the fps shown, never session time
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

    def request(self, action: str) -> None:
        """Queue "pause", "resume", "skip" or "pain"; applied at the next frame's time."""
        if action not in CONTROLS:
            raise ValueError(f"unknown action {action!r}")
        with self._lock:
            self._requests.append(action)

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
        with self._lock:
            actions, self._requests = self._requests, []
        events: list[Event] = []
        for action in actions:
            events += self.loop.control(action, tick.t_s)
        result = run(tick)
        events += result.events
        self._frames += 1
        if self._recorder is not None:
            for action in actions:
                self._recorder.add_control(tick.t_s, action)
            if tick.dropout_s > 0:
                self._recorder.add_control(tick.t_s, "dropout", tick.dropout_s)
            self._recorder.add_frame(tick.t_s, result.pose)
            for e in events:
                self._recorder.add_event(e)
        self._publish(result, events)
        return result

    def _render(self, rgb: np.ndarray, result: FrameResult) -> np.ndarray:
        coach = self.coach
        pos = result.position
        status = pos.status if pos is not None else "unknown"
        highlight = {}
        if pos is not None and status != IN_FORM:
            colour = STATUS_COLOURS[status]
            for c in pos.criteria:
                if c.state != "met":
                    highlight.update({j: colour for j in joints_of(c.angle)})
            for o in pos.over_range:
                highlight.update({j: STATUS_COLOURS["over_range"] for j in joints_of(o.angle)})
        if coach.finished:
            return overlay(rgb, result.pose, status, highlight, self.routine.name,
                           "Routine finished - well done")
        step = coach.step
        side = "" if coach.side == "both" else f" - {coach.side} side"
        title = f"{step.stretch.name}{side}  ({coach.position + 1}/{len(coach.plan)})"
        held, target = coach.hold_progress()
        cue = "Paused" if coach.paused else self._current_cue(result)
        return overlay(rgb, result.pose, status, highlight, title, cue,
                       held / target if target else 0.0, f"{held:.0f} / {target:.0f} s")

    def _current_cue(self, result: FrameResult) -> str:
        if self._warning is not None:
            return self._warning[0]
        if result.pose is None:
            return "I can't see you - step into view"
        if result.pose.people > 1:
            return "More than one person in view: I can coach one person at a time"
        return result.position.cue if result.position is not None else ""

    def _publish(self, result: FrameResult, events: list[Event]) -> None:
        t = result.t_s
        for e in events:
            if e.kind in URGENT:
                self._warning = (e.message, t + URGENT[e.kind])
        if self._warning is not None and t > self._warning[1]:
            self._warning = None
        coach = self.coach
        pos = result.position
        step = coach.step
        held, target = coach.hold_progress()
        pose = result.pose
        camera = () if coach.finished else tuple(camera_check(
            step.stretch, coach.side, pose.image if pose else None,
            pose.visibility if pose else None, pose.people if pose else 0))
        elapsed = time.monotonic() - (self._wall_start or time.monotonic())
        with self._lock:
            previous = self._snapshot.events
            self._snapshot = LiveSnapshot(
                frames=self._frames,
                fps=self._frames / elapsed if elapsed > 0 else 0.0,
                status=pos.status if pos is not None else "unknown",
                cue=self._current_cue(result),
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
        return self.coach.results()

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
                for e in self.loop.finish():
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
