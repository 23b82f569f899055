"""Stretch definitions and routines, read from TOML files a physiotherapist can edit.

``routines/catalogue.toml`` defines every stretch under ``[stretch.<id>]``; each other file in
``routines/`` is a routine: a name, a description and ``[[step]]`` entries naming catalogue
stretches. Loading checks everything and reports each mistake with its file, stretch, field,
what is wrong and what is allowed. See ``routines/README.md`` for the format.

Angle names in criteria may contain ``{side}`` (the side being stretched) and ``{other}``;
cues may too, and read naturally: "Pull your {side} knee closer to your chest".
"""

from __future__ import annotations

import codecs
import math
import os
import reprlib
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from pose.angles import ANGLE_NAMES
from pose.errors import RoutineError
from pose.stretches import (  # noqa: F401 - the stretch model, re-exported for the loader's users
    HOLD_LIMITS_S,
    HOLD_RANGE_S,
    HOLDING_WORDS,
    KINDS,
    POSITIONS,
    RESTING_WORDS,
    SIDE_MODES,
    SIDES,
    VIEWS,
    WHEN_COVERED,
    AngleRange,
    Catalogue,
    Criterion,
    Cycle,
    Limit,
    Routine,
    SideRule,
    Step,
    Stretch,
    resolve,
    suggest,
)


def _routines_dir() -> Path:
    """``$STRETCHCHECK_ROUTINES``, else the copy an installed wheel carries, else the
    repository's ``routines/`` (an editable install: the files a physiotherapist edits)."""
    if os.environ.get("STRETCHCHECK_ROUTINES"):
        return Path(os.environ["STRETCHCHECK_ROUTINES"])
    packaged = Path(__file__).resolve().parent / "catalogue_files"
    if (packaged / "catalogue.toml").is_file():
        return packaged
    return Path(__file__).resolve().parents[1] / "routines"


ROUTINES_DIR = _routines_dir()
CATALOGUE_FILE = "catalogue.toml"

#: What an angle can read (degrees): signed angles live in (-180, 180], those that can pass
#: 180 (a shoulder overhead) in (-90, 270] (see pose/angles.py). A limit outside can never fire.
ANGLE_RANGE_DEG = (-180.0, 270.0)
#: ``knee_to_chest_*`` is a distance in torso lengths, not an angle.
DISTANCE_RANGE = (0.0, 3.0)
#: How far outside a range still counts as "nearly" there (degrees).
NEARLY_RANGE_DEG = (0.0, 45.0)
#: The shortest time one cat-cow cycle may take (seconds).
PERIOD_RANGE_S = (0.5, 60.0)
#: How deep TOML arrays and tables may nest before the file is refused (tomllib recurses).
_MAX_DEPTH_MSG = "arrays or tables nested too deeply to be a routine"


# --------------------------------------------------------------------------- validation


