"""The one pipeline: source -> clock -> pose -> duplicate labels -> smoothing -> angles ->
checker -> events.

``FrameLoop`` is the only frame loop. Every source is just a driver of it:

- the webcam: ``pose.live.LiveSession`` hands each processed camera frame to ``step_image`` and
  shows every skipped one to the clock (``tick``);
- a video file: ``pose.sessions.analyse_video``, ``for frame in VideoReader``;
- a pose trace or any stream of already-estimated poses: ``run_poses`` over
  ``(source t_s, PoseFrame | None)`` pairs;
- a stored session: ``run_track``, which computes the angles and the checker's screening of a
  whole recording at once (vectorised) and then steps the same loop frame by frame;
  ``tests/test_pipeline.py`` proves it gives the events and results of ``run_poses``.

Behind the loop sits one checker interface (``Checker``): live, the ``RoutinePlayer``
(``pose.phases``: a routine's phases around a ``Coach``, step by step), or the
``CatalogueChecker`` (a recording's stretches, all at once). Poses are checked
at the precision the store keeps (float32), so a stored session replays to identical results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from pose.angles import FrameAngles, LazyAngles, joint_angles
from pose.ballistic import BallisticWatch
from pose.catalogue_checker import CatalogueChecker
from pose.checks import Position
from pose.clock import MediaClock, Tick
from pose.coach import PoseWatch, watch_ballistic
from pose.collapse import CollapseFilter
from pose.events import Event
from pose.frame_edge import CutFootFilter
from pose.landmarks import N_LANDMARKS, PoseFrame, spans, stack_rows, with_span
from pose.report import Report, StretchResult
from pose.smoothing import OneEuroParams, PoseSmoother
from pose.stretches import Catalogue, Limit, Routine
from pose.track import Track, TrackBuilder


class Estimator(Protocol):
    """What makes poses of pictures (``pose.estimator.PoseEstimator``)."""

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None: ...

    def close(self) -> None: ...


class Hints(Protocol):
    """A checker's screening of N frames (``Checker.screen``): row i goes with frame i."""

    def __getitem__(self, i: int) -> object: ...


class Checker(Protocol):
    """The form checks behind the loop: ``pose.phases.RoutinePlayer`` (live: a routine played
    to a person, driving a ``pose.coach.Coach``), ``pose.coach.Coach`` or
    ``pose.catalogue_checker.CatalogueChecker``."""

    mode: str
    """What ``report.json`` calls it: "routine", "stretch" or "auto"."""
    routine_id: str | None

    @property
    def active(self) -> bool:
        """False while paused or finished: the pose is not watched then."""
        ...

    def screen(self, angles: Mapping[str, np.ndarray], visibility: np.ndarray) -> Hints | None:
        """Work out ahead, vectorised over N frames (angle name -> (N,) degrees, (N, 33)
        visibilities of the poses as checked), a per-frame hint (row i is handed to
        ``update`` with frame i), or None when there is nothing to work out."""
        ...

    def update(self, t_s: float, pose: PoseFrame | None, angles: Mapping[str, float],
               hint: object = None) -> tuple[Position | None, list[Event]]:
        """Judge one frame; returns the verdict on the position shown and the events."""
        ...

    def control(self, action: str, t_s: float, value: float | None = None) -> list[Event]:
        """A person's action (``pose.coach.CONTROLS``, ``pose.phases.CONTROLS``) at ``t_s``,
        with its number if it has one (a pain rating)."""
        ...

    def drop_out(self, t_s: float) -> list[Event]:
        """The source lost time before the frame at ``t_s``: no hold runs across it."""
        ...

    def finish(self, t_s: float) -> list[Event]:
        """The session ends at ``t_s``: close what is open."""
        ...

    def results(self) -> list[StretchResult]: ...

    def declined(self) -> list[dict[str, object]]:
        """Stretches not timed because this camera view cannot judge them
        (``pose.coach.StretchChecker.declined``)."""
        ...

    def report_events(self, events: Sequence[Event]) -> list[Event]:
        """The events ``report.json`` lists, from all the loop raised."""
        ...


@dataclass
class FrameResult:
    """Everything the pipeline knows after one frame.

    ``pose`` is the pose as checked (smoothed, at stored precision); ``angles`` is empty
    without one (frame by frame, a ``pose.angles.FrameAngles``: each worked out when read).
    """

    tick: Tick
    pose: PoseFrame | None
    angles: Mapping[str, float]
    position: Position | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def t_s(self) -> float:
        return self.tick.t_s


