"""A stand-in for the live app, killed by ``test_store.test_sigkill_loses_at_most_a_second``.

Usage: python recorder_child.py DB_PATH

Opens the store, starts a live session and records synthetic frames at about 30 fps with
``t_s = i / 30``. After handing each frame to the recorder it prints ``session_id t_s`` and
flushes stdout, so the test knows exactly what was handed over. Runs until killed (or 30 s).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from pose.estimator import PoseFrame
from pose.store import open_store

FPS = 30.0
SIZE = (640, 480)


def main(db: str) -> None:
    rng = np.random.default_rng(7)
    store = open_store(db)
    sid = store.start_session("live", "camera 0", None, "lite", FPS, SIZE)
    rec = store.recorder(sid, batch_s=0.25)
    start = time.monotonic()
    for i in range(int(30 * FPS)):
        t = i / FPS
        pose = None if i % 10 == 3 else PoseFrame(
            t, rng.uniform(0, 480, (33, 2)), rng.normal(0, 0.5, (33, 3)),
            rng.uniform(0, 1, 33), SIZE)
        rec.add_frame(t, pose)
        print(sid, repr(t), flush=True)
        time.sleep(max(0.0, start + (i + 1) / FPS - time.monotonic()))
    rec.close()


if __name__ == "__main__":
    main(sys.argv[1])
