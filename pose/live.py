"""Live coaching: the webcam's frames through the one pipeline, a routine, and the recording.

``LiveSession.on_frame`` is the page's per-frame callback: streamlit-webrtc runs it as each
camera frame arrives and sends on the picture it returns, so the overlay is one processing time
behind the camera. A frame that arrives late by the camera's own timing (frames queue up while
an earlier one is processed) is skipped and counted: the clock still sees its timestamp, the
pipeline does not (the page drops frames rather than queue them), and the share skipped lately
tells the page when the computer is busy. ``on_frames`` does the same for streamlit-webrtc's
queued-frames callback, whose track hands back the last picture finished instead.

The checker behind the loop is the routine player (``pose.phases``: position, hold, release,
rest, next; pause; the pain stop's questions), and each of the person's requests reaches it as
a control of the loop, stored with the session, so a stored session replays faithfully. The
page thread only reads ``snapshot()`` and posts actions with ``request``. Nothing here calls
Streamlit, so all of it is tested without a browser by feeding frames to ``process`` (or poses
to ``process_pose``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import av
import cv2
import numpy as np

from pose import draw_yuv, live_picture, timecode
from pose.checks import IN_FORM, TOO_DARK, camera_check, joints_of
from pose.clock import MIN_STEP_S, Tick
from pose.draw import STATUS_COLOURS
from pose.errors import StretchCheckError
from pose.estimator import PoseEstimator
from pose.events import Event
from pose.landmarks import Fit, PoseFrame
from pose.live_picture import Scene
from pose.phases import (
    AFTER_PAIN_CHOICES,
    CYCLES,
    FEELINGS,
    HOLD,
    NOT_SEEN,
    POSITION,
    PlayerView,
    RoutinePlayer,
)
from pose.pipeline import Estimator, FrameLoop, FrameResult
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

    def flush(self) -> None: ...

    def close(self, ended_at: float | None = None, results: Report | None = None) -> None: ...


#: Makes the recorder at the first frame: (width, height, how the session is checked) ->
#: (session id, recorder).
RecorderFactory = Callable[[int, int, dict[str, Any]], tuple[int, SessionRecorder]]


#: Skipped frames, as a share of the camera's frames over the last ``RECENT_FRAMES`` processed,
#: at or above which the page says the computer is busy: the checks then see fewer than three
#: frames in four, and the hold timing and bounce checks start to miss movement.
BUSY_SKIPPED_SHARE = 0.25
#: Once said, the busy line stays until fewer than this share of the recent frames were
#: skipped: a share wavering around a quarter made the line come and go every few seconds,
#: moving everything below it (seen in Chromium on a loaded computer).
BUSY_CLEAR_SHARE = 0.10
#: A camera frame that reaches the page this long after the camera's own timing is skipped
#: (``LiveSession.on_frame``): frames that queued up while an earlier one was processed. 50 ms
#: is a frame and a half at 30 fps: network jitter passes, a queue does not build up.
LATE_S = 0.05
#: The camera's timing is taken from the earliest arrival (arrival less camera time) over this
#: many seconds of arrivals, so that a lasting change of the delay (the browser's jitter buffer
#: grows, a clock drifts) stops counting as lateness after at most this long.
LATE_WINDOW_S = 2.0
#: However late the frames, never skip for longer than this (camera time) in a row: the coach,
#: the person's requests and the picture never freeze.
MAX_SKIP_S = 0.25
#: Processed frames over which the frame rate and the skipped share are taken (1.5 s at 30 fps):
#: the rate now, not since START.
RECENT_FRAMES = 45


#: Mean luma (the camera's Y plane, 16 black to 235 white) below which a picture with nobody
#: found in it is called too dark to find anyone in: a covered lens reads 16, a room lit by a
#: screen alone ~20-35. Only the words depend on it ("turn on a light" for "step into view"):
#: the checks are the model's to make.
DARK_LUMA = 40.0


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows, copied out under the lock so the page never sees half an update:
    the routine player's ``view`` as it stood after the latest frame, with what the session
    adds to it."""

    view: PlayerView = PlayerView(cue="Press START and step into view")
    frames: int = 0
    """Camera frames processed."""
    dropped: int = 0
    """Camera frames skipped because the computer was still busy with an earlier one (their
    timestamps still reach the clock)."""
    busy: bool = False
    """The computer cannot keep up now: at least ``BUSY_SKIPPED_SHARE`` of the recent camera
    frames were skipped (and, once so, until fewer than ``BUSY_CLEAR_SHARE`` were)."""
    fps: float = 0.0
    """Frames processed a second, over the last ``RECENT_FRAMES``."""
    instructions: str = ""
    side: str = ""
    """The side being stretched (the coach's plan while the player leaves it open)."""
    camera: tuple[str, ...] = ()
    """What the camera cannot see now (``pose.checks.camera_check``)."""
    finished: bool = False
    session_id: int | None = None
    events: tuple[Event, ...] = ()
    recording_error: str = ""
    """Why recording stopped (a full disk...); coaching goes on, results are kept in memory."""
    next_side: str | None = None
    """During the rest: the side that comes next ("both", or None while either may)."""
    utterances: tuple[dict, ...] = ()
    """The voice's recent utterances (``pose.voice.Utterance.to_dict``), oldest first."""
    t_s: float = 0.0
    """Frame time of the frame this snapshot shows (the one the video shows with it)."""


