"""Pose extraction of a video file over several cores: the model's half of ``analyse_video``.

The pose model is nearly all of an analysis' time and one instance uses one core. So the
file is cut in time into ``jobs`` parts. Spawned worker processes, each with its own model,
extract the poses of every part but the first; this process extracts the first part itself.
``PartedPoses`` hands the raw poses on in frame order as they come - the first part's as this
process finds them, then each worker's - so the one loop (``pose.pipeline.run_poses``) checks
them in one pass while the workers still run: the clock, smoothing, drop-outs and checks see
exactly the stream of a sequential analysis.

A worker seeks to the key frame before its part and runs its model from ``SETTLE_S`` before
the part's start, so that the model's tracking has settled on the person when the part
begins; those settling frames are not kept. Parts are cut by the frames' own timestamps, so a
file whose timestamps are missing, repeat or go back cannot be cut there: from the first part
where that happens, this process reads on to the file's end itself (as the sequential path
would) and the later workers are stopped. ``tests/test_extraction.py`` compares the two paths.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import queue as queue_module
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pose import landmarks as lm
from pose import privacy
from pose.clock import MediaClock
from pose.errors import StretchCheckError, VideoError
from pose.landmarks import PoseFrame
from pose.video import VideoFrame, VideoReader

#: Seconds of video the model sees before a part starts, for its tracking to settle: the
#: landmarks of the part then match a sequential run's (A06: 0.15 px mean, measured).
SETTLE_S = 1.0
#: A part shorter than this is not worth a process: starting one and its model costs ~1-2 s
#: of CPU on a 2-core machine (spawn, imports, model load).
MIN_PART_S = 5.0
#: Seconds of video this process extracts more than each worker: a worker first spawns, imports
#: and loads its model (~1.2 s of CPU) and settles for ``SETTLE_S`` (~0.5 s), where this
#: process only loads its model (~0.4 s); on A06 (720p, full model, ~17 ms a frame) the
#: difference is ~1.3 s of CPU, ~75 frames, 2.5 s of video.
LEAD_S = 2.0
#: Frames a worker sends at a time (also the granularity of its progress).
CHUNK = 15
#: Seconds between checks that a worker is still alive while waiting for it.
POLL_S = 0.5

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
    """Raw poses of consecutive frames as arrays: what a worker sends, and what waits in this
    process for its turn (the worker's part is ready before this process's own is checked).
    A list of ``PoseFrame`` costs ~2.2 KB a frame there; this costs the landmarks, 1.6 KB.

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


