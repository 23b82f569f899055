"""The session store, on real SQLite files (no mocks)."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from pose.bounce import Bounce
from pose.coach import Event, SideRecord
from pose.errors import StoreError
from pose.estimator import PoseFrame
from pose.hold import Hold
from pose.pipeline import check_track
from pose.report import Report, StretchResult
from pose.routines import load_catalogue
from pose.store import SCHEMA_VERSION, migration_sql, open_store
from pose.track import Track, TrackBuilder

ROOT = Path(__file__).resolve().parents[1]
SIZE = (640, 480)
FPS = 30.0


def synthetic_frames(n: int = 90, seed: int = 1) -> list[tuple[float, PoseFrame | None]]:
    """``n`` frames at 30 fps; every 7th has no pose, one has two people."""
    rng = np.random.default_rng(seed)
    out: list[tuple[float, PoseFrame | None]] = []
    for i in range(n):
        t = 0.5 + i / FPS
        if i % 7 == 2:
            out.append((t, None))
            continue
        out.append((t, PoseFrame(t, rng.uniform(0, 480, (33, 2)), rng.normal(0, 0.4, (33, 3)),
                                 rng.uniform(0, 1, 33), SIZE, 2 if i == 5 else 1)))
    return out


def synthetic_track(n: int = 90) -> Track:
    builder = TrackBuilder(SIZE, FPS, source="clip.mp4", model="lite")
    for t, pose in synthetic_frames(n):
        builder.add(t, pose)
    return builder.build()


def hand_report(track: Track) -> Report:
    stretch = next(iter(load_catalogue().stretches.values()))
    record = SideRecord(
        holds=[Hold(0.6, 1.9, 1.0), Hold(2.0, 2.8, 0.8)],
        bounces=[Bounce(1.5, "hip_flexion_left", np.float64(6.5), 1.25)],
        over_range=[{"t_s": 1.7, "angle": "hip_flexion_left", "value_deg": 101.5,
                     "limit_deg": 95.0}],
        pain_stops=[2.9])
    events = [
        Event(0.6, "position_entered", stretch.id, "left", "In position - keep still"),
        Event(1.5, "bounce", stretch.id, "left", "Don't bounce",
              {"angle": "hip_flexion_left", "amplitude_deg": np.float64(6.5),
               "frequency_hz": 1.25}),
        Event(2.2, "pose_lost", None, None, "Can't see you"),
    ]
    return Report(track, "stretch", "lower-back", [
        StretchResult(stretch, "left", 2.0, record),
        StretchResult(stretch, "right", 2.0, SideRecord()),
    ], events)


def assert_same_track(loaded: Track, track: Track) -> None:
    np.testing.assert_array_equal(loaded.t_s, track.t_s)
    np.testing.assert_array_equal(loaded.people, track.people)
    for name in ("image", "world", "visibility"):
        got, want = getattr(loaded, name), getattr(track, name)
        assert got.shape == want.shape, name
        np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32), name)
    assert (loaded.size, loaded.fps, loaded.source, loaded.model) == \
        (track.size, track.fps, track.source, track.model)


def test_track_round_trip(tmp_path: Path) -> None:
    track = synthetic_track()
    with open_store(tmp_path / "s.db") as store:
        sid = store.save_analysis(track, hand_report(track), video_path=tmp_path / "v.mp4")
        loaded = store.load_track(sid)
        info = store.session(sid)
    assert_same_track(loaded, track)
    assert not loaded.has_pose[2] and np.isnan(loaded.image[2]).all()
    assert (loaded.visibility[2] == 0).all() and loaded.people[5] == 2
    assert (info.source, info.source_name, info.routine, info.model) == \
        ("video", "clip.mp4", "lower-back", "lite")
    assert info.n_frames == len(track) and info.size == SIZE and info.fps == FPS
    assert info.duration_s == pytest.approx(track.duration_s)
    assert info.video_path == str(tmp_path / "v.mp4") and info.ended_at is not None


def test_events_and_results_round_trip(tmp_path: Path) -> None:
    track = synthetic_track(30)
    report = hand_report(track)
    with open_store(tmp_path / "s.db") as store:
        sid = store.save_analysis(track, report)
        assert store.events(sid) == report.events
        assert store.results(sid) == [r.to_dict() for r in report.results]
    with closing(sqlite3.connect(tmp_path / "s.db")) as conn:
        row = conn.execute("SELECT side, target_hold_s, held_s, longest_s, completed,"
                           " in_form_fraction, n_bounces, n_over_range, n_pain_stops"
                           " FROM results WHERE session_id = ? ORDER BY id", (sid,)).fetchone()
    assert row[:5] == ("left", 2.0, 2.1, 1.3, 0)
    assert row[5] == pytest.approx(1.8 / 2.1)
    assert row[6:] == (1, 1, 1)


def test_check_track_report_is_saved_and_replaced(tmp_path: Path) -> None:
    track = synthetic_track(60)
    catalogue = load_catalogue()
    report = check_track(track, catalogue, stretch=next(iter(catalogue.stretches)))
    with open_store(tmp_path / "s.db") as store:
        sid = store.save_analysis(track, report)
        assert store.results(sid) == [r.to_dict() for r in report.results]
        assert store.events(sid) == report.events
        store.save_results(sid, hand_report(track))
        assert [r["side"] for r in store.results(sid)] == ["left", "right"]
        with pytest.raises(StoreError, match="no session 999"):
            store.save_results(999, report)


def test_wal_mode_and_schema(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        assert store._rows("PRAGMA synchronous")[0][0] == 1  # NORMAL
    with closing(sqlite3.connect(tmp_path / "s.db")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"schema_version", "profiles", "sessions", "frames", "events", "results",
            "ranges", "controls", "replays"} <= tables


def test_migration_from_version_1_keeps_data(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for sql in migration_sql(1):
        conn.execute(sql)
    conn.executescript("""
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (1);
        INSERT INTO profiles (id, name, created_at) VALUES (1, 'ann', 1700000000);
        INSERT INTO sessions (id, profile_id, source, source_name, routine, model, started_at,
                              ended_at, fps, width, height)
            VALUES (1, 1, 'live', 'camera 0', 'lower-back', 'full', 1700000100, 1700000200,
                    30, 640, 480);
        INSERT INTO results (session_id, stretch, side, target_hold_s, held_s, longest_s,
                             completed, n_bounces, n_over_range, n_pain_stops, detail)
            VALUES (1, 'cobra', 'both', 30, 12.5, 10, 0, 0, 0, 0, '{"stretch": "cobra"}');
    """)
    image = np.arange(66, dtype="<f4").reshape(33, 2)
    conn.execute("INSERT INTO frames VALUES (1, 0, 0.0, 1, ?, ?, ?)",
                 (image.tobytes(), np.zeros((33, 3), "<f4").tobytes(),
                  np.ones(33, "<f4").tobytes()))
    conn.commit()
    conn.close()

    with open_store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        ann = store.profile("ann", create=False)
        assert ann.id == 1 and ann.flexion_sensitive is False
        info = store.session(1)
        assert (info.profile, info.source_name, info.routine, info.n_frames) == \
            ("ann", "camera 0", "lower-back", 1)
        np.testing.assert_array_equal(store.load_track(1).image[0], image)
        assert store.results(1) == [{"stretch": "cobra"}]
        store.set_flexion_sensitive(ann.id, True)
        store.update_range(ann.id, "cobra", "trunk_extension", 25.0, 1)
        assert store.profile("ann").flexion_sensitive is True
        assert store.comfortable_ranges(ann.id) == {"cobra": {"trunk_extension": 25.0}}
    with open_store(db) as store:  # opening again migrates nothing
        assert store.schema_version == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    open_store(db).close()
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer StretchCheck") as info:
        open_store(db)
    assert "\n" not in str(info.value)


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 2000)
    with pytest.raises(StoreError, match="is damaged or not a StretchCheck database"):
        open_store(bad)


@pytest.mark.parametrize("url", ["postgresql://clinic@db.example/stretch",
                                 "mysql+pymysql://u:p@h/db", "http://example.com/x.db"])
def test_unknown_url_scheme(url: str) -> None:
    with pytest.raises(StoreError, match="only SQLite is supported so far") as info:
        open_store(url)
    assert "\n" not in str(info.value)


def test_sqlite_url_and_plain_path(tmp_path: Path) -> None:
    path = tmp_path / "sub dir" / "a.db"
    with open_store(f"sqlite://{path.as_posix()}") as store:
        assert store.url == f"sqlite://{path.as_posix()}"
        assert store.path == path
    with open_store(str(path)) as store:
        assert store.url == f"sqlite://{path.as_posix()}"
    with pytest.raises(StoreError, match="sqlite:///"):
        open_store("sqlite://host/x.db")


def test_env_var_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_db = tmp_path / "env.db"
    monkeypatch.setenv("STRETCHCHECK_DB", f"sqlite://{env_db.as_posix()}")
    with open_store() as store:
        assert store.path == env_db
    assert env_db.is_file()
    with open_store(tmp_path / "arg.db") as store:  # --db wins over the environment
        assert store.path == tmp_path / "arg.db"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_default_is_user_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRETCHCHECK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with open_store() as store:
        assert store.path == tmp_path / "data" / "stretchcheck" / "stretchcheck.db"
    assert store.path.is_file()


def test_profiles(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        bob = store.profile("bob")
        assert store.profile(" bob ") == bob and bob.flexion_sensitive is False
        ann = store.profile("ann")
        store.set_flexion_sensitive(bob.id, True)
        assert store.profiles() == [ann, store.profile("bob")]
        assert store.profile("bob").flexion_sensitive is True
        with pytest.raises(StoreError, match="no profile 'carl'"):
            store.profile("carl", create=False)
        with pytest.raises(StoreError, match="no profile 99"):
            store.set_flexion_sensitive(99, True)


def test_sessions_listing(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        ann = store.profile("ann")
        first = store.start_session("live", "camera 0", "lower-back", "full", 30, SIZE,
                                    profile_id=ann.id, started_at=1000.0)
        second = store.start_session("video", "a.mp4", None, "lite", 25, (1280, 720),
                                     started_at=2000.0)
        store.end_session(first, ended_at=1100.0)
        assert [s.id for s in store.sessions()] == [second, first]
        assert [s.id for s in store.sessions(ann.id)] == [first]
        info = store.session(first)
        assert (info.profile, info.ended_at, info.n_frames, info.duration_s) == \
            ("ann", 1100.0, 0, 0.0)
        assert store.session(second).ended_at is None
        assert store.load_track(second).t_s.shape == (0,)
        with pytest.raises(StoreError, match="^no session 42$"):
            store.session(42)
        for call in (store.load_track, store.events, store.results, store.end_session):
            with pytest.raises(StoreError, match="no session 42"):
                call(42)
        with pytest.raises(ValueError):
            store.start_session("webcam", "x", None, "full", 30, SIZE)


def test_recorder_writes_in_background(tmp_path: Path) -> None:
    frames = synthetic_frames(45)
    events = [Event(0.7, "pose_found", message="I can see you"),
              Event(1.2, "hold_started", "cobra", "both", "Holding - 28 s to go")]
    with open_store(tmp_path / "s.db") as store:
        sid = store.start_session("live", "camera 0", "lower-back", "full", FPS, SIZE)
        rec = store.recorder(sid, batch_s=0.05)
        t0 = time.perf_counter()
        for t, pose in frames:
            rec.add_frame(t, pose)
        for e in events:
            rec.add_event(e)
        handing_over = time.perf_counter() - t0
        rec.flush()
        assert_same_track(store.load_track(sid), Track.from_frames(
            [t for t, _ in frames], [p for _, p in frames], SIZE, FPS, "camera 0", "full"))
        assert store.events(sid) == events
        assert store.session(sid).ended_at is None
        rec.close()
        assert store.session(sid).ended_at is not None
        with pytest.raises(StoreError, match="closed"):
            rec.add_frame(9.0, None)
    assert handing_over < 0.5  # only queued, never written by the caller


def test_recorder_close_with_results_and_unknown_fps(tmp_path: Path) -> None:
    frames = synthetic_frames(31)  # 1 s at 30 fps
    report = hand_report(synthetic_track(5))
    with open_store(tmp_path / "s.db") as store:
        sid = store.start_session("live", "webcam", "lower-back", "full", 0.0, SIZE)
        with store.recorder(sid) as rec:
            for t, pose in frames:
                rec.add_frame(t, pose)
            rec.close(ended_at=1234.5, results=report.results)
        info = store.session(sid)
        assert (info.ended_at, info.n_frames) == (1234.5, 31)
        assert info.fps == pytest.approx(FPS)
        assert store.results(sid) == [r.to_dict() for r in report.results]


def test_recorder_commits_without_flush(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with open_store(db) as store:
        sid = store.start_session("live", "camera 0", None, "full", FPS, SIZE)
        rec = store.recorder(sid, batch_s=0.1)
        rec.add_frame(0.0, None)
        deadline = time.monotonic() + 5.0
        n = 0
        while n == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
            with closing(sqlite3.connect(db)) as other:  # another reader sees the commit
                n = other.execute("SELECT COUNT(*) FROM frames").fetchone()[0]
        assert n == 1
    # closing the store closed the recorder and ended the session
    with open_store(db) as store:
        assert store.session(sid).ended_at is not None


def test_ranges_and_daily_seconds(tmp_path: Path) -> None:
    day1 = datetime(2024, 5, 1, 9, 0).timestamp()
    day2 = datetime(2024, 5, 2, 21, 30).timestamp()
    track = synthetic_track(10)
    with open_store(tmp_path / "s.db") as store:
        ann, bob = store.profile("ann"), store.profile("bob")
        a1 = store.start_session("live", "cam", None, "full", FPS, SIZE, ann.id, started_at=day1)
        a2 = store.start_session("live", "cam", None, "full", FPS, SIZE, ann.id, started_at=day1)
        a3 = store.start_session("live", "cam", None, "full", FPS, SIZE, ann.id, started_at=day2)
        b1 = store.start_session("live", "cam", None, "full", FPS, SIZE, bob.id, started_at=day2)
        for sid in (a1, a2, a3, b1):
            store.save_results(sid, hand_report(track))  # 2.1 s held per report
        assert store.daily_seconds(ann.id) == [("2024-05-01", pytest.approx(4.2)),
                                               ("2024-05-02", pytest.approx(2.1))]
        assert store.daily_seconds(None)[-1] == ("2024-05-02", pytest.approx(4.2))

        assert store.update_range(ann.id, "cobra", "trunk_extension", 20.0, a1) is True
        assert store.update_range(ann.id, "cobra", "trunk_extension", 18.0, a2) is False
        assert store.update_range(ann.id, "cobra", "trunk_extension", 24.5, a3) is True
        assert store.update_range(ann.id, "knee_to_chest", "hip_flexion_left", 110, a3)
        assert store.comfortable_ranges(ann.id) == {
            "cobra": {"trunk_extension": 24.5},
            "knee_to_chest": {"hip_flexion_left": 110.0}}
        assert store.comfortable_ranges(bob.id) == {}
        history = store.range_history(ann.id)
        today = datetime.now().date().isoformat()
        assert history == [("cobra", "trunk_extension", today, 24.5),
                           ("knee_to_chest", "hip_flexion_left", today, 110.0)]
        with pytest.raises(StoreError, match="no profile 77"):
            store.update_range(77, "cobra", "trunk_extension", 1.0)
        with pytest.raises(ValueError):
            store.update_range(ann.id, "cobra", "trunk_extension", math.nan)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_loses_at_most_a_second(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    lines: list[str] = []
    first = threading.Event()
    with subprocess.Popen([sys.executable, str(ROOT / "tests" / "recorder_child.py"), str(db)],
                          stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT) as child:

        def read() -> None:
            assert child.stdout is not None
            for line in child.stdout:
                lines.append(line)
                first.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            assert first.wait(30), "the child never started recording"
            time.sleep(2.0)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            reader.join(10)
    assert child.returncode == -signal.SIGKILL

    # The kill can land in the middle of a print: only whole lines were handed over.
    whole = [line for line in lines if line.endswith("\n") and len(line.split()) == 2]
    handed = [(int(s), float(t)) for s, t in (line.split() for line in whole)]
    sid = handed[0][0]
    last_t = handed[-1][1]
    must_have = [t for _, t in handed if t < last_t - 1.0]
    assert last_t > 1.5 and len(must_have) >= 15

    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with open_store(db) as store:
        track = store.load_track(sid)
        info = store.session(sid)
    stored = set(track.t_s.tolist())
    missing = [t for t in must_have if t not in stored]
    assert not missing, f"{len(missing)} frames handed over > 1 s before the kill were lost"
    np.testing.assert_array_equal(track.t_s, np.arange(len(track)) / FPS)  # no gaps
    assert info.ended_at is None  # the session never ended
