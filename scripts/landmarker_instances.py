"""Which landmarker is the fair reference for the live figure? (README, Performance.)

In one process, as ``stretchcheck bench`` does: a raw landmarker R1 made first and warmed up, a
live session through streamlit-webrtc's track (four rounds of 5 s, the raw model on each
round's frames after it), then a second raw landmarker R2 made after the session. R2 is never
touched by our code. Then the session's own landmarker S (called bare), R1 and R2 take six turns
of 5 s on the same frames, the order rotating (``live_bench.turn_means``), and the means
are compared:

    S/R1 is ``bench``'s own_model_factor; R2/R1 is what a landmarker made later costs against
    the first one with no code of ours in between.

Usage: .venv/bin/python scripts/landmarker_instances.py [RUNS]   (about 2.5 minutes a run)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from pose import live_bench, privacy
from pose.cli import _default_clip
from pose.live_bench import RawModel

ROUNDS = live_bench.ROUNDS
ROUND_S = 20.0 / ROUNDS  # ``bench_live``'s default 20 s, cut into its rounds
NAMES = ("S", "R1", "R2")


def one_run(pictures: list) -> dict[str, float]:
    """Means of S, R1 and R2 over the turns, ms a frame (process CPU)."""
    with privacy.native_offline(), tempfile.TemporaryDirectory() as tmp, \
            RawModel(pictures, "full") as r1:
        r1.warm_up()
        session = live_bench._session("full", Path(tmp))
        first = 0
        for k in range(ROUNDS):
            warmup = live_bench.WARMUP_S if k == 0 else 0.0
            run = live_bench.run_through_track(session.on_frame, pictures, ROUND_S + warmup,
                                               warmup_s=warmup, first_frame=first)
            first += run.camera_frames
            session.settle()
            r1.cpu_ms(run.processed_pts)
        estimator = session.loop.estimator
        with RawModel(pictures, "full", estimator.landmarker, estimator.last_timestamp_ms) as s, \
                RawModel(pictures, "full") as r2:
            for model in (s, r2):
                model.warm_up(live_bench.TURN_WARMUP_S)
            means = live_bench.turn_means([s, r1, r2], first_frame=first)  # bench's turns
        session.close()
    return {name: statistics.mean(values) for name, values in zip(NAMES, means, strict=True)}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    pictures = live_bench.camera_pictures(_default_clip())  # A06, as bench's
    for _ in range(runs):
        m = one_run(pictures)
        print(f"S/R1 {m['S'] / m['R1']:.3f}  R2/R1 {m['R2'] / m['R1']:.3f}  "
              f"S/R2 {m['S'] / m['R2']:.3f}  (R1 {m['R1']:.2f} ms a frame)", flush=True)


if __name__ == "__main__":
    main()
