"""Fault 7: malformed routine and catalogue files give one clear line each, never a traceback.

The property test edits the real files the way a clumsy editor does - a line deleted or
doubled, a value of the wrong type, NaN or 720 degrees, arrays nested thousands deep, the
file saved as UTF-16 by Notepad, cut short, stray characters - and loads the result. Anything
but a ``RoutineError`` whose every line names the file fails the test. Fixed seed and budget,
so CI runs the same 400 files every time.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from seed import ROOT

from pose.errors import RoutineError
from pose.routines import ROUTINES_DIR, check_file, load_routine, load_stretches

CATALOGUE = (ROUTINES_DIR / "catalogue.toml").read_text()
ROUTINE = (ROUTINES_DIR / "lower-back.toml").read_text()
STRETCHES = load_stretches(ROUTINES_DIR / "catalogue.toml")

ONE_STRETCH = """
[stretch.x]
name = "X"
instructions = "Stand."
position = "standing"
view = "side"
sides = "both"
kind = "hold"

[[stretch.x.criteria]]
angle = "trunk_inclination"
max = 10
high_cue = "Stand up straight"
"""

VALUES = ['"text"', "12", "-5", "720", "-720", "nan", "inf", "-inf", "true", "[]", "[1, 2]",
          '["a"]', "{}", '{ angle = "x" }', "1979-05-27", "0.0", "1e400", '""',
          "[" * 3000 + "]" * 3000, "[[[]]]"]


def mutate(text: str, kind: str, where: int, value: str) -> bytes:
    lines = text.splitlines() or [""]
    i = where % len(lines)
    if kind == "delete":
        del lines[i]
    elif kind == "double":
        lines.insert(i, lines[i])
    elif kind == "value":
        # The value of the nearest "key = value" line at or after i (or its key's table).
        for j in range(i, len(lines)):
            key, eq, _ = lines[j].partition("=")
            if eq and not lines[j].lstrip().startswith("#"):
                lines[j] = f"{key}= {value}"
                break
    elif kind == "header":
        lines.insert(i, value if value.startswith("[") else "[" + value.strip('"') + "]")
    elif kind == "truncate":
        return "\n".join(lines)[: len(text) * (where % 97) // 97].encode()
    elif kind == "junk":
        lines[i] = lines[i][: where % (len(lines[i]) + 1)] + value + lines[i][where % 7:]
    out = "\n".join(lines) + "\n"
    if kind == "utf16":
        return out.encode("utf-16")  # what Windows Notepad writes with "Unicode"
    if kind == "latin1":
        return out.replace("e", "\u00e9").encode("latin-1", "replace")
    return out.encode()


def _assert_clear(exc: RoutineError, path: Path) -> None:
    lines = str(exc).splitlines()
    assert lines, "an empty error"
    for line in lines:
        assert line.startswith((path.name, str(path))), f"a line without the file: {line!r}"
        assert len(line) < 400, f"not one clear line: {line[:500]!r}"
        assert "Traceback" not in line and "object has no attribute" not in line


@seed(1313)
@settings(max_examples=400, deadline=None, derandomize=False, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(which=st.sampled_from(["catalogue", "routine"]),
       kinds=st.lists(st.sampled_from(["delete", "double", "value", "header", "truncate",
                                       "junk", "utf16", "latin1"]), min_size=1, max_size=3),
       where=st.integers(0, 10_000), value=st.sampled_from(VALUES))
def test_malformed_routine_files_never_crash(tmp_path_factory, which, kinds, where, value):
    path = tmp_path_factory.mktemp("r") / ("catalogue.toml" if which == "catalogue"
                                           else "my-routine.toml")
    text = CATALOGUE if which == "catalogue" else ROUTINE
    data = text.encode()
    for n, kind in enumerate(kinds):
        data = mutate(data.decode("utf-8", "replace"), kind, where + 31 * n, value)
    path.write_bytes(data)
    try:
        if which == "catalogue":
            load_stretches(path)
        else:
            load_routine(path, STRETCHES)
    except RoutineError as exc:
        _assert_clear(exc, path)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("max = 125", "max = 720", 1), "720 is outside"),
    (lambda t: t.replace("max = 125", "max = nan", 1), "must be a finite number"),
    (lambda t: t.replace("min = 55", "min = inf", 1), "must be a finite number"),
    (lambda t: t.replace("hold_s = 30", "hold_s = nan", 1), "must be a finite number"),
    (lambda t: t.replace('angle = "neck_flexion"\n', 'angle = "neck_flexion"\n'
                         'nearly_deg = -5\n', 1), "unknown field"),
    (lambda t: t.replace('high_cue = "Lift your chest: back level like a table top"',
                         'high_cue = "Lift your chest: back level like a table top"\n'
                         'nearly_deg = -5', 1), "nearly_deg: -5 is outside"),
    (lambda t: t.replace('min_period_s = 3.0', 'min_period_s = "slow"', 1),
     "must be a number"),
    (lambda t: t.replace('[stretch.cat_cow.cycle]', '[[stretch.cat_cow.cycle]]', 1),
     "must be a table"),
    (lambda t: ONE_STRETCH.replace("[[stretch.x.criteria]]", "[stretch.x.criteria]"),
     "must be a list of [[stretch.<id>.criteria]] entries"),
    (lambda t: ONE_STRETCH.replace('max = 10', 'max = 10\nnearly_deg = nan'),
     "must be a finite number"),
    (lambda t: ONE_STRETCH.replace('max = 10', 'max = 10\nnearly_deg = -5'),
     "nearly_deg: -5 is outside"),
    (lambda t: t.replace('name = "Cat-cow"', 'name = ["Cat", "cow"]', 1), "must be text"),
    (lambda t: "stretch = 5\n", "must be a table"),
    (lambda t: t + "\nx = " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
])
def test_impossible_catalogue_values_are_named(tmp_path, edit, message):
    path = tmp_path / "catalogue.toml"
    path.write_text(edit(CATALOGUE))
    with pytest.raises(RoutineError) as info:
        load_stretches(path)
    _assert_clear(info.value, path)
    assert message in str(info.value)


@pytest.mark.parametrize("make, message", [
    (lambda: 'name = "Mine"\n[step]\nstretch = "cat_cow"\n', "must be a list of [[step]]"),
    (lambda: ROUTINE.replace("[[step]]\n", "", 1), "step"),
    (lambda: ROUTINE.replace('stretch = "cat_cow"', 'stretch = 3', 1), "no stretch"),
    (lambda: ROUTINE + '\n[[step]]\nstretch = "knee_to_chest"\nsides = "left"\n',
     "is not allowed"),
    (lambda: ROUTINE + '\n[[step]]\nstretch = "knee_to_chest"\nhold_s = nan\n',
     "must be a finite number"),
])
def test_wrong_types_in_a_routine_are_named(tmp_path, make, message):
    path = tmp_path / "mine.toml"
    path.write_text(make())
    with pytest.raises(RoutineError) as info:
        load_routine(path, STRETCHES)
    _assert_clear(info.value, path)
    assert message in str(info.value)


def test_a_utf16_file_says_so_on_one_line(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_bytes(ROUTINE.encode("utf-16"))
    result = subprocess.run([sys.executable, "-m", "pose", "routines", "check", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "UTF-16" in lines[0] and "UTF-8" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_cli_checks_a_deeply_nested_file_in_one_line(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    result = subprocess.run([sys.executable, "-m", "pose", "routines", "check", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, \
        result.stderr[-2000:]


def test_the_shipped_files_still_load():
    assert len(STRETCHES) == 16
    for name in ("desk-break", "floor-flow", "lower-back"):
        assert "all valid" in check_file(ROUTINES_DIR / f"{name}.toml")
    assert all(math.isfinite(c.nearly_deg) for s in STRETCHES.values() for c in s.criteria)
