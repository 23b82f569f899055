"""A live session whose disk fills up part-way, for test_full_disk.py.

Usage: python full_disk_child.py CLIP FOLDER LEAVE_KB

FOLDER is on a small filesystem of its own (a tmpfs the test mounted). The session starts
recording there; then a filler file takes all but LEAVE_KB of the free space, and the clip's
frames keep coming. Prints one JSON line: what the coaching did, what the page would show,
what the store kept and where the results went.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

from pose.estimator import PoseEstimator
from pose.live import LiveSession
from pose.routines import load_catalogue
from pose.store import open_store
from pose.video import read_video


def fill(folder: Path, leave_kb: int) -> None:
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize - leave_kb * 1024
    with open(folder / "filler", "wb") as f:
        while free > 0:
            n = min(free, 1 << 20)
            f.write(b"\0" * n)
            free -= n


def main(clip: str, folder: str, leave_kb: int) -> int:
    folder_path = Path(folder)
    db = folder_path / "stretchcheck.db"
    routine = load_catalogue().routine("floor-flow")

    def recorder_factory(width, height, checker):
        store = open_store(db)
        sid = store.start_session("live", "webcam", routine.id, "full", 0.0, (width, height),
                                  profile_id=store.profile("me").id, checker=checker)
        rec = store.recorder(sid, batch_s=0.05, owns_store=True)
        fill(folder_path, leave_kb)
        return sid, rec

    session = LiveSession(routine, lambda: PoseEstimator("full", count_people_every_s=None),
                          recorder_factory)
    errors_seen_at = None
    with read_video(clip) as video:
        for frame in video:
            session.process(frame.rgb, frame.t_s)
            if errors_seen_at is None and session.snapshot().recording_error:
                errors_seen_at = session.snapshot().frames
    snap = session.snapshot()
    sid = session.close()  # must not raise
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    stored = conn.execute("SELECT COUNT(*) FROM frames WHERE session_id = ?", (sid,)).fetchone()[0]
    conn.close()
    print(json.dumps({
        "frames": snap.frames, "events": [e.kind for e in snap.events],
        "recording_error": snap.recording_error, "error_seen_at_frame": errors_seen_at,
        "save_error": session.save_error,
        "saved_to": str(session.saved_to) if session.saved_to else None,
        "results": [r.to_dict()["stretch"] for r in session.results()],
        "stored_frames": stored}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