def _f32(a: np.ndarray) -> np.ndarray:
    """``a`` rounded to float32, as float64."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def at_stored_precision(pose: PoseFrame) -> PoseFrame:
    """The pose rounded to the float32 values the store keeps (``pose.store``), so that what
    is checked live is exactly what a replay of the stored session checks."""
    return replace(pose, image=_f32(pose.image), world=_f32(pose.world),
                   visibility=_f32(pose.visibility))


def frame_angles(pose: PoseFrame) -> LazyAngles:
    """All named angles of one pose, as (1,) arrays (``pose.angles.joint_angles``), each
    worked out when first read (``pose.angles.LazyAngles``)."""
    return LazyAngles(pose.image[None], pose.world[None], pose.visibility[None])


@dataclass(frozen=True)
class _Block:
    """Poses of a batch as checked, as arrays: ``rows`` (the batch's frames with a pose, M of
    them), ``image`` (M, 33, 2), ``world`` (M, 33, 3), ``visibility`` (M, 33)."""

    rows: list[int]
    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray


class FrameLoop:
    """The one frame loop (see the module docstring).

    Args:
        checker: the form checks.
        estimator: the pose model, for sources of pictures (``step_image``).
        smoothing: One-Euro parameters for raw poses (the model's, a trace's); None for poses
            that are smoothed already (a stored session): never smooth twice.
        clock: the source's media clock (default: frame interval measured from the source).
        keep_track: keep every checked pose, to build the session's ``Track`` at the end.
    """

    def __init__(self, checker: Checker, estimator: Estimator | None = None,
                 smoothing: OneEuroParams | None = OneEuroParams(),
                 clock: MediaClock | None = None, keep_track: bool = True) -> None:
        self.checker = checker
        self.estimator = estimator
        self.smoothing = smoothing
        self.clock = clock or MediaClock()
        self._smoother = PoseSmoother(smoothing) if smoothing is not None else None
        # Raw poses only (those smoothed here): a stored session's were filtered when checked.
        self._collapse = CollapseFilter() if smoothing is not None else None
        self._cut_feet = CutFootFilter() if smoothing is not None else None
        self._watch = PoseWatch()
        self._ballistic = BallisticWatch()  # fast, jerky movement, stretch or not
        # float32 holds the checked poses exactly (they are at the store's precision).
        self._track = TrackBuilder((0, 0), 0.0, dtype=np.float32) if keep_track else None
        self.events: list[Event] = []
        """Every event raised so far, in the order raised."""
        self.dropouts: list[tuple[float, float]] = []
        """(session time s, source gap s) of each drop-out met."""
        self.last: FrameResult | None = None
        self.finished = False

    # -- the drivers' entries ------------------------------------------------------------------

    def tick(self, source_t_s: float | None, waited_s: float | None = None) -> Tick:
        """Show the clock a frame's timestamp (also for frames not processed) and, for a live
        source, how long the receiver waited for it (``MediaClock.tick``)."""
        return self.clock.tick(source_t_s, waited_s)

    def control(self, action: str, t_s: float, value: float | None = None) -> list[Event]:
        """A person's action at session time ``t_s``, before that frame is checked (after
        the last frame, at the end, for actions taken after it)."""
        return self._raised(self.checker.control(action, t_s, value))

    def step_image(self, rgb: np.ndarray, source_t_s: float | None = None,
                   tick: Tick | None = None) -> FrameResult:
        """One (H, W, 3) uint8 RGB frame through the whole pipeline."""
        if self.estimator is None:
            raise RuntimeError("this pipeline has no pose estimator: use step_pose")
        tick = tick or self.tick(source_t_s)
        return self.step_pose(self.estimator.process(rgb, tick.t_s), tick=tick)

    def step_pose(self, pose: PoseFrame | None, source_t_s: float | None = None, *,
                  tick: Tick | None = None, angles: Mapping[str, float] | None = None,
                  hint: object = None) -> FrameResult:
        """Continue from an estimated (or stored, or traced) pose.

        ``angles`` and ``hint`` are the batch entry's: this frame's row of angles and of the
        checker's screening, computed over a whole recording at once.
        """
        tick = tick or self.tick(source_t_s)
        events = self._drop_out(tick) if tick.dropout_s > 0 else []
        pose = self._as_checked(pose, tick.t_s)
        if pose is not None and angles is None:
            one = frame_angles(pose)
            angles = FrameAngles(one)
            if hint is None:
                screened = self.checker.screen(one, pose.visibility[None])
                hint = screened[0] if screened is not None else None
        return self._judge(tick, pose, events, angles, hint)

    def step_checked(self, pose: PoseFrame, tick: Tick, angles: Mapping[str, float],
                     hint: object = None) -> FrameResult:
        """``step_pose`` for a pose as checked already (smoothed, at stored precision, its
        time the session time: a stored session's), with its angles and screening row: a
        loop without smoothing only."""
        if self._smoother is not None:
            raise RuntimeError("a loop that smooths takes raw poses: use step_pose")
        events = self._drop_out(tick) if tick.dropout_s > 0 else []
        return self._judge(tick, pose, events, angles, hint)

    def step_poses(self, frames: Sequence[tuple[float | None, PoseFrame | None]]
                   ) -> list[FrameResult]:
        """The batch entry for estimated poses: ``step_pose`` on each (source t_s, pose) pair
        in turn, with the smoothing, the rounding to stored precision, the angles and the
        checker's screening done for the frames between two drop-outs at once (vectorised;
        the One-Euro recursion over the block in one filter). ``tests/test_pipeline.py``
        proves it equal to ``step_pose`` frame by frame, on every real clip."""
        results: list[FrameResult] = []
        pending: list[tuple[Tick, PoseFrame | None]] = []
        events: list[Event] = []
        for source_t_s, pose in frames:
            tick = self.tick(source_t_s)
            if tick.dropout_s > 0:
                # The checks meet the gap in order; the smoother restarts after it.
                results += self._judge_all(*self._checked_all(pending), events)
                pending, events = [], self._drop_out(tick)
            pending.append((tick, pose))
        return results + self._judge_all(*self._checked_all(pending), events)

    def finish(self) -> list[Event]:
        """End the session at the last frame's time: close open holds."""
        if self.finished:
            return []
        self.finished = True
        end = self.last.t_s if self.last is not None else 0.0
        return self._raised(self.checker.finish(end))

    # -- the outcome ---------------------------------------------------------------------------

    def track(self, size: tuple[int, int], fps: float, source: str = "",
              model: str = "full") -> Track:
        """The poses checked, as a ``Track`` (``keep_track``); ``fps`` 0 measures it."""
        if self._track is None:
            raise RuntimeError("this loop keeps no track (keep_track=False)")
        self._track.size, self._track.source, self._track.model = size, source, model
        track = self._track.build()
        if not fps and len(track) > 1 and track.t_s[-1] > track.t_s[0]:
            fps = (len(track) - 1) / float(track.t_s[-1] - track.t_s[0])
        track.fps = fps
        return track

    def report(self, track: Track) -> Report:
        """The session's ``Report`` (after ``finish``) on ``track``."""
        return Report(track, self.checker.mode, self.checker.routine_id, self.checker.results(),
                      self.checker.report_events(self.events), list(self.dropouts),
                      self.checker.declined())

    # -- internals -----------------------------------------------------------------------------

    def _as_checked(self, pose: PoseFrame | None, t: float) -> PoseFrame | None:
        """The pose at session time ``t``, its ankles at the frame's edge and its duplicate
        labels marked not seen and smoothed (raw poses only: ``pose.frame_edge``,
        ``pose.collapse``, ``pose.smoothing``), at stored precision."""
        if pose is None:
            return None
        image, world, visibility = pose.image, pose.world, pose.visibility
        if self._collapse is not None and self._cut_feet is not None:
            times, one = np.array([t]), image[None]
            visibility = self._collapse(
                times, one, self._cut_feet(times, one, visibility[None], pose.size))[0]
        if self._smoother is not None:
            image, world = self._smoother.smooth_one(t, image, world, pose.size[1])
        # One new pose, not one per stage: ``at_stored_precision``'s rounding, inlined.
        return replace(pose, t_s=t, image=_f32(image), world=_f32(world),
                       visibility=_f32(visibility))

    def _judge(self, tick: Tick, pose: PoseFrame | None, events: list[Event],
               angles: Mapping[str, float] | None, hint: object,
               keep: bool = True) -> FrameResult:
        """The checks of one frame whose pose is as checked (``_as_checked``)."""
        t = tick.t_s
        if pose is None or angles is None:
            angles = {}
        elif not isinstance(angles, FrameAngles):  # worked out as read, never changed
            angles = dict(angles)
        position = None
        if self.checker.active:
            events += self._watch.update(t, pose)
            events += watch_ballistic(self._ballistic, t, pose, angles)
            position, checks = self.checker.update(t, pose, angles, hint)
            events += checks
        if keep and self._track is not None:
            self._track.add(t, pose)
        self.last = FrameResult(tick, pose, angles, position, self._raised(events))
        return self.last

    def _checked_all(self, pending: Sequence[tuple[Tick, PoseFrame | None]]
                     ) -> tuple[list[tuple[Tick, PoseFrame | None]], _Block | None]:
        """``_as_checked`` over frames in order (no drop-out among them), at once; also the
        checked poses as arrays (None without a pose)."""
        rows = [i for i, (_, pose) in enumerate(pending) if pose is not None]
        if not rows:
            return list(pending), None
        posed: list[PoseFrame] = [pending[i][1] for i in rows]  # type: ignore[misc]
        t = np.array([pending[i][0].t_s for i in rows], dtype=np.float64)
        image = stack_rows([p.image for p in posed])
        world = stack_rows([p.world for p in posed])
        visibility = stack_rows([p.visibility for p in posed])
        if self._collapse is not None and self._cut_feet is not None:
            size = np.array([p.size for p in posed])
            visibility = self._collapse(t, image, self._cut_feet(t, image, visibility, size))
        if self._smoother is not None:
            height = np.array([p.size[1] for p in posed])
            image, world = self._smoother.smooth(t, image, world, height)
        block = _Block(rows, _f32(image), _f32(world), _f32(visibility))
        span = spans(block.image, block.visibility, np.array([p.size for p in posed])).tolist()
        out: list[tuple[Tick, PoseFrame | None]] = list(pending)
        # Each frame's rows as views made in one go (``list``), not indexed one by one.
        for i, p, im, wo, vi, sp in zip(rows, posed, list(block.image), list(block.world),
                                        list(block.visibility), span, strict=True):
            tick = pending[i][0]
            out[i] = (tick, with_span(PoseFrame(tick.t_s, im, wo, vi, p.size, p.people), sp))
        return out, block

    def _judge_all(self, checked: Sequence[tuple[Tick, PoseFrame | None]],
                   block: _Block | None, first_events: list[Event]) -> list[FrameResult]:
        """``_judge`` over frames in order whose poses are as checked (``block``: the same as
        arrays), their angles and the checker's screening computed at once; ``first_events``
        go with the first frame. The track keeps the block at once."""
        angle_rows: list[dict[str, float] | None] = [None] * len(checked)
        hints = None
        if block is not None:
            arrays = joint_angles(block.image, block.world, block.visibility)
            hints = self.checker.screen(arrays, block.visibility)
            names = list(arrays)
            # One conversion to Python floats for the whole block (``float(v[r])`` each).
            table = np.stack([arrays[n] for n in names], axis=1).tolist()
            for r, i in enumerate(block.rows):
                angle_rows[i] = dict(zip(names, table[r], strict=True))
        out = []
        row = 0
        for i, (tick, pose) in enumerate(checked):
            hint = None
            if pose is not None:
                hint = hints[row] if hints is not None else None
                row += 1
            events = first_events if i == 0 else []
            out.append(self._judge(tick, pose, events, angle_rows[i], hint, keep=False))
        if self._track is not None and checked:
            n = len(checked)
            image = np.full((n, N_LANDMARKS, 2), np.nan)
            world = np.full((n, N_LANDMARKS, 3), np.nan)
            visibility = np.zeros((n, N_LANDMARKS))
            if block is not None:
                image[block.rows], world[block.rows] = block.image, block.world
                visibility[block.rows] = block.visibility
            people = np.array([p.people if p is not None else 0 for _, p in checked])
            self._track.add_block(np.array([tick.t_s for tick, _ in checked]), image, world,
                                  visibility, people)
        return out

    def _drop_out(self, tick: Tick) -> list[Event]:
        self.dropouts.append((tick.t_s, tick.dropout_s))
        if self._smoother is not None:
            self._smoother.reset()  # what follows the gap must not be pulled towards before
        if self._collapse is not None:
            self._collapse.reset()
        if self._cut_feet is not None:
            self._cut_feet.reset()
        self._ballistic.drop_out(tick.t_s)
        event = Event(tick.t_s, "dropout", message=f"No picture for {tick.dropout_s:.1f} s: "
                      "that time is not counted", data={"gap_s": round(tick.dropout_s, 3)})
        return [event] + self.checker.drop_out(tick.t_s)

    def _raised(self, events: list[Event]) -> list[Event]:
        self.events.extend(events)
        return events


