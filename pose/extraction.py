"""Pose extraction of a video file over several cores: the model's half of ``analyse_video``.

The pose model is nearly all of an analysis' time and one instance keeps one core busy. Its
graph runs on native threads of its own, and the Python thread that feeds it waits for the
result without holding the interpreter lock, as PyAV's decoder does while it decodes. So
threads of this one process, each with its own decoder and its own model instance, use
every core: no process to spawn, no second import of MediaPipe, no poses to pickle, and the
models load side by side from the first instant (issue 14: spawning a worker, importing and
loading its model was ~1.5 s of an 18 s clip's ~5 s analysis).

The file is cut in time into ranges, one per thread to begin with, the first a little longer
(the others settle first, below). A thread that finishes its range takes the second half of
the range with the most left to do (``steal``), so no core idles at the end while another
still works; each cut costs the thief a fresh model and its settling (below), so a range
is only shared when ``MIN_STEAL_S`` or more of it is left. ``PartedPoses`` hands the raw
poses on in frame order as they come, so the one loop (``pose.pipeline.run_poses``) checks
them in one pass while the threads still run: the clock, smoothing, drop-outs and checks see
exactly the stream of a sequential analysis.

A range seeks to the key frame before its start and runs its model from ``settle_s`` before
it, so that the model's tracking has settled on the person when the range begins; those
settling frames are not kept. Each range's thread, with its decoder's and its model's
threads, keeps to a core of its own (``own_core``). Ranges are cut by the frames' own
timestamps, so a file whose timestamps are missing or go back cannot be cut by them: the
packets' timestamps are read first (no decoding: ~40 ms for A06, while the models load), and
where they do not rise the first range takes the whole file. A frame that passes that test
but not the frames' (a repeated timestamp, one going back by less than the decoder's
reordering) makes the range that meets it among its own read on to the file's end, as the
sequential path would, and the later ranges are dropped. ``tests/test_extraction.py``
compares the two paths.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pose import landmarks as lm
from pose import privacy
from pose.clock import MediaClock
from pose.errors import StretchCheckError, VideoError
from pose.landmarks import PoseFrame
from pose.video import VideoFrame, VideoInfo, VideoReader, timestamps_rise

if TYPE_CHECKING:
    from pose.estimator import PoseEstimator

#: Seconds of video the model sees before a range starts, for its tracking to settle: the
#: landmarks of the range then match a sequential run's. Measured on A06 cut at 4, 9.8 and
#: 13 s: 1.0 / 0.5 / 0.3 s of settling gave 0.13-0.20 / 0.13-0.22 / 0.12-0.23 px mean and the
#: sequential report every time; on A01 (5 fps) 1.0 and 0.5 s both ~0.6 px (its camera-view
#: tally moves by 0.2-0.6 s with or without, at any settling).
SETTLE_S = 0.5
#: ... and at least this many frames (0.5 s of a 5 fps clip is 2-3 frames).
SETTLE_FRAMES = 10
#: A video shorter than two ranges of this is analysed by one thread: a range past the
#: first costs a model load (~0.2 s of CPU) and its settling.
MIN_PART_S = 5.0
#: Seconds of video the first range has more than each other one, on top of their settling:
#: they decode from a key frame before it (A06: ~0.1 s of CPU) and load their model once
#: the first thread has imported MediaPipe.
LEAD_S = 0.5
#: A range is shared with an idle thread only when this many seconds of it are left: the
#: thief's share then covers its settling and model load (~0.6 s of CPU at 720p) with room.
MIN_STEAL_S = 3.0
#: Frames a range hands on at a time (packed as arrays while they wait for their turn).
CHUNK = 15
#: Seconds between looks at the threads' progress while waiting for a range's frames.
POLL_S = 0.25

#: (frames done, frames expected or 0) after each frame, as ``pose.sessions.Progress``.
Progress = Callable[[int, int], None]
Posed = tuple[float | None, PoseFrame | None]
"""A frame's container timestamp in seconds (None: it has none) and its raw pose."""


