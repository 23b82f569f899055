"""Summarise a py-spy raw (collapsed stacks) profile of ``stretchcheck analyze``.

    py-spy record --rate 200 --format raw --native -o FILE -- python -m pose analyze CLIP ...
    python scripts/profile_summary.py FILE

Prints the share of the sampled (Python-thread) time per step of the analysis, and the
functions of ``pose/`` with the most time inclusive. The model's own graph threads are native
threads py-spy does not see: its time shows here only as the Python thread waiting for it.
"""

from __future__ import annotations

import sys
from collections import Counter

#: Frames of a thread that is waiting, not working (py-spy --native samples them too).
IDLE = ("lock_PyThread_acquire_lock", "PyThread_acquire_lock_timed", "_queue_SimpleQueue_get",
        "Condition.wait", "FutexWaiter::Wait", "select_poll_poll", "time_sleep")

#: (step, a frame that marks it), the first match from the leaf up wins.
STEPS = (
    ("garbage collection", "gc_collect_main"),
    ("people count (its thread)", "CStatusFun"),
    ("imports", "_find_and_load"),
    ("model (waiting for detect_for_video)", "detect_for_video"),
    ("people count", "_people"),
    ("estimator: conversions, landmark arrays", "PoseEstimator.process"),
    ("decode: RGB conversion (swscale)", "to_ndarray"),
    ("decode: demux + decode", "VideoReader.__iter__"),
    ("checks: smoothing", "PoseSmoother"),
    ("checks: angles", "joint_angles"),
    ("checks: plausibility screen", "CatalogueChecker.screen"),
    ("checks: per-stretch checks", "CatalogueChecker.update"),
    ("checks: ballistic watch", "watch_ballistic"),
    ("checks: loop plumbing", "FrameLoop"),
    ("model load / close", "PoseEstimator.__init__"),
    ("model load / close", "PoseEstimator.close"),
    ("frames.csv / report.json", "write_frames_csv"),
    ("frames.csv / report.json", "to_dict"),
)


def main(path: str) -> None:
    steps: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = idle = 0
    for line in open(path):
        stack, _, count = line.rstrip().rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        if any(mark in frame for frame in frames[-4:] for mark in IDLE):
            idle += n
            continue
        total += n
        for frame in reversed(frames):
            function = frame.split(" (")[0]
            hit = next((name for name, mark in STEPS if mark in function), None)
            if hit:
                steps[hit] += n
                break
        else:
            steps["other"] += n
        seen = set()
        for frame in frames:
            if "(pose/" in frame:
                name = frame.split(" (")[0] + " (" + frame.split("(pose/")[1].split(":")[0] + ")"
                if name not in seen:
                    seen.add(name)
                    functions[name] += n
    print(f"{total} samples of working threads ({idle} more of threads waiting, left out)")
    print("\nby step:")
    for name, n in steps.most_common():
        print(f"  {100 * n / total:5.1f} %  {name}")
    print("\npose/ functions, inclusive:")
    for name, n in functions.most_common(25):
        print(f"  {100 * n / total:5.1f} %  {name}")


if __name__ == "__main__":
    main(sys.argv[1])
