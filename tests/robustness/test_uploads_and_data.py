"""Fault 3: uploads deleted unless kept (and kept beside the store), checked before decoding;
the person's data deleted and exported, from the CLI and the app."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from seed import ROOT, cli, seed
from streamlit.testing.v1 import AppTest

from pose.errors import VideoError
from pose.sessions import track_video
from pose.store import open_store
from pose.uploads import check_upload, remove_kept, staged_upload, videos_dir

CLIP = ROOT / "sample_videos" / "glute_bridge_side.mp4"


def _leftovers() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("stretchcheck-upload-*"))


def test_an_upload_not_kept_is_deleted_once_read(tmp_path):
    before = _leftovers()
    with staged_upload("clip.mp4", CLIP.read_bytes()) as path:
        assert path.is_file()
        seen = path
    assert not seen.exists()
    assert _leftovers() == before


def test_a_failed_upload_is_deleted_too(tmp_path):
    before = _leftovers()
    damaged = CLIP.read_bytes()[:4000]  # starts like an mp4, decodes to nothing
    with pytest.raises(VideoError):
        with staged_upload("clip.mp4", damaged) as path:
            track_video(path)
    assert not path.exists() and _leftovers() == before
    kept_in = tmp_path / "videos"
    with pytest.raises(VideoError):
        with staged_upload("clip.mp4", damaged, kept_in) as path:
            track_video(path)
    assert list(kept_in.iterdir()) == [], "a failed upload was kept"


def test_a_kept_upload_lives_beside_the_store(tmp_path):
    db = tmp_path / "data" / "stretchcheck.db"
    with staged_upload("my clip (1).mp4", CLIP.read_bytes(), videos_dir(db)) as path:
        pass
    assert path.parent == tmp_path / "data" / "videos" and path.is_file()
    assert path.read_bytes() == CLIP.read_bytes()
    assert path.stat().st_mode & 0o077 == 0, "a kept video is readable by other users"


@pytest.mark.parametrize("name, size, head, message", [
    ("notes.txt", 100, b"hello", "not a video file"),
    ("clip.mp4", 0, b"", "empty"),
    ("clip.mp4", 600 * 1024 * 1024, b"\0\0\0\x18ftypmp42", "more than the 200 MB"),
    ("clip.mp4", 5000, b"<html><body>", "does not start like a video"),
    ("clip.webm", 5000, b"PK\3\4zipzipzip", "does not start like a video"),
])
def test_uploads_are_checked_before_decoding(name, size, head, message):
    with pytest.raises(VideoError, match=message):
        check_upload(name, size, head)


def test_real_containers_pass_the_check():
    check_upload("a.mp4", CLIP.stat().st_size, CLIP.read_bytes()[:16])
    gif = ROOT / "sample_videos" / "yoga_flow_side.gif"
    check_upload("a.gif", gif.stat().st_size, gif.read_bytes()[:16])
    check_upload("a.avi", 100, b"RIFF\0\0\0\0AVI LIST")
    check_upload("a.webm", 100, b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81")


def _db_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_delete_a_session_from_the_cli(tmp_path):
    db = tmp_path / "s.db"
    video = videos_dir(db) / "abc-clip.mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"video")
    ids = seed(db, video=video)
    first = ids["ana"][0]
    result = cli("delete", "session", str(first), "--yes", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "deleted session" in result.stdout and "1 kept video" in result.stdout
    assert not video.exists()
    with open_store(db) as store:
        assert [s.id for s in store.sessions()] == sorted(ids["ana"][1:] + ids["ben"],
                                                          reverse=True)
    assert b"ana-clip-0.mp4" not in _db_bytes(db), "the deleted session is still in the file"
    assert cli("delete", "session", str(first), "--yes", "--db", str(db)).returncode == 2


def test_delete_asks_first(tmp_path):
    db = tmp_path / "s.db"
    seed(db)
    result = cli("delete", "everything", "--db", str(db), stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "without --yes" in result.stderr
    with open_store(db) as store:
        assert len(store.sessions()) == 3


def test_delete_a_profile_and_everything(tmp_path):
    db = tmp_path / "s.db"
    seed(db)
    assert cli("delete", "profile", "ana", "--yes", "--db", str(db)).returncode == 0
    with open_store(db) as store:
        assert [p.name for p in store.profiles()] == ["ben"]
        assert {s.profile for s in store.sessions()} == {"ben"}
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM ranges r JOIN profiles p ON p.id = r.profile_id"
                        " WHERE p.name = 'ana'").fetchone()[0] == 0
    conn.close()
    assert b"ana-clip" not in _db_bytes(db)
    missing = cli("delete", "profile", "zed", "--yes", "--db", str(db))
    assert missing.returncode == 2 and "no profile 'zed'" in missing.stderr
    assert cli("delete", "everything", "--yes", "--db", str(db)).returncode == 0
    with open_store(db) as store:
        assert store.profiles() == [] and store.sessions() == []
    assert b"ben-clip" not in _db_bytes(db)


def test_export_a_profile_from_the_cli(tmp_path):
    db = tmp_path / "s.db"
    ids = seed(db)
    out = tmp_path / "ana.zip"
    result = cli("export", "ana", "--out", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["events.csv", "export.json", "pain_notes.csv",
                                        "results.csv", "sessions.csv"]
        data = json.loads(z.read("export.json"))
        sessions = list(csv.DictReader(io.StringIO(z.read("sessions.csv").decode())))
        results = list(csv.DictReader(io.StringIO(z.read("results.csv").decode())))
        pains = list(csv.DictReader(io.StringIO(z.read("pain_notes.csv").decode())))
    assert data["profile"]["name"] == "ana"
    assert sorted(s["id"] for s in data["sessions"]) == ids["ana"]
    assert sorted(int(s["id"]) for s in sessions) == ids["ana"]
    assert len(results) == 4  # two sessions, left and right
    assert sorted(p["message"] for p in pains) == ["Stopped: it hurts (ana 0)",
                                                   "Stopped: it hurts (ana 1)"]
    # Each pain note with its answers, or that it had none; times a spreadsheet reads.
    answers = {p["message"][-6:-1]: (p["answered"], p["feeling"], p["rating"],
                                     p["stopped_for_the_day"]) for p in pains}
    assert answers == {"ana 0": ("True", "Discomfort or a strong stretch", "4", "no"),
                       "ana 1": ("False", "", "", "")}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", s["started_at"])
               for s in sessions)
    assert isinstance(data["sessions"][0]["started_at"], float)
    assert all("ben" not in json.dumps(s) for s in data["sessions"])
    missing = cli("export", "zed", "--out", str(out), "--db", str(db))
    assert missing.returncode == 2 and "no profile 'zed'" in missing.stderr


def test_remove_kept_never_touches_files_outside_the_videos_folder(tmp_path):
    db = tmp_path / "s.db"
    sample = tmp_path / "sample.mp4"
    sample.write_bytes(b"x")
    assert remove_kept([sample], db) == 0 and sample.exists()


def test_the_data_page_exports_and_deletes(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    ids = seed(db)
    monkeypatch.setenv("STRETCHCHECK_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pose" / "pages" / "data.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="data_profile").value == "ana"
    delete = next(b for b in at.button if b.label == "Delete this session")
    assert delete.disabled, "deleting must be confirmed first"
    first = ids["ana"][0]
    at.selectbox(key="data_session").set_value(first).run()
    at.checkbox(key=f"sure_session_{first}").check().run()
    next(b for b in at.button if b.label == "Delete this session").click().run()
    assert not at.exception, at.exception
    with open_store(db) as store:
        assert first not in [s.id for s in store.sessions()]
        assert len(store.sessions()) == 2
    # Said after the rerun, and the tick was for that session only: the next one shown is not
    # confirmed, so its button is disabled.
    assert any(m.value.startswith(f"Session {first}: ") and m.value.endswith(" deleted.")
               for m in at.success)
    shown = at.selectbox(key="data_session").value
    assert shown != first and not at.checkbox(key=f"sure_session_{shown}").value
    assert next(b for b in at.button if b.label == "Delete this session").disabled