def default_jobs() -> int:
    """Processes for pose extraction: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def split(start_s: float, duration_s: float, jobs: int,
          min_part_s: float = MIN_PART_S, lead_s: float = 0.0) -> list[Part]:
    """Cut ``duration_s`` seconds from ``start_s`` into at most ``jobs`` parts of at least
    ``min_part_s`` seconds each (one part when the video is too short to share): equal, but
    for the first, ``lead_s`` longer than each of the others (what this process extracts
    while the workers start: see ``LEAD_S``)."""
    n = max(1, min(jobs, int(duration_s // min_part_s) if min_part_s > 0 else jobs))
    lead = min(max(lead_s, 0.0), max(0.0, duration_s / n - min_part_s) * n / (n - 1)) \
        if n > 1 else 0.0
    share = (duration_s - lead) / n
    cuts = [start_s + lead + share * k for k in range(1, n)]
    bounds: list[float | None] = [None, *cuts, None]
    return [Part(k, bounds[k], bounds[k + 1]) for k in range(n)]


def part_poses(path: str, model: str, part: Part, strict: bool = True) -> Iterator[Posed]:
    """The raw poses of one part of ``path``, in frame order.

    The model gets the times of a ``MediaClock`` started where this part's reading starts: its
    tracking depends on the steps between frames only, which are those of the whole file.
    With ``strict``, a frame without a timestamp or with one not after the previous one
    raises ``Unsplittable``; without, from such a frame on every frame is taken to the file's
    end, as a sequential read takes them. Raises ``VideoError`` where the file is damaged.
    """
    from pose.estimator import PoseEstimator

    with contextlib.ExitStack() as stack:
        estimator = stack.enter_context(PoseEstimator(model))
        if not privacy.blocked():  # every landmarker is held offline, in every process
            raise StretchCheckError("the pose model runs without its network guard")
        settle_from = None if part.start_s is None else part.start_s - SETTLE_S
        reader, frames = _read_from(path, settle_from, stack)
        clock = MediaClock(1.0 / reader.info.fps if reader.info.fps else None)
        previous: float | None = None
        free = False  # past a broken timestamp: every frame to the end
        for frame in frames:
            t = frame.t_s
            if not free:
                if t is None or (previous is not None and t <= previous):
                    if strict:
                        raise Unsplittable(f"frame {frame.index} of part {part.index} has "
                                           f"timestamp {t} after {previous}")
                    free = True
                else:
                    previous = t
                    if part.end_s is not None and t >= part.end_s:
                        return
                    if settle_from is not None and t < settle_from:
                        continue  # the key frame's run-up to the settling time: decoded only
            pose = estimator.process(frame.rgb, clock.tick(t).t_s)
            if free or part.start_s is None or (t is not None and t >= part.start_s):
                yield t, pose


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


def _worker(path: str, model: str, part: Part, out: Any) -> None:
    """A spawned process's life: ("frames", ``Packed``) messages into ``out``, then ("done", None)
    or ("damage", message), or ("error", kind, one-line message)."""
    try:
        batch: list[Posed] = []
        try:
            for posed in part_poses(path, model, part):
                batch.append(posed)
                if len(batch) >= CHUNK:
                    out.put(("frames", Packed.of(batch)))
                    batch = []
        except VideoError as exc:
            out.put(("frames", Packed.of(batch)))
            out.put(("damage", str(exc)))
            return
        out.put(("frames", Packed.of(batch)))
        out.put(("done", None))
    except Unsplittable as exc:
        out.put(("error", "unsplittable", str(exc)))
    except StretchCheckError as exc:
        out.put(("error", "user", str(exc)))
    except BaseException as exc:  # a worker must always say why it stopped
        out.put(("error", "bug", f"{type(exc).__name__}: {exc}"))


@contextlib.contextmanager
def _no_main_to_rerun() -> Iterator[None]:
    """Hide the parent's ``__main__`` while a worker is spawned.

    A spawned child re-runs the parent's main script before anything else. The worker needs
    nothing from it, and the main script may be anything: a user's script without a
    ``__name__ == "__main__"`` guard (it would analyse again, recursively), or a Streamlit page
    that Streamlit (and its AppTest) put there as ``__main__`` (it failed in the child, so the
    worker died before saying a word). A bare module has no file and no spec: nothing re-runs.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class _Worker:
    """A spawned process running ``_worker`` on one part, and what it sent not yet taken."""

    def __init__(self, ctx: Any, path: str, model: str, part: Part) -> None:
        self.part = part
        self.queue = ctx.Queue()
        self.process = ctx.Process(target=_worker, args=(path, model, part, self.queue),
                                   name=f"stretchcheck-poses-{part.index}", daemon=True)
        with _no_main_to_rerun():
            self.process.start()
        self.frames: list[Packed] = []
        self.outcome: tuple | None = None

    def drain(self, wait_s: float = 0.0) -> None:
        """Take what the worker sent; wait up to ``wait_s`` for a first message."""
        while self.outcome is None:
            try:
                message = self.queue.get(timeout=wait_s) if wait_s else self.queue.get_nowait()
            except queue_module.Empty:
                if wait_s and not self.process.is_alive() and self.queue.empty():
                    self.outcome = ("error", "bug", f"the pose process of part {self.part.index}"
                                    f" stopped without a word (exit code "
                                    f"{self.process.exitcode})")
                return
            wait_s = 0.0
            if message[0] == "frames":
                self.frames.append(message[1])
            else:
                self.outcome = message

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=10)
        self.queue.close()


