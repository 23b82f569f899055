"""Sessions end to end: store, replay, report numbers, the pages (AppTest), live without a
browser."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, sample
from panel import panel_text
from streamlit.testing.v1 import AppTest
from synthetic import EmptyRoom, synthetic_knee_to_chest

from pose.draw import STATUS_COLOURS
from pose.estimator import PoseEstimator
from pose.live import LiveSession
from pose.pipeline import check_track
from pose.routines import load_catalogue
from pose.sessions import remember, replay_session
from pose.store import open_store
from pose.tuning import parse_settings, tuned
from pose.video import read_video

A03 = "A03_physiocore_glute_bridge_side_floor.mp4"


def holds_of(report):
    return [(r.stretch.id, r.side, round(h.start_s, 3), round(h.end_s, 3))
            for r in report.results for h in r.record.holds]


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = tmp_path / "sessions.db"
    monkeypatch.setenv("STRETCHCHECK_DB", str(path))
    return path


@pytest.fixture()
def saved_a03(db, track_of):
    """A03 analysed, checked and stored as a video session of profile "me"."""
    track = track_of(A03)
    report = check_track(track, load_catalogue())
    with open_store(db) as store:
        profile = store.profile("me")
        sid = store.save_analysis(track, report, profile_id=profile.id)
        remember(store, sid, report, profile.id)
    return sid, report


@pytest.mark.slow
def test_replay_equals_the_original_analysis(db, saved_a03):
    sid, original = saved_a03
    with open_store(db) as store:
        stored = store.load_track(sid)
        assert [r["stretch"] for r in store.results(sid)] == ["glute_bridge"]
        again = replay_session(store, sid, load_catalogue())
    assert len(again.track) == len(stored)
    assert holds_of(again) == holds_of(original)
    assert [(e.kind, round(e.t_s, 3)) for e in again.events] == \
        [(e.kind, round(e.t_s, 3)) for e in original.events]


@pytest.mark.slow
def test_replay_cli_applies_a_changed_range(db, saved_a03):
    sid, _ = saved_a03
    base = [sys.executable, "-m", "pose", "replay", str(sid), "--db", str(db)]
    plain = subprocess.run(base, capture_output=True, text=True, cwd=ROOT)
    assert plain.returncode == 0, plain.stderr
    assert "Glute bridge: 1 hold(s)" in plain.stdout
    assert "x real time" in plain.stdout
    # A stricter therapist: the hips must be fully extended, so this bridge no longer counts.
    strict = subprocess.run(base + ["--stretch", "glute_bridge", "--set",
                                    "glute_bridge.hip_flexion_{side}.max=0"],
                            capture_output=True, text=True, cwd=ROOT)
    assert strict.returncode == 0, strict.stderr
    assert "Glute bridge: 0 hold(s)" in strict.stdout
    bad = subprocess.run(base + ["--set", "glute_bridge.hip_flexion.max=0"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "cannot set" in bad.stderr


@pytest.mark.slow
def test_replay_save_writes_nothing_to_a_damaged_store(db, saved_a03):
    """As analyze --save does: a store with a damaged page is checked before anything is
    written (replay --save wrote its results into one, a robustness probe found)."""
    sid, _ = saved_a03
    raw = bytearray(db.read_bytes())
    middle = len(raw) // 4096 // 2 * 4096
    raw[middle:middle + 2048] = b"\xde\xad\xbe\xef" * 512
    db.write_bytes(bytes(raw))
    result = subprocess.run([sys.executable, "-m", "pose", "replay", str(sid), "--db", str(db),
                             "--save"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "is damaged" in line and "nothing was written" in line
    assert db.read_bytes() == bytes(raw)


@pytest.mark.slow
def test_report_cli_formats(db, saved_a03):
    sid, _ = saved_a03
    base = [sys.executable, "-m", "pose", "report", str(sid), "--db", str(db)]
    table = subprocess.run(base, capture_output=True, text=True, cwd=ROOT)
    assert table.returncode == 0 and "Glute bridge" in table.stdout
    data = json.loads(subprocess.run(base + ["--format", "json"], capture_output=True,
                                     text=True, cwd=ROOT).stdout)
    assert data["stretches"][0]["stretch"] == "glute_bridge"
    csv_text = subprocess.run(base + ["--format", "csv"], capture_output=True, text=True,
                              cwd=ROOT).stdout
    assert csv_text.splitlines()[0].startswith("stretch,side,target (s),longest hold (s)")
    missing = subprocess.run(base[:-3] + ["999", "--db", str(db)], capture_output=True, text=True,
                             cwd=ROOT)
    assert missing.returncode == 2 and "no session 999" in missing.stderr


def test_parse_settings_rejects_malformed_items():
    assert parse_settings(["knee_to_chest.hold_s=45"]) == {"knee_to_chest": {"hold_s": "45"}}
    cat = tuned(load_catalogue(), parse_settings(["knee_to_chest.hold_s=45"]))
    assert cat.stretches["knee_to_chest"].hold_s == 45
    assert cat.routines["lower-back"].steps[3].stretch.hold_s == 45
    with pytest.raises(Exception, match="STRETCH.FIELD=VALUE"):
        parse_settings(["knee_to_chest"])


def test_report_numbers_match_a_synthetic_session_with_known_holds():
    catalogue = load_catalogue()
    track = synthetic_knee_to_chest(2.0, 34.0, 40.0)
    report = check_track(track, catalogue, stretch="knee_to_chest")
    result = {r.side: r.to_dict() for r in report.results}
    left = result["left"]
    assert len(left["holds"]) == 1
    hold = left["holds"][0]
    assert hold["start_s"] == pytest.approx(2.0, abs=0.1)
    assert hold["end_s"] == pytest.approx(34.0, abs=0.1)
    assert left["held_s"] == pytest.approx(32.0, abs=0.2)
    assert left["longest_hold_s"] == pytest.approx(32.0, abs=0.2)
    assert left["completed"] is True  # 32 s >= the 30 s target
    assert hold["in_form_fraction"] > 0.95
    assert left["bounces"] == [] and left["over_range"] == []
    assert result["right"]["holds"] == [] and result["right"]["completed"] is False
    kinds = [e.kind for e in report.events]
    assert kinds.count("hold_started") == 1 and kinds.count("hold_completed") == 1
    completed = next(e for e in report.events if e.kind == "hold_completed")
    assert completed.t_s == pytest.approx(32.0, abs=0.1)  # 30 s after the hold started


@pytest.mark.slow
def test_live_session_without_a_browser(tmp_path, monkeypatch):
    """The live page's engine: frames in, overlay out, everything recorded as it goes."""
    db = tmp_path / "live.db"
    catalogue = load_catalogue()
    routine = catalogue.routine("floor-flow")  # starts with the glute bridge
    store = open_store(db)
    profile = store.profile("me")

    def recorder_factory(width, height, checker):
        sid = store.start_session("live", "webcam", routine.id, "full", 0.0, (width, height),
                                  profile_id=profile.id, checker=checker)
        return sid, store.recorder(sid, owns_store=True)  # as the Live page does

    finished = []
    session = LiveSession(routine, lambda: PoseEstimator("full"), recorder_factory,
                          on_finish=lambda sid, report: finished.append((sid, report)))
    in_form_pixels = 0
    with read_video(sample(A03)) as video:
        for frame in video:
            out = session.process(frame.rgb, frame.t_s)
            assert out.shape == frame.rgb.shape
            in_form_pixels += int(np.all(np.abs(out.astype(int) - STATUS_COLOURS["in_form"])
                                         <= 12, axis=2).sum())
    snap = session.snapshot()
    assert snap.frames == 91 and snap.view.stretch == "glute_bridge"
    assert in_form_pixels > 200  # the skeleton turned "in form" during the bridge
    kinds = [e.kind for e in snap.events]
    assert "hold_started" in kinds

    sid = session.close()
    with open_store(db) as reader:
        assert reader.session(sid).n_frames == 91
        stored = [e.kind for e in reader.events(sid)]
        results = reader.results(sid)  # written with the recording's last transaction
    assert "hold_started" in stored and "hold_ended" in stored
    assert [r["stretch"] for r in results] == ["glute_bridge"]
    assert finished and finished[0][0] == sid
    assert finished[0][1].results[0].stretch.id == "glute_bridge"