class _Problems:
    """Collects mistakes so a file's every problem is reported at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.path.name}: {where}: {message}")

    def hold(self, hold: float | None, where: str, warnings: list[str] | None = None) -> None:
        """A hold must be within HOLD_LIMITS_S; outside HOLD_RANGE_S it only earns a warning."""
        if hold is None:
            return
        if not HOLD_LIMITS_S[0] <= hold <= HOLD_LIMITS_S[1]:
            self.add(where, f"{hold:g} s is outside the allowed "
                            f"{HOLD_LIMITS_S[0]:g}-{HOLD_LIMITS_S[1]:g} s")
        elif not HOLD_RANGE_S[0] <= hold <= HOLD_RANGE_S[1] and warnings is not None:
            warnings.append(f"{self.path.name}: {where}: {hold:g} s is outside the advised "
                            f"{HOLD_RANGE_S[0]:g}-{HOLD_RANGE_S[1]:g} s")

    def raise_if_any(self) -> None:
        if self.items:
            raise RoutineError("\n".join(self.items))


_suggest = suggest


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist = 2, 40, 40, 4


def _short(value: Any) -> str:
    """A value as it can be quoted in one line of an error (nested lists cut short)."""
    return _REPR.repr(value)


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _decode(path: Path, raw: bytes) -> str:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise RoutineError(f"{path.name}: the file is saved as {name} (as Windows Notepad's "
                               "\"Unicode\" does): save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        hint = (" - it looks like UTF-16" if raw[1:2] == b"\0" or raw[:1] == b"\0"
                else "")
        raise RoutineError(f"{path.name}: line {line} is not UTF-8 text{hint}: save the file "
                           "as UTF-8") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise RoutineError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RoutineError(f"{path}: is a folder, not a routine file") from None
    except OSError as exc:
        raise RoutineError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    text = _decode(path, raw)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoutineError(f"{path.name}: not valid TOML: {exc}") from None
    except RecursionError:
        raise RoutineError(f"{path.name}: not valid here: {_MAX_DEPTH_MSG}") from None


def _table(value: Any, where: str, problems: _Problems, what: str) -> dict[str, Any] | None:
    """``value`` if it is a TOML table, else a problem saying it must be ``what``."""
    if isinstance(value, dict):
        return value
    problems.add(where, f"must be a table {what}, got {_short(value)}")
    return None


def _list(t: dict[str, Any], key: str, where: str, problems: _Problems, what: str) -> list[Any]:
    """``t[key]`` (default empty) if it is a list, else empty, with the problem noted."""
    value = t.get(key, [])
    if isinstance(value, list):
        return value
    problems.add(f"{where}: {key}", f"must be a list of {what}, got {_short(value)}")
    return []


def _tables(value: Any, where: str, problems: _Problems, what: str) -> list[dict[str, Any]]:
    """``value`` if it is an array of tables (``[[...]]``), else a problem and []."""
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    problems.add(where, f"must be a list of {what} entries, got {_short(value)}")
    return []


def _text(value: Any, where: str, problems: _Problems) -> str:
    if not isinstance(value, str):
        problems.add(where, f"must be text in quotes, got {_short(value)}")
        return ""
    return value


def _within(value: float | None, bounds: tuple[float, float], unit: str, where: str,
            problems: _Problems) -> float | None:
    if value is not None and not bounds[0] <= value <= bounds[1]:
        problems.add(where, f"{value:g} is outside {bounds[0]:g} to {bounds[1]:g} {unit}")
        return None
    return value


def value_range(angle: str) -> tuple[tuple[float, float], str]:
    """The values ``angle`` (a name or template) can take, and their unit."""
    if angle.startswith("knee_to_chest"):
        return DISTANCE_RANGE, "torso lengths"
    return ANGLE_RANGE_DEG, "degrees"


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], required: tuple[str, ...],
                where: str, problems: _Problems) -> None:
    for key in table:
        if key not in allowed:
            problems.add(where, f"unknown field {key!r}{_suggest(key, allowed)}; "
                                f"allowed: {', '.join(allowed)}")
    for key in required:
        if key not in table:
            problems.add(where, f"missing field {key!r}")


ANGLE_TEMPLATES = tuple(dict.fromkeys(
    name.removesuffix("_left").removesuffix("_right") + "_{side}"
    if name.endswith(("_left", "_right")) else name for name in ANGLE_NAMES))


def _angle_ok(template: Any, where: str, problems: _Problems) -> bool:
    if not isinstance(template, str):
        problems.add(where, f"must be an angle name in quotes, got {_short(template)}")
        return False
    for side in SIDES:
        if resolve(template, side) not in ANGLE_NAMES:
            problems.add(where, f"unknown angle {template!r}{_suggest(template, ANGLE_TEMPLATES)}"
                                "; see the angle list in routines/README.md")
            return False
    return True


def _number(value: Any, where: str, problems: _Problems) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(where, f"must be a number, got {_short(value)}")
        return None
    if not math.isfinite(value):
        problems.add(where, f"must be a finite number, got {value!r}")
        return None
    return float(value)


def _choice(value: Any, allowed: tuple[str, ...], where: str, problems: _Problems) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = _short(value)
        problems.add(where, f"{shown} is not allowed{_suggest(shown.strip(chr(39)), allowed)}; "
                            f"allowed: {', '.join(allowed)}")
        return ""
    return value


def _range(table: dict[str, Any], where: str, problems: _Problems, angle: str = ""
           ) -> tuple[float | None, float | None]:
    bounds, unit = value_range(angle)
    low = high = None
    if "min" in table:
        low = _within(_number(table["min"], f"{where}.min", problems), bounds, unit,
                      f"{where}.min", problems)
    if "max" in table:
        high = _within(_number(table["max"], f"{where}.max", problems), bounds, unit,
                       f"{where}.max", problems)
    if "min" not in table and "max" not in table:
        problems.add(where, "needs min, max or both")
    if low is not None and high is not None and low > high:
        problems.add(where, f"min {low:g} is above max {high:g}")
    return low, high


_CRITERION_KEYS = ("angle", "min", "max", "low_cue", "high_cue", "nearly_deg", "positive_side",
                   "optional")
_LIMIT_KEYS = ("angle", "min", "max", "cue", "positive_side")
_SIDE_KEYS = ("angle", "pick", "positive", "threshold")
_CYCLE_KEYS = ("angle", "min", "max", "min_period_s")
_STRETCH_KEYS = ("name", "instructions", "position", "view", "camera", "sides", "kind", "hold_s",
                 "criteria", "limits", "side_by", "cycle", "forward_bend", "rests_on",
                 "holds")
_STRETCH_REQUIRED = ("name", "instructions", "position", "view", "sides", "kind", "criteria")


def _criterion(t: dict[str, Any], where: str, problems: _Problems) -> Criterion | None:
    _check_keys(t, _CRITERION_KEYS, ("angle",), where, problems)
    if "angle" not in t or not _angle_ok(t["angle"], f"{where}.angle", problems):
        return None
    low, high = _range(t, where, problems, t["angle"])
    low_cue = _text(t.get("low_cue", ""), f"{where}.low_cue", problems)
    high_cue = _text(t.get("high_cue", ""), f"{where}.high_cue", problems)
    if low is not None and not low_cue:
        problems.add(where, "has a min but no low_cue (what to tell the user when below it)")
    if high is not None and not high_cue:
        problems.add(where, "has a max but no high_cue (what to tell the user when above it)")
    nearly = _within(_number(t.get("nearly_deg", 10.0), f"{where}.nearly_deg", problems),
                     NEARLY_RANGE_DEG, "degrees", f"{where}.nearly_deg", problems)
    positive = _positive_side(t, where, problems)
    optional = t.get("optional", False)
    if not isinstance(optional, bool) and optional != WHEN_COVERED:
        problems.add(f"{where}.optional", f"must be true, false or {WHEN_COVERED!r}, got "
                     f"{_short(optional)}")
    return Criterion(t["angle"], low, high, positive, low_cue=low_cue, high_cue=high_cue,
                     nearly_deg=nearly if nearly is not None else 10.0, optional=optional is True,
                     when_covered=optional == WHEN_COVERED)


def _positive_side(t: dict[str, Any], where: str, problems: _Problems) -> str | None:
    if "positive_side" not in t:
        return None
    if "{side}" in str(t.get("angle", "")):
        problems.add(f"{where}.positive_side", "only for angles without {side}")
    return _choice(t["positive_side"], SIDES, f"{where}.positive_side", problems)


def _limit(t: dict[str, Any], where: str, problems: _Problems) -> Limit | None:
    _check_keys(t, _LIMIT_KEYS, ("angle", "cue"), where, problems)
    if "angle" not in t or not _angle_ok(t["angle"], f"{where}.angle", problems):
        return None
    low, high = _range(t, where, problems, t["angle"])
    return Limit(t["angle"], low, high, _positive_side(t, where, problems),
                 cue=_text(t.get("cue", ""), f"{where}.cue", problems))


def _stretch(sid: str, t: Any, problems: _Problems) -> Stretch | None:
    where = f"stretch {sid}"
    if not isinstance(t, dict):
        problems.add(where, "must be a table [stretch.<id>]")
        return None
    n_before = len(problems.items)
    _check_keys(t, _STRETCH_KEYS, _STRETCH_REQUIRED, where, problems)
    for key in ("name", "instructions", "camera"):
        if key in t:
            _text(t[key], f"{where}: {key}", problems)
    if not isinstance(t.get("forward_bend", False), bool):
        problems.add(f"{where}: forward_bend",
                     f"must be true or false, got {_short(t['forward_bend'])}")
    position = _choice(t.get("position"), POSITIONS, f"{where}: position", problems)
    view = _choice(t.get("view"), VIEWS, f"{where}: view", problems)
    sides = _choice(t.get("sides"), SIDE_MODES, f"{where}: sides", problems)
    kind = _choice(t.get("kind"), KINDS, f"{where}: kind", problems)
    hold = _number(t.get("hold_s", HOLD_RANGE_S[0]), f"{where}: hold_s", problems)
    # Outside the advised range the warning comes with each routine that uses the hold.
    problems.hold(hold, f"{where}: hold_s")
    criteria_t = _tables(t.get("criteria", []), f"{where}: criteria", problems,
                         "[[stretch.<id>.criteria]]")
    if "criteria" in t and not criteria_t and isinstance(t["criteria"], list):
        problems.add(f"{where}: criteria", "needs at least one [[stretch.<id>.criteria]] entry")
    criteria = [_criterion(c, f"{where}: criteria[{i}]", problems)
                for i, c in enumerate(criteria_t)]
    limits = [_limit(c, f"{where}: limits[{i}]", problems)
              for i, c in enumerate(_tables(t.get("limits", []), f"{where}: limits", problems,
                                            "[[stretch.<id>.limits]]"))]

    side_by = None
    sb = (_table(t["side_by"], f"{where}: side_by", problems, "{ angle = ..., pick = ... }")
          if "side_by" in t else None)
    if sb is not None:
        w = f"{where}: side_by"
        _check_keys(sb, _SIDE_KEYS, ("angle",), w, problems)
        if "angle" in sb and _angle_ok(sb["angle"], f"{w}.angle", problems):
            templated = "{side}" in sb["angle"]
            pick, positive = sb.get("pick"), sb.get("positive")
            if templated and pick not in ("max", "min"):
                problems.add(w, "an angle with {side} needs pick = \"max\" or \"min\"")
            if not templated and positive not in SIDES:
                problems.add(w, "an angle without {side} needs positive = \"left\" or \"right\"")
            bounds, unit = value_range(sb["angle"])
            threshold = (_within(_number(sb["threshold"], f"{w}.threshold", problems), bounds,
                                 unit, f"{w}.threshold", problems)
                         if "threshold" in sb else None)
            side_by = SideRule(sb["angle"], pick if isinstance(pick, str) else None,
                               positive if isinstance(positive, str) else None, threshold)
    if sides == "alternate" and "side_by" not in t:
        problems.add(where, "sides = \"alternate\" needs a side_by rule to tell the sides apart")

    cycle = None
    if kind == "cycles":
        ct = _table(t.get("cycle"), f"{where}: cycle", problems,
                    "[stretch.<id>.cycle] (kind = \"cycles\" needs one)")
        if ct is not None:
            w = f"{where}: cycle"
            _check_keys(ct, _CYCLE_KEYS, ("angle", "min", "max"), w, problems)
            if "angle" in ct and _angle_ok(ct["angle"], f"{w}.angle", problems):
                low, high = _range(ct, w, problems, ct["angle"])
                period = _within(_number(ct.get("min_period_s", 3.0), f"{w}.min_period_s",
                                         problems), PERIOD_RANGE_S, "seconds",
                                 f"{w}.min_period_s", problems)
                if low is not None and high is not None:
                    cycle = Cycle(ct["angle"], low, high, period or 3.0)
    rests_on = _list(t, "rests_on", where, problems, "parts")
    for i, part in enumerate(rests_on):
        _choice(part, RESTING_WORDS, f"{where}: rests_on[{i}]", problems)
    pairs = []
    for i, words in enumerate(_list(t, "holds", where, problems, '"<part> on <part>"')):
        pair = words.split(" on ") if isinstance(words, str) else []
        if len(pair) != 2:
            problems.add(f"{where}: holds[{i}]", f"must read \"<part> on <part>\" (\"hands on "
                                                 f"knee_{{side}}\"), got {_short(words)}")
            continue
        for part in pair:
            _choice(part.strip(), HOLDING_WORDS, f"{where}: holds[{i}]", problems)
        pairs.append((pair[0].strip(), pair[1].strip()))
    if len(problems.items) > n_before:
        return None
    return Stretch(
        id=sid, name=str(t["name"]), instructions=" ".join(str(t["instructions"]).split()),
        position=position, view=view, sides=sides, kind=kind, hold_s=hold or HOLD_RANGE_S[0],
        criteria=tuple(c for c in criteria if c), limits=tuple(x for x in limits if x),
        side_by=side_by, cycle=cycle, forward_bend=bool(t.get("forward_bend", False)),
        camera=str(t.get("camera", "")), rests_on=tuple(rests_on), holds=tuple(pairs),
    )


def load_stretches(path: Path) -> dict[str, Stretch]:
    """Every stretch in a catalogue file; raises ``RoutineError`` listing all mistakes."""
    data = _read_toml(path)
    problems = _Problems(path)
    _check_keys(data, ("stretch",), ("stretch",), "top level", problems)
    stretches = {}
    tables = _table(data.get("stretch", {}), "stretch", problems, "of [stretch.<id>] tables")
    for sid, table in (tables or {}).items():
        s = _stretch(sid, table, problems)
        if s is not None:
            stretches[sid] = s
    problems.raise_if_any()
    return stretches


def load_routine(path: Path, stretches: dict[str, Stretch]) -> Routine:
    """A routine file, checked against the catalogue's stretches."""
    data = _read_toml(path)
    problems = _Problems(path)
    _check_keys(data, ("name", "description", "step"), ("name", "step"), "top level", problems)
    name = _text(data.get("name", ""), "name", problems)
    description = _text(data.get("description", ""), "description", problems)
    steps = []
    warnings: list[str] = []
    step_tables = (_tables(data["step"], "step", problems, "[[step]]") if "step" in data
                   else [])
    for i, st in enumerate(step_tables):
        sid = st.get("stretch", "")
        sid = sid if isinstance(sid, str) else _short(sid)
        # Name the stretch too: nobody should have to count [[step]] tables.
        where = f"step[{i}] ({sid})" if sid in stretches else f"step[{i}]"
        _check_keys(st, ("stretch", "hold_s", "sides"), ("stretch",), where, problems)
        if sid not in stretches:
            problems.add(f"{where}: stretch", f"no stretch {sid!r} in the catalogue"
                                              f"{_suggest(sid, stretches)}")
            continue
        stretch = stretches[sid]
        hold = _number(st.get("hold_s", stretch.hold_s), f"{where}: hold_s", problems)
        problems.hold(hold, f"{where}: hold_s", warnings)
        default_sides = ["both"] if stretch.sides == "both" else list(SIDES)
        sides = st.get("sides", default_sides)
        allowed = ("both",) if stretch.sides == "both" else SIDES
        if (not isinstance(sides, list) or not sides
                or any(not isinstance(s, str) or s not in allowed for s in sides)):
            problems.add(f"{where}: sides", f"{_short(sides)} is not allowed for {sid}; "
                                            f"use a list of {', '.join(allowed)}")
            continue
        steps.append(Step(stretch, hold or stretch.hold_s, tuple(sides)))
    if not data.get("step"):
        problems.add("top level", "a routine needs at least one [[step]]")
    problems.raise_if_any()
    return Routine(path.stem, name, " ".join(description.split()), tuple(steps),
                   tuple(warnings))


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """The catalogue and every routine in ``folder`` (default: the project's ``routines/``)."""
    folder = Path(folder or ROUTINES_DIR)
    stretches = load_stretches(folder / CATALOGUE_FILE)
    routines = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name != CATALOGUE_FILE:
            routines[path.stem] = load_routine(path, stretches)
    return Catalogue(stretches, routines)


