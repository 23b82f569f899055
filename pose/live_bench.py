"""The live path measured as the page runs it, without a browser.

Frames from a simulated camera (a clip's pictures, cropped to 4:3 and scaled to 640x480, handed
as the browser's decoder hands them: yuv420p, at 30 fps on a real clock with RTP-like
timestamps) go through streamlit-webrtc's own processing track, built the way
``streamlit_webrtc.webrtc._wrap_with_processor`` builds it for the page (a ``MediaRelay``
subscription inside a ``VideoProcessTrack`` around a ``CallbackAttachableProcessor`` with the
page's per-frame callback, ``LiveSession.on_frame``; ``bench_live(queued=True)`` measures the
queued-frames track the page used before, ``LiveSession.on_frames``), and are pulled from it as the
sender does, with the encoder's first step (aiortc's VP8 and H.264 encoders convert any frame
that is not yuv420p).

Figures (from one run, the session and its references interleaved, so that their ratios are
fair on a shared machine):

- ``live_ms``: CPU time of our code per processed frame, all threads of the process (the
  model's own, the people count's, the recorder's): the run's process CPU less what the same
  harness costs a second with a callback that hands frames straight back (measured just
  before), over the frames processed.
- ``live_ratio``: ``live_ms`` over the raw model's CPU mean (a bare landmarker, video mode) on
  the very frames that were processed, with their timestamps, handed over at the camera's pace
  (``RawModel``), warmed up first (``RAW_WARMUP_S``). The run is cut into ``ROUNDS`` rounds,
  each followed by the raw model on its own frames, so that both meet the machine at the same
  moments (``round_ratios`` shows each round's). The same model back to back, which costs
  0.2-2.1 ms a frame less, is shown beside it (``raw_model_back_to_back_ms``).
- ``live_ratio_own_model``: the same against the session's own landmarker. The raw reference
  is another landmarker of the same model, and two of them cost different CPU on the same
  frames for as long as they live (``TURNS``): after the rounds the session's, called bare, and
  the raw one take turns on the same frames (``own_model_factor``, each turn's in
  ``own_model_turns``), and the raw mean is scaled by that factor.
- ``live_lag_ms``: median time from a frame leaving the camera to its processed picture
  leaving the track (frames shown more than once count once, at their first showing).
- ``dropped_frames``: camera frames the session skipped because it was still busy
  (``LiveSession.dropped``; their timestamps still reach the clock).
- ``threads_ms`` (in ``live``): where the CPU goes, in ms a processed frame over the rounds
  after the first, thread by thread (``thread_cpu_s``): the session's callback (its own thread
  CPU: our code, and the model's calls from it), MediaPipe's threads (the model's graph and
  inference, and the people count's detector) and the other threads (the recorder's, the
  people count's); beside them the raw model's, on the same frames, split into MediaPipe's
  threads and the rest (its calls from Python). The model's threads in the session against the
  raw model's show the spread between two landmarkers (``TURNS``) and the people count; the
  callback against the raw model's calls shows our code.
"""

from __future__ import annotations

import asyncio
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from pose.soak import rss_bytes
from pose.video import read_video

#: The camera the page asks the browser for by default, and its rate.
LIVE_SIZE = (640, 480)
LIVE_FPS = 30.0
#: RTP's video clock: the browser's frames reach aiortc with timestamps in 1/90000 s.
VIDEO_CLOCK = 90_000
#: Seconds left out of the live figures at the start: the model loads at the first frame.
WARMUP_S = 3.0
#: Seconds the raw model runs, unmeasured, before its first round. A landmarker costs more in
#: its first seconds of work than the live session's 3 s warm-up leaves: unwarmed, the raw
#: model took 16.6-18.4 ms a frame in the first round against 14.8-15.4 in the next ones, and
#: the first round's ratio read 0.95-1.02 against 1.10-1.14 (warmed: 1.08-1.16, like the
#: others; A06 at 640x480, four runs alternated, 2026-12-02). The figure was low by ~0.03.
RAW_WARMUP_S = 10.0

