"""Sessions end to end, shared by the command line and the pages.

- ``analyse_video``: a video file through the one pipeline (``pose.pipeline``) with the
  catalogue's checks; ``save_analysis`` stores it. ``analyse_trace``: the same from a recorded
  pose trace (the model's raw output, ``pose.traces``).
- ``replay_session``: a stored session through the same pipeline with the checker it was
  recorded with (a live session with its routine player, re-applying the person's actions and
  the source's drop-outs; an analysed file with the catalogue), from the poses as they were
  checked (smoothed once, at stored precision): it reproduces the session exactly.
- ``remember`` / ``grow_ranges`` / ``limits_for``: a session's outcome and the profile's
  personal ranges, counted the same whatever the session's source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pose.catalogue_checker import CatalogueChecker
from pose.clock import MediaClock
from pose.coach import Coach
from pose.errors import VideoError
from pose.landmarks import PoseFrame
from pose.personal import comfortable_values, personal_limits
from pose.phases import RoutinePlayer
from pose.pipeline import BATCH, Checker, Estimator, FrameLoop, run_poses, run_track
from pose.report import Report
from pose.smoothing import OneEuroParams
from pose.store import Profile, Store
from pose.stretches import Catalogue, Limit, Routine
from pose.traces import PoseTrace, load_trace, pose_frames
from pose.track import Track

#: Called after each frame with (frames done, frames expected or 0 when unknown).
Progress = Callable[[int, int], None]

TRACE_BATCH = 2048
"""Frames of a pose trace checked as one block (about a minute at 30 fps): the trace is at hand
whole, and the per-block numpy calls of the angles and the block judge then cost next to
nothing per frame; a block's arrays stay a few MB."""


# -- how a session was checked -----------------------------------------------------------------

def checker_spec(checker: Checker, smoothing: OneEuroParams | None) -> dict[str, Any]:
    """What a faithful replay needs to rebuild ``checker`` (JSON-able; stored with the session).

    ``smoothing`` is what was applied before the checks; stored poses are the smoothed ones,
    so a replay never smooths them again.
    """
    spec: dict[str, Any]
    if isinstance(checker, RoutinePlayer):
        spec = {"kind": "player", "routine": checker.routine.id, "rest_s": checker.rest_s,
                "release_s": checker.release_s, "cue_min_s": checker.cue_min_s,
                "skip_ends_rest": checker.skip_ends_rest,
                "personal_limits": _limits_json(checker.personal_limits or {})}
    elif isinstance(checker, Coach):
        spec = {"kind": "coach", "routine": checker.routine.id, "rest_s": checker.rest_s,
                "personal_limits": _limits_json(checker.personal)}
    elif isinstance(checker, CatalogueChecker):
        spec = {"kind": "catalogue", "mode": checker.mode, "routine": checker.routine_id,
                "stretches": [c.stretch.id for c in checker.checkers],
                "personal_limits": _limits_json(
                    {c.stretch.id: c.extra_limits for c in checker.checkers if c.extra_limits})}
    else:
        raise TypeError(f"no spec for a {type(checker).__name__}")
    spec["smoothing"] = asdict(smoothing) if smoothing is not None else None
    return spec


def checker_from_spec(spec: Mapping[str, Any], catalogue: Catalogue) -> Checker:
    """The checker a stored session was recorded with (see ``checker_spec``).

    Raises ``RoutineError`` when its routine or stretches are no longer in the catalogue.
    """
    limits = {sid: tuple(Limit(**x) for x in items)
              for sid, items in (spec.get("personal_limits") or {}).items()}
    if spec["kind"] == "player":
        # A session recorded before skip ended a rest has no such key: its skips skipped.
        return RoutinePlayer(catalogue.routine(spec["routine"]), limits,
                             rest_s=float(spec["rest_s"]), release_s=float(spec["release_s"]),
                             cue_min_s=float(spec["cue_min_s"]),
                             skip_ends_rest=bool(spec.get("skip_ends_rest", False)))
    if spec["kind"] == "coach":
        return Coach(catalogue.routine(spec["routine"]), limits, rest_s=float(spec["rest_s"]))
    mode = spec["mode"]
    if mode == "routine":
        routine = catalogue.routine(spec["routine"])
        return CatalogueChecker.for_catalogue(catalogue, routine, personal_limits=limits)
    plan = [catalogue.stretch(sid) for sid in spec["stretches"]]
    return CatalogueChecker([(s, s.hold_s) for s in plan], mode, spec.get("routine"),
                            personal_limits=limits)


