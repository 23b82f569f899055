"""The catalogue in plain words: angle names, positions, hold times and routine lengths.

What the pages say to a person, worked out from the catalogue's data: no ``{side}``
placeholders, ids or raw numbers like "30.0000". Pure functions, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable

from pose.angles import UNITS
from pose.stretches import Criterion, Limit, Routine, Stretch

#: Each angle (without its side) for a person, with the standard term after it where it helps.
ANGLE_WORDS: dict[str, str] = {
    "hip_flexion": "hip bend (hip flexion)",
    "hip_abduction": "leg out to the side (hip abduction)",
    "knee_flexion": "knee bend (knee flexion)",
    "shoulder_flexion": "arm raised forwards (shoulder flexion)",
    "shoulder_abduction": "arm raised sideways (shoulder abduction)",
    "shoulder_horizontal_adduction": "arm across the chest (horizontal adduction)",
    "elbow_flexion": "elbow bend (elbow flexion)",
    "trunk_thigh": "angle between trunk and thigh",
    "knee_to_chest": "knee to chest distance",
    "thigh_inclination": "thigh tilt from vertical",
    "shank_inclination": "shin tilt from vertical",
    "trunk_inclination": "trunk tilt from upright",
    "chest_up": "chest facing up",
    "trunk_lateral_tilt": "side bend of the trunk",
    "shoulder_tilt": "shoulders level",
    "neck_lateral_tilt": "head tilt to the side",
    "neck_flexion": "head bent forwards (neck flexion)",
    "knee_drop": "knees dropped to the side",
}

POSITION_WORDS = {"supine": "lying on your back", "prone": "lying on your front",
                  "all_fours": "on hands and knees", "kneeling": "kneeling",
                  "seated": "sitting", "standing": "standing"}

#: Positions in the order a floor routine moves through them (the Lower back routine's: on
#: hands and knees, kneeling, lying, then up to sitting and standing): the order the catalogue
#: page lists stretches in.
ROUTINE_ORDER = ("all_fours", "kneeling", "supine", "prone", "seated", "standing")


def stretches_by_position(stretches: Iterable[Stretch]) -> list[Stretch]:
    """``stretches`` by position (``ROUTINE_ORDER``), in their own order within a position."""
    return sorted(stretches, key=lambda s: ROUTINE_ORDER.index(s.position))


SETUP_S = 15.0
"""Seconds a routine allows per side to get into position and rest before the next: the live
coach's 5 s rest plus about 10 s to move (an estimate for the routine's length)."""


def _split(name: str) -> tuple[str, str | None]:
    for side in ("left", "right", "{side}", "{other}"):
        if name.endswith("_" + side):
            return name.removesuffix("_" + side), side
    return name, None


def angle_label(name: str, short: bool = False) -> str:
    """``"hip_flexion_left"`` -> ``"Left hip bend (hip flexion)"``; ``short`` drops the term.

    Templates read naturally: ``{side}`` is "your", ``{other}`` "your other".
    """
    base, side = _split(name)
    words = ANGLE_WORDS.get(base, base.replace("_", " "))
    if short:
        words = words.split(" (")[0]
    prefix = {"left": "left ", "right": "right ", "{side}": "", "{other}": "other ",
              None: ""}[side]
    text = prefix + words
    return text[0].upper() + text[1:]


def unit(name: str) -> str:
    """The unit of a named angle for axis titles: "degrees" or "torso lengths"."""
    base, side = _split(name)
    key = base + ("_left" if side else "")
    return "torso lengths" if UNITS.get(key) == "torso" else "degrees"


def cue_text(cue: str) -> str:
    """A catalogue cue for any side: ``"Pull your {side} knee in"`` -> ``"Pull your knee in"``."""
    return " ".join(cue.replace("{side}", "").replace("{other}", "other").split())


def number(x: float) -> str:
    """A catalogue number as a person writes it: 30 not 30.0000, 0.5 not 0.50000."""
    return f"{x:g}"


def hold_text(stretch: Stretch, hold_s: float | None = None) -> str:
    """"Hold 30 s on each side", "Hold 30 s", or "Slow cycles for 30 s"."""
    hold = number(hold_s if hold_s is not None else stretch.hold_s)
    if stretch.kind == "cycles":
        return f"Slow cycles for {hold} s"
    return f"Hold {hold} s" + (" on each side" if stretch.sides == "alternate" else "")


def routine_seconds(routine: Routine) -> float:
    """About how long a routine takes: every side's hold plus ``SETUP_S`` to move."""
    return sum((step.hold_s + SETUP_S) * len(step.sides) for step in routine.steps)


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless one: "1 session", "3 sessions"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def duration_text(seconds: float) -> str:
    """"about 9 minutes" (rounded to the minute, at least one)."""
    minutes = max(1, round(seconds / 60.0))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def range_rows(stretch: Stretch) -> list[dict[str, str]]:
    """The raw ranges behind a stretch, labelled for whoever tunes them."""
    def row(r: Criterion | Limit, kind: str, cue: str) -> dict[str, str]:
        return {"what": kind, "angle": angle_label(r.angle), "unit": unit(r.angle),
                "from": "" if r.low is None else number(r.low),
                "to": "" if r.high is None else number(r.high),
                "cue": cue_text(cue), "in the TOML": r.angle}

    rows = [row(c, "target" + (" (if seen)" if c.optional else ""),
                " / ".join(x for x in (c.low_cue, c.high_cue) if x)) for c in stretch.criteria]
    rows += [row(x, "safe limit", x.cue) for x in stretch.limits]
    return rows
