"""Fault 9: the pages on a corrupt store, a newer schema, a damaged frame, a broken catalogue
and a malformed STRETCHCHECK_ICE_SERVERS: an st.error in words, no traceback, and the rest of
the app keeps working. Run through app.py (the navigation) with Streamlit's AppTest."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import sample
from seed import ROOT, seed
from streamlit.testing.v1 import AppTest

from pose import routines
from pose.app_state import catalogue
from pose.store import SCHEMA_VERSION

PAGES = ("pose/pages/live.py", "pose/pages/replay.py", "pose/pages/review.py",
         "pose/pages/routines.py", "pose/pages/data.py")


@pytest.fixture(autouse=True)
def app_env(monkeypatch):
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    monkeypatch.delenv("STRETCHCHECK_ICE_SERVERS", raising=False)
    catalogue.clear()
    yield
    catalogue.clear()


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    return at.switch_page(page).run()


def errors(at: AppTest) -> str:
    assert not at.exception, f"a traceback on the page: {at.exception}"
    return " ".join(e.value for e in at.error)


def test_a_corrupt_store(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    db.write_bytes(b"SQLite format 3\0" + b"\xa5" * 8000)
    monkeypatch.setenv("STRETCHCHECK_DB", str(db))
    for page in ("pose/pages/review.py", "pose/pages/replay.py", "pose/pages/data.py"):
        text = errors(run_page(page))
        assert str(db) in text and "damaged or not a StretchCheck database" in text, page
    live = run_page("pose/pages/live.py")
    assert "cannot be recorded" in errors(live), "Live should coach without recording"
    # The start card (the floor view's, in large type) names the routine.
    (panel,) = live.get("bidi_component")  # the coach column: HTML parts (pose.live_view)
    start_card = " ".join(json.loads(panel.proto.json)["parts"])
    assert "Desk break" in start_card or "Lower back" in start_card
    routines_page = run_page("pose/pages/routines.py")
    assert not errors(routines_page) and "Knee to chest" in [
        h.value for h in routines_page.subheader], "Routines should still work"


def test_a_store_from_a_newer_version(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    seed(db, {"ana": 1})
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    monkeypatch.setenv("STRETCHCHECK_DB", str(db))
    text = errors(run_page("pose/pages/review.py"))
    assert "newer StretchCheck" in text and "upgrade" in text


def test_a_damaged_frame(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    sid = seed(db, {"ana": 1})["ana"][0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE frames SET image = x'0102' WHERE session_id = ? AND idx = 3", (sid,))
    monkeypatch.setenv("STRETCHCHECK_DB", str(db))
    for page in ("pose/pages/review.py", "pose/pages/replay.py"):
        text = errors(run_page(page))
        assert f"session {sid} in {db}" in text and "damaged frame" in text, page
    assert not errors(run_page("pose/pages/data.py")), "the data page must still work"


def test_a_broken_catalogue(tmp_path, monkeypatch):
    folder = tmp_path / "routines"
    folder.mkdir()
    good = (routines.ROUTINES_DIR / "catalogue.toml").read_text()
    (folder / "catalogue.toml").write_text(good.replace("max = 125", "max = 720", 1))
    monkeypatch.setattr(routines, "ROUTINES_DIR", folder)
    monkeypatch.setenv("STRETCHCHECK_DB", str(tmp_path / "s.db"))
    for page in ("pose/pages/live.py", "pose/pages/routines.py", "pose/pages/replay.py"):
        text = errors(run_page(page))
        assert "catalogue.toml" in text and "720 is outside" in text, page
    assert not errors(run_page("pose/pages/data.py"))


@pytest.mark.parametrize("value, message", [
    ("[{", "is not valid JSON"),
    ('{"urls": "stun:x"}', "must be a list of servers"),
    ('[{"url": "stun:x"}]', "must be a list of servers"),
])
def test_malformed_ice_servers(tmp_path, monkeypatch, value, message):
    monkeypatch.setenv("STRETCHCHECK_DB", str(tmp_path / "s.db"))
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "on")
    monkeypatch.setenv("STRETCHCHECK_ICE_SERVERS", value)
    at = run_page("pose/pages/live.py")
    text = errors(at)
    assert "STRETCHCHECK_ICE_SERVERS" in text and message in text
    assert at.sidebar.selectbox, "the rest of the Live page should still be there"
    (panel,) = at.get("bidi_component")  # the coach column: HTML parts (pose.live_view)
    assert "Press START" in " ".join(json.loads(panel.proto.json)["parts"])


def test_a_video_cut_short_is_named_as_the_person_chose_it(tmp_path, monkeypatch):
    """Replay, a recording whose copy was cut short: one line naming the file as chosen
    ("cut.mp4: the file ends early ..."), not the temporary copy it was read from, and no
    progress bar left standing as if it were still at work."""
    clip = sample("A06_sports2d_lateral_raise_reps_front.mp4")
    monkeypatch.setenv("STRETCHCHECK_DB", str(tmp_path / "s.db"))
    at = run_page("pose/pages/replay.py")
    at.radio[0].set_value("Video file").run()
    at.file_uploader[0].set_value(("cut.mp4", clip.read_bytes()[:50_000], "video/mp4")).run()
    next(b for b in at.button if b.label == "Analyse").click().run()
    text = errors(at)
    assert text.startswith("cut.mp4: the file ends early"), text
    assert "stretchcheck-upload" not in text and "/tmp" not in text, text
    assert not at.get("progress"), "a progress bar is left on the page"
