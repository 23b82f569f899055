"""Throughput figures for one clip, all measured in one run so their ratios are fair.

Shared machines are noisy: compare the ratios, not the milliseconds, between runs; the load
average at the start and the end of the run is part of the figures.

CPU time is the process's (``time.process_time``: all its threads, the model's and the
decoder's included); wall time is ``time.perf_counter``. Per-step figures are means and 95th
percentiles over the frames, in milliseconds, so a once-a-second cost (the people count)
shows in the mean and the p95 instead of hiding under a median.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pose import privacy
from pose.angles import joint_angles
from pose.catalogue_checker import CatalogueChecker
from pose.clock import MediaClock
from pose.estimator import PoseEstimator
from pose.extraction import default_jobs, split
from pose.pipeline import BATCH, FrameLoop
from pose.routines import load_catalogue
from pose.video import read_video

#: The steps timed frame by frame, in the order they run on each frame.
STEPS = ("decode", "model_raw", "estimator", "checks")


class _Clocks:
    """CPU and wall seconds of each step, one sample per frame."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {s: [] for s in STEPS}
        self.wall: dict[str, list[float]] = {s: [] for s in STEPS}

    def timed(self, step: str, run: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``run(*args, **kwargs)``, timed as one sample of ``step``."""
        c0, w0 = time.process_time(), time.perf_counter()
        out = run(*args, **kwargs)
        self.cpu[step].append(time.process_time() - c0)
        self.wall[step].append(time.perf_counter() - w0)
        return out

    def figures(self, step: str) -> dict[str, float]:
        """{cpu,wall}_{mean,p95}_ms of one step."""
        out = {}
        for kind, samples in (("cpu", self.cpu[step]), ("wall", self.wall[step])):
            ms = np.asarray(samples) * 1000.0
            out[f"{kind}_mean_ms"] = round(float(ms.mean()), 3) if ms.size else float("nan")
            out[f"{kind}_p95_ms"] = round(float(np.percentile(ms, 95)), 3) if ms.size \
                else float("nan")
        return out

    def analyze_cpu(self) -> np.ndarray:
        """Per-frame CPU seconds of what ``analyze`` runs: decode, estimator and checks."""
        return (np.asarray(self.cpu["decode"]) + np.asarray(self.cpu["estimator"])
                + np.asarray(self.cpu["checks"]))


def _raw_model(model: str):
    """A bare MediaPipe landmarker, one person, video mode: the model and nothing of ours."""
    from pose.estimator import _import_mediapipe, _landmarker

    _import_mediapipe()
    from mediapipe.tasks.python import vision

    landmarker = _landmarker(model, vision.RunningMode.VIDEO, 1, 0.5)
    return landmarker, raw_detect(landmarker)


def raw_detect(landmarker):
    """``detect(rgb, ts_ms)``: ``landmarker`` (video mode) on an (H, W, 3) uint8 RGB frame, as
    the bare model is called: the frame wrapped in an ``mp.Image`` and nothing else."""
    from pose.estimator import _import_mediapipe, _quiet_native_stderr

    mp = _import_mediapipe()
    calls = [0]

    def detect(rgb: np.ndarray, ts_ms: int):
        # The contiguous copy is the model's need, not ours (a no-op for a decoder's frame).
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        calls[0] += 1
        if calls[0] > 5:
            return landmarker.detect_for_video(image, ts_ms)
        with _quiet_native_stderr():  # the graph's first-frames log lines
            return landmarker.detect_for_video(image, ts_ms)

    return detect


def _timed_checks(clocks: _Clocks, loop: FrameLoop, chunk: list) -> int:
    """The checks of a batch of poses through the loop's batch entry, as ``analyze`` runs
    them (``pose.pipeline.BATCH`` at a time); each frame gets an equal share of the batch's
    CPU and wall time. Returns the frames with a pose."""
    if not chunk:
        return 0
    c0, w0 = time.process_time(), time.perf_counter()
    results = loop.step_poses(chunk)
    cpu, wall = (time.process_time() - c0) / len(chunk), (time.perf_counter() - w0) / len(chunk)
    clocks.cpu["checks"] += [cpu] * len(chunk)
    clocks.wall["checks"] += [wall] * len(chunk)
    return sum(r.pose is not None for r in results)


def _per_frame_checks_ms(catalogue, fps: float, poses: list) -> float:
    """CPU ms per frame of the same checks through the per-frame entry (``step_pose``: what
    a live frame pays, its angles and screening computed for one frame)."""
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue),
                     clock=MediaClock(1.0 / fps if fps else None))
    c0 = time.process_time()
    for t_s, pose in poses:
        loop.step_pose(pose, t_s)
    return round((time.process_time() - c0) * 1000.0 / max(len(poses), 1), 3)


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _analyze_run(clip: Path, catalogue, model: str, jobs: int
                 ) -> tuple[float, float, Any, int]:
    """Wall and CPU seconds (every thread of this process) of one ``analyse_video``, its
    report, and the most resident memory it held (bytes, sampled every 15 frames from
    ``/proc``; the pose threads share this process's memory)."""
    from pose.sessions import analyse_video
    from pose.soak import rss_bytes

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime

    peak = [0]

    def sample(done: int, total: int) -> None:
        if done % 15 == 0:
            peak[0] = max(peak[0], rss_bytes())

    c0, w0 = cpu(), time.perf_counter()
    report = analyse_video(clip, catalogue, model=model, jobs=jobs, progress=sample)
    return time.perf_counter() - w0, cpu() - c0, report, peak[0]


def bench_clip(clip: Path, model: str = "full", max_frames: int = 300,
               realclips: Path | None = None, live_seconds: float = 20.0) -> dict[str, Any]:
    """Per-frame CPU and wall time of each step, ``analyze`` sequential and parallel, replay from
    the store and evaluate on traces, all in one run.

    1. Frame by frame over the first ``max_frames`` frames: decode; the raw model (a bare
       landmarker on the native frame: ``model_raw``); our estimator (the same model through
       ``PoseEstimator``, with the people count analyze runs); the checks (``FrameLoop``'s
       batch entry, ``BATCH`` poses at a time as analyze runs them, each frame its share, with
       the ``CatalogueChecker`` in auto mode, every catalogue stretch: the heaviest case).
       ``checks_step_pose_ms``: the same checks through the per-frame entry (a live frame's).
       ``overhead_ratio`` is analyze's CPU mean (decode + estimator + checks) over decode +
       raw model: what our code costs on top of the parts we do not write.
    2. ``analyse_video`` over the whole clip sequentially (``jobs`` 1), then in parallel (one
       pose thread per core, ``pose.extraction``): ``analyze_x_realtime`` (parallel) and
       ``analyze_seq_x_realtime`` in multiples of real time, ``analyze_speedup`` =
       sequential wall / parallel wall; ``analyze_seq_cores`` and ``analyze_cores``, CPU
       seconds over wall seconds: how many cores each kept busy (a parallel run well under
       the cores it has waits on something: see ``pose.extraction.own_core``).
    3. The parallel analysis saved to a temporary store and replayed from it (no model):
       ``replay_x_realtime`` (the median of three replays).
    4. ``stretchcheck evaluate`` on the traces in ``realclips`` (if given and present), after
       an untimed run, in one process (``jobs`` 1) and then as the command runs it (a forked
       worker per core, a clip each): ``evaluate_seq_x_realtime``, ``evaluate_x_realtime``,
       each the median of three runs.
    5. Memory: ``peak_rss_mb``, the peak resident memory of this process (``getrusage``);
       ``analyze_rss_together_mb``, the most an analysis held (sampled; the name is from when
       the pose extraction ran in worker processes, added to this one's).
    6. The live path (``live_seconds`` of a simulated 30 fps camera showing the clip through
       streamlit-webrtc's processing track; 0 leaves it out): ``live_figures``.

    Returns the figures as a JSON-able dict (``format_bench`` prints it).
    """
    from pose.evaluate import evaluate
    from pose.sessions import replay_session, save_analysis
    from pose.store import open_store

    load_start = os.getloadavg()
    catalogue = load_catalogue()
    checker = CatalogueChecker.for_catalogue(catalogue)
    clocks = _Clocks()
    found = 0
    poses: list[tuple[float | None, Any]] = []
    _say(f"timing each step over at most {max_frames} frames")
    with privacy.native_offline(), read_video(clip) as reader, PoseEstimator(model) as est:
        landmarker, raw = _raw_model(model)
        try:
            info = reader.info
            interval = 1.0 / info.fps if info.fps else None
            loop = FrameLoop(checker, clock=MediaClock(interval))
            model_clock = MediaClock(interval)  # session times, as analyze gives the model
            frames = iter(reader)
            last_ms = -1
            chunk: list[tuple[float | None, Any]] = []
            for _ in range(max_frames):
                frame = clocks.timed("decode", next, frames, None)
                if frame is None:
                    clocks.cpu["decode"].pop()
                    clocks.wall["decode"].pop()
                    break
                t_s = model_clock.tick(frame.t_s).t_s
                last_ms = max(int(round(t_s * 1000.0)), last_ms + 1)
                clocks.timed("model_raw", raw, frame.rgb, last_ms)
                pose = clocks.timed("estimator", est.process, frame.rgb, t_s)
                chunk.append((frame.t_s, pose))
                poses.append((frame.t_s, pose))
                if len(chunk) >= BATCH:
                    found += _timed_checks(clocks, loop, chunk)
                    chunk = []
            found += _timed_checks(clocks, loop, chunk)
        finally:
            landmarker.close()
    n_frames = len(clocks.cpu["decode"])
    step_pose_ms = _per_frame_checks_ms(catalogue, info.fps, poses)

    jobs = default_jobs()
    parts = len(split(0.0, info.duration_s, jobs)) if info.duration_s else 1
    _say(f"analyze, sequential, {info.duration_s:.1f} s of video")
    seq_wall, seq_cpu, _, seq_rss = _analyze_run(clip, catalogue, model, 1)
    _say(f"analyze, parallel ({parts} part{'s' if parts > 1 else ''})")
    par_wall, par_cpu, report, par_rss = _analyze_run(clip, catalogue, model, jobs)
    duration = report.track.duration_s or info.duration_s

    _say("replay from the store")
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "bench.db") as store:
        sid = save_analysis(store, report, None)
        runs = []
        for _ in range(3):  # a run is ~50 ms: the median of three, against a passing spike
            t0 = time.perf_counter()
            replay_session(store, sid, catalogue)
            runs.append(time.perf_counter() - t0)
        replay_s = float(np.median(runs))

    evaluate_x = evaluate_seq_x = None
    if realclips is not None and realclips.is_dir() and any(realclips.glob("*.npz")):
        _say(f"evaluate on the traces in {realclips}, in one process, then one per core")
        evaluate(realclips, [realclips], catalogue=catalogue, jobs=1)  # warm-up: not timed

        def median_x(jobs: int | None) -> float | None:
            # A run is ~0.4 s: the median of three, against a passing spike (as replay's).
            runs = [evaluate(realclips, [realclips], catalogue=catalogue, jobs=jobs).x_real_time
                    for _ in range(3)]
            timed = [x for x in runs if x is not None]
            return float(np.median(timed)) if len(timed) == len(runs) else None

        evaluate_seq_x, evaluate_x = median_x(1), median_x(None)

    # The vectorised angle maths on its own, over the same number of frames at once.
    n = max(n_frames, 1)
    world = np.random.default_rng(0).normal(size=(n, 33, 3))
    t0 = time.perf_counter()
    joint_angles(world=world, visibility=np.ones((n, 33)))
    angles_batch_ms = (time.perf_counter() - t0) * 1000.0 / n

    steps = {s: clocks.figures(s) for s in STEPS}
    analyze_cpu_ms = clocks.analyze_cpu() * 1000.0
    decode_ms, model_ms = steps["decode"]["cpu_mean_ms"], steps["model_raw"]["cpu_mean_ms"]
    pipeline_ms = round(float(analyze_cpu_ms.mean()), 3)
    checks_ms = steps["checks"]["cpu_mean_ms"]
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    live = live_figures(clip, model, live_seconds)  # after the peak: its own camera's pictures
    return {
        "clip": str(clip),
        "model": model,
        "frames": n_frames,
        "frames_with_pose": found,
        "width": info.width,
        "height": info.height,
        # Today's keys, now CPU means per frame (ms): decode, the raw model, analyze's pipeline.
        "decode_ms": decode_ms,
        "model_ms": model_ms,
        "pipeline_ms": pipeline_ms,
        "pipeline_p95_ms": round(float(np.percentile(analyze_cpu_ms, 95)), 3),
        "overhead_ratio": round(pipeline_ms / (decode_ms + model_ms), 3),
        "estimator_ratio": round(steps["estimator"]["cpu_mean_ms"] / model_ms, 3),
        "checks_ms": checks_ms,
        "checks_share_of_model": round(checks_ms / model_ms, 4),
        "checks_step_pose_ms": step_pose_ms,
        "angles_batch_ms_per_frame": round(angles_batch_ms, 4),
        "steps": steps,
        "analyze_jobs": jobs,
        "analyze_parts": parts,
        "analyze_seq_x_realtime": round(duration / seq_wall, 3),
        "analyze_x_realtime": round(duration / par_wall, 3),
        "analyze_speedup": round(seq_wall / par_wall, 3),
        "analyze_seq_cpu_s": round(seq_cpu, 2),
        "analyze_cpu_s": round(par_cpu, 2),
        "analyze_seq_cores": round(seq_cpu / seq_wall, 2),
        "analyze_cores": round(par_cpu / par_wall, 2),
        "replay_ms": round(replay_s * 1000.0, 1),
        "replay_x_realtime": round(duration / replay_s, 1) if replay_s > 0 else None,
        "evaluate_x_realtime": evaluate_x,
        "evaluate_seq_x_realtime": evaluate_seq_x,
        "peak_rss_mb": round(peak_kb / 1024.0, 1),
        "analyze_rss_together_mb": round(max(seq_rss, par_rss) / 1024.0 / 1024.0, 1),
        **live,
        "load_avg_start": [round(x, 2) for x in load_start],
        "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def live_figures(clip: Path, model: str, seconds: float) -> dict[str, Any]:
    """``live_ms``, ``live_ratio``, ``live_lag_ms``, ``dropped_frames`` and the details under
    ``live`` (``pose.live_bench.bench_live``); {} when ``seconds`` is 0."""
    if seconds <= 0:
        return {}
    from pose.live_bench import bench_live

    return bench_live(clip, model, seconds, say=_say)


def format_bench(r: dict[str, Any]) -> str:
    def step(name: str, label: str) -> str:
        s = r["steps"][name]
        return (f"{label:<10} cpu {s['cpu_mean_ms']:7.2f} ms mean {s['cpu_p95_ms']:7.2f} p95   "
                f"wall {s['wall_mean_ms']:7.2f} mean {s['wall_p95_ms']:7.2f} p95")

    evaluate_x = r["evaluate_x_realtime"]
    lines = [
        f"clip       {r['clip']} ({r['width']}x{r['height']}, {r['frames']} frames timed, "
        f"pose in {r['frames_with_pose']})",
        f"model      {r['model']}   machine: {r['cpus']} cores, load average "
        f"{r['load_avg_start'][0]} at the start, {r['load_avg_end'][0]} at the end",
        "per frame (CPU: all threads of the process)",
        step("decode", "decode"),
        step("model_raw", "raw model") + "   (bare landmarker, native frame)",
        step("estimator", "estimator") + f"   ({r['estimator_ratio']:.3f} x raw model: people "
        "count, conversions)",
        step("checks", "checks") + f"   ({100 * r['checks_share_of_model']:.1f}% of the model; "
        f"batches of {BATCH}; frame by frame {r['checks_step_pose_ms']:.2f} ms)",
        f"analyze    cpu {r['pipeline_ms']:7.2f} ms mean {r['pipeline_p95_ms']:7.2f} p95   "
        f"overhead {r['overhead_ratio']:.3f} x (decode + raw model)",
        f"angles     {r['angles_batch_ms_per_frame']:8.4f} ms/frame (vectorised over the clip)",
        f"analyze    sequential {r['analyze_seq_x_realtime']:.2f}x real time, parallel "
        f"({r['analyze_parts']} part{'s' if r['analyze_parts'] > 1 else ''}) "
        f"{r['analyze_x_realtime']:.2f}x: speed-up "
        f"{r['analyze_speedup']:.2f} (cores busy {r['analyze_seq_cores']:.2f} / "
        f"{r['analyze_cores']:.2f})",
        f"replay     {r['replay_x_realtime']}x real time (from the store, every catalogue "
        "stretch)",
        f"evaluate   {evaluate_x}x real time (the realclips traces; in one process "
        f"{r['evaluate_seq_x_realtime']}x)" if evaluate_x is not None
        else "evaluate   (no realclips traces beside the repository)",
        f"memory     peak RSS {r['peak_rss_mb']} MB; analyze at most "
        f"{r['analyze_rss_together_mb']} MB",
    ]
    if "live" in r:
        from pose.live_bench import format_live

        lines.append(format_live(r))
    return "\n".join(lines)
