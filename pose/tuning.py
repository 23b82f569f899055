"""Tuning stretches for a replay: ``--set STRETCH.FIELD=VALUE`` parsed and applied.

A therapist can change a range and see what the checks would have said (``stretchcheck replay
SESSION --set ...``), because the landmarks of every session are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from pose.errors import RoutineError
from pose.routines import with_overrides
from pose.stretches import Catalogue


def parse_settings(items: list[str]) -> dict[str, dict[str, str]]:
    """``["knee_to_chest.hip_flexion_{side}.min=90"]`` -> ``{stretch: {key: value}}``."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        stretch, dot, field = key.partition(".")
        if not sep or not dot or not field:
            raise RoutineError(f"--set {item!r}: expected STRETCH.FIELD=VALUE, e.g. "
                               "knee_to_chest.hip_flexion_{side}.min=90")
        out.setdefault(stretch.strip(), {})[field.strip()] = value.strip()
    return out


def tuned(catalogue: Catalogue, settings: Mapping[str, Mapping[str, str]]) -> Catalogue:
    """A copy of the catalogue (and its routines) with the given stretch fields changed."""
    stretches = dict(catalogue.stretches)
    for sid, fields in settings.items():
        stretches[sid] = with_overrides(catalogue.stretch(sid), dict(fields))
    routines = {
        rid: replace(r, steps=tuple(replace(st, stretch=stretches[st.stretch.id])
                                    for st in r.steps))
        for rid, r in catalogue.routines.items()
    }
    return Catalogue(stretches, routines)
