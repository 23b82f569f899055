"""Kept from before: several writers on one store at once lose nothing (two processes saving
analyses while a live recorder writes frames and a reader lists sessions)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

from seed import ROOT
from test_store import synthetic_frames

from pose.store import open_store

WRITER = """
import sys
sys.path[:0] = [{tests!r}, {robust!r}]
from seed import seed
seed({db!r}, {{sys.argv[1]: 6}})
"""


def test_two_processes_and_a_recorder_write_at_once(tmp_path):
    db = tmp_path / "shared.db"
    with open_store(db) as store:
        sid = store.start_session("live", "webcam", None, "lite", 30.0, (640, 480))
        code = WRITER.format(tests=str(ROOT / "tests"), robust=str(ROOT / "tests" / "robustness"),
                             db=str(db))
        writers = [subprocess.Popen([sys.executable, "-c", code, name], cwd=ROOT,
                                    stderr=subprocess.PIPE, text=True) for name in ("ana", "ben")]
        with store.recorder(sid, batch_s=0.02) as rec:
            frames = synthetic_frames(300)
            for t, pose in frames:
                rec.add_frame(t, pose)
                if int(t * 30) % 30 == 0:
                    store.sessions()  # a reader (the Review page) at the same time
                time.sleep(0.002)
        for w in writers:
            assert w.wait(120) == 0, w.stderr.read()
        assert store.session(sid).n_frames == 300
        assert sorted(s.profile for s in store.sessions() if s.profile) == ["ana"] * 6 + ["ben"] * 6
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
