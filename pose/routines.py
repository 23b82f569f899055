"""Stretch definitions and routines, read from TOML files a physiotherapist can edit.

``routines/catalogue.toml`` defines every stretch under ``[stretch.<id>]``; each other file in
``routines/`` is a routine: a name, a description and ``[[step]]`` entries naming catalogue
stretches. Loading checks everything and reports each mistake with its file, stretch, field,
what is wrong and what is allowed. See ``routines/README.md`` for the format.

Angle names in criteria may contain ``{side}`` (the side being stretched) and ``{other}``;
cues may too, and read naturally: "Pull your {side} knee closer to your chest".
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from pose.angles import ANGLE_NAMES
from pose.errors import RoutineError

ROUTINES_DIR = Path(os.environ.get("STRETCHCHECK_ROUTINES",
                                   Path(__file__).resolve().parents[1] / "routines"))
CATALOGUE_FILE = "catalogue.toml"

POSITIONS = ("supine", "prone", "all_fours", "kneeling", "seated", "standing")
VIEWS = ("side", "front")
SIDE_MODES = ("alternate", "both")
KINDS = ("hold", "cycles")
SIDES = ("left", "right")
#: The hold the seed's advice recommends (s): outside it a routine loads with a warning.
HOLD_RANGE_S = (30.0, 60.0)
#: The holds a file may ask for at all (s): short ones for trying a routine out, long ones
#: for a physiotherapist's programme.
HOLD_LIMITS_S = (5.0, 120.0)


@dataclass(frozen=True)
class AngleRange:
    """A range on one angle (either end may be open), as criteria and limits have it."""

    angle: str
    low: float | None = None
    high: float | None = None
    positive_side: str | None = None
    """For a signed axial angle (``knee_drop``): the side for which it is read as it is; for
    the other side it is mirrored, so one range serves both sides."""

    def resolve(self, side: str) -> str:
        return resolve(self.angle, side)

    def reading(self, value: float, side: str) -> float:
        """The angle's value as this range reads it for ``side``."""
        return -value if self.positive_side not in (None, side) else value


@dataclass(frozen=True)
class Criterion(AngleRange):
    """The working angle must lie in [low, high]; a cue for each way of missing it."""

    low_cue: str = ""
    high_cue: str = ""
    nearly_deg: float = 10.0
    optional: bool = False
    """An optional criterion that cannot be seen (the far leg in a side view) does not hold the
    position back; when it is seen it must be met like any other."""


@dataclass(frozen=True)
class Limit(AngleRange):
    """A safe limit: beyond it the stretch is over-range, whatever the user's history."""

    cue: str = ""


@dataclass(frozen=True)
class SideRule:
    """How to tell which side is being stretched.

    With ``{side}`` in ``angle``: the side whose angle is larger (``pick = "max"``) or smaller
    (``"min"``). With an axial, signed angle: ``positive`` names the side stretched when the
    angle is positive. Either way the working side's value must pass ``threshold``.
    """

    angle: str
    pick: str | None = None
    positive: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Cycle:
    """Slow cycles between two ends of one angle (cat-cow): both ends must be reached."""

    angle: str
    low: float
    high: float
    min_period_s: float = 3.0


@dataclass(frozen=True)
class Stretch:
    id: str
    name: str
    instructions: str
    position: str
    view: str
    sides: str
    kind: str
    hold_s: float
    criteria: tuple[Criterion, ...]
    limits: tuple[Limit, ...] = ()
    side_by: SideRule | None = None
    cycle: Cycle | None = None
    forward_bend: bool = False
    camera: str = ""

    @property
    def working_angles(self) -> tuple[str, ...]:
        """Angle templates that move in this stretch (watched for bouncing)."""
        names = [c.angle for c in self.criteria]
        if self.cycle is not None:
            names.append(self.cycle.angle)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Step:
    stretch: Stretch
    hold_s: float
    sides: tuple[str, ...]


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    description: str
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = ()
    """Allowed but unusual settings (a hold outside HOLD_RANGE_S), for the user to see."""


@dataclass
class Catalogue:
    stretches: dict[str, Stretch]
    routines: dict[str, Routine] = field(default_factory=dict)

    def routine(self, name: str) -> Routine:
        if name in self.routines:
            return self.routines[name]
        path = Path(name)
        if path.suffix == ".toml" and path.is_file():
            return load_routine(path, self.stretches)
        raise RoutineError(f"no routine {name!r}{_suggest(name, self.routines)}; "
                           f"routines: {', '.join(sorted(self.routines)) or 'none'}")

    def stretch(self, stretch_id: str) -> Stretch:
        if stretch_id not in self.stretches:
            raise RoutineError(f"no stretch {stretch_id!r}{_suggest(stretch_id, self.stretches)}")
        return self.stretches[stretch_id]


