"""What the Review and Replay pages show, built as plain data and Altair charts.

Nothing here calls Streamlit: the pages only lay these out, and the tests check them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from pose import words
from pose.coach import Event
from pose.report import StretchResult
from pose.routines import Catalogue, Stretch, resolve
from pose.store import SessionInfo
from pose.track import Track

DAILY_GOAL_S = 60.0
"""Seconds of stretching per day the advice asks for (30-60 s per side)."""
#: The charts' text (px): axis labels and titles, notes on the charts and legends; each
#: chart's title; the title over a stretch's charts. Vega-Lite draws its own text, which the
#: page's 18 px base size does not reach.
CHART_TEXT = 16
CHART_TITLE = 20
CHARTS_TITLE = 24


def result_row(d: Mapping[str, Any]) -> dict[str, Any]:
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


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


def session_label(info: SessionInfo, catalogue: Catalogue | None = None) -> str:
    """A session as a person picks it from a list, on every page alike: its number (the Live
    page's "Saved as session 3"), when, what, how long."""
    routines = catalogue.routines if catalogue is not None else {}
    what = (routines[info.routine].name if info.routine in routines
            else info.routine or "stretches found automatically")
    source = ("live" if info.source == "live"
              else f"video {Path(info.source_name).name}")
    return (f"Session {info.id}: {info.started:%d %b %Y %H:%M} - {source}, {what} "
            f"({_duration(info.duration_s)})")


def completion_note(info: SessionInfo, n_frames: int) -> str:
    """What the results cover: a whole video analysed, or a live session to its end."""
    if info.source == "live":
        return f"Live session of {_duration(info.duration_s)}, recorded to the end."
    return (f"Complete analysis of {Path(info.source_name).name}: all {n_frames} frames "
            f"({_duration(info.duration_s)}) checked.")


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


WINDOW_PAD_S = 5.0
"""Seconds shown before and after a stretch's own moments in its angle chart."""


def stretch_window(track: Track, stretch_id: str, side: str, holds: Sequence[Mapping],
                   events: Sequence[Event] = ()) -> tuple[float, float]:
    """(start, end) seconds of the session where this stretch and side happened.

    Its holds, its own events (bounces, pain stops...) and, in a routine, its step (from its
    "step started" to the next), padded by ``WINDOW_PAD_S`` and kept inside the recording;
    the whole recording when it has none of these.
    """
    times = [float(h[k]) for h in holds for k in ("start_s", "end_s")]
    times += [e.t_s for e in events if e.stretch == stretch_id and e.side in (side, None)]
    # A routine's step runs from its "step started" to the next one (or the routine's end).
    steps = sorted(e.t_s for e in events if e.kind in ("step_started", "routine_finished"))
    for e in events:
        if e.kind == "step_started" and e.stretch == stretch_id and e.side == side:
            later = [t for t in steps if t > e.t_s]
            if later:
                times.append(later[0])
    first = float(track.t_s[0]) if len(track) else 0.0
    last = float(track.t_s[-1]) if len(track) else 0.0
    if not times:
        return first, last
    return max(first, min(times) - WINDOW_PAD_S), min(last, max(times) + WINDOW_PAD_S)


EVENT_WORDS = {"bounce": "bounce", "over_range": "past the safe range", "pain_stop": "pain stop",
               "hold_completed": "hold done", "pose_lost": "out of view"}
"""The events marked on angle charts, in words; the others would only clutter them ("hold
done", not "target reached": the band of the angle's target range is "target range"). Holds are
shaded from start to end instead (``held_spans``): a pair of labelled lines each, the 13 short
holds of a bridge done as reps were 26 labels on top of each other."""


def held_spans(events: Sequence[Event], stretch: str, sides: Sequence[str],
               window: tuple[float, float]) -> list[tuple[float, float]]:
    """(start, end) seconds of each hold of ``stretch`` on ``sides`` (or "both") within
    ``window``, from its ``hold_started`` and ``hold_ended`` events; a hold still going at the
    end runs to the window's end."""
    t0, t1 = window
    spans, started = [], {}
    for e in sorted(events, key=lambda e: e.t_s):
        if e.stretch != stretch or e.side not in (*sides, "both"):
            continue
        if e.kind == "hold_started":
            started[e.side] = e.t_s
        elif e.kind == "hold_ended" and e.side in started:
            spans.append((started.pop(e.side), e.t_s))
    spans += [(start, t1) for start in started.values()]
    return sorted((max(a, t0), min(b, t1)) for a, b in spans if b >= t0 and a <= t1)


def angle_chart(track: Track, stretch: Stretch, side: str, events: Sequence[Event] = (),
                window: tuple[float, float] | None = None) -> alt.VConcatChart:
    """``angle_charts`` stacked into one chart, titled with the stretch and side."""
    title = stretch.name if side == "both" else f"{stretch.name}, {side} side"
    return alt.vconcat(*angle_charts(track, stretch, side, events, window)).properties(
        title=alt.TitleParams(title, fontSize=CHARTS_TITLE, anchor="start"))


def angle_charts(track: Track, stretch: Stretch, side: str, events: Sequence[Event] = (),
                 window: tuple[float, float] | None = None,
                 ) -> list[alt.LayerChart | alt.FacetChart]:
    """Each working angle over ``window`` (seconds; default the whole track), one chart each.

    Titled with the angle's name for a person, its target range shaded and labelled, its holds
    shaded ("held"), and the stretch's other events marked and named on the time axis. None at
    all when no working angle was measured in the window (the stretch never reached, or its
    joints never seen): empty charts on an axis of their own read as a broken page.
    """
    names = working_angles(stretch, side)
    data = angle_frame(track, names)
    if window is not None:
        data = data[(data["t_s"] >= window[0]) & (data["t_s"] <= window[1])]
    if not data["degrees"].notna().any():
        return []
    t0, t1 = window if window is not None else (float(data["t_s"].min() if len(data) else 0),
                                                 float(data["t_s"].max() if len(data) else 1))
    sides = ("left", "right") if side == "both" else (side,)
    bands = {}
    for c in stretch.criteria:
        for s in sides:
            name = resolve(c.angle, s)
            if name in names and name not in bands:
                bands[name] = (c.low, c.high, c.reading(1.0, s) < 0)
    marks = pd.DataFrame([{"t_s": e.t_s, "event": EVENT_WORDS[e.kind]} for e in events
                          if e.kind in EVENT_WORDS and e.stretch in (None, stretch.id)
                          and e.side in (None, *sides, "both") and t0 <= e.t_s <= t1])
    held = pd.DataFrame([{"start": a, "end": b, "label": "held"}
                         for a, b in held_spans(events, stretch.id, sides, (t0, t1))])
    x = alt.X("t_s:Q", title="seconds into the session", scale=alt.Scale(domain=[t0, t1]),
              axis=alt.Axis(labelFontSize=CHART_TEXT, titleFontSize=CHART_TEXT))
    rows = []
    for name in names:
        one = data[data["angle"] == name]
        finite = one["degrees"].dropna()
        low, high, mirrored = bands.get(name, (None, None, False))
        if mirrored:  # a range read for the other side: shown in the angle's own sign
            low, high = (None if high is None else -high), (None if low is None else -low)
        seen = [float(finite.min()), float(finite.max())] if len(finite) else [0.0, 90.0]
        bounds = [v for v in (low, high) if v is not None] + seen
        pad = max(5.0, 0.1 * (max(bounds) - min(bounds)))
        lo_y, hi_y = min(bounds) - pad, max(bounds) + pad
        y = alt.Y("degrees:Q", title=words.unit(name), scale=alt.Scale(domain=[lo_y, hi_y]),
                  axis=alt.Axis(labelFontSize=CHART_TEXT, titleFontSize=CHART_TEXT))
        band = pd.DataFrame([{"low": lo_y if low is None else low,
                              "high": hi_y if high is None else high, "label": "target range"}])
        layers = [
            alt.Chart(band).mark_rect(opacity=0.18, color="#009E73").encode(y="low:Q",
                                                                            y2="high:Q"),
            alt.Chart(band).mark_text(align="left", baseline="top", dx=4, dy=4, fontSize=CHART_TEXT,
                                      color="#007A59").encode(x=alt.value(0), y="high:Q",
                                                              text="label:N"),
            alt.Chart(one).mark_line(color="#0072B2", strokeWidth=3).encode(x=x, y=y),
        ]
        if len(held):
            layers.insert(0, alt.Chart(held).mark_rect(opacity=0.14, color="#0072B2").encode(
                x=alt.X("start:Q", scale=alt.Scale(domain=[t0, t1])), x2="end:Q",
                tooltip=["label", "start", "end"]))
            layers.append(alt.Chart(held.head(1)).mark_text(  # at its end: the band's label is left
                align="right", baseline="top", dx=-4, dy=4, fontSize=CHART_TEXT,
                color="#005A8C").encode(x="end:Q", y=alt.value(0), text="label:N"))
        if len(marks):
            layers.append(alt.Chart(marks).mark_rule(strokeDash=[4, 3], color="#555",
                                                     strokeWidth=2).encode(
                x="t_s:Q", tooltip=["event", "t_s"]))
            layers.append(alt.Chart(marks).mark_text(angle=270, align="right", dx=4, dy=-4,
                                                     fontSize=CHART_TEXT, color="#333").encode(
                x="t_s:Q", y=alt.value(4), text="event:N"))
        rows.append(alt.layer(*layers).properties(
            height=200, title=alt.TitleParams(words.angle_label(name), fontSize=CHART_TITLE,
                                              anchor="start")))
    return rows


def daily_chart(daily: Sequence[tuple[str, float]],
                goal_s: float = DAILY_GOAL_S) -> alt.LayerChart | alt.FacetChart:
    """Seconds stretched per day against the daily goal; the legend says which days met it."""
    df = pd.DataFrame(daily, columns=["day", "seconds"])
    df["date"] = pd.to_datetime(df["day"]).dt.strftime("%d %b")
    met, short = f"{goal_s:.0f} s or more", f"under {goal_s:.0f} s"
    df["total that day"] = [met if v >= goal_s else short for v in df["seconds"]]
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("date:O", title="day", sort=list(df["date"]),
                axis=alt.Axis(labelAngle=0, labelFontSize=CHART_TEXT, titleFontSize=CHART_TEXT)),
        y=alt.Y("seconds:Q", title="seconds held",
                axis=alt.Axis(labelFontSize=CHART_TEXT, titleFontSize=CHART_TEXT)),
        color=alt.Color("total that day:N", scale=alt.Scale(domain=[met, short],
                                                         range=["#009E73", "#E69F00"]),
                        legend=alt.Legend(orient="bottom", title=None, labelFontSize=CHART_TEXT,
                                          labelLimit=0)),
        tooltip=["date:O", "seconds:Q"])
    goal = alt.Chart(pd.DataFrame({"goal": [goal_s]})).mark_rule(
        strokeDash=[6, 3], color="#D55E00", strokeWidth=2).encode(y="goal:Q")
    return alt.layer(bars, goal).properties(
        height=220,
        title=alt.TitleParams(f"Seconds stretched per day (daily goal {goal_s:.0f} s, dashed)",
                              fontSize=CHART_TITLE, anchor="start"))