def test_live_session_pain_stop_asks_before_moving_on():
    catalogue = load_catalogue()
    routine = catalogue.routine("desk-break")
    session = LiveSession(routine, EmptyRoom)
    blank = np.zeros((120, 160, 3), np.uint8)
    session.process(blank, 0.0)
    assert session.snapshot().view.stretch == "neck_side_bend"
    session.request("pain")
    session.process(blank, 0.1)
    session.process(blank, 6.0)
    snap = session.snapshot()
    # stopped, not moved on
    assert (snap.view.phase, snap.view.stretch) == ("pain", "neck_side_bend")
    assert any(e.kind == "pain_stop" for e in snap.events)
    session.request("pain_answer", "discomfort", 3)
    session.request("after_pain", "skip")
    session.process(blank, 6.1)
    snap = session.snapshot()
    # "Skip this stretch": both sides of the one that hurt, on to the next stretch.
    assert (snap.view.phase, snap.view.stretch) == ("position", "cross_body_shoulder")
    report = next(e for e in snap.events if e.kind == "pain_report")
    assert (report.data["feeling"], report.data["rating"]) == ("discomfort", 3)
    session.request("skip")  # S skips one side
    session.process(blank, 6.2)
    assert session.snapshot().view.stretch == "cross_body_shoulder"
    assert session.snapshot().view.step == 4
    results = {(r.stretch.id, r.side): r.record for r in session.results()}
    assert results[("neck_side_bend", "left")].pain_stops == [pytest.approx(0.1)]
    with pytest.raises(ValueError):
        session.request("pain_answer", "sharp")