@cache
def resolve(template: str, side: str) -> str:
    """An angle or cue template for one side ("both" reads ``{side}`` as "left")."""
    side = "left" if side == "both" else side
    other = "right" if side == "left" else "left"
    return template.replace("{side}", side).replace("{other}", other)


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


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise RoutineError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise RoutineError(f"{path.name}: not valid TOML: {exc}") from None


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


def _angle_ok(template: str, where: str, problems: _Problems) -> bool:
    for side in SIDES:
        if resolve(template, side) not in ANGLE_NAMES:
            problems.add(where, f"unknown angle {template!r}{_suggest(template, ANGLE_TEMPLATES)}"
                                "; see the angle list in routines/README.md")
            return False
    return True


def _number(value: Any, where: str, problems: _Problems) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(where, f"must be a number, got {value!r}")
        return None
    return float(value)


def _choice(value: Any, allowed: tuple[str, ...], where: str, problems: _Problems) -> str:
    if value not in allowed:
        problems.add(where, f"{value!r} is not allowed{_suggest(str(value), allowed)}; "
                            f"allowed: {', '.join(allowed)}")
    return str(value)


def _range(table: dict[str, Any], where: str, problems: _Problems
           ) -> tuple[float | None, float | None]:
    low = _number(table["min"], f"{where}.min", problems) if "min" in table else None
    high = _number(table["max"], f"{where}.max", problems) if "max" in table else None
    if low is None and high is None and "min" not in table and "max" not in table:
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
                 "criteria", "limits", "side_by", "cycle", "forward_bend")
_STRETCH_REQUIRED = ("name", "instructions", "position", "view", "sides", "kind", "criteria")


def _criterion(t: dict[str, Any], where: str, problems: _Problems) -> Criterion | None:
    _check_keys(t, _CRITERION_KEYS, ("angle",), where, problems)
    if "angle" not in t or not _angle_ok(str(t["angle"]), f"{where}.angle", problems):
        return None
    low, high = _range(t, where, problems)
    if low is not None and not t.get("low_cue"):
        problems.add(where, "has a min but no low_cue (what to tell the user when below it)")
    if high is not None and not t.get("high_cue"):
        problems.add(where, "has a max but no high_cue (what to tell the user when above it)")
    nearly = _number(t.get("nearly_deg", 10.0), f"{where}.nearly_deg", problems)
    positive = _positive_side(t, where, problems)
    optional = t.get("optional", False)
    if not isinstance(optional, bool):
        problems.add(f"{where}.optional", f"must be true or false, got {optional!r}")
    return Criterion(str(t["angle"]), low, high, positive, low_cue=str(t.get("low_cue", "")),
                     high_cue=str(t.get("high_cue", "")),
                     nearly_deg=nearly if nearly is not None else 10.0, optional=optional is True)


def _positive_side(t: dict[str, Any], where: str, problems: _Problems) -> str | None:
    if "positive_side" not in t:
        return None
    if "{side}" in str(t.get("angle", "")):
        problems.add(f"{where}.positive_side", "only for angles without {side}")
    return _choice(t["positive_side"], SIDES, f"{where}.positive_side", problems)


def _limit(t: dict[str, Any], where: str, problems: _Problems) -> Limit | None:
    _check_keys(t, _LIMIT_KEYS, ("angle", "cue"), where, problems)
    if "angle" not in t or not _angle_ok(str(t["angle"]), f"{where}.angle", problems):
        return None
    low, high = _range(t, where, problems)
    return Limit(str(t["angle"]), low, high, _positive_side(t, where, problems),
                 cue=str(t.get("cue", "")))