def _limits_json(limits: Mapping[str, Sequence[Limit]]) -> dict[str, list[dict[str, Any]]]:
    return {sid: [asdict(x) for x in items] for sid, items in limits.items() if items}


# -- a video file --------------------------------------------------------------------------------

def analyse_video(path: str | Path, catalogue: Catalogue, routine: Routine | None = None,
                  stretch: str | None = None, model: str = "full",
                  smoothing: OneEuroParams | None = OneEuroParams(),
                  annotate_to: Path | None = None, progress: Progress | None = None,
                  personal_limits: Mapping[str, Sequence[Limit]] | None = None,
                  estimator: Estimator | None = None, jobs: int | None = None) -> Report:
    """Decode ``path``, run every frame through the pipeline and check it with the catalogue
    (one stretch, a routine's stretches, or auto mode: see ``CatalogueChecker``).

    ``jobs`` threads extract the poses (``pose.extraction``; None: one per core, at most 4),
    and the checks then run in one pass over them; ``jobs`` 1, an ``estimator`` of the
    caller's, ``annotate_to``, a short video, or timestamps that cannot be cut by time run the
    model on one core, the checks taking its poses ``pose.pipeline.BATCH`` at a time (frame by
    frame with ``annotate_to``: it draws each frame as checked). All give the same report
    (``tests/test_extraction.py``, ``tests/test_pipeline.py``).

    The report's ``track`` holds the poses as checked, at session time (0 at the first frame).
    Raises ``VideoError`` for unreadable files; a file damaged part-way keeps the frames read
    before the damage (with a warning) and raises only if nothing could be read.
    """
    from pose.estimator import PoseEstimator
    from pose.extraction import parted_poses
    from pose.render import VideoWriter, overlay
    from pose.video import read_video

    checker = CatalogueChecker.for_catalogue(catalogue, routine, stretch, personal_limits)
    if jobs != 1 and estimator is None and annotate_to is None:
        poses = parted_poses(path, model, jobs, progress)  # its threads start here
        if poses is not None:
            with poses:
                info = poses.info
                loop = FrameLoop(checker, None, smoothing,
                                 MediaClock(1.0 / info.fps if info.fps else None))
                run_poses(loop, poses)  # checked in one pass as the ranges come
            track = loop.track((info.width, info.height), info.fps, str(path), model)
            if poses.damage:
                track.warnings.append(poses.damage)
            report = loop.report(track)
            report.checker = checker_spec(checker, smoothing)
            return report
    with read_video(path) as reader:
        info = reader.info
        own = estimator is None
        est = estimator or PoseEstimator(model)
        interval = 1.0 / info.fps if info.fps else None
        loop = FrameLoop(checker, est, smoothing, MediaClock(interval))
        writer = VideoWriter(annotate_to, info.fps) if annotate_to else None
        # Without a picture to draw, the checks take the poses in batches (the loop's batch
        # entry); the model gets the session times the loop's clock will give them.
        model_clock = MediaClock(interval)
        chunk: list[tuple[float | None, PoseFrame | None]] = []
        damage = None
        try:
            for frame in reader:
                if writer is not None:
                    result = loop.step_image(frame.rgb, frame.t_s)
                    writer.write(overlay(frame.rgb, result.pose))
                else:
                    chunk.append((frame.t_s, est.process(frame.rgb,
                                                         model_clock.tick(frame.t_s).t_s)))
                    if len(chunk) >= BATCH:
                        loop.step_poses(chunk)
                        chunk = []
                if progress is not None:
                    progress(frame.index + 1, info.frames)
        except VideoError as exc:
            loop.step_poses(chunk)
            chunk = []
            if loop.last is None:
                raise
            damage = str(exc)  # keep what was read before the damage
        else:
            damage = reader.ended_early  # a file cut short decodes "cleanly" to its end
        finally:
            if own:
                est.close()
            if writer is not None:
                writer.close()
    loop.step_poses(chunk)
    loop.finish()
    track = loop.track((info.width, info.height), info.fps, str(path), model)
    if damage:
        track.warnings.append(damage)
    report = loop.report(track)
    report.checker = checker_spec(checker, smoothing)
    return report