#: Poses ``run_poses`` (and a sequential ``analyze``) hands the loop at a time: enough for the
#: vectorised angles and screening to pay (their cost per call, ~2 ms with every catalogue
#: stretch, is then ~10 us a frame), few enough that the checks keep pace with a stream of
#: poses as it comes (8.5 s of a 30 fps video).
BATCH = 256


def run_poses(loop: FrameLoop, frames: Iterable[tuple[float | None, PoseFrame | None]],
              batch: int = BATCH) -> None:
    """Drive ``loop`` with a stream of poses, each with its source's timestamp (a trace, a pose
    stream, a video's poses from ``pose.extraction``), through the batch entry
    (``FrameLoop.step_poses``, ``batch`` frames at a time: poses all at hand, as a trace's,
    go in larger blocks); then finish it."""
    chunk: list[tuple[float | None, PoseFrame | None]] = []
    for item in frames:
        chunk.append(item)
        if len(chunk) >= batch:
            loop.step_poses(chunk)
            chunk = []
    loop.step_poses(chunk)
    loop.finish()


def run_track(loop: FrameLoop, track: Track,
              controls: Sequence[tuple[float, str] | tuple[float, str, float | None]] = (),
              dropouts: Mapping[float, float] | None = None) -> None:
    """Drive ``loop`` over a recording whose times are session times already (a stored
    session), with the angles and the checker's screening computed for all frames at once.

    ``controls`` are (session time, action) pairs or (session time, action, value) triples,
    applied in order before the frame at that time (those after the last frame, taken as the
    session ended, at their own time after it); ``dropouts`` maps the session time of a frame
    after a drop-out to the source gap. Then the loop is finished.
    """
    arrays = track.angles()
    # Vectorised once for the whole recording: the poses at stored precision (what
    # ``step_pose`` rounds each frame to), the checker's screening, the angles as Python floats.
    image, world, visibility = _f32(track.image), _f32(track.world), _f32(track.visibility)
    hints = loop.checker.screen(arrays, visibility) if len(track) else None
    pending = sorted(controls, key=lambda c: c[0])  # stable: same-time actions keep order
    gaps = dropouts or {}
    names = list(arrays)
    table = np.stack([arrays[n] for n in names], axis=1).tolist() if len(track) else []
    times, people = track.t_s.tolist(), track.people.tolist()
    span = spans(image, visibility, np.array([track.size])).tolist() if len(track) else []
    j = 0
    for i, t in enumerate(times):
        while j < len(pending) and pending[j][0] <= t:
            loop.control(pending[j][1], t, *pending[j][2:])
            j += 1
        tick = Tick(t, t, dropout_s=gaps.get(t, 0.0))
        hint = hints[i] if hints is not None else None
        if not people[i]:
            loop.step_pose(None, tick=tick, hint=hint)
            continue
        pose = with_span(PoseFrame(t, image[i], world[i], visibility[i], track.size,
                                   int(people[i])), span[i])
        angles = dict(zip(names, table[i], strict=True))
        if loop.smoothing is None:
            loop.step_checked(pose, tick, angles, hint)
        else:
            loop.step_pose(pose, tick=tick, angles=angles, hint=hint)
    for t_s, action, *value in pending[j:]:
        loop.control(action, t_s, *value)
    loop.finish()


def check_track(track: Track, catalogue: Catalogue, routine: Routine | None = None,
                stretch: str | None = None,
                personal_limits: Mapping[str, Sequence[Limit]] | None = None) -> Report:
    """The checks of a recording (an analysed file, a stored track) with the catalogue: one
    stretch (``stretch``), a routine's stretches, or auto mode (``stretch`` None or "auto").
    The track's poses are smoothed already and its times are session times."""
    checker = CatalogueChecker.for_catalogue(catalogue, routine, stretch, personal_limits)
    loop = FrameLoop(checker, smoothing=None, keep_track=False)
    run_track(loop, track)
    return loop.report(track)