PAGES = ROOT / "pose" / "pages"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / name), default_timeout=120)


@pytest.mark.slow
def test_review_page_on_a_recorded_sample_session(db, saved_a03):
    at = page("review.py").run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader][:2] == ["How it went: 0 of 1 done",
                                                    "Angles over time"]
    table = at.table[0].value
    assert list(table["Stretch"]) == ["Glute bridge"]
    assert list(table["Result"]) == ["not done"]
    # A whole video analysed is labelled so, not as a session that ended early.
    assert any(c.value.startswith("Complete analysis of A03") for c in at.caption)


@pytest.mark.slow
def test_replay_page_plays_a_stored_session(db, saved_a03):
    sid, _ = saved_a03
    at = page("replay.py").run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith(f"Session {sid}")
    assert at.table[0].value["stretch"].tolist() == ["Glute bridge"]
    jump = next(s for s in at.selectbox if s.label == "Jump to event")
    assert jump.value is None  # from the start
    # Events in words, the stretch by its name, not its id.
    labels = list(jump.options)  # as shown
    assert labels[0] == "From the start"
    assert any("Glute bridge" in label for label in labels)
    assert not any("glute_bridge" in label for label in labels)
    check = next(s for s in at.selectbox if s.label == "Check it")
    assert "lower-back" not in " ".join(check.options) and check.options[0].startswith("As it")


@pytest.mark.slow
def test_every_page_names_a_session_alike(db, saved_a03):
    """Review, Replay and Your data list a session by the same words, its number first (the
    Live page says "Saved as session 3"): they read "02 Dec 2026 02:56 - video ..." on one
    page and "#3 2026-12-02 02:56 video ..." on another."""
    sid, _ = saved_a03
    shown = {}
    for name in ("review.py", "replay.py", "data.py"):
        at = page(name).run()
        assert not at.exception, at.exception
        picker = next(s for s in at.selectbox if s.label == "Session")
        shown[name] = picker.format_func(sid)
    assert len(set(shown.values())) == 1, shown
    assert shown["review.py"].startswith(f"Session {sid}: ")


@pytest.mark.slow
def test_replay_page_analyses_a_sample_then_shows_only_its_result(db):
    """After the analysis the page starts again (``st.rerun``) on the new session, showing its
    results; the warnings about the file were handed over to that run and are gone after it
    (the samples have none to show)."""
    at = page("replay.py").run()
    at.radio[0].set_value("Sample video").run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    sid = at.session_state["replay_session"]
    assert at.subheader[0].value.startswith(f"Session {sid}: ")
    assert "replay_warnings" not in at.session_state  # shown once, then gone
    with open_store(db) as store:
        assert store.session(sid).source_name == at.selectbox[0].value.name
        # Someone else's body: not in the person's progress, nor in their comfortable ranges,
        # but on a profile of its own, so that Review shows it and Your data deletes it.
        assert store.session(sid).profile == "samples"
        me = store.profile("me")
        assert store.sessions(me.id) == [] and store.range_history(me.id) == []


def test_routines_page_lists_the_catalogue():
    at = page("routines.py").run()
    assert not at.exception
    labels = [s.value for s in at.subheader]
    assert any("Knee to chest" in label for label in labels)
    assert any("Lower back" in label for label in labels)


def test_live_page_setup_without_a_camera(db, monkeypatch):
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    at = page("live.py")
    at.query_params["routine"] = "desk-break"
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox[0].value == "desk-break"
    assert "Desk break" in panel_text(at)
    # Without a link, a first visit opens on the lower back's routine.
    first = page("live.py").run()
    assert first.sidebar.selectbox[0].value == "lower-back" and "Lower back" in panel_text(first)
