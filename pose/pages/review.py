"""Review: how well each stretch was held, angle plots, and progress across days."""

import json

import pandas as pd
import streamlit as st

from pose import show
from pose.app_state import catalogue, db_url
from pose.personal import MIN_COMFORTABLE_S
from pose.review import (
    angle_charts,
    completion_note,
    daily_chart,
    events_rows,
    range_chart,
    range_lines,
    results_rows,
    session_label,
    stretch_window,
)
from pose.sessions import replay_session
from pose.store import open_store
from pose.summary import pain_lines, plan_of, summarise
from pose.track import frames_csv_text

#: Chart heights in pixels; Streamlit squeezes an Altair chart left to size itself here.
CHART_PX, LEGEND_LINE_PX = 280, 28

st.title("Review")
cat = catalogue()

with open_store(db_url()) as store:
    profiles = store.profiles()
    if not profiles:
        st.info("No sessions yet. Record one on the Live page, or analyse a video on Replay.")
        st.stop()
    profile_names = [p.name for p in profiles]
    current = st.session_state.get("profile", profile_names[0])
    profile = profiles[profile_names.index(current)] if current in profile_names else profiles[0]
    profile = profiles[profile_names.index(
        st.selectbox("Profile", profile_names, index=profiles.index(profile)))]
    sensitive = st.toggle("Flexion-sensitive back", value=profile.flexion_sensitive,
                          help="Forward-bending stretches start small and grow more slowly")
    if sensitive != profile.flexion_sensitive:
        store.set_flexion_sensitive(profile.id, sensitive)

    sessions = store.sessions(profile.id)
    # A radio rather than tabs: charts drawn in a hidden tab come out blank (no width yet).
    shown_part = st.radio("Show", ["One session", "Progress over days"], horizontal=True,
                          label_visibility="collapsed", key="review_part")
    if shown_part == "Progress over days":
        daily = store.daily_seconds(profile.id)
        history = store.range_history(profile.id)
        if daily:
            st.altair_chart(daily_chart(daily), width="stretch",
                            height=CHART_PX + 3 * LEGEND_LINE_PX)
        else:
            st.caption("No holds yet.")
        names = {sid: s.name for sid, s in cat.stretches.items()}
        if len({day for _, _, day, _ in history}) > 1:
            lines = len({(stretch, angle) for stretch, angle, _, _ in history})
            st.altair_chart(range_chart(history, names), width="stretch",
                            height=CHART_PX + LEGEND_LINE_PX * (lines + 3))
        elif history:
            st.subheader("Comfortable range")
            st.markdown("\n".join(f"- {line}" for line in range_lines(history, names)))
            st.caption("A line over the days starts with the second day of holds.")
        else:
            st.caption("No comfortable range yet: it comes from holds of "
                       f"{MIN_COMFORTABLE_S:.0f} s or more that did not hurt.")

    else:
        if not sessions:
            st.info("This profile has no sessions yet.")
            st.stop()
        labels = {s.id: session_label(s, cat) for s in sessions}
        chosen = st.query_params.get("session")
        ids = list(labels)
        index = ids.index(int(chosen)) if chosen and chosen.isdigit() and int(chosen) in ids else 0
        sid = st.selectbox("Session", ids, index=index, format_func=lambda i: labels[i])
        assert sid is not None  # there are sessions and an index: one is always chosen
        info = store.session(sid)
        results = store.results(sid)
        events = store.events(sid)
        track = store.load_track(sid)
        if info.ended_at is None and not results and len(track):
            # A live session cut short (tab closed, app killed) kept its landmarks but not its
            # results: work them out again from the landmarks.
            redone = replay_session(store, sid, cat)
            results = [r.to_dict() for r in redone.results]
            events = events or redone.events
            st.caption("This session was cut short: its results are worked out again from the "
                       "stored landmarks.")
        else:
            st.caption(completion_note(info, len(track)))

        routine = cat.routines.get(info.routine) if info.routine else None
        show.summary(summarise(results, plan_of(routine) if routine else None, events))
        for line in pain_lines(events, {k: v.name for k, v in cat.stretches.items()}):
            st.error(line, icon=":material/healing:")

        shown = [r for r in results if r["stretch"] in cat.stretches]
        if shown:
            st.subheader("Angles over time")
            held = [i for i, r in enumerate(shown) if r.get("holds")]
            pick = st.selectbox("Stretch", range(len(shown)), index=held[0] if held else 0,
                                format_func=lambda i: (
                shown[i]["name"] if shown[i]["side"] == "both"
                else f"{shown[i]['name']}, {shown[i]['side']} side"))
            r = shown[pick]
            stretch = cat.stretches[r["stretch"]]
            pic, about = st.columns([1, 2])
            with pic:
                show.picture(stretch, r["side"], caption=f"{stretch.name}: the target position",
                             width="stretch")
            about.markdown(f"**{stretch.name}**" + ("" if r["side"] == "both"
                                                    else f", {r['side']} side"))
            about.caption("Each chart is one angle the coach checks. Green band: its target "
                          "range. Blue shading: held. Dashed lines: what else happened when. "
                          "Only this stretch's part of the session is shown.")
            window = stretch_window(track, stretch.id, r["side"], r.get("holds", []), events)
            charts = angle_charts(track, stretch, r["side"], events, window)
            for chart in charts:
                st.altair_chart(chart, width="stretch", height=CHART_PX)
            if not charts:
                st.info("Nothing to chart: the camera never measured this stretch's joints in "
                        "this session (it was not reached, or the body was out of view).")

        with st.expander(f"All events ({len(events)})"):
            names = {sid: s.name for sid, s in cat.stretches.items()}
            st.dataframe(pd.DataFrame(events_rows(events, names)), hide_index=True,
                         width="stretch")

        rows = results_rows(results)
        report = {"session": sid, "source": info.source_name, "routine": info.routine,
                  "started_at": info.started_at, "stretches": results,
                  "events": [e.to_dict() for e in events]}
        c1, c2, c3 = st.columns(3)
        c1.download_button("Report (JSON)", json.dumps(report, indent=1),
                           file_name=f"session-{sid}.json", mime="application/json")
        c2.download_button("Results (CSV)", pd.DataFrame(rows).to_csv(index=False),
                           file_name=f"session-{sid}-results.csv", mime="text/csv")
        c3.download_button("Frames and angles (CSV)", frames_csv_text(track),
                           file_name=f"session-{sid}-frames.csv", mime="text/csv")