def _stretch(sid: str, t: Any, problems: _Problems) -> Stretch | None:
    where = f"stretch {sid}"
    if not isinstance(t, dict):
        problems.add(where, "must be a table [stretch.<id>]")
        return None
    n_before = len(problems.items)
    _check_keys(t, _STRETCH_KEYS, _STRETCH_REQUIRED, where, problems)
    position = _choice(t.get("position"), POSITIONS, f"{where}: position", problems)
    view = _choice(t.get("view"), VIEWS, f"{where}: view", problems)
    sides = _choice(t.get("sides"), SIDE_MODES, f"{where}: sides", problems)
    kind = _choice(t.get("kind"), KINDS, f"{where}: kind", problems)
    hold = _number(t.get("hold_s", HOLD_RANGE_S[0]), f"{where}: hold_s", problems)
    # Outside the advised range the warning comes with each routine that uses the hold.
    problems.hold(hold, f"{where}: hold_s")
    criteria_t = t.get("criteria", [])
    if not isinstance(criteria_t, list) or not criteria_t:
        problems.add(f"{where}: criteria", "needs at least one [[stretch.<id>.criteria]] entry")
        criteria_t = []
    criteria = [_criterion(c, f"{where}: criteria[{i}]", problems)
                for i, c in enumerate(criteria_t)]
    limits = [_limit(c, f"{where}: limits[{i}]", problems)
              for i, c in enumerate(t.get("limits", []))]

    side_by = None
    if "side_by" in t:
        sb = t["side_by"]
        w = f"{where}: side_by"
        _check_keys(sb, _SIDE_KEYS, ("angle",), w, problems)
        if "angle" in sb and _angle_ok(str(sb["angle"]), f"{w}.angle", problems):
            templated = "{side}" in str(sb["angle"])
            if templated and sb.get("pick") not in ("max", "min"):
                problems.add(w, "an angle with {side} needs pick = \"max\" or \"min\"")
            if not templated and sb.get("positive") not in SIDES:
                problems.add(w, "an angle without {side} needs positive = \"left\" or \"right\"")
            threshold = (_number(sb["threshold"], f"{w}.threshold", problems)
                         if "threshold" in sb else None)
            side_by = SideRule(str(sb["angle"]), sb.get("pick"), sb.get("positive"), threshold)
    if sides == "alternate" and "side_by" not in t:
        problems.add(where, "sides = \"alternate\" needs a side_by rule to tell the sides apart")

    cycle = None
    if kind == "cycles":
        ct = t.get("cycle")
        if not isinstance(ct, dict):
            problems.add(where, "kind = \"cycles\" needs a [stretch.<id>.cycle] table")
        else:
            w = f"{where}: cycle"
            _check_keys(ct, _CYCLE_KEYS, ("angle", "min", "max"), w, problems)
            if "angle" in ct and _angle_ok(str(ct["angle"]), f"{w}.angle", problems):
                low, high = _range(ct, w, problems)
                period = _number(ct.get("min_period_s", 3.0), f"{w}.min_period_s", problems)
                if low is not None and high is not None:
                    cycle = Cycle(str(ct["angle"]), low, high, period or 3.0)
    if len(problems.items) > n_before:
        return None
    return Stretch(
        id=sid, name=str(t["name"]), instructions=" ".join(str(t["instructions"]).split()),
        position=position, view=view, sides=sides, kind=kind, hold_s=hold or HOLD_RANGE_S[0],
        criteria=tuple(c for c in criteria if c), limits=tuple(x for x in limits if x),
        side_by=side_by, cycle=cycle, forward_bend=bool(t.get("forward_bend", False)),
        camera=str(t.get("camera", "")),
    )


def load_stretches(path: Path) -> dict[str, Stretch]:
    """Every stretch in a catalogue file; raises ``RoutineError`` listing all mistakes."""
    data = _read_toml(path)
    problems = _Problems(path)
    _check_keys(data, ("stretch",), ("stretch",), "top level", problems)
    stretches = {}
    for sid, table in data.get("stretch", {}).items():
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
    steps = []
    warnings: list[str] = []
    for i, st in enumerate(data.get("step", [])):
        sid = str(st.get("stretch", ""))
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
        if not isinstance(sides, list) or not sides or any(s not in allowed for s in sides):
            problems.add(f"{where}: sides", f"{sides!r} is not allowed for {sid}; "
                                            f"use a list of {', '.join(allowed)}")
            continue
        steps.append(Step(stretch, hold or stretch.hold_s, tuple(sides)))
    if not data.get("step"):
        problems.add("top level", "a routine needs at least one [[step]]")
    problems.raise_if_any()
    return Routine(path.stem, str(data["name"]), " ".join(str(data.get("description", "")).split()),
                   tuple(steps), tuple(warnings))


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """The catalogue and every routine in ``folder`` (default: the project's ``routines/``)."""
    folder = Path(folder or ROUTINES_DIR)
    stretches = load_stretches(folder / CATALOGUE_FILE)
    routines = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name != CATALOGUE_FILE:
            routines[path.stem] = load_routine(path, stretches)
    return Catalogue(stretches, routines)


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
        try:
            value = float(raw)
        except ValueError:
            raise RoutineError(f"{stretch.id}.{key}: {raw!r} is not a number") from None
        if key == "hold_s":
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
        changed = tuple(replace(i, **{field_name: value}) if i.angle == angle else i
                        for i in items)
        out = replace(out, **{"limits" if is_limit else "criteria": changed})
    return out