@dataclass(frozen=True)
class Part:
    """One part of a video in source time: frames with ``start_s <= t < end_s`` (None: open)."""

    index: int
    start_s: float | None
    end_s: float | None


class Unsplittable(Exception):
    """A part's timestamps do not allow cutting the file there (see the module docstring)."""


@dataclass(frozen=True)
class Packed:
    """Raw poses of consecutive frames as arrays: what waits in a range for its turn (a
    later range's poses are ready before the earlier ones are checked). A list of
    ``PoseFrame`` costs ~2.2 KB a frame there; this costs the landmarks, 1.6 KB.

    ``t_s`` (N,) container timestamps (None: none); ``posed`` (N,) which frames have a pose;
    for the M frames with one, ``pose_t_s`` (M,), ``image`` (M, 33, 2), ``world`` (M, 33, 3),
    ``visibility`` (M, 33), ``size`` (M, 2) and ``people`` (M,), as the model gave them.
    """

    t_s: list[float | None]
    posed: list[bool]
    pose_t_s: list[float]
    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    size: list[tuple[int, int]]
    people: list[int]

    def __len__(self) -> int:
        return len(self.t_s)

    @classmethod
    def of(cls, batch: list[Posed]) -> Packed:
        poses = [p for _, p in batch if p is not None]
        n = lm.N_LANDMARKS

        def stacked(arrays: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
            return np.stack(arrays) if arrays else np.zeros((0, *shape))

        return cls([t for t, _ in batch], [p is not None for _, p in batch],
                   [p.t_s for p in poses], stacked([p.image for p in poses], (n, 2)),
                   stacked([p.world for p in poses], (n, 3)),
                   stacked([p.visibility for p in poses], (n,)),
                   [p.size for p in poses], [p.people for p in poses])

    def unpack(self) -> Iterator[Posed]:
        """The (timestamp, raw pose) pairs again, in order, equal to those packed."""
        r = 0
        for t, posed in zip(self.t_s, self.posed, strict=True):
            if not posed:
                yield t, None
                continue
            yield t, PoseFrame(self.pose_t_s[r], self.image[r], self.world[r],
                               self.visibility[r], self.size[r], self.people[r])
            r += 1


def own_core(k: int) -> int | None:
    """Keep the calling thread, and every thread it starts from now on, on the ``k``-th (modulo
    their number) of the cores this process may use; returns that core (None: not pinned, one
    core or no affinity on this system).

    A range's work is one chain of threads handing a frame on: this thread decodes it, the
    model's two graph threads (started when its landmarker loads) run it, this thread takes the
    pose. Left to the scheduler, two ranges' chains kept only 1.61-1.71 cores busy (most likely
    a woken thread placed beside its waker, a core at times idle): on A06 each frame's decode
    1.6 -> 2.9-3.2 ms and model 11.0 -> 12.1-12.7 ms of wall time against one range alone, a
    speed-up of 1.50-1.57. A core per chain: 1.92 cores busy, decode 1.5 ms, model 11.2-11.4 ms,
    speed-up 1.82-1.91 (issue 14: two bare landmarkers over A06's halves, each decoding its own;
    ``analyse_video``'s speed-up went 1.48-1.64 -> 1.79-1.85).
    """
    try:
        cores = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return None
    if len(cores) < 2:
        return None
    core = cores[k % len(cores)]
    try:
        os.sched_setaffinity(0, {core})  # 0: this thread; threads it starts inherit the mask
    except OSError:
        return None
    return core


def settle_s(fps: float) -> float:
    """Seconds a range's model runs before the range starts (``SETTLE_S``, ``SETTLE_FRAMES``)."""
    return max(SETTLE_S, SETTLE_FRAMES / fps) if fps > 0 else SETTLE_S


def default_jobs() -> int:
    """Threads for pose extraction: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def split(start_s: float, duration_s: float, jobs: int,
          min_part_s: float = MIN_PART_S, lead_s: float = 0.0) -> list[Part]:
    """Cut ``duration_s`` seconds from ``start_s`` into at most ``jobs`` parts of at least
    ``min_part_s`` seconds each (one part when the video is too short to share): equal, but
    for the first, ``lead_s`` longer than each of the others (see ``LEAD_S``)."""
    n = max(1, min(jobs, int(duration_s // min_part_s) if min_part_s > 0 else jobs))
    lead = min(max(lead_s, 0.0), max(0.0, duration_s / n - min_part_s) * n / (n - 1)) \
        if n > 1 else 0.0
    share = (duration_s - lead) / n
    cuts = [start_s + lead + share * k for k in range(1, n)]
    bounds: list[float | None] = [None, *cuts, None]
    return [Part(k, bounds[k], bounds[k + 1]) for k in range(n)]


class _Range:
    """Frames ``start_s <= t < end_s`` of source time (None: open), extracted by one thread.

    ``end_s`` may move earlier while the range runs (another thread took the rest of it:
    ``_Plan.steal``), never before a frame the range has claimed: both happen under the
    plan's lock. The poses wait in ``chunks`` until the consumer takes them.
    """

    def __init__(self, start_s: float | None, end_s: float | None, strict: bool) -> None:
        self.start_s, self.end_s, self.strict = start_s, end_s, strict
        self.claimed_s: float | None = None
        """The timestamp of the latest frame kept (None: none yet)."""
        self.kept = 0
        self.chunks: list[Packed] = []
        self.running = self.done = False
        self.cancelled = False
        """Told to stop: the extraction ends, or an earlier range reads on over it."""
        self.dropped = False
        """An earlier range reads on over this one: its frames are not used."""
        self.free = False
        """Met a broken timestamp among its own frames: reads on to the file's end."""
        self.deferred = False
        """Met a broken timestamp before its first frame: an earlier range will meet it too."""
        self.damage: str | None = None


class _Plan:
    """The ranges of one extraction, in time order, and the threads' shared state."""

    def __init__(self, path: str, model: str, ranges: list[_Range], stop_s: float,
                 settle: float = SETTLE_S) -> None:
        self.path, self.model, self.stop_s, self.settle_s = path, model, stop_s, settle
        self.cond = threading.Condition()
        self.ranges = ranges
        self.error: tuple[int, BaseException] | None = None
        self.judged = self.cuttable = False  # see ``judge``

    # -- in the extracting threads --------------------------------------------------------

    def judge(self, cuttable: bool) -> None:
        """Whether the file can be cut by time (``pose.video.timestamps_rise``): until this is
        said, no range ends at its end and none is shared. Where it cannot (seeking by time may
        land anywhere), the first range takes every frame and the others are dropped before
        the consumer reaches them."""
        with self.cond:
            self.judged, self.cuttable = True, cuttable
            if not cuttable:
                self.ranges[0].end_s = None
                for later in self.ranges[1:]:
                    later.cancelled = later.dropped = True
            self.cond.notify_all()

    def work(self, first: _Range, core: int) -> None:
        """A thread's life: its first range, then the halves it can take from others; on the
        ``core``-th core this process may use, with the threads it starts (``own_core``)."""
        own_core(core)
        rng: _Range | None = first
        while rng is not None:
            try:
                self.run(rng)
            except BaseException as exc:  # the consumer raises it, with the range's place
                with self.cond:
                    if self.error is None:
                        self.error = (self.ranges.index(rng), exc)
                    rng.done = True
                    self.cond.notify_all()
                return
            rng = self.steal()

    def run(self, rng: _Range) -> None:
        """Extract ``rng`` into its chunks (a file damaged part-way: up to the damage)."""
        batch: list[Posed] = []
        try:
            for posed in range_poses(self.path, self.model, rng, self):
                batch.append(posed)
                if len(batch) >= CHUNK:
                    self._hand_on(rng, batch)
                    batch = []
        except VideoError as exc:
            rng.damage = str(exc)
        except Unsplittable:
            rng.deferred = True
        self._hand_on(rng, batch, done=True)

    def _hand_on(self, rng: _Range, batch: list[Posed], done: bool = False) -> None:
        packed = Packed.of(batch) if batch else None
        with self.cond:
            if packed is not None:
                rng.chunks.append(packed)
            rng.done = rng.done or done
            self.cond.notify_all()

    def claim(self, rng: _Range, t_s: float) -> bool:
        """Whether the frame at ``t_s`` is ``rng``'s to keep (False: the range ends there)."""
        with self.cond:
            if rng.end_s is not None and t_s >= rng.end_s:
                self.cond.wait_for(lambda: self.judged)  # the end may go (``judge``)
            if rng.cancelled or (rng.end_s is not None and t_s >= rng.end_s):
                return False
            rng.claimed_s = t_s
            rng.kept += 1
            return True

    def free(self, rng: _Range) -> None:
        """``rng`` reads on to the file's end: the ranges after it are dropped."""
        with self.cond:
            rng.free, rng.end_s = True, None
            for later in self.ranges[self.ranges.index(rng) + 1:]:
                later.cancelled = later.dropped = True
            self.cond.notify_all()

    def steal(self) -> _Range | None:
        """The second half of the running range with the most seconds left, as a new range
        for the calling thread (None: no range has ``MIN_STEAL_S`` left). The cut gives the
        thief ``settle_s`` less, which it spends settling."""
        with self.cond:
            self.cond.wait_for(lambda: self.judged)
            best, best_left, best_at = None, MIN_STEAL_S, 0.0
            for rng in self.ranges:
                if not rng.running or rng.done or rng.free or rng.cancelled:
                    continue
                at = rng.claimed_s if rng.claimed_s is not None else rng.start_s
                if at is None:
                    continue  # not yet at its first frame: nothing to measure by
                end = rng.end_s if rng.end_s is not None else self.stop_s
                if end - at >= best_left:
                    best, best_left, best_at = rng, end - at, at
            if best is None or self.error is not None or not self.cuttable:
                return None
            cut = best_at + (best_left + self.settle_s) / 2.0
            thief = _Range(cut, best.end_s, strict=True)
            best.end_s = cut
            thief.running = True
            self.ranges.insert(self.ranges.index(best) + 1, thief)
            return thief

    # -- in the consumer ---------------------------------------------------------------

    def cancel(self) -> None:
        with self.cond:
            self.judged = True  # nobody waits for a verdict that will not come
            for rng in self.ranges:
                rng.cancelled = True
            self.cond.notify_all()

    def waiting(self) -> int:
        """Frames extracted and not yet taken by the consumer."""
        with self.cond:
            return sum(len(p) for r in self.ranges for p in r.chunks)


def range_poses(path: str, model: str, rng: _Range, plan: _Plan | None = None
                ) -> Iterator[Posed]:
    """The raw poses of one range of ``path``, in frame order.

    The model gets the times of a ``MediaClock`` started where this range's reading starts: its
    tracking depends on the steps between frames only, which are those of the whole file.
    A strict range meeting a frame without a timestamp, or with one not after the previous
    one, raises ``Unsplittable`` before its first kept frame, and after it reads on to the
    file's end (``_Plan.free``); a range that is not strict reads on to the end from such a
    frame wherever it comes, as a sequential read takes the frames. Raises ``VideoError``
    where the file is damaged.
    """
    if plan is None:
        plan = _Plan(path, model, [rng], 0.0)
        plan.judge(True)  # a fixed part: the caller cut it
    with contextlib.ExitStack() as stack:
        # The reader first: a range seeks and decodes its run-up while another thread
        # imports MediaPipe (once, under a lock: its import is not made for two threads).
        settle_from = None if rng.start_s is None else rng.start_s - plan.settle_s
        reader, frames = _read_from(path, settle_from, stack)
        clock = MediaClock(1.0 / reader.info.fps if reader.info.fps else None)
        estimator: PoseEstimator | None = None
        previous: float | None = None
        for frame in frames:
            t = frame.t_s
            if rng.cancelled:
                return
            keep = rng.free
            if not rng.free:
                if t is None or (previous is not None and t <= previous):
                    if rng.strict and not rng.kept:
                        raise Unsplittable(f"frame {frame.index} of the range from "
                                           f"{rng.start_s} s has timestamp {t} after {previous}")
                    plan.free(rng)
                    keep = True
                else:
                    previous = t
                    if settle_from is not None and t < settle_from:
                        continue  # the key frame's run-up to the settling time: decoded only
                    if rng.start_s is None or t >= rng.start_s:
                        if not plan.claim(rng, t):
                            return
                        keep = True
            if estimator is None:
                estimator = stack.enter_context(_estimator(model))
            pose = estimator.process(frame.rgb, clock.tick(t).t_s)
            if keep:
                yield t, pose


_IMPORTING = threading.Lock()


def _estimator(model: str) -> PoseEstimator:
    """A pose model of its own for the calling thread, held offline like every landmarker."""
    from pose.estimator import PoseEstimator, _import_mediapipe

    with _IMPORTING:
        _import_mediapipe()
    estimator = PoseEstimator(model)
    if not privacy.blocked():  # every landmarker is held offline, on every thread
        estimator.close()
        raise StretchCheckError("the pose model runs without its network guard")
    return estimator


def part_poses(path: str, model: str, part: Part, strict: bool = True) -> Iterator[Posed]:
    """The raw poses of one fixed part of ``path`` (``range_poses`` of a range nobody shares)."""
    return range_poses(path, model, _Range(part.start_s, part.end_s, strict))


def _read_from(path: str, t_s: float | None, stack: contextlib.ExitStack
               ) -> tuple[VideoReader, Iterator[VideoFrame]]:
    """A reader of ``path`` (closed with ``stack``) and its frames from the key frame at or
    before ``t_s`` (None: from the start). Where the file cannot seek, or its seek lands past
    ``t_s`` (no frame may be lost between parts), from the start instead: the frames before
    ``t_s`` are then only decoded."""
    from pose.video import read_video

    reader = stack.enter_context(read_video(path))
    if t_s is None:
        return reader, iter(reader)
    try:
        reader.seek(t_s)
        frames = iter(reader)
        first = next(frames, None)
        if first is not None and first.t_s is not None and first.t_s <= t_s:
            return reader, itertools.chain([first], frames)
    except VideoError:
        pass
    reader = stack.enter_context(read_video(path))
    return reader, iter(reader)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class PartedPoses:
    """The raw poses of every frame of a video, extracted by threads in ranges, in frame order.

    The threads start with the object (their models load while the caller sets up the
    checks); iterate once, or ``close`` it (or use it as a context manager), to stop them.
    ``info`` is the video's (``pose.video.VideoInfo``). After iterating, ``damage`` says why
    the frames stopped before the file's end (damaged, or cut short), or is None, and
    ``ranges`` gives each range's (start, end) in source seconds as extracted.
    """

    def __init__(self, info: VideoInfo, model: str, parts: list[Part], stop_s: float,
                 progress: Progress | None = None) -> None:
        self.info, self.path, self.model = info, info.path, model
        self.progress, self.expected = progress, info.frames
        self.damage: str | None = None
        self.ranges: list[tuple[float | None, float | None]] = []
        self._plan = _Plan(self.path, model, [_Range(p.start_s, p.end_s, strict=p.index > 0)
                                         for p in parts], stop_s, settle_s(info.fps))
        self._done = 0
        self._latest: float | None = None
        self._threads = []
        for k, rng in enumerate(self._plan.ranges):
            rng.running = True
            thread = threading.Thread(target=self._plan.work, args=(rng, k), daemon=True,
                                      name=f"stretchcheck-poses-{k}")
            thread.start()
            self._threads.append(thread)
        # Here, while the threads open their readers and load their models (~40 ms for A06).
        try:
            self._plan.judge(timestamps_rise(self.path))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the threads (each within a frame) and wait for their models to close."""
        self._plan.cancel()
        for thread in self._threads:
            thread.join(timeout=30)  # daemon threads: a hung model cannot hold the exit

    def __enter__(self) -> PartedPoses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Posed]:
        try:
            yield from self._frames()
        except VideoError as exc:
            self.damage = str(exc)
        finally:
            self.close()
            self.ranges = [(r.start_s, r.end_s) for r in self._plan.ranges
                           if r.kept and not r.dropped or r.free]
        if self.damage is None:
            from pose.video import read_video

            with read_video(self.path) as reader:
                self.damage = reader.ended_early_after(self._done, self._latest)
        if not self._done:
            raise VideoError(self.damage or f"{self.path}: the video has no frames")

    def _frames(self) -> Iterator[Posed]:
        plan = self._plan
        k = 0
        while True:
            with plan.cond:
                if k >= len(plan.ranges):
                    return
                rng = plan.ranges[k]
            if rng.dropped:  # the first range read the whole file (see ``_Plan.work``)
                k += 1
                continue
            yield from self._taken(rng, k)
            if rng.damage is not None:
                raise VideoError(rng.damage)
            if rng.free:
                return
            if rng.deferred:
                # Cannot happen by the module's reasoning (an earlier range meets the same
                # broken timestamp among its own frames and drops this one); should it,
                # read on from this range's start here, as before ranges were shared.
                plan.cancel()
                own = _Range(rng.start_s, None, strict=False)
                alone = _Plan(self.path, self.model, [own], 0.0, plan.settle_s)
                alone.judge(True)
                for posed in range_poses(self.path, self.model, own, alone):
                    yield self._counted(posed)
                    self._report()
                return
            k += 1

    def _taken(self, rng: _Range, k: int) -> Iterator[Posed]:
        """``rng``'s poses as its thread hands them on, until it is done."""
        plan = self._plan
        while True:
            with plan.cond:
                if not rng.chunks and not rng.done and plan.error is None:
                    plan.cond.wait(POLL_S)
                chunks, rng.chunks = rng.chunks, []
                finished = rng.done and not rng.chunks
                error = plan.error
            if error is not None:
                self._raise(*error)
            for packed in chunks:
                for posed in packed.unpack():
                    yield self._counted(posed)
            self._report()
            if finished:
                return

    def _raise(self, k: int, exc: BaseException) -> None:
        if isinstance(exc, StretchCheckError):
            raise type(exc)(str(exc)) from None
        rng = self._plan.ranges[k]
        start = 0.0 if rng.start_s is None else rng.start_s
        raise StretchCheckError(f"pose extraction failed in the part from {start:.1f} s: "
                                f"{_one_line(exc)}") from exc

    def _counted(self, posed: Posed) -> Posed:
        self._done += 1
        if posed[0] is not None:
            self._latest = posed[0] if self._latest is None else max(self._latest, posed[0])
        return posed

    def _report(self) -> None:
        if self.progress is not None:  # extracted, taken or not yet
            self.progress(self._done + self._plan.waiting(), self.expected)


def parted_poses(path: str | Path, model: str = "full", jobs: int | None = None,
                 progress: Progress | None = None,
                 min_part_s: float = MIN_PART_S) -> PartedPoses | None:
    """The raw poses of ``path`` extracted by ``jobs`` threads (``PartedPoses``, its threads
    started), or None when the file is better analysed sequentially: one part (``jobs`` 1,
    or a video shorter than two parts of ``min_part_s``), or no start time or duration to
    cut by.

    Raises ``VideoError`` for unreadable files; iterating raises ``ModelError`` when a model
    cannot load and ``StretchCheckError`` when a thread fails.
    """
    from pose.video import read_video

    path = str(path)
    with read_video(path) as reader:
        info, start = reader.info, reader.start_s
    if start is None or not info.duration_s:
        return None
    parts = split(start, info.duration_s, jobs or default_jobs(), min_part_s,
                  settle_s(info.fps) + LEAD_S)
    if len(parts) == 1:
        return None
    return PartedPoses(info, model, parts, start + info.duration_s, progress)
