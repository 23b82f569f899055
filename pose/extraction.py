"""Pose extraction of a video file over several cores: the model's half of ``analyse_video``.

The pose model is nearly all of an analysis' time and one instance uses one core. So the
file is cut in time into ``jobs`` parts, and each part gets its own model in its own process
(this process takes the first part, spawned workers the others). A worker seeks to the key
frame before its part and runs its model from ``SETTLE_S`` before the part's start, so that
the model's tracking has settled on the person when the part begins; those settling frames
are not kept. The parts' raw poses, each with its frame's own container timestamp, are then
joined in order and checked in one pass of the one loop (``pose.pipeline.run_poses``): the
clock, smoothing, drop-outs and checks see exactly the stream of a sequential analysis.

What it gives up to the sequential path (``analyse_video(jobs=1)``): nothing for files whose
timestamps increase frame by frame; a file with a frame without a timestamp, or with
timestamps that repeat or go back, cannot be cut by time and is analysed sequentially
(``estimate_poses`` returns None). ``tests/test_extraction.py`` compares the two on a sample.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_module
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pose import privacy
from pose.clock import MediaClock
from pose.errors import StretchCheckError, VideoError
from pose.landmarks import PoseFrame

#: Seconds of video the model sees before a part starts, for its tracking to settle: the
#: landmarks of the part then match a sequential run's (A06: within 0.1 px mean, measured).
SETTLE_S = 1.0
#: A part shorter than this is not worth a process: starting one and its model costs ~1-2 s
#: of CPU on a 2-core machine (spawn, imports, model load).
MIN_PART_S = 5.0
#: Frames a worker sends at a time (also the granularity of its progress).
CHUNK = 30
#: Seconds between checks that a worker is still alive while waiting for it.
POLL_S = 0.5

#: (frames done, frames expected or 0) after each frame, as ``pose.sessions.Progress``.
Progress = Callable[[int, int], None]
Frames = list[tuple[float | None, PoseFrame | None]]


@dataclass(frozen=True)
class Part:
    """One part of a video in source time: frames with ``start_s <= t < end_s`` (None: open)."""

    index: int
    start_s: float | None
    end_s: float | None


@dataclass
class VideoPoses:
    """A file's raw poses in frame order, each with the frame's container timestamp."""

    frames: Frames = field(default_factory=list)
    damage: str | None = None
    """Why the frames stop before the file's end (a damaged or cut-short file), or None."""


class Unsplittable(Exception):
    """The file's timestamps do not allow cutting it by time (see the module docstring)."""


