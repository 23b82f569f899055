"""A live session as the Live page runs it, fed a real clip, for tests run under strace.

Usage: python live_child.py CLIP DB MIN_SECONDS

The session is built from the same parts as pose/pages/live.py (store, recorder, personal
limits, PoseEstimator, results written with the recording's last transaction, on_finish
growing the ranges) and gets the clip's frames with their
timestamps, then the clip again and again at 5 frames a second (a slow camera) until
MIN_SECONDS have passed: mediapipe's usage logger sends in the background about a minute
after a busy landmarker started, and again at close. Then it closes like STOP does and prints
the session id.
"""

from __future__ import annotations

import sys
import time

from pose.estimator import PoseEstimator
from pose.live import LiveSession
from pose.routines import load_catalogue
from pose.sessions import grow_ranges, limits_for
from pose.store import open_store
from pose.video import read_video


def main(clip: str, db: str, min_s: float) -> int:
    catalogue = load_catalogue()
    routine = catalogue.routine("floor-flow")
    with open_store(db) as store:
        profile = store.profile("me")
        limits = limits_for(store, profile, catalogue)

    def recorder_factory(width: int, height: int, checker: dict):
        store = open_store(db)
        sid = store.start_session("live", "webcam", routine.id, "full", 0.0, (width, height),
                                  profile_id=profile.id, checker=checker)
        return sid, store.recorder(sid, owns_store=True)

    def on_finish(session_id, report) -> None:
        with open_store(db) as store:
            grow_ranges(store, session_id, report, profile.id)

    session = LiveSession(routine, lambda: PoseEstimator("full"), recorder_factory, limits,
                          on_finish)
    with read_video(clip) as video:
        frames = [(f.rgb, f.t_s) for f in video]
    start = time.monotonic()
    for rgb, t_s in frames:
        session.process(rgb, t_s)
    t_end = frames[-1][1]
    while time.monotonic() - start < min_s:
        for rgb, _ in frames[::6]:
            t_end += 0.2
            session.process(rgb, t_end)
            time.sleep(0.2)
            if time.monotonic() - start >= min_s:
                break
    print(session.close(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
