"""Review: how well each stretch was held, angle plots, and progress across days."""

import json

import pandas as pd
import streamlit as st

from pose.app_state import catalogue, db_url
from pose.replay import replay
from pose.review import (angle_chart, daily_chart, events_rows, pain_lines, range_chart,
                         results_rows)
from pose.store import open_store
from pose.track import frames_csv_text

st.title("Review")
cat = catalogue()

with open_store(db_url()) as store:
    profiles = store.profiles()
    if not profiles:
        st.info("No sessions yet. Record one on the Live page, or analyse a video on Replay.")
        st.stop()
    names = [p.name for p in profiles]
    current = st.session_state.get("profile", names[0])
    profile = profiles[names.index(current)] if current in names else profiles[0]
    profile = profiles[names.index(st.selectbox("Profile", names, index=profiles.index(profile)))]
    sensitive = st.toggle("Flexion-sensitive back", value=profile.flexion_sensitive,
                          help="Forward-bending stretches start small and grow more slowly")
    if sensitive != profile.flexion_sensitive:
        store.set_flexion_sensitive(profile.id, sensitive)

    sessions = store.sessions(profile.id)
    tab_session, tab_history = st.tabs(["Session", "Progress"])
    with tab_history:
        daily = store.daily_seconds(profile.id)
        history = store.range_history(profile.id)
        if daily:
            st.altair_chart(daily_chart(daily), use_container_width=True)
        else:
            st.caption("No holds yet.")
        if history:
            st.altair_chart(range_chart(history), use_container_width=True)

    with tab_session:
        if not sessions:
            st.info("This profile has no sessions yet.")
            st.stop()
        labels = {s.id: f"#{s.id} {s.started:%Y-%m-%d %H:%M} - {s.source} "
                        f"{s.routine or 'auto'} ({s.duration_s:.0f} s)" for s in sessions}
        chosen = st.query_params.get("session")
        ids = list(labels)
        index = ids.index(int(chosen)) if chosen and chosen.isdigit() and int(chosen) in ids else 0
        sid = st.selectbox("Session", ids, index=index, format_func=labels.get)
        info = store.session(sid)
        results = store.results(sid)
        events = store.events(sid)
        track = store.load_track(sid)
        if not results and len(track):
            # A session cut short (tab closed, app killed) kept its landmarks but not its
            # results: work them out again from the landmarks.
            redone = replay(track, cat, routine=info.routine if info.routine in cat.routines
                            else None)
            results = [r.to_dict() for r in redone.results]
            events = events or redone.events
            st.caption("This session ended early: its results are worked out from the stored "
                       "landmarks.")

        st.subheader("Hold accuracy per stretch and side")
        rows = results_rows(results)
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
        else:
            st.caption("No stretch was held in this session.")
        for line in pain_lines(events, {k: v.name for k, v in cat.stretches.items()}):
            st.error(line, icon=":material/healing:")

        shown = [r for r in results if r["stretch"] in cat.stretches]
        if shown:
            st.subheader("Angles over time")
            pick = st.selectbox("Stretch", range(len(shown)),
                                format_func=lambda i: f"{shown[i]['name']} ({shown[i]['side']})")
            r = shown[pick]
            st.altair_chart(angle_chart(track, cat.stretches[r["stretch"]], r["side"], events),
                            use_container_width=True)
            st.caption("Shaded: the target range. Dashed lines: events (hover for what).")

        with st.expander(f"Events ({len(events)})"):
            st.dataframe(pd.DataFrame(events_rows(events)), hide_index=True)

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
