"""A session in plain words: every stretch and side, held against its target, done or skipped.

The Live page (after STOP or the last stretch) and the Review page show the same summary,
built here from a session's results (``StretchResult.to_dict()`` shape, as stored) and, when
the session followed a routine, its plan. A stretch the session came to but held for no time
(the person skipped it) reads "skipped" rather than "0 s"; one it ended before reaching reads
"not reached", never "skipped", which would blame the person for what the routine had not
asked yet. Pure functions: no Streamlit, no I/O.

A pain stop may carry the pain the person reported, 0-10, as ``level`` in its event's data;
it is then quoted ("one pain stop, 3/10").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pose.events import Event
from pose.phases import FEELINGS
from pose.stretches import Routine

DONE, NOT_DONE, SKIPPED, STOPPED = "done", "not done", "skipped", "stopped: pain"
NOT_REACHED = "not reached"

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "bounce") == "one bounce"``; words up to ten, digits after."""
    word = _WORDS[n] if n < len(_WORDS) else str(n)
    return f"{word} {noun if n == 1 else (plural or noun + 's')}"


def seconds(s: float) -> str:
    """Whole seconds, as a person reads them ("32 s", "1 min 05 s")."""
    s = int(round(s))
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


@dataclass(frozen=True)
class SideSummary:
    """One stretch on one side ("both" for stretches done on both sides at once).

    Times in seconds; ``held_s`` is the longest hold, the one that counts against the target.
    """

    stretch: str
    name: str
    side: str
    target_s: float
    held_s: float = 0.0
    total_s: float = 0.0
    bounces: int = 0
    over_range: int = 0
    pain_stops: int = 0
    pain_levels: tuple[float, ...] = ()
    cycles: int | None = None
    reached: bool = True
    """The session came to this stretch and side (a routine's later steps may not be)."""
    ended_here: bool = False
    """The session ended on this stretch and side, before the routine's end: nothing done
    there is "not done", not "skipped" (nobody skipped it)."""

    @property
    def status(self) -> str:
        if not self.reached:
            return NOT_REACHED
        if self.held_s >= self.target_s > 0:
            return DONE
        if self.pain_stops:
            return STOPPED
        # Skipped: nothing at all happened there, and the session went on past it. Gone past
        # the safe range or bounced, the person was at it.
        at_it = self.total_s > 0 or self.bounces or self.over_range or self.ended_here
        return NOT_DONE if at_it else SKIPPED

    @property
    def done(self) -> bool:
        return self.status == DONE

    @property
    def label(self) -> str:
        """"Knee to chest, left side" (no side for both-sides stretches)."""
        return self.name if self.side == "both" else f"{self.name}, {self.side} side"

    def notes(self) -> str:
        """Bounces, over-range and pain in words; empty when there were none."""
        parts = []
        if self.bounces:
            parts.append(count(self.bounces, "bounce"))
        if self.over_range:
            parts.append(f"past the safe range {count(self.over_range, 'time')}"
                         .replace("one time", "once").replace("two times", "twice"))
        if self.pain_stops:
            parts.append(_pain(self.pain_stops, self.pain_levels))
        return ", ".join(parts)


def _pain(stops: int, levels: Sequence[float]) -> str:
    text = count(stops, "pain stop")
    if levels:
        text += ", " + ", ".join(f"{level:g}/10" for level in levels)
    return text


@dataclass(frozen=True)
class SessionSummary:
    rows: tuple[SideSummary, ...]

    @property
    def done(self) -> int:
        return sum(r.done for r in self.rows)

    @property
    def headline(self) -> str:
        """"3 of 9 done" (stretches and sides)."""
        return f"{self.done} of {len(self.rows)} done"


def plan_of(routine: Routine) -> list[tuple[str, str, str, float]]:
    """A routine's plan: (stretch id, name, side, target hold s) per stretch and side."""
    return [(step.stretch.id, step.stretch.name, side, step.hold_s)
            for step in routine.steps for side in step.sides]


