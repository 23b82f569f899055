"""Fault 5: `replay --set` values are validated like the TOML, and a replay with changed
settings is stored beside the session's own results, never over them."""

from __future__ import annotations

import pytest
from seed import cli, seed

from pose.store import open_store


@pytest.fixture()
def stored(tmp_path):
    db = tmp_path / "s.db"
    sid = seed(db, {"ana": 1})["ana"][0]
    with open_store(db) as store:
        original = store.results(sid)
    return db, sid, original


@pytest.mark.parametrize("setting, message", [
    ("glute_bridge.hold_s=-5", "-5 s is outside the allowed 30-60 s"),
    ("glute_bridge.hold_s=nan", "must be a finite number"),
    ("glute_bridge.hold_s=inf", "must be a finite number"),
    ("glute_bridge.hold_s=thirty", "is not a number"),
    ("glute_bridge.hip_flexion_{side}.min=720", "720 is outside -180 to 270 degrees"),
    ("glute_bridge.hip_flexion_{side}.max=-170", "would be above max"),
    ("glute_bridge.limit.hip_flexion_{side}.max=nan", "must be a finite number"),
])
def test_bad_settings_are_refused_and_nothing_is_saved(stored, setting, message):
    db, sid, original = stored
    result = cli("replay", str(sid), "--save", "--set", setting, "--db", str(db))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    with open_store(db) as store:
        assert store.results(sid) == original and store.replays(sid) == []


def test_a_replay_with_changed_settings_is_kept_beside_the_original(stored):
    db, sid, original = stored
    result = cli("replay", str(sid), "--save", "--stretch", "glute_bridge", "--set",
                 "glute_bridge.hold_s=45", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"saved as replay 1 of session {sid}" in result.stdout
    with open_store(db) as store:
        assert store.results(sid) == original, "the session's own results were overwritten"
        (kept,) = store.replays(sid)
    assert kept["settings"]["set"] == ["glute_bridge.hold_s=45"]
    assert [(r["stretch"], r["target_hold_s"]) for r in kept["stretches"]] == \
        [("glute_bridge", 45.0)]
    report = cli("report", str(sid), "--db", str(db))
    assert "1 replay(s) with changed settings" in report.stdout
    shown = cli("report", str(sid), "--replay", "1", "--db", str(db))
    assert shown.returncode == 0 and "Glute bridge" in shown.stdout and "45" in shown.stdout
    missing = cli("report", str(sid), "--replay", "7", "--db", str(db))
    assert missing.returncode == 2 and "has no replay 7" in missing.stderr