def is_catalogue(path: Path) -> bool:
    """Whether the file defines stretches (a catalogue) rather than a routine; read as every
    routine file is read (UTF-8 with or without a byte-order mark). Raises ``RoutineError``."""
    return "stretch" in _read_toml(Path(path))


def check_file(path: Path, folder: Path | None = None) -> str:
    """Validate one catalogue or routine file; returns a short summary or raises."""
    path = Path(path)
    data = _read_toml(path)
    if "stretch" in data:
        stretches = load_stretches(path)
        return f"{path.name}: {len(stretches)} stretches, all valid"
    stretches = load_stretches(Path(folder or ROUTINES_DIR) / CATALOGUE_FILE)
    routine = load_routine(path, stretches)
    notes = "".join(f"\nwarning: {w}" for w in routine.warnings)
    return f"{path.name}: routine {routine.name!r}, {len(routine.steps)} steps, all valid{notes}"


def with_overrides(stretch: Stretch, settings: dict[str, str]) -> Stretch:
    """A copy of ``stretch`` with fields changed, as replay's ``--set`` asks.

    Keys are ``hold_s`` or ``<angle>.min`` / ``<angle>.max`` for a criterion on that angle
    template (``hip_flexion_{side}.min=90``) and ``limit.<angle>.max`` for a safe limit.
    """
    out = stretch
    for key, raw in settings.items():
        where = f"{stretch.id}.{key}"
        try:
            value = float(raw)
        except ValueError:
            raise RoutineError(f"{where}: {raw!r} is not a number") from None
        if not math.isfinite(value):
            raise RoutineError(f"{where}: must be a finite number")
        if key == "hold_s":
            if not HOLD_RANGE_S[0] <= value <= HOLD_RANGE_S[1]:
                raise RoutineError(f"{where}: {value:g} s is outside the allowed "
                                   f"{HOLD_RANGE_S[0]:g}-{HOLD_RANGE_S[1]:g} s")
            out = replace(out, hold_s=value)
            continue
        target, _, bound = key.rpartition(".")
        field_name = {"min": "low", "max": "high"}.get(bound)
        is_limit = target.startswith("limit.")
        angle = target.removeprefix("limit.")
        items = out.limits if is_limit else out.criteria
        if field_name is None or not any(i.angle == angle for i in items):
            known = [f"{'limit.' if is_limit else ''}{i.angle}.min/max" for i in items]
            raise RoutineError(f"{stretch.id}: cannot set {key!r}; settable: hold_s, "
                               + ", ".join(known))
        (low_bound, high_bound), unit = value_range(angle)
        if not low_bound <= value <= high_bound:
            raise RoutineError(f"{where}: {value:g} is outside {low_bound:g} to {high_bound:g} "
                               f"{unit}")
        new_value: dict[str, Any] = {field_name: value}
        changed = tuple(replace(i, **new_value) if i.angle == angle else i for i in items)
        for i in changed:
            if i.low is not None and i.high is not None and i.low > i.high:
                raise RoutineError(f"{where}: min {i.low:g} would be above max {i.high:g}")
        new_items: dict[str, Any] = {"limits" if is_limit else "criteria": changed}
        out = replace(out, **new_items)
    return out