def range_chart(history: Sequence[tuple[str, str, str, float]],
                names: Mapping[str, str] | None = None) -> alt.Chart:
    """Best comfortable range per stretch and angle over time; ``names`` maps stretch ids to
    their names. The legend sits below the chart, one full line per series."""
    df = pd.DataFrame(history, columns=["stretch", "angle", "day", "degrees"])
    names = names or {}
    df["series"] = [f"{names.get(s, s)}: {words.angle_label(a, short=True).lower()}"
                    for s, a in zip(df["stretch"], df["angle"], strict=True)]
    df["date"] = pd.to_datetime(df["day"]).dt.strftime("%d %b")
    return alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=80), strokeWidth=3).encode(
        x=alt.X("date:O", title="day", sort=list(dict.fromkeys(df["date"])),
                axis=alt.Axis(labelAngle=0, labelFontSize=CHART_TEXT, titleFontSize=CHART_TEXT)),
        y=alt.Y("degrees:Q", title="comfortable range (degrees)",
                axis=alt.Axis(labelFontSize=CHART_TEXT, titleFontSize=CHART_TEXT)),
        color=alt.Color("series:N", legend=alt.Legend(orient="bottom", title=None, columns=1,
                                                      labelFontSize=CHART_TEXT, labelLimit=0)),
        tooltip=["series", "date:O", "degrees:Q"]).properties(
        height=220,
        title=alt.TitleParams("Comfortable range over time", fontSize=CHART_TITLE, anchor="start"))


