"""Where a live frame's CPU goes, by thread and library: a live session against the raw model.

Run under ``perf`` (cpu-clock samples, timestamps on the monotonic clock), this plays 20 s of
a simulated 30 fps camera (A06) through streamlit-webrtc's track into a live session (after 4 s
of warm-up), then hands the raw model the very frames the session processed. It prints the
phases' times; ``split`` then sorts perf's samples into the two phases, by library and by
thread, in ms of CPU a processed frame (README, Performance, nineteenth session):

    perf record -k mono -F 499 -e cpu-clock -o /tmp/perf.data -- \\
        .venv/bin/python scripts/live_perf_split.py run
    perf script -i /tmp/perf.data -F tid,time,ip,sym,dso > /tmp/perf.txt
    .venv/bin/python scripts/live_perf_split.py split /tmp/perf.txt T0 T1 T2 FRAMES
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "samples" / "A06_sports2d_lateral_raise_reps_front.mp4"
HZ = 499  # perf's sampling rate above


def run() -> None:
    sys.path.insert(0, str(ROOT))
    from pose import live_bench, privacy

    pictures = live_bench.camera_pictures(CLIP)
    with privacy.native_offline(), tempfile.TemporaryDirectory() as tmp, \
            live_bench.RawModel(pictures, "full") as raw:
        raw.warm_up(8.0)
        session = live_bench._session("full", Path(tmp))
        live_bench.run_through_track(session.on_frame, pictures, 4.0, warmup_s=3.0)
        session.settle()
        t0, c0 = time.monotonic(), time.process_time()
        played = live_bench.run_through_track(session.on_frame, pictures, 20.0, first_frame=200)
        session.settle()
        t1, c1 = time.monotonic(), time.process_time()
        raw.cpu_ms(played.processed_pts)
        t2, c2 = time.monotonic(), time.process_time()
        session.close()
    n = len(played.processed_pts)
    print(f"phases {t0:.6f} {t1:.6f} {t2:.6f} frames {n}: session "
          f"{(c1 - c0) / n * 1e3:.2f} ms of CPU a frame, raw model {(c2 - c1) / n * 1e3:.2f}")


def split(samples: str, t0: float, t1: float, t2: float, frames: int) -> None:
    by_library: dict[str, Counter[str]] = defaultdict(Counter)
    by_thread: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for line in open(samples):
        parts = line.split()
        if len(parts) < 4:
            continue
        t = float(parts[1].rstrip(":"))
        phase = "session" if t0 <= t < t1 else "raw" if t1 <= t < t2 else None
        if phase is None:
            continue
        library = parts[-1].strip("()").rsplit("/", 1)[-1]
        by_library[phase][library] += 1
        by_thread[(phase, parts[0])][library] += 1

    def ms(count: int) -> str:
        return f"{count / HZ / frames * 1e3:6.3f}"

    for phase, libraries in by_library.items():
        print(f"{phase}: {ms(sum(libraries.values()))} ms a frame")
        for library, count in libraries.most_common(8):
            print(f"  {ms(count)}  {library}")
    for (phase, tid), libraries in sorted(by_thread.items()):
        print(f"{phase} thread {tid}: {ms(sum(libraries.values()))}  " + ", ".join(
            f"{lib.split('.')[0]} {ms(c).strip()}" for lib, c in libraries.most_common(4)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        run()
    elif sys.argv[1:2] == ["split"] and len(sys.argv) == 7:
        split(sys.argv[2], *map(float, sys.argv[3:6]), int(sys.argv[6]))
    else:
        sys.exit(__doc__)
