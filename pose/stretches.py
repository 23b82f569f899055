"""The stretch model: stretches, their criteria and limits, routines and the catalogue.

Plain frozen dataclasses with no file I/O, so the checks import them without the TOML loader
(``pose.routines`` reads and validates the files that define them). Angle names in criteria may
contain ``{side}`` (the side being stretched) and ``{other}``; cues may too, and read naturally:
"Pull your {side} knee closer to your chest".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pose.errors import RoutineError

if TYPE_CHECKING:
    import numpy as np

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

#: What may rest on the floor (``Stretch.rests_on``): a part of both sides ("knees"), of one
#: side ("knee_{side}", "foot_{other}") or the head. Only the stretch's picture uses them.
RESTING_PARTS = ("hand", "knee", "toes", "heel", "foot", "hip", "shoulder")
RESTING_BOTH = {"hands": "hand", "knees": "knee", "toes": "toes", "heels": "heel",
                "feet": "foot", "hips": "hip", "shoulders": "shoulder"}
RESTING_WORDS = (*RESTING_BOTH,
                 *(f"{p}_{{{s}}}" for p in RESTING_PARTS for s in ("side", "other")), "head")

#: What holds or rests against what in a stretch's picture (``Stretch.holds``): "<part> on
#: <part>", each a part of both sides ("hands") or of one ("hand_{other}").
HOLDING_PARTS = ("hand", "knee", "ankle", "elbow", "thigh", "shin", "foot", "shoulder")
HOLDING_BOTH = {"hands": "hand", "knees": "knee", "ankles": "ankle", "elbows": "elbow",
                "thighs": "thigh", "shins": "shin", "feet": "foot", "shoulders": "shoulder"}
HOLDING_WORDS = (*HOLDING_BOTH,
                 *(f"{p}_{{{s}}}" for p in HOLDING_PARTS for s in ("side", "other")))

#: An angle reading: one value, or (N,) values, one per frame.
_Reading = TypeVar("_Reading", float, "np.ndarray")


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

    def mirrored(self, side: str) -> bool:
        """Whether this range reads the angle mirrored (negated) for ``side``."""
        return self.positive_side not in (None, side)

    def reading(self, value: _Reading, side: str) -> _Reading:
        """The angle's value as this range reads it for ``side``."""
        return -value if self.mirrored(side) else value


WHEN_COVERED = "when covered"
"""A criterion's ``optional`` value for one left out only while its part is covered in the
picture (``Criterion.when_covered``)."""


@dataclass(frozen=True)
class Criterion(AngleRange):
    """The working angle must lie in [low, high]; a cue for each way of missing it."""

    low_cue: str = ""
    high_cue: str = ""
    nearly_deg: float = 10.0
    optional: bool = False
    """An optional criterion that cannot be seen (the far leg in a side view) does not hold the
    position back; when it is seen it must be met like any other."""
    when_covered: bool = False
    """Optional only while its part is covered inside the picture (the model places it there
    but cannot see it: a hand behind the head); a part out of the picture (visibility 0, as
    ``pose.estimator`` gives it) still holds the position back (``pose.checks.covered``)."""


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
    rests_on: tuple[str, ...] = ()
    """``RESTING_WORDS``: the parts on the floor in the stretch (its picture puts them there)."""
    holds: tuple[tuple[str, str], ...] = ()
    """(holder, held) ``HOLDING_WORDS``: a hand on a knee, a foot against a thigh (ditto)."""

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
            from pose.routines import load_routine  # the TOML loader, only for a file

            return load_routine(path, self.stretches)
        raise RoutineError(f"no routine {name!r}{suggest(name, self.routines)}; "
                           f"routines: {', '.join(sorted(self.routines)) or 'none'}")

    def stretch(self, stretch_id: str) -> Stretch:
        if stretch_id not in self.stretches:
            raise RoutineError(f"no stretch {stretch_id!r}{suggest(stretch_id, self.stretches)}")
        return self.stretches[stretch_id]


@cache
def resolve(template: str, side: str) -> str:
    """An angle or cue template for one side ("both" reads ``{side}`` as "left")."""
    side = "left" if side == "both" else side
    other = "right" if side == "left" else "left"
    return template.replace("{side}", side).replace("{other}", other)


def suggest(word: str, options: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest of ``options`` to ``word``, or ""."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