def range_lines(history: Sequence[tuple[str, str, str, float]],
                names: Mapping[str, str] | None = None) -> list[str]:
    """The comfortable ranges of ``history`` (``Store.range_history`` rows) in words, one line
    per stretch and angle, for when there is one day so far: a chart of one point a series
    says less than its numbers do. "Knee to chest: left hip bend, comfortable to 115 deg
    (29 Nov)"."""
    names = names or {}
    latest: dict[tuple[str, str], tuple[str, float]] = {}
    for stretch, angle, day, degrees in history:
        latest[(stretch, angle)] = (day, degrees)
    return [f"{names.get(stretch, stretch)}: {words.angle_label(angle, short=True).lower()}, "
            f"comfortable to {degrees:.0f}\N{DEGREE SIGN} "
            f"({pd.to_datetime(day).strftime('%d %b')})"
            for (stretch, angle), (day, degrees) in latest.items()]


def event_label(e: Event, names: Mapping[str, str] | None = None) -> str:
    """One event in a line a person reads: "42.0 s  hold started - Knee to chest, left side"
    (the stretch's name, not its id; ``names`` maps ids to names)."""
    what = (names or {}).get(e.stretch or "", e.stretch or "")
    side = f", {e.side} side" if what and e.side in ("left", "right") else ""
    return f"{e.t_s:.1f} s  {e.kind.replace('_', ' ')}" + (f" - {what}{side}" if what else "")


def events_rows(events: Iterable[Event], names: Mapping[str, str] | None = None
                ) -> list[dict[str, object]]:
    """The events table; ``names`` maps stretch ids to the names a person reads."""
    names = names or {}
    return [{"t (s)": round(e.t_s, 1), "event": e.kind.replace("_", " "),
             "stretch": names.get(e.stretch, e.stretch) if e.stretch else "",
             "side": e.side or "", "message": e.message}
            for e in events]