def camera_pictures(clip: Path, frames: int = 120,
                    size: tuple[int, int] = LIVE_SIZE) -> list[np.ndarray]:
    """The first ``frames`` pictures of ``clip``, centre-cropped to the aspect of ``size``
    (width, height) and scaled to it, as I420 arrays (H * 3 / 2, W) uint8, then played back
    and forth so that a long run has no jump: the camera's pictures for ``SimulatedCamera``."""
    w, h = size
    out: list[np.ndarray] = []
    with read_video(clip) as reader:
        for frame in reader:
            rgb = frame.rgb
            fh, fw = rgb.shape[:2]
            if fw * h > fh * w:  # wider than the camera: crop the sides
                cw = fh * w // h
                rgb = rgb[:, (fw - cw) // 2:(fw - cw) // 2 + cw]
            else:
                ch = fw * h // w
                rgb = rgb[(fh - ch) // 2:(fh - ch) // 2 + ch]
            rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
            out.append(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420))
            if len(out) >= frames:
                break
    if not out:
        raise ValueError(f"{clip}: no frames to play as a camera")
    return out + out[-2:0:-1]


def _camera_track(pictures: list[np.ndarray], fps: float, duration_s: float, first: int = 0):
    """A ``MediaStreamTrack`` that hands ``pictures`` in turn as yuv420p ``av.VideoFrame``s, one
    every 1/``fps`` s of real time for ``duration_s``, then ends; ``sent`` maps each frame's
    pts to the ``time.perf_counter()`` at which the camera took it. Frames are numbered (pts,
    picture) from ``first``: a camera that goes on where an earlier one stopped."""
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    class SimulatedCamera(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.sent: dict[int, float] = {}
            self._n = 0
            self._total = int(round(duration_s * fps))
            self._start: float | None = None

        async def recv(self) -> av.VideoFrame:
            if self.readyState != "live" or self._n >= self._total:
                self.stop()
                raise MediaStreamError
            if self._start is None:
                self._start = time.perf_counter()
            n = self._n
            self._n += 1
            await asyncio.sleep(max(0.0, self._start + n / fps - time.perf_counter()))
            frame = av.VideoFrame.from_ndarray(pictures[(first + n) % len(pictures)],
                                               format="yuv420p")
            frame.pts = int(round((first + n) * VIDEO_CLOCK / fps))
            frame.time_base = Fraction(1, VIDEO_CLOCK)
            # Taken when the camera took it, even if the event loop hands it on late.
            self.sent[frame.pts] = self._start + n / fps
            return frame

    return SimulatedCamera()


def _thread_clock(tid: int) -> int:
    """Linux's CPU clock of thread ``tid`` of this process, for ``time.clock_gettime``:
    ``(~tid << 3) | 6``, the per-thread flag (4) and the scheduler's clock (2), as glibc's
    ``pthread_getcpuclockid`` builds it (include/linux/posix-timers.h). It counts
    nanoseconds, where /proc's stat counts 10 ms ticks."""
    return (~tid << 3) | 6


def thread_cpu_s() -> dict[int, tuple[str, float]]:
    """Each live thread of this process by its id: (its name, CPU seconds so far). Python's
    threads go by their Python name, native ones by the kernel's (MediaPipe's graph and
    inference threads are "drishti"). Empty where there is no /proc/self/task (not Linux)."""
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return {}
    python_names = {t.native_id: t.name for t in threading.enumerate()}
    out = {}
    for tid in tids:
        try:
            cpu = time.clock_gettime(_thread_clock(tid))
            name = python_names.get(tid) or open(f"/proc/self/task/{tid}/comm").read().strip()
        except OSError:  # it ended meanwhile
            continue
        out[tid] = (name, cpu)
    return out


#: The kernel's name of MediaPipe's native threads (its graph's and its inference's).
MEDIAPIPE_THREAD = "drishti"


def _threads_spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
                   skip: int) -> tuple[float, float]:
    """CPU seconds spent between two ``thread_cpu_s`` by MediaPipe's threads and by the
    others, leaving out thread ``skip``'s (the one the frames' callback runs on, counted
    apart); a thread that started meanwhile counts from 0."""
    mediapipe = others = 0.0
    for tid, (name, cpu) in after.items():
        if tid == skip:
            continue
        spent = cpu - before.get(tid, (name, 0.0))[1]
        if name == MEDIAPIPE_THREAD:
            mediapipe += spent
        else:
            others += spent
    return mediapipe, others


class _Run:
    """What one pass of the camera through the processing track gave; CPU, wall and the
    frames processed are counted from the end of the warm-up on."""

    def __init__(self) -> None:
        self.cpu_s = 0.0
        self.wall_s = 0.0
        self.camera_frames = 0
        self.processed_pts: list[int] = []  # the frames the callback processed, in order
        self.warm_from = 0  # index in processed_pts of the first frame after the warm-up
        self.callback_wall_s: list[float] = []  # each call, skipped frames' too
        self.callback_cpu_s = 0.0  # thread CPU inside the callback, all calls
        self.warm_calls_from = 0  # index in callback_wall_s of the first call after it
        self.lags_s: list[float] = []
        self.shown = 0  # frames that left the track (processed pictures or repeats)

    @property
    def processed(self) -> int:
        """Frames processed after the warm-up."""
        return len(self.processed_pts) - self.warm_from


def run_through_track(callback: Callable[[Any], Any], pictures: list[np.ndarray],
                      duration_s: float, fps: float = LIVE_FPS, queued: bool = False,
                      ended: Callable[[], Any] | None = None, warmup_s: float = 0.0,
                      sample: Callable[[float], None] | None = None,
                      first_frame: int = 0) -> _Run:
    """Play ``pictures`` as a camera for ``duration_s`` through streamlit-webrtc's processing
    track and pull the track like the sender does. ``callback`` is the page's per-frame
    callback (``video_frame_callback``, ``async_processing=False``: ``VideoProcessTrack``), or
    with ``queued`` its queued-frames coroutine (``queued_video_frames_callback``,
    ``async_processing=True``: ``AsyncVideoProcessTrack``, which hands back the last picture
    finished); ``ended`` is the ended callback. Figures count from ``warmup_s`` on. ``sample``,
    if given, is called about once a second with the seconds since the start. The camera's
    frames are numbered from ``first_frame`` (``_camera_track``)."""
    from aiortc.contrib.media import MediaRelay
    from aiortc.mediastreams import MediaStreamError
    from streamlit_webrtc.models import CallbackAttachableProcessor
    from streamlit_webrtc.process import AsyncVideoProcessTrack, VideoProcessTrack

    run = _Run()
    made: dict[int, tuple[Any, int]] = {}  # id(picture) -> (picture, its camera frame's pts)
    last: list[Any] = [None]

    def made_from(out: Any, pts: int, w0: float) -> None:
        run.callback_wall_s.append(time.perf_counter() - w0)
        if out is not last[0]:  # a new picture, not the last one shown again
            last[0] = out
            run.processed_pts.append(pts)
            made[id(out)] = (out, pts)

    def frame_callback(frame: Any) -> Any:
        w0, c0 = time.perf_counter(), time.thread_time()
        out = callback(frame)
        run.callback_cpu_s += time.thread_time() - c0
        made_from(out, frame.pts, w0)
        return out

    async def queued_callback(frames: list[Any]) -> list[Any]:
        w0, c0 = time.perf_counter(), time.thread_time()
        out = await callback(frames)
        run.callback_cpu_s += time.thread_time() - c0  # with whatever ran while it awaited
        for picture in out:
            made_from(picture, frames[-1].pts, w0)
        return out

    marks: dict[str, tuple[float, float]] = {}

    async def pull() -> None:
        camera = _camera_track(pictures, fps, duration_s, first_frame)
        relay = MediaRelay()
        if queued:
            processor = CallbackAttachableProcessor(None, queued_callback, ended)
            track: Any = AsyncVideoProcessTrack(track=relay.subscribe(camera),
                                                processor=processor)
        else:
            processor = CallbackAttachableProcessor(frame_callback, None, ended)
            track = VideoProcessTrack(track=relay.subscribe(camera), processor=processor)
        start = time.perf_counter()
        next_sample = 0.0
        try:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    break
                now = time.perf_counter()
                origin = made.pop(id(frame), None)
                if origin is not None:
                    run.lags_s.append(now - camera.sent[origin[1]])
                if frame.format.name != "yuv420p":  # what aiortc's encoders do first
                    frame = frame.reformat(format="yuv420p")
                run.shown += 1
                if "warm" not in marks and now - start >= warmup_s:
                    marks["warm"] = (time.process_time(), now)
                    run.warm_from = len(run.processed_pts)
                    run.warm_calls_from = len(run.callback_wall_s)
                if sample is not None and now - start >= next_sample:
                    sample(now - start)
                    next_sample += 1.0
        finally:
            marks["end"] = (time.process_time(), time.perf_counter())
            track.stop()  # ends the worker thread, then calls ``ended`` (the session's close)
        run.camera_frames = len(camera.sent)

    asyncio.run(pull())
    (c0, w0), (c1, w1) = marks["warm"], marks["end"]
    run.cpu_s, run.wall_s = c1 - c0, w1 - w0
    return run


def _session(model: str, store_dir: Path):
    """A live session as the page makes it (the first routine, the background people count,
    recorded into a store in ``store_dir``)."""
    from pose.estimator import PoseEstimator
    from pose.live import LiveSession
    from pose.routines import load_catalogue
    from pose.store import open_store

    cat = load_catalogue()
    routine = next(iter(cat.routines.values()))
    url = store_dir / "live-bench.db"

    def recorder_factory(width: int, height: int, checker: dict):
        store = open_store(url)
        sid = store.start_session("live", "bench", routine.id, model, 0.0, (width, height),
                                  checker=checker)
        return sid, store.recorder(sid, owns_store=True)

    return LiveSession(routine, lambda: PoseEstimator(model, count_in_background=True),
                       recorder_factory)


class RawModel:
    """A bare landmarker (video mode: the model and nothing of ours) handed the camera's
    ``pictures`` by frame timestamp, kept open across calls so that its timestamps go on and
    its first frames' start-up is paid once. Use as a context manager.

    With ``landmarker`` (and the timestamp it was last handed, ``after_ms``), that landmarker
    is called bare instead of a new one: a live session's own, once the session is done with
    it (``landmarker_factor``); it is not closed here."""

    def __init__(self, pictures: list[np.ndarray], model: str, landmarker: Any = None,
                 after_ms: int = -1) -> None:
        from pose.bench import _raw_model, raw_detect

        self._pictures = pictures
        self._owned = landmarker is None
        if landmarker is None:
            self._landmarker, self._detect = _raw_model(model)
        else:
            self._landmarker, self._detect = landmarker, raw_detect(landmarker)
        self._rgbs: dict[int, np.ndarray] = {}
        self._last_ms = after_ms
        # Added to the frames' own times: after ``warm_up``, or after ``after_ms``, they follow
        # on a second later.
        self._origin_ms = after_ms + 1000 if after_ms >= 0 else 0

    def cpu_ms(self, pts: list[int], paced: bool = True) -> np.ndarray:
        """CPU ms (the whole process) of the model on each frame of ``pts`` (camera
        timestamps in 1/``VIDEO_CLOCK`` s), in order. ``paced``: each frame is handed over at
        its camera time (relative to the first), as the camera handed it to the page;
        otherwise back to back. The model takes 0.2-2.1 ms more CPU a frame at a camera's pace
        than back to back (A06 at 640x480, twelve runs on this 2-core machine; in one loop
        with nothing else, 11.4-12.2 -> 13.1-13.8 ms, its graph threads 11.0-11.1 -> 12.5-12.6:
        they wait for each frame instead of finding it queued). The page meets frames at the
        camera's pace, so the paced run is its reference. (Frames behind their time after a
        hiccup are handed over at once until the run is on time again.)"""
        step = VIDEO_CLOCK / LIVE_FPS
        out = []
        start = time.perf_counter()
        for p in pts:
            i = int(round(p / step)) % len(self._pictures)
            if i not in self._rgbs:
                self._rgbs[i] = cv2.cvtColor(self._pictures[i], cv2.COLOR_YUV2RGB_I420)
            if paced:
                due = start + (p - pts[0]) / VIDEO_CLOCK
                time.sleep(max(0.0, due - time.perf_counter()))
            self._last_ms = max(self._origin_ms + int(round(p * 1000 / VIDEO_CLOCK)),
                                self._last_ms + 1)
            c0 = time.process_time()
            self._detect(self._rgbs[i], self._last_ms)
            out.append(time.process_time() - c0)
        return np.asarray(out) * 1000.0

    def warm_up(self, seconds: float = RAW_WARMUP_S) -> None:
        """Run the model on ``seconds`` of the camera's frames at its pace, unmeasured; the
        frames measured after it have timestamps that follow on (a second later). See
        ``RAW_WARMUP_S``."""
        step = VIDEO_CLOCK / LIVE_FPS
        self.cpu_ms([int(round(i * step)) for i in range(int(round(seconds * LIVE_FPS)))])
        self._origin_ms = self._last_ms + 1000

    @property
    def last_timestamp_ms(self) -> int:
        """The timestamp (ms) the model was last handed, -1 before the first frame."""
        return self._last_ms

    def close(self) -> None:
        if self._owned:
            self._landmarker.close()

    def __enter__(self) -> RawModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def raw_model_cpu_ms(pictures: list[np.ndarray], pts: list[int], model: str,
                     paced: bool = True) -> np.ndarray:
    """``RawModel.cpu_ms`` of a landmarker opened for these frames alone."""
    with RawModel(pictures, model) as raw:
        return raw.cpu_ms(pts, paced)


def _pass_through(frame: Any) -> Any:
    return frame


def _pass_through_queued(frames: list[Any]) -> Any:
    async def back() -> list[Any]:
        return frames[-1:]

    return back()


#: The live run is cut into this many rounds, each followed by the raw model on its frames, so
#: that both meet the same moments of a shared machine (its speed drifts by a tenth over a
#: minute: one run of each, one after the other, put the ratio anywhere in 1.09-1.19).
ROUNDS = 4
#: Seconds of the harness alone before each round (its cost a second moves between runs).
HARNESS_S = 3.0
#: After the rounds, the session's own landmarker and the raw reference's take turns on the same
#: frames, this many turns of ``TURN_S`` each, after ``TURN_WARMUP_S`` each unmeasured. Two
#: landmarkers of one model do not cost the same CPU on the same frames, each for as long as it
#: lives: four raw ones in one process, taking six turns, came out at 0.97-1.06 of the first,
#: while one turn's ratio moves by +-0.05 (A06 at 640x480, three processes, 2026-12-02).
#: Warmed up 2 s, the session's first two turns read 1.06-1.14 in three runs of three, the
#: later ones 0.92-1.07; warmed 6 s, 0.98-1.10.
TURNS = 6
TURN_S = 5.0
TURN_WARMUP_S = 6.0


def turn_means(models: list[RawModel], turns: int = TURNS, turn_s: float = TURN_S,
               first_frame: int = 0) -> list[list[float]]:
    """``models`` take ``turns`` turns of ``turn_s`` of the camera's frames each at its pace, on
    the same frames (numbered from ``first_frame``, so that their timestamps go on), the order
    rotating by one each turn so that none always goes first. Returns each model's CPU ms a
    frame (mean) in each turn, in ``models``' order."""
    step = VIDEO_CLOCK / LIVE_FPS
    n = max(1, int(round(turn_s * LIVE_FPS)))
    means: list[list[float]] = [[] for _ in models]
    for k in range(turns):
        pts = [int(round((first_frame + k * n + i) * step)) for i in range(n)]
        for j in range(len(models)):
            m = (j + k) % len(models)
            means[m].append(float(models[m].cpu_ms(pts).mean()))
    return means


def landmarker_factor(own: RawModel, raw: RawModel, turns: int = TURNS, turn_s: float = TURN_S,
                      first_frame: int = 0) -> tuple[float, list[float]]:
    """How much CPU ``own`` (a session's landmarker, called bare) costs against ``raw`` on the
    same frames, over ``turn_means`` (which one goes first alternating). Returns the sum of
    ``own``'s per-frame means over ``raw``'s, and each turn's ratio."""
    ours, theirs = turn_means([own, raw], turns, turn_s, first_frame)
    return sum(ours) / sum(theirs), [round(a / b, 3) for a, b in zip(ours, theirs, strict=True)]


class _ThreadShares:
    """Where a live run's CPU goes, thread by thread, against the raw model's on the same
    frames (``threads_ms`` in ``bench_live``'s figures): summed over rounds, then per frame."""

    def __init__(self) -> None:
        self.frames = 0
        self.callback = self.mediapipe = self.others = 0.0  # the session's, s
        self.raw_total = self.raw_mediapipe = 0.0  # the raw model's, s

    def add(self, run: _Run, raw_ms: np.ndarray, before: dict[int, tuple[str, float]],
            after_run: dict[int, tuple[str, float]],
            after_raw: dict[int, tuple[str, float]]) -> None:
        """A round without warm-up: the session's ``run`` between ``before`` and
        ``after_run`` (``thread_cpu_s``), then the raw model's ``raw_ms`` (CPU ms a frame, the
        whole process) on its frames, until ``after_raw``."""
        main = threading.main_thread().native_id or -1  # the callback's, and the harness's
        mediapipe, others = _threads_spent(before, after_run, main)
        self.frames += run.processed
        self.callback += run.callback_cpu_s
        self.mediapipe += mediapipe
        self.others += others
        self.raw_total += float(raw_ms.sum()) / 1000.0
        self.raw_mediapipe += _threads_spent(after_run, after_raw, main)[0]

    def per_frame(self) -> dict[str, float] | None:
        """CPU ms a processed frame: the session's ``callback`` (its thread: our code and the
        model's calls), ``mediapipe`` (MediaPipe's threads: the model's graph, the people
        count's detector) and ``other_threads`` (the recorder's, the people count's own...);
        the raw model's ``raw_mediapipe`` (its graph's threads) and ``raw_calling_thread``
        (the rest of its CPU: its calls from Python). None without a round to count (or
        without /proc)."""
        if not self.frames or self.mediapipe <= 0:
            return None
        n = self.frames / 1000.0
        return {
            "callback": round(self.callback / n, 3),
            "mediapipe": round(self.mediapipe / n, 3),
            "other_threads": round(self.others / n, 3),
            "raw_mediapipe": round(self.raw_mediapipe / n, 3),
            "raw_calling_thread": round((self.raw_total - self.raw_mediapipe) / n, 3),
        }


def bench_live(clip: Path, model: str = "full", seconds: float = 20.0, queued: bool = False,
               say: Callable[[str], None] = print,
               raw_warmup_s: float = RAW_WARMUP_S, turns: int = TURNS,
               turn_s: float | None = None) -> dict[str, Any]:
    """The live figures (see the module's docstring) over ``seconds`` of a simulated 30 fps
    camera showing ``clip`` through the page's track (``queued``: through the queued-frames
    track instead): a JSON-able dict. One live session is run in ``ROUNDS`` rounds, the
    camera numbering its frames on where it stopped, so the session's clock sees one stream
    (a pause longer than ``pose.live.LATE_WINDOW_S`` lets its lateness reckoning start afresh:
    no frame after it is skipped as late). Before each round, the harness alone for
    ``HARNESS_S``; after it, the session's background work is waited for
    (``LiveSession.settle``: a people count under way, the recorder's queue) so that it is
    counted in the round, and the raw model runs on that round's processed frames. The first
    ``WARMUP_S`` are left out (the model loads at the first frame); the raw model has
    ``raw_warmup_s`` of its own first (``RAW_WARMUP_S``). Then the session's own landmarker,
    called bare, and the raw one take ``turns`` turns of ``turn_s`` on the same frames
    (``landmarker_factor``; by default a round's length, at most ``TURN_S``, each warmed up
    for at most ``TURN_WARMUP_S``, no longer than the live part): ``live_ratio_own_model`` is
    ``live_ms`` over the raw mean times that factor, the session's cost against its own
    model's (see ``TURNS``)."""
    from pose import privacy

    pictures = camera_pictures(clip)
    pass_through = _pass_through_queued if queued else _pass_through
    track = "queued-frames" if queued else "per-frame"
    rounds: list[tuple[_Run, _Run, np.ndarray]] = []  # (harness, session, raw model ms)
    spent = _ThreadShares()
    with privacy.native_offline(), tempfile.TemporaryDirectory() as tmp, \
            RawModel(pictures, model) as raw:
        say(f"live: the raw model warms up ({raw_warmup_s:g} s of the camera's frames)")
        raw.warm_up(raw_warmup_s)
        session = _session(model, Path(tmp))
        callback = session.on_frames if queued else session.on_frame
        first = 0
        for k in range(ROUNDS):
            warmup = WARMUP_S if k == 0 else 0.0
            say(f"live: round {k + 1} of {ROUNDS}: the harness alone ({HARNESS_S:g} s), "
                f"{seconds / ROUNDS + warmup:g} s of a {LIVE_FPS:.0f} fps camera through "
                f"streamlit-webrtc's {track} processing track, the raw model on its frames")
            harness = run_through_track(pass_through, pictures, HARNESS_S, queued=queued)
            threads = thread_cpu_s()
            run = run_through_track(callback, pictures, seconds / ROUNDS + warmup,
                                    queued=queued, warmup_s=warmup, first_frame=first)
            first += run.camera_frames
            c0 = time.process_time()
            session.settle()
            run.cpu_s += time.process_time() - c0
            after_run = thread_cpu_s()
            raw_ms = raw.cpu_ms(run.processed_pts)
            if k > 0:  # the first round's figures include the model's loading
                spent.add(run, raw_ms, threads, after_run, thread_cpu_s())
            rounds.append((harness, run, raw_ms[run.warm_from:]))
        factor, turn_factors = float("nan"), list[float]()
        estimator = session.loop.estimator
        if turns > 0 and estimator is not None and estimator.landmarker is not None:
            turn = turn_s if turn_s is not None else min(TURN_S, seconds / ROUNDS)
            say(f"live: the session's own landmarker, called bare, and the raw one take "
                f"{turns} turns of {turn:g} s on the same frames")
            with RawModel(pictures, model, estimator.landmarker,
                          estimator.last_timestamp_ms) as own:
                for landmarker in (own, raw):
                    landmarker.warm_up(min(TURN_WARMUP_S, seconds))
                factor, turn_factors = landmarker_factor(own, raw, turns, turn, first)
        session.close()
    processed_pts = [p for _, run, _ in rounds for p in run.processed_pts[run.warm_from:]]
    say("live: the raw model on the same frames back to back")
    with privacy.native_offline():  # a landmarker of its own: timestamps from the start
        raw_b2b_ms = raw_model_cpu_ms(pictures, processed_pts, model, paced=False)

    # Each round's CPU ms, less what the harness alone costs for as long.
    ours = [(run.cpu_s - h.cpu_s / h.wall_s * run.wall_s) * 1000.0 for h, run, _ in rounds]
    processed = sum(run.processed for _, run, _ in rounds)
    live_ms = sum(ours) / max(processed, 1)
    raw_ms = np.concatenate([r for _, _, r in rounds])
    raw_mean = float(raw_ms.mean()) if raw_ms.size else float("nan")
    lags = np.concatenate([run.lags_s for _, run, _ in rounds]) * 1000.0
    callback_ms = np.concatenate([run.callback_wall_s[run.warm_calls_from:]
                                  for _, run, _ in rounds]) * 1000.0
    wall = sum(run.wall_s for _, run, _ in rounds)
    interval_ms = 1000.0 / LIVE_FPS
    return {
        "live_ms": round(live_ms, 3),
        "live_ratio": round(live_ms / raw_mean, 3),
        "live_ratio_own_model": round(live_ms / (raw_mean * factor), 3)
        if turn_factors else None,
        "live_lag_ms": round(float(np.median(lags)), 1) if lags.size else None,
        "dropped_frames": session.dropped,
        "live": {
            "track": "AsyncVideoProcessTrack" if queued else "VideoProcessTrack",
            "size": list(LIVE_SIZE),
            "camera_fps": LIVE_FPS,
            "seconds": seconds,
            "warmup_s": WARMUP_S,
            "rounds": ROUNDS,
            "round_ratios": [round(cpu / max(run.processed, 1) / float(r.mean()), 3)
                             if r.size else None
                             for cpu, (_, run, r) in zip(ours, rounds, strict=True)],
            "camera_frames": first,
            "processed_frames": sum(len(run.processed_pts) for _, run, _ in rounds),
            "processed_fps": round(processed / wall, 2) if wall > 0 else None,
            "raw_model_ms": round(raw_mean, 3),
            "own_model_factor": round(factor, 3) if turn_factors else None,
            "own_model_turns": turn_factors,
            "raw_model_p95_ms": round(float(np.percentile(raw_ms, 95)), 3) if raw_ms.size
            else None,
            "raw_model_back_to_back_ms": round(float(raw_b2b_ms.mean()), 3)
            if raw_b2b_ms.size else None,
            "callback_wall_mean_ms": round(float(callback_ms.mean()), 3)
            if callback_ms.size else None,
            "callback_wall_p95_ms": round(float(np.percentile(callback_ms, 95)), 3)
            if callback_ms.size else None,
            "callback_wall_max_after_warmup_ms": round(float(callback_ms.max()), 3)
            if callback_ms.size else None,
            "lag_p95_ms": round(float(np.percentile(lags, 95)), 1) if lags.size else None,
            "lag_target_ms": round(interval_ms + raw_mean + 10.0, 1),
            "harness_cpu_ms_per_s": round(sum(h.cpu_s for h, _, _ in rounds)
                                          / sum(h.wall_s for h, _, _ in rounds) * 1000.0, 2),
            "people_counts": len(getattr(session.loop.estimator, "people_counts", [])),
            "threads_ms": spent.per_frame(),
        },
    }


def soak_live(clip: Path, model: str = "full", minutes: float = 10.0, settle_s: float = 60.0,
              say: Callable[[str], None] = print) -> dict[str, Any]:
    """A long live session (``minutes`` of a simulated 30 fps camera through the processing
    track, recorded into a temporary store): resident memory sampled every second. Growth is
    taken from ``settle_s`` on (the model's and the store's buffers fill in the first seconds)
    and divided by the frames processed in that time: ``rss_growth_kb_per_frame``, against the
    landmarks a session keeps in memory (<= 2 KB a frame, issue 14)."""
    from pose import privacy

    pictures = camera_pictures(clip)
    samples: list[tuple[float, int, int]] = []  # (seconds, RSS kB, frames processed)
    with privacy.native_offline(), tempfile.TemporaryDirectory() as tmp:
        session = _session(model, Path(tmp))

        def sample(t: float) -> None:
            samples.append((t, rss_bytes() // 1024, session.snapshot().frames))
            if int(t) % 60 == 0:
                say(f"soak: {t / 60:.0f} min, RSS {samples[-1][1] / 1024:.1f} MB, "
                    f"{samples[-1][2]} frames processed, {session.dropped} skipped")

        run = run_through_track(session.on_frame, pictures, minutes * 60.0,
                                ended=session.close, sample=sample)
        session.close()
    settled = [s for s in samples if s[0] >= settle_s] or samples
    t0, rss0, n0 = settled[0]
    t1, rss1, n1 = settled[-1]
    frames = max(n1 - n0, 1)
    return {
        "soak_minutes": minutes,
        "camera_frames": run.camera_frames,
        "processed_frames": len(run.processed_pts),
        "dropped_frames": session.dropped,
        "rss_start_mb": round(samples[0][1] / 1024.0, 1),
        "rss_settled_mb": round(rss0 / 1024.0, 1),
        "rss_end_mb": round(rss1 / 1024.0, 1),
        "rss_peak_mb": round(max(s[1] for s in samples) / 1024.0, 1),
        "rss_growth_kb_per_frame": round((rss1 - rss0) / frames, 3),
        "growth_from_s": round(t0, 1),
        "frames_in_growth": frames,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "rss_samples_mb": [[round(t), round(r / 1024.0, 1)] for t, r, _ in samples[::30]],
    }


def format_live(r: dict[str, Any]) -> str:
    """The live figures as a few lines of text."""
    live = r["live"]
    rounds = ", ".join(_figure(x) for x in live["round_ratios"])
    return "\n".join([
        f"live       {live['size'][0]}x{live['size'][1]} at {live['camera_fps']:.0f} fps through "
        f"{live['track']}, {live['seconds']:g} s: {live['processed_frames']} frames processed, "
        f"{r['dropped_frames']} skipped",
        f"live cpu   {r['live_ms']:.2f} ms per processed frame (all threads) = "
        f"{r['live_ratio']:.3f} x the raw model ({live['raw_model_ms']:.2f} ms) on the same frames "
        f"at the camera's pace ({live['raw_model_back_to_back_ms'] or float('nan'):.2f} ms back "
        f"to back)",
        f"rounds     {rounds} x the raw model, each round against the model on its own frames",
        f"own model  {_figure(r.get('live_ratio_own_model'))} x the session's own landmarker, "
        f"which costs {_figure(live.get('own_model_factor'))} x the raw one on the same frames "
        f"(turns: {', '.join(_figure(x) for x in live.get('own_model_turns') or []) or '-'})",
        f"live lag   {r['live_lag_ms']} ms median, {live['lag_p95_ms']} ms p95, camera to "
        f"picture out (target {live['lag_target_ms']} ms: a frame interval + the model + 10 ms)",
        *_threads_line(live.get("threads_ms")),
    ])


def _threads_line(t: dict[str, float] | None) -> list[str]:
    """``threads_ms`` as one line of text (none without it)."""
    if not t:
        return []
    return [f"threads    ms a frame: the callback {t['callback']:.2f} (our code and the model's "
            f"calls), MediaPipe's threads {t['mediapipe']:.2f}, other threads "
            f"{t['other_threads']:.2f}; the raw model: MediaPipe's threads "
            f"{t['raw_mediapipe']:.2f}, its calls {t['raw_calling_thread']:.2f}"]


def _figure(x: float | None) -> str:
    """A ratio as printed: three decimals, or "-" where there is none."""
    return f"{x:.3f}" if x is not None else "-"


def format_soak(r: dict[str, Any]) -> str:
    """The soak's figures as a few lines of text."""
    return "\n".join([
        f"soak       {r['soak_minutes']:g} min of a {LIVE_FPS:.0f} fps camera at "
        f"{LIVE_SIZE[0]}x{LIVE_SIZE[1]}: {r['processed_frames']} frames processed, "
        f"{r['dropped_frames']} skipped",
        f"memory     RSS {r['rss_start_mb']} MB at the start, {r['rss_settled_mb']} MB after "
        f"{r['growth_from_s']:.0f} s, {r['rss_end_mb']} MB at the end (peak {r['rss_peak_mb']} MB)",
        f"growth     {r['rss_growth_kb_per_frame']} KB per frame processed over "
        f"{r['frames_in_growth']} frames (a session keeps <= 2 KB of landmarks a frame)",
    ])