def default_jobs() -> int:
    """Processes for pose extraction: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def split(start_s: float, duration_s: float, jobs: int,
          min_part_s: float = MIN_PART_S) -> list[Part]:
    """Cut ``duration_s`` seconds from ``start_s`` into at most ``jobs`` equal parts of at least
    ``min_part_s`` seconds each (one part when the video is too short to share)."""
    n = max(1, min(jobs, int(duration_s // min_part_s) if min_part_s > 0 else jobs))
    cuts = [start_s + duration_s * k / n for k in range(1, n)]
    bounds: list[float | None] = [None, *cuts, None]
    return [Part(k, bounds[k], bounds[k + 1]) for k in range(n)]


def part_poses(path: str, model: str, part: Part,
               on_frames: Callable[[Frames], None], chunk: int = CHUNK) -> str | None:
    """Run the model over one part of ``path``, handing its frames on in chunks.

    The model gets the times of a ``MediaClock`` started where this part's reading starts: its
    tracking depends on the steps between frames only, which are those of the whole file.
    Returns the damage message when the file stops being readable inside the part, else None.
    Raises ``Unsplittable`` on a frame without a timestamp or one not after the previous one.
    """
    from pose.estimator import PoseEstimator
    from pose.video import read_video

    kept: Frames = []
    damage = None
    with read_video(path) as reader, PoseEstimator(model) as estimator:
        if not privacy.blocked():  # every landmarker is held offline, in every process
            raise StretchCheckError("the pose model runs without its network guard")
        info = reader.info
        settle_from = None
        if part.start_s is not None:
            settle_from = part.start_s - SETTLE_S
            reader.seek(settle_from)
        clock = MediaClock(1.0 / info.fps if info.fps else None)
        previous: float | None = None
        try:
            for frame in reader:
                t = frame.t_s
                if t is None or (previous is not None and t <= previous):
                    raise Unsplittable(f"frame {frame.index} of part {part.index} has "
                                       f"timestamp {t} after {previous}")
                previous = t
                if part.end_s is not None and t >= part.end_s:
                    break
                if settle_from is not None and t < settle_from:
                    continue  # before the settling time: the key frame's run-up, decoded only
                pose = estimator.process(frame.rgb, clock.tick(t).t_s)
                if part.start_s is not None and t < part.start_s:
                    continue  # settling
                kept.append((t, pose))
                if len(kept) >= chunk:
                    on_frames(kept)
                    kept = []
        except VideoError as exc:
            damage = str(exc)
    if kept:
        on_frames(kept)
    return damage


def _worker(path: str, model: str, part: Part, out: mp.Queue) -> None:
    """A spawned process's life: one part's poses into ``out``, then ("done", damage), or
    ("error", kind, one-line message)."""
    try:
        damage = part_poses(path, model, part, lambda frames: out.put(("frames", frames)))
        out.put(("done", damage))
    except Unsplittable as exc:
        out.put(("error", "unsplittable", str(exc)))
    except StretchCheckError as exc:
        out.put(("error", "user", str(exc)))
    except BaseException as exc:  # a worker must always say why it stopped
        out.put(("error", "bug", f"{type(exc).__name__}: {exc}"))


class _Worker:
    """A spawned process running ``_worker`` on one part, and what it sent so far."""

    def __init__(self, ctx, path: str, model: str, part: Part) -> None:
        self.part = part
        self.queue = ctx.Queue()
        self.process = ctx.Process(target=_worker, args=(path, model, part, self.queue),
                                   name=f"stretchcheck-poses-{part.index}", daemon=True)
        self.process.start()
        self.frames: Frames = []
        self.outcome: tuple | None = None

    def drain(self, wait_s: float = 0.0) -> None:
        """Take what the worker sent; wait up to ``wait_s`` for the first message."""
        while self.outcome is None:
            try:
                message = self.queue.get(timeout=wait_s) if wait_s else self.queue.get_nowait()
            except queue_module.Empty:
                if wait_s and not self.process.is_alive() and self.queue.empty():
                    code = self.process.exitcode
                    self.outcome = ("error", "bug", f"the pose process of part {self.part.index}"
                                    f" stopped without a word (exit code {code})")
                return
            wait_s = 0.0
            if message[0] == "frames":
                self.frames.extend(message[1])
            else:
                self.outcome = message

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=10)
        self.queue.close()


def estimate_poses(path: str | Path, model: str = "full", jobs: int | None = None,
                   progress: Progress | None = None,
                   min_part_s: float = MIN_PART_S) -> VideoPoses | None:
    """The raw poses of every frame of ``path``, extracted in ``jobs`` parallel parts.

    Returns None when the file is better analysed sequentially: one part (``jobs`` 1, or a
    video shorter than two parts of ``min_part_s``), no duration or start time to cut by, or
    timestamps that cannot be cut by time. Raises ``VideoError`` for unreadable files,
    ``ModelError`` when a model cannot load, ``StretchCheckError`` when a worker fails.
    """
    from pose.video import read_video

    path = str(path)
    with read_video(path) as reader:
        info, start = reader.info, reader.start_s
    if start is None or not info.duration_s:
        return None
    parts = split(start, info.duration_s, jobs or default_jobs(), min_part_s)
    if len(parts) == 1:
        return None

    ctx = mp.get_context("spawn")  # never fork a process that may hold native threads
    workers = [_Worker(ctx, path, model, part) for part in parts[1:]]
    first: Frames = []

    def report() -> None:
        """Take the workers' news and say how far all parts are together."""
        for w in workers:
            w.drain()
        if progress is not None:
            progress(len(first) + sum(len(w.frames) for w in workers), info.frames)

    def on_first(frames: Frames) -> None:
        first.extend(frames)
        report()

    try:
        try:
            damage = part_poses(path, model, parts[0], on_first, chunk=1)
        except Unsplittable:
            return None
        for w in workers:
            while w.outcome is None:
                w.drain(wait_s=POLL_S)
                report()
    finally:
        for w in workers:
            w.stop()
    return _joined(first, damage, workers, reader_path=path)


def _joined(first: Frames, damage: str | None, workers: list[_Worker],
            reader_path: str) -> VideoPoses | None:
    """The parts in order, up to the first damage (as a sequential read stops there)."""
    from pose.video import read_video

    out = VideoPoses(list(first), damage)
    for w in workers:
        assert w.outcome is not None
        if w.outcome[0] == "error":
            kind, message = w.outcome[1], w.outcome[2]
            if kind == "unsplittable":
                return None
            raise StretchCheckError(message if kind == "user" else
                                    f"pose extraction failed in part {w.part.index}: {message}")
        if out.damage is not None:
            break  # a sequential read stops at the first damage: so do we
        out.frames.extend(w.frames)
        out.damage = w.outcome[1]
    if not out.frames:
        raise VideoError(out.damage or f"{reader_path}: the video has no frames")
    if out.damage is None:
        with read_video(reader_path) as reader:
            times = [t for t, _ in out.frames if t is not None]
            out.damage = reader.ended_early_after(len(out.frames), max(times) if times else None)
    return out
