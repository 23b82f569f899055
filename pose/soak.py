"""Memory soak of a long file analysis: does memory grow by more than the landmarks kept?

A long recording is made by looping a clip (its packets copied, nothing re-encoded, so making
it costs no model time) to at least the asked length, then analysed as ``stretchcheck
analyze`` analyses it (both cores: pose threads, ``pose.extraction``). While it runs, the
resident memory of this process (the pose threads are in it) is sampled from ``/proc``; the
figure that matters is how much it grows per frame once the models are loaded and warm
(between ``WARM_FRACTION`` of the frames and the end). What must be kept per frame are the
landmarks of the report's track: 33 x (2 + 3 + 1) float64 values, about 1.6 KB
(``pose.track.Track``).

Linux only (``/proc``); run by hand (``stretchcheck bench --soak SECONDS``), never in CI: a
10-minute soak takes several minutes of both cores.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from pose.video import main_video_stream

WARM_FRACTION = 0.1
"""Growth is measured from this fraction of the frames on: model loads and first-use caches
(allocator arenas, the decoder's buffers) come before it."""
_PAGE = os.sysconf("SC_PAGE_SIZE")


def looped_clip(clip: Path, seconds: float, out: Path) -> float:
    """Write ``out``: ``clip``'s video stream repeated until at least ``seconds`` long, packets
    copied with shifted timestamps (the clip must start on a key frame, as camera files do).
    Returns the length written in seconds."""
    with av.open(str(clip)) as src, av.open(str(out), "w") as dst:
        s_in = main_video_stream(src)
        if s_in is None:
            raise ValueError(f"{clip}: the file has no video stream")
        s_out = dst.add_stream_from_template(s_in)
        if s_in.time_base is None:
            raise ValueError(f"{clip}: the video has no time base")
        base = s_in.time_base
        offset, length = 0, 0
        while offset * base < seconds:
            src.seek(0, stream=s_in)
            end = offset
            for packet in src.demux(s_in):
                if packet.dts is None or packet.pts is None:
                    continue  # the demuxer's flush packet
                packet.pts += offset
                packet.dts += offset
                end = max(end, packet.pts + (packet.duration or 0))
                packet.stream = s_out
                dst.mux(packet)
            if end == offset:
                raise ValueError(f"{clip}: no video packets to loop")
            length, offset = end, end
    return float(length * base)


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (default: this one) in bytes, 0 if it has gone."""
    try:
        with open(f"/proc/{pid or 'self'}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _slope(points: list[tuple[int, int]]) -> float:
    """Least-squares bytes per frame through (frames, bytes) points (0 for fewer than two)."""
    if len(points) < 2:
        return 0.0
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    return float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else 0.0


def soak(clip: Path, seconds: float = 600.0, model: str = "full", jobs: int = 1,
         every: int = 30) -> dict[str, Any]:
    """Analyse ``clip`` looped to ``seconds`` and sample memory every ``every`` frames.

    This process's growth is measured once it is warm, from ``WARM_FRACTION`` of the frames
    on: with ``jobs`` 1 (the default) it runs the model, the decoder and the loop for the whole
    recording, the cleanest measure. With more, the pose threads' models run in it too and one
    is closed part-way (RSS then drops: the slope means less).

    Returns a JSON-able dict: frames, video and wall seconds, RSS (MB) of this process at the
    start, when warm and at the end, ``growth_bytes_per_frame`` (least-squares slope),
    ``landmarks_kept_bytes_per_frame`` (what the report's track must keep) and a thinned list of
    the samples (frames, RSS MB).
    """
    import tempfile

    from pose.extraction import default_jobs, split
    from pose.routines import load_catalogue
    from pose.sessions import analyse_video

    catalogue = load_catalogue()
    samples: list[tuple[int, int]] = []  # (frames, RSS)
    due = [0]

    def sample(done: int, total: int) -> None:
        if done < due[0]:
            return
        due[0] = done + every
        samples.append((done, rss_bytes()))

    jobs = jobs or default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"soak{clip.suffix or '.mp4'}"
        length = looped_clip(clip, seconds, path)
        parts = len(split(0.0, length, jobs))
        rss_start = rss_bytes()
        t0 = time.perf_counter()
        report = analyse_video(path, catalogue, model=model, jobs=jobs, progress=sample)
        wall = time.perf_counter() - t0
    frames = len(report.track)
    kept = (report.track.image.nbytes + report.track.world.nbytes
            + report.track.visibility.nbytes) / max(frames, 1)
    rss_end = rss_bytes()
    warm_from = frames * ((1.0 / parts if parts > 1 else 0.0) + WARM_FRACTION)
    own = [(d, r) for d, r in samples if d >= warm_from]
    mb = 1024.0 * 1024.0
    return {
        "clip": str(clip),
        "video_s": round(length, 1),
        "frames": frames,
        "jobs": jobs,
        "parts": parts,
        "wall_s": round(wall, 1),
        "x_realtime": round(length / wall, 2) if wall > 0 else None,
        "rss_start_mb": round(rss_start / mb, 1),
        "rss_warm_mb": round(own[0][1] / mb, 1) if own else None,
        "rss_last_sample_mb": round(own[-1][1] / mb, 1) if own else None,
        "rss_end_mb": round(rss_end / mb, 1),
        "growth_bytes_per_frame": round(_slope(own), 1),
        "landmarks_kept_bytes_per_frame": round(kept, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "samples": [(d, round(r / mb, 1)) for d, r in samples[:: max(1, len(samples) // 40)]],
    }