def opencv_on_one_thread() -> None:
    """Run OpenCV's own work (the live frame's colour conversions, flip and drawing) on the
    calling thread. Its default pool (one thread a core) split each 640x480 conversion and
    then spun waiting for more: 0.8 ms of CPU a frame on a second thread, for pieces of work
    of 0.05-0.2 ms (issue 14). Process-wide; nothing else here hands OpenCV big work (files are
    decoded and converted by PyAV)."""
    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)


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
        opencv_on_one_thread()
        self._estimator_factory = estimator_factory
        self._recorder_factory = recorder_factory
        self._on_finish = on_finish
        self._recorder: SessionRecorder | None = None
        self._session_id: int | None = None
        self._size = (0, 0)
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._requests: list[tuple[str, float | None]] = []  # controls posted by the page
        self._snapshot = LiveSnapshot(
            view=PlayerView(cue=LiveSnapshot.view.cue, steps=len(self.coach.plan)))
        # camera_check's arguments for the latest snapshot, until the page asks for it.
        self._camera_due: tuple[Any, ...] | None = None
        self._frames = 0
        self._wall_start: float | None = None  # only for the fps shown, never session time
        # Wall times of the latest processed frames (fps), and the frames skipped before each.
        self._recent: deque[float] = deque(maxlen=RECENT_FRAMES)
        self._recent_skips: deque[int] = deque(maxlen=RECENT_FRAMES)
        self._skips = 0  # skipped since the last processed frame
        self._busy_said = False  # the busy line is on the page (``BUSY_CLEAR_SHARE``)
        # (arrival, arrival less camera time) over LATE_WINDOW_S, offsets increasing: the
        # earliest is first (a monotonic queue).
        self._offsets: deque[tuple[float, float]] = deque()
        self._last_t = -np.inf  # camera time of the latest frame
        self._skipping_since: float | None = None  # camera time of the first frame skipped
        self._ready_at: float | None = None  # time.monotonic() when the last frame was done
        # Whether the latest picture is too dark to find anyone in (DARK_LUMA): asked only
        # when no one was found, so worked out only then.
        self._dark: Callable[[], bool] = lambda: False
        self._last_out: av.VideoFrame | None = None  # the picture last sent on
        self._view = PlayerView()
        self._timecode = timecode.wanted()
        self._stickers = draw_yuv.Stickers()
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
            snap, due = self._snapshot, self._camera_due
        if due is not None:
            # What the camera cannot see, worked out when the page asks (twice a second)
            # rather than on every camera frame; kept unless a newer frame came meanwhile.
            done = dataclasses.replace(snap, camera=tuple(camera_check(*due)))
            with self._lock:
                if self._snapshot is snap:
                    self._snapshot, self._camera_due = done, None
            snap = done
        # Frames skipped since the last one processed count too (a stuck computer processes
        # none for a while).
        dropped = self.dropped
        return snap if snap.dropped == dropped else dataclasses.replace(snap, dropped=dropped)

    # -- worker thread --------------------------------------------------------------------

    def on_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """streamlit-webrtc's per-frame callback (``video_frame_callback`` with
        ``async_processing=False``: run in its event loop as each camera frame arrives, and the
        picture returned is the one sent on, so a frame is shown about one processing time after
        it arrived). A frame that arrives late, ``LATE_S`` behind the camera's own timing
        (frames queued up while an earlier one was processed), is skipped: its timestamp
        reaches the clock, the last picture is shown again, and the page catches up instead of
        queueing. A frame after a drop-out is never skipped: the checks meet the gap at its
        time, and the store keeps it with that frame. The overlay goes back as yuv420p, the
        encoder's own format."""
        with self._busy:
            if self.closed:
                return frame
            now = time.monotonic()
            late = self._late(frame.time, now)
            tick = self.loop.tick(frame.time, self._waited(now))
            if late and not tick.dropout_s:
                self._skipped()
                out = self._last_out if self._last_out is not None else frame
            else:
                self._skipping_since = None
                out = self._last_out = self._process_camera(frame, tick)
            self._ready_at = time.monotonic()
            return out

    def _late(self, t_s: float | None, now: float) -> bool:
        """Whether the frame with camera time ``t_s``, arriving at ``now`` (``time.monotonic``),
        is to be skipped: it arrives ``LATE_S`` or more after the camera's timing (the earliest
        arrival less camera time over the last ``LATE_WINDOW_S``), unless frames have been
        skipped for ``MAX_SKIP_S`` already. A camera time going back (a restart, a wrapped
        timestamp) starts the reckoning afresh."""
        if t_s is None:
            return False
        offset = now - t_s
        offsets = self._offsets
        if t_s < self._last_t:
            offsets.clear()
            self._skipping_since = None
        self._last_t = t_s
        while offsets and offsets[-1][1] >= offset:
            offsets.pop()
        offsets.append((now, offset))
        while now - offsets[0][0] > LATE_WINDOW_S:
            offsets.popleft()
        if offset - offsets[0][1] < LATE_S:
            return False
        if self._skipping_since is None:
            self._skipping_since = t_s
        return t_s - self._skipping_since < MAX_SKIP_S

    async def on_frames(self, frames: list[Any]) -> list[Any]:
        """streamlit-webrtc's queued-frames callback (a coroutine, run on its worker thread's
        event loop): see ``process_queued``."""
        return self.process_queued(frames)

    def process_queued(self, frames: list[Any]) -> list[Any]:
        """The ``av.VideoFrame``s that queued up while the last one was processed: the clock
        sees each timestamp; only the newest frame is processed and returned with its overlay,
        so the picture stays live instead of queueing (a frame after a drop-out is processed
        too, its picture not shown: see ``on_frame``). The overlay goes back in the encoder's
        own format (yuv420p), so it is not converted from RGB a second time there."""
        if not frames:
            return []
        with self._busy:
            if self.closed:
                return [frames[-1]]
            waited = self._waited(time.monotonic())
            for skipped in frames[:-1]:
                tick = self.loop.tick(skipped.time, waited)
                waited = None
                if tick.dropout_s:
                    self._step_image(frame_to_rgb(skipped), tick)
                else:
                    self._skipped()
            out = self._process_camera(frames[-1], self.loop.tick(frames[-1].time, waited))
            self._ready_at = time.monotonic()
            return [out]

    def skip(self, t_s: float | None) -> None:
        """A camera frame (timestamp ``t_s``) not processed, the page being busy: its timestamp
        reaches the clock. A drop-out it ends reaches the checks and the store all the same,
        as a frame in which nothing was looked at (no pose)."""
        if self.closed:
            return
        tick = self.loop.tick(t_s, self._waited(time.monotonic()))
        if tick.dropout_s and self._wall_start is not None:  # a frame was looked at before
            self._step(*self._size, tick, lambda tick: self.loop.step_pose(None, tick=tick))
        else:
            self._skipped()
        self._ready_at = time.monotonic()

    def _skipped(self) -> None:
        """A camera frame not processed (the page was busy): its timestamp reached the clock."""
        self.dropped += 1
        self._skips += 1

    def _waited(self, now: float) -> float | None:
        """Seconds since the last frame was done with, at ``now`` (``time.monotonic``): how
        long this one was waited for (``MediaClock.tick``); None before the first."""
        return None if self._ready_at is None else now - self._ready_at

    def process(self, rgb: np.ndarray, t_s: float | None = None) -> np.ndarray:
        """Run one RGB camera frame (timestamp ``t_s`` from the camera, None if it had none)
        through the pipeline; returns a new frame with the overlay."""
        if self.closed:
            return rgb
        tick = self.loop.tick(t_s, self._waited(time.monotonic()))
        out = self._process_rgb(rgb, tick, own=False)
        self._ready_at = time.monotonic()
        return out

    def _process_rgb(self, rgb: np.ndarray, tick: Tick, own: bool) -> np.ndarray:
        """An (H, W, 3) RGB camera picture, at ``tick``, through the pipeline: the picture with
        the overlay (with ``own``, drawn into ``rgb`` itself, an array nobody else holds)."""
        self._dark = functools.partial(too_dark_rgb, rgb)
        return self._render(rgb, self._step_image(rgb, tick), own)

    def _step_image(self, rgb: np.ndarray, tick: Tick) -> FrameResult:
        """The model on ``rgb`` and the pose through the loop. A camera whose resolution
        changes mid-session, keeping its aspect (a browser lowers it when the computer is
        busy), has its poses placed in the first frame's size (``Fit``): the checks, the track
        and the store keep one frame, and a replay checks what was checked live. Another
        aspect (a camera switched) keeps its own size: the checks measure shares of the
        picture and its edges (``PoseFrame.span``, feet cut at the edge), which a letterbox
        would move."""
        estimator = self._estimator()
        size = (rgb.shape[1], rgb.shape[0])

        def run(tick: Tick) -> FrameResult:
            pose = estimator.process(rgb, tick.t_s)
            if pose is not None and pose.size != self._size:
                fit = Fit(pose.size, self._size)
                if fit.same_aspect:
                    pose = fit.placed(pose)
            return self.loop.step_pose(pose, tick=tick)

        return self._step(*size, tick, run)

    def _estimator(self) -> Estimator:
        if self.loop.estimator is None:
            self.loop.estimator = self._estimator_factory()
        return self.loop.estimator

    def _process_camera(self, frame: av.VideoFrame, tick: Tick) -> av.VideoFrame:
        """One camera frame, at ``tick``, through the pipeline, and the picture to send on. A
        yuv420p frame (the browser's) stays in yuv420p: the model gets an RGB conversion,
        written straight into its input image (``PoseEstimator.frame_buffer``), the overlay is
        drawn on our copy of the camera's planes (``_render_yuv``), and nothing is converted
        back. Other formats and odd sizes go through RGB."""
        i420 = frame_to_i420(frame)
        if i420 is None:
            return rgb_to_frame(self._process_rgb(frame_to_rgb(frame), tick, own=True))
        # An estimator with no buffer of its own (a test's) gets a new array.
        buffer = getattr(self._estimator(), "frame_buffer", None)
        rgb = cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420,
                           dst=buffer(frame.width, frame.height) if buffer else None)
        # The model's picture, which the overlay never touches: ``i420`` is drawn on, mirrored
        # and handed on (``live_picture.render_yuv``), so it is a new array each frame.
        self._dark = functools.partial(too_dark_rgb, rgb)
        return self._render_yuv(i420, self._step_image(rgb, tick))

    def process_pose(self, pose: PoseFrame | None, t_s: float | None = None,
                     size: tuple[int, int] = (640, 480)) -> FrameResult | None:
        """Continue from a pose already estimated (a pose stream): the same steps as
        ``process`` after the model. ``size`` is the (width, height) of the frames."""
        if self.closed:
            return None
        tick = self.loop.tick(t_s, self._waited(time.monotonic()))
        result = self._step(*size, tick, lambda tick: self.loop.step_pose(pose, tick=tick))
        self._ready_at = time.monotonic()
        return result

    def _step(self, width: int, height: int, tick: Tick,
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
        if result.pose is None and self._view.cue == NOT_SEEN and self._dark():
            self._view = dataclasses.replace(self._view, cue=TOO_DARK)
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

    def _scene(self, result: FrameResult, size: tuple[int, int]) -> Scene:
        """What the picture of ``result``, ``size`` (width, height) pixels, shows (the routine
        player's view as it stands)."""
        view = self._view
        pose = result.pose
        if pose is not None and pose.size != size:  # the camera changed its resolution
            pose = Fit(size, pose.size).shown(pose)
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
        badge = "paused" if view.paused else view.phase
        t_s = result.t_s if self._timecode else None
        if self.player.finished:
            return Scene(pose, status, highlight, self.routine.name, view.cue, IN_FORM,
                         None, "", badge, t_s)
        fraction = (view.held_s / view.target_s
                    if view.phase == HOLD and view.seconds_left is not None and view.target_s
                    else None)
        label = f"{view.countdown} s" if view.countdown is not None else ""
        # The cue's colour is the badge's: the status the words were said for (``view``).
        return Scene(pose, status, highlight, f"{view.label}  ({view.step}/{view.steps})",
                     view.cue, view.status, fraction, label, badge, t_s)

    def _render(self, rgb: np.ndarray, result: FrameResult, own: bool = False) -> np.ndarray:
        """``live_picture.render`` of ``result``'s scene on the RGB camera picture (with
        ``own``, drawn into ``rgb`` itself)."""
        return live_picture.render(rgb, self._scene(result, (rgb.shape[1], rgb.shape[0])),
                                   in_place=own)

    def _render_yuv(self, i420: np.ndarray, result: FrameResult) -> av.VideoFrame:
        """``live_picture.render_yuv`` of ``result``'s scene on the camera's own yuv420p
        picture (drawn on)."""
        size = (i420.shape[1], i420.shape[0] * 2 // 3)
        return live_picture.render_yuv(i420, self._scene(result, size), self._stickers)

    def _publish(self, result: FrameResult, events: list[Event], view: PlayerView) -> None:
        coach = self.coach
        pose = result.pose
        side = view.side if view.side is not None else coach.side
        camera_due = None if view.phase not in (POSITION, HOLD, CYCLES) or view.paused else \
            (coach.step.stretch, side, pose.image if pose else None,
             pose.visibility if pose else None, pose.people if pose else 0,
             pose.span if pose else 0.0, pose is None and self._dark())
        said = self.voice.update(result.t_s, view, events)
        now = time.monotonic()
        self._recent.append(now)
        self._recent_skips.append(self._skips)
        self._skips = 0
        span = now - self._recent[0]
        fps = (len(self._recent) - 1) / span if span > 0 else 0.0
        skipped = sum(self._recent_skips)
        share = skipped / (skipped + len(self._recent_skips))
        self._busy_said = share >= (BUSY_CLEAR_SHARE if self._busy_said else BUSY_SKIPPED_SHARE)
        with self._lock:
            previous = self._snapshot
            self._snapshot = LiveSnapshot(
                view=view,
                frames=self._frames,
                dropped=self.dropped,
                busy=self._busy_said,
                fps=fps,
                instructions=coach.step.stretch.instructions,
                side=side,
                finished=self.player.finished,
                session_id=self._session_id,
                events=(previous.events + tuple(events))[-50:],
                recording_error=(self._record_error
                                 or getattr(self._recorder, "error", None) or ""),
                next_side=self.player.planned_side() if view.phase == "rest" else None,
                utterances=(previous.utterances + tuple(u.to_dict() for u in said))[-20:]
                if said else previous.utterances,
                t_s=result.t_s,
            )
            self._camera_due = camera_due

    # -- end ------------------------------------------------------------------------------

    def results(self) -> list[StretchResult]:
        """Per stretch and side, what this session achieved (for the summary and the store)."""
        return self.player.results()

    def report(self) -> Report:
        """The session's report, from memory (after ``close``: complete)."""
        model = getattr(self.loop.estimator, "model", "")
        return self.loop.report(self.loop.track(self._size, 0.0, "webcam", model))

    def settle(self) -> None:
        """Wait for the work the frames so far left running: a people count under way and the
        recorder's queue (between two stretches of frames that are measured apart:
        ``pose.live_bench``)."""
        with self._busy:
            estimator = self.loop.estimator
            if isinstance(estimator, PoseEstimator):
                estimator.wait_for_count()
            if self._recorder is not None:
                self._recorder.flush()

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


def frame_to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """A new contiguous (H, W, 3) uint8 RGB array of a camera frame. The browser's frames come
    decoded as yuv420p: OpenCV converts those (0.44 ms CPU at 640x480 against 0.54 ms for
    PyAV's own conversion); other formats go through PyAV."""
    if draw_yuv.is_i420(frame):
        return cv2.cvtColor(frame.to_ndarray(format="yuv420p"), cv2.COLOR_YUV2RGB_I420)
    return frame.to_ndarray(format="rgb24")


def too_dark_rgb(rgb: np.ndarray) -> bool:
    """Whether an (H, W, 3) uint8 RGB picture's mean luma (BT.601 video range, on a sparse
    sample) is below ``DARK_LUMA``."""
    sample = rgb[::8, ::8].astype(np.float32)
    return float((sample @ _LUMA).mean()) + 16.0 < DARK_LUMA


_LUMA = np.array([0.257, 0.504, 0.098], np.float32)  # BT.601 RGB -> Y (16-235)


def frame_to_i420(frame: av.VideoFrame) -> np.ndarray | None:
    """A new contiguous (H * 3 / 2, W) uint8 I420 array of a yuv420p camera frame of even
    size (the browser's), or None for other formats and odd sizes. Planes whose rows are not
    padded (the browser's) are joined straight into it: 0.05-0.10 ms a live frame less than
    PyAV's ``to_ndarray`` (A06 at 640x480, thread CPU with the model, 2026-12-02)."""
    if not draw_yuv.is_i420(frame):
        return None
    planes = draw_yuv.frame_planes(frame)
    if planes is None:  # rows padded: PyAV's own copy leaves the padding out
        padded: np.ndarray = frame.to_ndarray(format="yuv420p")
        return padded
    i420 = np.empty((frame.height * 3 // 2, frame.width), np.uint8)
    np.concatenate(planes, out=i420.reshape(-1))
    return i420


def rgb_to_frame(rgb: np.ndarray) -> av.VideoFrame:
    """The (H, W, 3) uint8 RGB picture as the ``av.VideoFrame`` handed to the encoder: yuv420p,
    the format aiortc's encoders take, so they do not convert it again (OpenCV's BT.601
    conversion, 0.2 ms at 640x480 against ~1 ms for an rgb24 frame converted by the encoder).
    Odd sizes, which 4:2:0 cannot hold, go as rgb24."""
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    i420: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)  # (H * 3 / 2, W) uint8
    return av.VideoFrame.from_ndarray(i420.astype(np.uint8, copy=False), format="yuv420p")
