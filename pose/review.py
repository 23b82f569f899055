"""What the Review and Replay pages show, built as plain data and Altair charts.

Nothing here calls Streamlit: the pages only lay these out, and the tests check them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import altair as alt
import pandas as pd

from pose.coach import Event
from pose.report import StretchResult
from pose.routines import Stretch, resolve
from pose.track import Track

DAILY_GOAL_S = 60.0
"""Seconds of stretching per day the advice asks for (30-60 s per side)."""


def result_row(d: Mapping[str, object]) -> dict[str, object]:
    """One table row from a ``StretchResult.to_dict()``-shaped mapping."""
    holds = d.get("holds", [])
    total = sum(h["duration_s"] for h in holds)
    good = sum(h["duration_s"] * h["in_form_fraction"] for h in holds)
    return {
        "stretch": d.get("name", d["stretch"]),
        "side": d["side"],
        "target (s)": d["target_hold_s"],
        "longest hold (s)": round(float(d.get("longest_hold_s", 0.0)), 1),
        "total held (s)": round(float(d.get("held_s", 0.0)), 1),
        "completed": "yes" if d.get("completed") else "no",
        "form accuracy": f"{100 * good / total:.0f}%" if total else "-",
        "bounces": len(d.get("bounces", [])),
        "over-range": len(d.get("over_range", [])),
        "pain stops": len(d.get("pain_stops", [])),
    }


def results_rows(results: Iterable[StretchResult | Mapping[str, object]]) -> list[dict]:
    """The Review table: per stretch and side, target, longest and total hold, form, flags."""
    return [result_row(r.to_dict() if isinstance(r, StretchResult) else r) for r in results]


def angle_frame(track: Track, names: Sequence[str]) -> pd.DataFrame:
    """Long-form table (t_s, angle, degrees) of the named angles over time."""
    angles = track.angles()
    parts = [pd.DataFrame({"t_s": track.t_s, "angle": n, "degrees": angles[n]}) for n in names]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["t_s", "angle", "degrees"])


def working_angles(stretch: Stretch, side: str) -> list[str]:
    sides = ("left", "right") if side == "both" else (side,)
    return list(dict.fromkeys(resolve(c.angle, s) for c in stretch.criteria for s in sides
                              if c.low is not None or c.high is not None))


def angle_chart(track: Track, stretch: Stretch, side: str,
                events: Sequence[Event] = ()) -> alt.VConcatChart:
    """Each working angle over time, its target band shaded, events marked as rules."""
    names = working_angles(stretch, side)
    data = angle_frame(track, names)
    finite = data["degrees"].dropna()
    lo_all = float(finite.min()) if len(finite) else -10.0
    hi_all = float(finite.max()) if len(finite) else 180.0
    bands = []
    for c in stretch.criteria:
        for s in (("left", "right") if side == "both" else (side,)):
            name = resolve(c.angle, s)
            if name in names:
                bands.append({"angle": name,
                              "low": c.low if c.low is not None else min(lo_all, 0.0) - 10,
                              "high": c.high if c.high is not None else max(hi_all, 0.0) + 10})
    bands_df = pd.DataFrame(bands).drop_duplicates("angle")
    marks = pd.DataFrame([{"t_s": e.t_s, "event": e.kind.replace("_", " ")} for e in events
                          if e.stretch in (None, stretch.id)])
    rows = []
    for name in names:
        one = data[data["angle"] == name]
        line = alt.Chart(one).mark_line(color="#0072B2").encode(
            x=alt.X("t_s:Q", title="time (s)"), y=alt.Y("degrees:Q", title=name))
        layers = [line]
        band = bands_df[bands_df["angle"] == name] if len(bands_df) else bands_df
        if len(band):
            layers.insert(0, alt.Chart(band).mark_rect(opacity=0.15, color="#009E73").encode(
                y="low:Q", y2="high:Q"))
        if len(marks):
            layers.append(alt.Chart(marks).mark_rule(strokeDash=[4, 3], color="#555").encode(
                x="t_s:Q", tooltip=["event", "t_s"]))
        rows.append(alt.layer(*layers).properties(height=140))
    return alt.vconcat(*rows).properties(title=f"{stretch.name} ({side})")


def daily_chart(daily: Sequence[tuple[str, float]], goal_s: float = DAILY_GOAL_S) -> alt.Chart:
    """Seconds stretched per day against the daily goal."""
    df = pd.DataFrame(daily, columns=["day", "seconds"])
    df["goal met"] = df["seconds"] >= goal_s
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("day:T", title="day"), y=alt.Y("seconds:Q", title="seconds held"),
        color=alt.Color("goal met:N", scale=alt.Scale(domain=[True, False],
                                                      range=["#009E73", "#E69F00"])))
    goal = alt.Chart(pd.DataFrame({"goal": [goal_s]})).mark_rule(
        strokeDash=[6, 3], color="#D55E00").encode(y="goal:Q")
    return alt.layer(bars, goal).properties(title=f"Seconds stretched per day (goal {goal_s:.0f} s)")


def range_chart(history: Sequence[tuple[str, str, str, float]]) -> alt.Chart:
    """Best comfortable range per stretch over time."""
    df = pd.DataFrame(history, columns=["stretch", "angle", "day", "degrees"])
    df["series"] = df["stretch"] + " - " + df["angle"]
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("day:T", title="day"), y=alt.Y("degrees:Q", title="comfortable degrees"),
        color=alt.Color("series:N", title=None)).properties(
        title="Comfortable range over time")


def events_rows(events: Iterable[Event]) -> list[dict[str, object]]:
    return [{"t (s)": round(e.t_s, 1), "event": e.kind.replace("_", " "),
             "stretch": e.stretch or "", "side": e.side or "", "message": e.message}
            for e in events]


def pain_lines(events: Sequence[Event], names: Mapping[str, str] | None = None) -> list[str]:
    """One plain line per pain stop of a session, with what the person reported after it
    (``pain_report`` events: feeling and 0-10 rating) when they answered."""
    from pose.phases import FEELINGS

    names = names or {}
    lines = []
    for i, e in enumerate(events):
        if e.kind != "pain_stop":
            continue
        what = names.get(e.stretch or "", e.stretch or "a stretch")
        side = f", {e.side} side" if e.side in ("left", "right") else ""
        line = f"Pain stop at {e.t_s:.0f} s during {what}{side}"
        report = next((r for r in events[i + 1:] if r.kind == "pain_report"), None)
        later_stop = next((r for r in events[i + 1:] if r.kind == "pain_stop"), None)
        if report is not None and (later_stop is None or report.t_s <= later_stop.t_s):
            feeling = FEELINGS.get(str(report.data.get("feeling")), "pain")
            line += f": {feeling.lower()}, {report.data.get('rating')} out of 10"
            if report.data.get("stop_today") == "yes":
                line += " - stopped for the day"
        lines.append(line)
    return lines