def summarise(results: Iterable[Mapping[str, Any]],
              plan: Sequence[tuple[str, str, str, float]] | None = None,
              events: Iterable[Event] = ()) -> SessionSummary:
    """The summary of a session.

    Args:
        results: one mapping per stretch and side, shaped like ``StretchResult.to_dict()``.
        plan: what the routine asked for (``plan_of``), in order. Steps after the furthest
            one the session came to are "not reached": the furthest with a ``step_started``
            event or a result with time, a bounce or a pain stop in it (a result alone says
            little: a stretch's other side has one as soon as the first side starts). The
            session ended on that furthest one unless the routine finished (a
            ``routine_finished`` event), so nothing done there is "not done". Without
            ``step_started`` events, the steps the results lack are "not reached". Results
            outside the plan follow it. None (a video analysed in auto mode): just the
            results.
        events: the session's events; pain levels are read from its ``pain_stop`` events
            (``level``) and from the answers after them (``pain_report``, ``rating``).
    """
    events = list(events)
    levels: dict[tuple[str, str], list[float]] = {}
    for e in events:
        # A pain stop may carry its level; the floor view asks for it after the stop
        # (``pain_report``, pose.phases) and stores the answer as its own event.
        level = (e.data.get("level") if e.kind == "pain_stop"
                 else e.data.get("rating") if e.kind == "pain_report" else None)
        if level is not None and e.stretch and e.side:
            levels.setdefault((e.stretch, e.side), []).append(float(level))
    by_key = {(str(r["stretch"]), str(r["side"])): r for r in results}
    rows = []
    plan = list(plan or ())
    keys = {(sid, side) for sid, _, side, _ in plan}
    started = {(e.stretch, e.side) for e in events if e.kind == "step_started"}
    came_to = [i for i, (sid, _, side, _) in enumerate(plan)
               if (sid, side) in started or _acted(by_key.get((sid, side)))]
    furthest = max(came_to, default=-1)
    finished = any(e.kind == "routine_finished" for e in events)
    for i, (sid, name, side, target) in enumerate(plan):
        r = by_key.get((sid, side))
        if not (i <= furthest if started else r is not None):
            rows.append(SideSummary(sid, name, side, target, reached=False))
            continue
        row = _row(r, levels) if r is not None else SideSummary(sid, name, side, target)
        rows.append(replace(row, ended_here=True) if started and i == furthest
                    and not finished else row)
    for key, r in by_key.items():
        if key not in keys:
            rows.append(_row(r, levels))
    return SessionSummary(tuple(rows))


def _acted(r: Mapping[str, Any] | None) -> bool:
    """Whether a result shows the person at that step: time held, a bounce, a pain stop."""
    return r is not None and bool(r.get("held_s") or r.get("holds") or r.get("bounces")
                                  or r.get("pain_stops"))


def _row(r: Mapping[str, Any], levels: Mapping[tuple[str, str], list[float]]
         ) -> SideSummary:
    sid, side = str(r["stretch"]), str(r["side"])
    holds = r.get("holds") or []
    return SideSummary(
        stretch=sid, name=str(r.get("name", sid)), side=side,
        target_s=float(r["target_hold_s"]), held_s=float(r.get("longest_hold_s", 0.0)),
        total_s=float(r.get("held_s", sum(h["duration_s"] for h in holds))),
        bounces=len(r.get("bounces") or []), over_range=len(r.get("over_range") or []),
        pain_stops=len(r.get("pain_stops") or []), pain_levels=tuple(levels.get((sid, side), ())),
        cycles=r.get("cycles"))


