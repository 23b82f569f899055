"""Fault 4: the disk fills up during a live session.

The coaching goes on, the page is told that recording stopped and why (naming the file), the
frames written before stay, and the results are kept in memory and written where possible.
Two ways to fill a disk, both on real SQLite: a real 2 MB tmpfs filled by a file (in a user and
mount namespace, so no root is needed), and SQLite's own page limit on the recorder's file.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from seed import ROOT

from pose.estimator import PoseEstimator
from pose.live import LiveSession
from pose.routines import load_catalogue
from pose.store import open_store
from pose.video import read_video

CLIP = ROOT / "sample_videos" / "glute_bridge_side.mp4"


def _namespace_mount_works() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run([unshare, "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.slow
def test_live_session_on_a_disk_that_fills_up(tmp_path):
    if not _namespace_mount_works():
        pytest.skip("this machine allows no user+mount namespace for a private tmpfs; "
                    "the page-limit test below covers the same code")
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    script = (f'mount -t tmpfs -o size=2m tmpfs "{mnt}" && exec "{sys.executable}" '
              f'"{ROOT / "tests" / "robustness" / "full_disk_child.py"}" "{CLIP}" "{mnt}" 40')
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                            text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["frames"] == 91, "the coaching stopped with the disk"
    assert "hold_started" in out["events"], "the checks stopped with the disk"
    assert "is full" in out["recording_error"] and "stretchcheck.db" in out["recording_error"]
    assert out["error_seen_at_frame"] is not None and out["error_seen_at_frame"] < 91
    assert 0 < out["stored_frames"] < 91, "the frames written before the disk filled are kept"
    assert out["results"] == ["glute_bridge"]
    assert out["save_error"] and "is full" in out["save_error"]
    saved = Path(out["saved_to"])
    try:
        data = json.loads(saved.read_text())
        assert data["stretches"][0]["stretch"] == "glute_bridge"
        assert data["stretches"][0]["holds"], "the hold was lost"
    finally:
        saved.unlink(missing_ok=True)


def test_recording_stops_at_sqlites_page_limit_and_the_results_survive(tmp_path):
    db = tmp_path / "live.db"
    routine = load_catalogue().routine("floor-flow")
    recorders = []

    def recorder_factory(width, height, checker):
        store = open_store(db)
        sid = store.start_session("live", "webcam", routine.id, "lite", 0.0, (width, height),
                                  checker=checker)
        rec = store.recorder(sid, batch_s=0.01, owns_store=True)
        recorders.append(rec)
        return sid, rec

    session = LiveSession(routine, lambda: PoseEstimator("lite", count_people_every_s=None),
                          recorder_factory)
    with read_video(CLIP) as video:
        frames = list(video)[:40]
    for i, frame in enumerate(frames):
        if i == 10:
            recorders[0].flush()
            pages = recorders[0]._conn.execute("PRAGMA page_count").fetchone()[0]
            # The file may not grow any more: the next batch is "database or disk is full".
            recorders[0]._conn.execute(f"PRAGMA max_page_count = {pages}")
        session.process(frame.rgb, frame.t_s)
    for _ in range(50):  # the writer thread reports the failure of its next batch
        if session.snapshot().recording_error:
            break
        session.process(frames[-1].rgb, None)
    snap = session.snapshot()
    assert snap.frames >= 40 and snap.view.stretch == "glute_bridge"
    assert "is full" in snap.recording_error and str(db) in snap.recording_error
    sid = session.close()  # never raises
    assert session.results(), "the results in memory are gone"
    if session.save_error:  # the end could not be written in the full file: written beside
        assert session.saved_to is not None and session.saved_to.parent == tmp_path
        assert json.loads(session.saved_to.read_text())["session"] == sid
    with open_store(db) as store:
        assert 10 <= store.session(sid).n_frames < 40


def test_a_store_that_cannot_open_does_not_stop_the_coaching(tmp_path):
    routine = load_catalogue().routine("desk-break")

    folder = tmp_path / "not-a-file.db"
    folder.mkdir()

    def recorder_factory(width, height, checker):  # the real store, pointed at a folder
        store = open_store(folder)
        return store.start_session("live", "webcam", routine.id, "lite", 0.0, (width, height),
                                   checker=checker), None

    class NoOne:  # an empty room: the real model would find no one either
        def process(self, rgb, t):
            return None

        def close(self):
            pass

    import numpy as np

    session = LiveSession(routine, NoOne, recorder_factory)
    for i in range(3):
        session.process(np.zeros((48, 64, 3), np.uint8), i / 10)
    snap = session.snapshot()
    assert snap.frames == 3 and "is a folder" in snap.recording_error
    assert session.close() is None


def test_the_live_page_says_recording_stopped_and_why(tmp_path, monkeypatch):
    """The coaching panel of pose/pages/live.py, given a session whose store failed."""
    import numpy as np
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    monkeypatch.setenv("STRETCHCHECK_DB", str(tmp_path / "ok.db"))
    catalogue = load_catalogue()
    routine_id = list(catalogue.routines)[0]
    folder = tmp_path / "not-a-file.db"
    folder.mkdir()

    class NoOne:
        def process(self, rgb, t):
            return None

        def close(self):
            pass

    session = LiveSession(catalogue.routines[routine_id], NoOne,
                          lambda w, h, checker: (open_store(folder), None))
    for i in range(3):  # a lit room with nobody in view (a black picture says "too dark")
        session.process(np.full((48, 64, 3), 90, np.uint8), i / 10)
    at = AppTest.from_file(str(ROOT / "pose" / "pages" / "live.py"), default_timeout=60)
    at.session_state["live_session"] = session
    at.session_state["live_for"] = ("me", routine_id, "full")
    at.query_params["routine"] = routine_id  # the session's own (not the page's default)
    at.run()
    assert not at.exception, at.exception
    # The coach column is one component drawing HTML parts (pose.live_view).
    (panel,) = at.get("bidi_component")
    shown = html.unescape(" ".join(json.loads(panel.proto.json)["parts"]))
    assert "Recording stopped" in shown and "is a folder" in shown and str(folder) in shown
    assert "I can't see you" in shown, "the coaching went on"
