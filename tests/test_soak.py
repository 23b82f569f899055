"""The memory soak's parts: a clip looped without re-encoding, and the soak's figures."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from conftest import sample

from pose.soak import looped_clip, rss_bytes
from pose.video import read_video

A02 = "A02_tfjs_pose_1_arms_overhead_front.mp4"


def test_a_looped_clip_repeats_every_frame_with_rising_timestamps(tmp_path):
    with read_video(sample(A02)) as reader:
        one = [(f.t_s, f.rgb.shape) for f in reader]
    out = tmp_path / "looped.mp4"
    length = looped_clip(sample(A02), 2.5 * (one[-1][0] - one[0][0]), out)
    with read_video(out) as reader:
        frames = [(f.t_s, f.rgb.shape) for f in reader]
    loops = len(frames) // len(one)
    assert loops >= 3 and len(frames) == loops * len(one)
    times = [t for t, _ in frames]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert length == pytest.approx(times[-1] - times[0] + (one[1][0] - one[0][0]), abs=0.05)
    assert {s for _, s in frames} == {one[0][1]}


@pytest.mark.slow
def test_a_short_soak_reports_growth_against_the_landmarks_kept():
    # In a process of its own, as a soak is run: in this one, the memory earlier tests leave
    # for the collector can be handed back mid-soak, below the start (1362 -> 1321 MB once).
    code = ("import json, sys; from pathlib import Path; from pose.soak import soak; "
            "print(json.dumps(soak(Path(sys.argv[1]), seconds=6.0, every=10)))")
    run = subprocess.run([sys.executable, "-c", code, str(sample(A02))], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["frames"] > 100 and result["jobs"] == 1
    assert result["landmarks_kept_bytes_per_frame"] == 33 * (2 + 3 + 1) * 8
    assert math.isfinite(result["growth_bytes_per_frame"])
    assert result["rss_warm_mb"] > result["rss_start_mb"] > 0  # the model is loaded by then
    assert len(result["samples"]) > 5
    assert rss_bytes() > 0 and rss_bytes(2**22 + 12345) == 0