def sentences(summary: SessionSummary) -> list[str]:
    """One sentence per stretch, its sides together, in the order first met, then one naming
    the stretches not reached at all.

    "Knee to chest: left 32 s, right 18 s of 30 s; no bouncing; one pain stop, 3/10."
    "Not reached this time: Cobra and Seated forward fold."
    """
    groups: dict[str, list[SideSummary]] = {}
    for row in summary.rows:
        groups.setdefault(row.stretch, []).append(row)
    out = []
    unreached = []
    for rows in groups.values():
        first = rows[0]
        if all(r.status == NOT_REACHED for r in rows):
            unreached.append(first.name)
            continue
        held = [r for r in rows if r.status not in (SKIPPED, NOT_REACHED)]
        parts = [seconds(r.held_s) if r.side == "both" else f"{r.side} {seconds(r.held_s)}"
                 for r in held]
        if parts and len({r.target_s for r in held}) == 1:
            parts[-1] += f" of {seconds(held[0].target_s)}"
        parts += [r.status if r.side == "both" else f"{r.side} {r.status}"
                  for r in rows if r.status in (SKIPPED, NOT_REACHED)]
        every_side_skipped = not held and all(r.status == SKIPPED for r in rows)
        text = f"{first.name}: {'skipped' if every_side_skipped else ', '.join(parts)}"
        if all(r.status == DONE for r in rows):
            text += " - done"
        cycles = sum(r.cycles or 0 for r in rows)
        if any(r.cycles is not None for r in rows) and cycles:
            text += f", {count(cycles, 'slow cycle')}"
        tried = [r for r in rows if r.status not in (SKIPPED, NOT_REACHED)]
        bounces = sum(r.bounces for r in rows)
        if bounces or any(r.total_s > 0 for r in tried):  # "no bouncing" of something held
            text += "; " + ("no bouncing" if not bounces else count(bounces, "bounce"))
        over = sum(r.over_range for r in rows)
        if over:  # held or not: past the safe range is always said
            text += "; past the safe range " + {1: "once", 2: "twice"}.get(
                over, f"{over} times")
        stops = sum(r.pain_stops for r in rows)
        if stops:
            text += "; " + _pain(stops, [lv for r in rows for lv in r.pain_levels])
        out.append(text + ".")
    if unreached:
        names = (unreached[0] if len(unreached) == 1
                 else f"{', '.join(unreached[:-1])} and {unreached[-1]}")
        out.append(f"Not reached this time: {names}.")
    return out


def table_rows(summary: SessionSummary) -> list[dict[str, str]]:
    """The summary table: four short columns that fit a narrow screen without scrolling."""
    return [{"Stretch": r.label,
             "Held": ("" if r.status in (SKIPPED, NOT_REACHED)
                      else f"{seconds(r.held_s)} of {seconds(r.target_s)}"),
             "Result": r.status,
             "Notes": r.notes()} for r in summary.rows]


def pain_answers(events: Sequence[Event]) -> list[tuple[Event, Event | None]]:
    """Each ``pain_stop`` event of a session, in order, with the ``pain_report`` that answered
    its questions (feeling, 0-10 rating, whether stretching stopped for the day), or None when
    they went unanswered (the next stop came first, or none came)."""
    out = []
    for i, e in enumerate(events):
        if e.kind != "pain_stop":
            continue
        report = next((r for r in events[i + 1:] if r.kind == "pain_report"), None)
        later_stop = next((r for r in events[i + 1:] if r.kind == "pain_stop"), None)
        answered = report is not None and (later_stop is None or report.t_s <= later_stop.t_s)
        out.append((e, report if answered else None))
    return out


def pain_lines(events: Sequence[Event], names: Mapping[str, str] | None = None) -> list[str]:
    """One plain line per pain stop of a session, with what the person reported after it
    (``pain_answers``: feeling and 0-10 rating) when they answered, and when they did not,
    that they did not, with the advice for sharp pain (``pose.phases.STOP_TODAY_ADVICE``)."""
    names = names or {}
    lines = []
    for e, report in pain_answers(events):
        what = names.get(e.stretch or "", e.stretch or "a stretch")
        side = f", {e.side} side" if e.side in ("left", "right") else ""
        line = f"Pain stop at {e.t_s:.0f} s during {what}{side}"
        if report is not None:
            feeling = FEELINGS.get(str(report.data.get("feeling")), "pain")
            line += f": {feeling.lower()}, {report.data.get('rating')} out of 10"
            if report.data.get("stop_today") == "yes":
                line += " - stopped for the day"
        else:
            # Unanswered, it could have been sharp: the advice given for a sharp pain stands.
            line += (": the questions after it were not answered. If it was sharp pain, "
                     "tingling or numbness, talk to your doctor or physiotherapist before "
                     "you stretch again")
        lines.append(line)
    return lines
