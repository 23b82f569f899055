"""Fault 8: store errors name the file and the fix; faults 10: output errors come first.

Every failure here is a real one: a damaged row written with SQL, a read-only mount and a full
tmpfs (in a user+mount namespace), a folder where the file should be, bytes overwritten in the
middle of the database file.
"""

from __future__ import annotations

import sqlite3

import pytest
from seed import ROOT, cli, in_namespace, namespace_available, seed

from pose.errors import StoreError
from pose.store import open_store

CLIP = ROOT / "sample_videos" / "glute_bridge_side.mp4"
needs_namespace = pytest.mark.skipif(not namespace_available(),
                                     reason="no user+mount namespace on this machine")


def one_line(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_damaged_json_row_names_the_file_and_the_fix(tmp_path):
    db = tmp_path / "s.db"
    sid = seed(db, {"ana": 2})["ana"][0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE results SET detail = '{\"stretch\": ' WHERE session_id = ?", (sid,))
    line = one_line(cli("report", str(sid), "--db", str(db)))
    assert str(db) in line and "damaged row in its results table" in line
    assert "stretchcheck delete session" in line
    assert cli("sessions", "--db", str(db)).returncode == 0, "one bad row broke the listing"


def test_damaged_text_reads_with_replacement_characters(tmp_path):
    db = tmp_path / "s.db"
    sid = seed(db, {"ana": 1})["ana"][0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sessions SET source_name = CAST(x'fffe41c3' AS TEXT)")
        conn.execute("UPDATE events SET message = CAST(x'c3' AS TEXT) WHERE session_id = ?",
                     (sid,))
    result = cli("report", str(sid), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert cli("sessions", "--db", str(db)).returncode == 0


def test_a_damaged_frame_names_the_session_and_the_file(tmp_path):
    db = tmp_path / "s.db"
    sid = seed(db, {"ana": 1})["ana"][0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE frames SET world = x'00' WHERE session_id = ? AND idx = 5", (sid,))
    line = one_line(cli("replay", str(sid), "--db", str(db)))
    assert f"session {sid} in {db}" in line and "damaged frame" in line


@pytest.mark.parametrize("sid", ["99999999999999999999", "-99999999999999999999", "0",
                                 "abc"])
def test_a_session_id_out_of_range_is_one_line(tmp_path, sid):
    db = tmp_path / "s.db"
    seed(db, {"ana": 1})
    line = one_line(cli("report", sid, "--db", str(db)))
    assert "session" in line
    with open_store(db) as store, pytest.raises(StoreError, match="no session"):
        store.session(10**30)


def test_a_folder_given_as_the_store(tmp_path):
    line = one_line(cli("sessions", "--db", str(tmp_path)))
    assert str(tmp_path) in line and "is a folder" in line and "stretchcheck.db" in line


@needs_namespace
def test_a_read_only_folder(tmp_path):
    db = tmp_path / "s.db"
    seed(db, {"ana": 1})
    ro = f'mount --bind "{tmp_path}" "{tmp_path}" && mount -o remount,ro,bind "{tmp_path}"'
    # A new store (analyze --save makes one, checked before the clip is analysed; the reading
    # commands refuse a --db naming no file).
    out = tmp_path.parent / f"{tmp_path.name}-out"
    new = one_line(in_namespace(ro, "analyze", str(CLIP), "--out", str(out), "--save", "--db",
                                str(tmp_path / "new.db")))
    assert str(tmp_path / "new.db") in new and "cannot be written" in new
    assert "permissions" in new and "--db" in new
    old = in_namespace(ro, "delete", "everything", "--yes", "--db", str(db))
    line = one_line(old)
    assert str(db) in line and ("cannot be written" in line or "read-only" in line), line


@needs_namespace
def test_a_full_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    fill = (f'mount -t tmpfs -o size=256k tmpfs "{disk}" && '
            f'(head -c 10000000 /dev/zero > "{disk}/filler" 2>/dev/null; true)')
    line = one_line(in_namespace(fill, "analyze", str(CLIP), "--out", str(tmp_path / "out"),
                                 "--save", "--db", str(disk / "s.db")))
    assert str(disk / "s.db") in line and "is full" in line and "free some space" in line


def test_save_into_a_damaged_store_fails_before_the_analysis(tmp_path):
    db = tmp_path / "s.db"
    seed(db, {"ana": 3})
    with open_store(db) as store:
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    for p in range(3, len(data) // page - 1, 2):  # overwrite the middle of every other page
        data[p * page + 100: p * page + 400] = b"\xa5" * 300
    db.write_bytes(bytes(data))
    result = cli("analyze", str(tmp_path / "not-even-read.mp4"), "--out", str(tmp_path / "o"),
                 "--save", "--db", str(db))
    line = one_line(result)
    assert str(db) in line and "is damaged" in line and ".recover" in line


# -- fault 10: outputs are checked before anything is decoded ---------------------------------
# The video given does not exist: an error about the output proves it came first.

def test_out_is_a_file(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("mine")
    line = one_line(cli("analyze", str(tmp_path / "missing.mp4"), "--out", str(target)))
    assert f"--out {target}" in line and "not a folder" in line
    assert target.read_text() == "mine"


def test_annotate_target_is_a_folder(tmp_path):
    (tmp_path / "o" / "annotated.mp4").mkdir(parents=True)
    line = one_line(cli("analyze", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "o"),
                        "--annotate"))
    assert str(tmp_path / "o" / "annotated.mp4") in line and "is a folder" in line


@needs_namespace
def test_out_on_a_read_only_disk(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    ro = f'mount --bind "{out}" "{out}" && mount -o remount,ro,bind "{out}"'
    line = one_line(in_namespace(ro, "analyze", str(CLIP), "--out", str(out), "--annotate"))
    assert str(out) in line and "cannot write there" in line
    line = one_line(in_namespace(ro, "analyze", str(CLIP), "--out", str(out / "sub")))
    assert str(out / "sub") in line and "cannot create the folder" in line
