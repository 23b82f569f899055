"""Throughput figures for one clip, all measured in one run so their ratios are fair.

Shared machines are noisy: compare the ratios, not the milliseconds, between runs.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from pose.angles import joint_angles
from pose.catalogue_checker import CatalogueChecker
from pose.clock import MediaClock
from pose.estimator import PoseEstimator
from pose.pipeline import FrameLoop, check_track
from pose.routines import load_catalogue
from pose.video import read_video


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000.0, 3) if samples else float("nan")


def bench_clip(clip: Path, model: str = "full", max_frames: int = 300) -> dict[str, Any]:
    """Median per-frame milliseconds for decoding, the model alone and the whole pipeline.

    One pass over the clip measures everything frame by frame, so the machine's load at any
    moment weighs on every figure alike: each frame is decoded (timed), given to a bare model
    (timed: the model alone, no people counting), then to the pipeline analysis runs
    (``pose.pipeline.FrameLoop`` with the ``CatalogueChecker`` in auto mode, the heaviest case;
    timed: the clock, the model again with people counting, smoothing, the angles and the
    checks of every catalogue stretch). ``pipeline_ms`` is decode + that pipeline;
    ``overhead_ratio`` is ``pipeline_ms`` over decode + model: what our own code costs on top
    of the parts we do not write. ``checks_ms`` is smoothing, angles and checks on their own.
    """
    catalogue = load_catalogue()
    checker = CatalogueChecker.for_catalogue(catalogue)
    decode, model_s, pipeline_s, ours_s = [], [], [], []
    found = 0
    with read_video(clip) as reader, \
            PoseEstimator(model, count_people_every_s=None) as bare, PoseEstimator(model) as est:
        info = reader.info
        clock = MediaClock(1.0 / info.fps if info.fps else None)
        loop = FrameLoop(checker, est, clock=clock)
        frames = iter(reader)
        for _ in range(max_frames):
            t0 = time.perf_counter()
            frame = next(frames, None)
            if frame is None:
                break
            t1 = time.perf_counter()
            tick = loop.tick(frame.t_s)
            bare.process(frame.rgb, tick.t_s)
            t2 = time.perf_counter()
            pose = est.process(frame.rgb, tick.t_s)  # what loop.step_image does, split in two
            t3 = time.perf_counter()
            frame_result = loop.step_pose(pose, tick=tick)
            t4 = time.perf_counter()
            decode.append(t1 - t0)
            model_s.append(t2 - t1)
            pipeline_s.append((t1 - t0) + (t4 - t2))
            ours_s.append(t4 - t3)
            found += frame_result.pose is not None
    n_frames = len(decode)
    loop.finish()

    # Replay: the checks again on the checked landmarks, no model (auto mode: every stretch).
    track = loop.track((info.width, info.height), info.fps, str(clip), model)
    t0 = time.perf_counter()
    check_track(track, catalogue)
    replay_s = time.perf_counter() - t0

    # The vectorised angle maths on its own, over the same number of frames at once.
    n = max(n_frames, 1)
    rng = np.random.default_rng(0)
    world = rng.normal(size=(n, 33, 3))
    t0 = time.perf_counter()
    joint_angles(world=world, visibility=np.ones((n, 33)))
    angles_batch_ms = (time.perf_counter() - t0) * 1000.0 / n

    decode_ms, model_ms, pipeline_ms, checks_ms = map(
        _median_ms, (decode, model_s, pipeline_s, ours_s))
    result: dict[str, Any] = {
        "clip": str(clip),
        "model": model,
        "frames": n_frames,
        "frames_with_pose": found,
        "width": info.width,
        "height": info.height,
        "decode_ms": decode_ms,
        "model_ms": model_ms,
        "pipeline_ms": pipeline_ms,
        "overhead_ratio": round(pipeline_ms / (decode_ms + model_ms), 3),
        "checks_ms": checks_ms,
        "checks_share_of_model": round(checks_ms / model_ms, 4),
        "angles_batch_ms_per_frame": round(angles_batch_ms, 4),
        "replay_ms": round(replay_s * 1000.0, 1),
        "replay_x_realtime": round(track.duration_s / replay_s, 1) if replay_s > 0 else None,
    }
    return result


def format_bench(r: dict[str, Any]) -> str:
    lines = [
        f"clip       {r['clip']} ({r['width']}x{r['height']}, {r['frames']} frames, "
        f"pose in {r['frames_with_pose']})",
        f"model      {r['model']}",
        f"decode     {r['decode_ms']:8.2f} ms/frame",
        f"model      {r['model_ms']:8.2f} ms/frame",
        f"pipeline   {r['pipeline_ms']:8.2f} ms/frame  (decode + model + smoothing + angles"
        " + checks)",
        f"overhead   {r['overhead_ratio']:8.3f} x  pipeline / (decode + model)",
        f"checks     {r['checks_ms']:8.3f} ms/frame  (angles + all catalogue checks: "
        f"{100 * r['checks_share_of_model']:.1f}% of the model)",
        f"angles     {r['angles_batch_ms_per_frame']:8.4f} ms/frame  (vectorised over the clip)",
        f"replay     {r['replay_ms']:8.1f} ms for the clip's {r['frames']} frames: "
        f"{r['replay_x_realtime']}x real time (stored landmarks, every catalogue stretch)",
    ]
    for key in sorted(set(r) - {"clip", "model", "frames", "frames_with_pose", "width", "height",
                                "decode_ms", "model_ms", "pipeline_ms", "overhead_ratio",
                                "checks_ms", "checks_share_of_model",
                                "angles_batch_ms_per_frame", "replay_ms", "replay_x_realtime"}):
        lines.append(f"{key:<10} {r[key]}")
    return "\n".join(lines)