class PartedPoses:
    """The raw poses of every frame of a video, extracted in parallel parts, in frame order.

    Iterate once (it starts the workers and stops them when done); then ``damage`` says why
    the frames stopped before the file's end (damaged, or cut short), or is None.
    """

    def __init__(self, path: str, model: str, parts: list[Part],
                 progress: Progress | None = None, expected: int = 0) -> None:
        self.path, self.model, self.parts = path, model, parts
        self.progress, self.expected = progress, expected
        self.damage: str | None = None
        self._workers: list[_Worker] = []
        self._done = 0
        self._latest: float | None = None

    def __iter__(self) -> Iterator[Posed]:
        ctx = mp.get_context("spawn")  # never fork a process that may hold native threads
        self._workers = [_Worker(ctx, self.path, self.model, p) for p in self.parts[1:]]
        try:
            yield from self._frames()
        except VideoError as exc:
            self.damage = str(exc)
        finally:
            for w in self._workers:
                w.stop()
        if self.damage is None:
            from pose.video import read_video

            with read_video(self.path) as reader:
                self.damage = reader.ended_early_after(self._done, self._latest)
        if not self._done:
            raise VideoError(self.damage or f"{self.path}: the video has no frames")

    def _frames(self) -> Iterator[Posed]:
        first = Part(0, None, self.parts[1].start_s if len(self.parts) > 1 else None)
        yield from self._own(first)
        for k, w in enumerate(self._workers, start=1):
            while True:
                w.drain(wait_s=POLL_S if not w.frames else 0.0)
                taken, w.frames = w.frames, []
                for packed in taken:
                    for posed in packed.unpack():
                        yield self._counted(posed)
                if w.outcome is not None and not w.frames:
                    break
                self._report()
            kind = w.outcome[0]
            if kind == "damage":
                raise VideoError(w.outcome[1])
            if kind == "error" and w.outcome[1] == "unsplittable":
                # This part cannot be cut by time: read on from it to the end here.
                yield from self._own(Part(k, w.part.start_s, None))
                return
            if kind == "error":
                message = w.outcome[2]
                raise StretchCheckError(message if w.outcome[1] == "user" else
                                        f"pose extraction failed in part {k}: {message}")

    def _own(self, part: Part) -> Iterator[Posed]:
        """A part extracted in this process; reads on to the end past a broken timestamp."""
        frames = part_poses(self.path, self.model, part, strict=False)
        for posed in frames:
            yield self._counted(posed)
            self._report()

    def _counted(self, posed: Posed) -> Posed:
        self._done += 1
        if posed[0] is not None:
            self._latest = posed[0] if self._latest is None else max(self._latest, posed[0])
        return posed

    def _report(self) -> None:
        if self.progress is None:
            return
        for w in self._workers:
            w.drain()
        # extracted, not yet handed on
        waiting = sum(len(packed) for w in self._workers for packed in w.frames)
        self.progress(self._done + waiting, self.expected)


def parted_poses(path: str | Path, model: str = "full", jobs: int | None = None,
                 progress: Progress | None = None,
                 min_part_s: float = MIN_PART_S) -> PartedPoses | None:
    """The raw poses of ``path`` extracted in ``jobs`` parallel parts (``PartedPoses``), or None
    when the file is better analysed sequentially: one part (``jobs`` 1, or a video shorter
    than two parts of ``min_part_s``), or no start time or duration to cut by.

    Raises ``VideoError`` for unreadable files; iterating raises ``ModelError`` when a model
    cannot load and ``StretchCheckError`` when a worker fails.
    """
    from pose.video import read_video

    path = str(path)
    with read_video(path) as reader:
        info, start = reader.info, reader.start_s
    if start is None or not info.duration_s:
        return None
    parts = split(start, info.duration_s, jobs or default_jobs(), min_part_s, LEAD_S)
    if len(parts) == 1:
        return None
    return PartedPoses(path, model, parts, progress, info.frames)