def analyse_trace(trace: PoseTrace | str | Path, catalogue: Catalogue,
                  routine: Routine | None = None, stretch: str | None = None,
                  smoothing: OneEuroParams | None = OneEuroParams(),
                  personal_limits: Mapping[str, Sequence[Limit]] | None = None) -> Report:
    """A recorded pose trace (``pose.traces``) through the pipeline as ``analyse_video`` runs a
    video, from the model's raw output on: the same clock, smoothing, angles and checks.

    Raises ``TraceError`` for an unreadable trace, ``RoutineError`` for an unknown stretch.
    """
    if isinstance(trace, (str, Path)):
        source, trace = str(trace), load_trace(trace)
    else:
        source = trace.clip
    checker = CatalogueChecker.for_catalogue(catalogue, routine, stretch, personal_limits)
    fps = trace.fps
    loop = FrameLoop(checker, smoothing=smoothing, clock=MediaClock(1.0 / fps if fps else None))
    run_poses(loop, pose_frames(trace), batch=TRACE_BATCH)
    report = loop.report(loop.track(trace.size, fps, source))
    report.checker = checker_spec(checker, smoothing)
    return report


def track_video(path: str | Path, model: str = "full", progress: Progress | None = None,
                catalogue: Catalogue | None = None) -> Track:
    """The poses of a video file as checked (``analyse_video``'s track, auto mode)."""
    from pose.routines import load_catalogue

    return analyse_video(path, catalogue or load_catalogue(), model=model,
                         progress=progress).track


def save_analysis(store: Store, report: Report, profile_id: int | None,
                  video_path: str | Path | None = None) -> int:
    """Store an analysed file (frames, events, results, how it was checked) and grow the
    profile's ranges from it; returns the session id."""
    sid = store.save_analysis(report.track, report, profile_id=profile_id,
                              video_path=video_path, checker=report.checker)
    grow_ranges(store, sid, report, profile_id)
    return sid


# -- a stored session ----------------------------------------------------------------------------

def replay_session(store: Store, session_id: int, catalogue: Catalogue,
                   routine: str | None = None, stretch: str | None = None) -> Report:
    """A stored session through the pipeline again, from its stored poses (no model).

    With neither ``routine`` nor ``stretch``, faithfully: with the checker it was recorded with,
    its actions and drop-outs re-applied at their times, so an unchanged catalogue gives back
    the session's own results and events. With either, the catalogue's checks of that routine
    or stretch ("auto": any stretch) instead, as for an analysed file. A session stored before
    its checker was (schema version 2) is checked as its routine's stretches, or in auto mode.
    """
    info = store.session(session_id)
    track = store.load_track(session_id)
    controls = store.controls(session_id)
    spec = info.checker if routine is None and stretch is None else None
    checker: Checker
    if spec is not None:
        checker = checker_from_spec(spec, catalogue)
    else:
        name = routine or (info.routine if stretch is None else None)
        checker = CatalogueChecker.for_catalogue(
            catalogue, catalogue.routine(name) if name else None, stretch)
    actions = [(t, a, v) for t, a, v in controls if a != "dropout"]
    if not isinstance(checker, (Coach, RoutinePlayer)):
        actions = []  # the person's actions steer a coach; other checks have none
    dropouts = {t: float(v or 0.0) for t, a, v in controls if a == "dropout"}
    loop = FrameLoop(checker, smoothing=None, keep_track=False)
    run_track(loop, track, actions, dropouts)
    report = loop.report(track)
    report.checker = spec
    return report


# -- outcomes and the profile ----------------------------------------------------------------

def grow_ranges(store: Store, session_id: int, report: Report, profile_id: int | None) -> None:
    """Grow the profile's comfortable ranges from a session's holds."""
    if profile_id is None:
        return
    for stretch, angle, degrees in comfortable_values(report):
        store.update_range(profile_id, stretch, angle, degrees, session_id)


def remember(store: Store, session_id: int, report: Report, profile_id: int | None) -> None:
    """Save a session's results and grow the profile's comfortable ranges from its holds."""
    store.save_results(session_id, report)
    grow_ranges(store, session_id, report, profile_id)


def limits_for(store: Store, profile: Profile, catalogue: Catalogue) -> dict[str, Sequence[Limit]]:
    """Over-range limits from the profile's comfortable ranges (see ``pose.personal``)."""
    return personal_limits(catalogue, store.comfortable_ranges(profile.id),
                           profile.flexion_sensitive)

