"""The catalogue: every stretch's instructions, position, camera advice, target and limits."""

import streamlit as st

from pose.app_state import catalogue

st.title("Routines and stretches")
cat = catalogue()

st.subheader("Routines")
for rid, routine in cat.routines.items():
    with st.expander(f"**{routine.name}** (`{rid}`) - {len(routine.steps)} stretches"):
        st.write(routine.description)
        st.table([{"stretch": step.stretch.name, "sides": " then ".join(step.sides),
                   "hold (s)": step.hold_s} for step in routine.steps])

st.subheader("Stretch catalogue")
POSITION = {"supine": "lying on your back", "prone": "lying on your front",
            "all_fours": "on hands and knees", "kneeling": "kneeling", "seated": "sitting",
            "standing": "standing"}
for stretch in cat.stretches.values():
    with st.expander(f"**{stretch.name}** (`{stretch.id}`)"):
        st.write(stretch.instructions)
        sides = "both sides at once" if stretch.sides == "both" else "left, then right"
        kind = "slow cycles" if stretch.kind == "cycles" else "a still hold"
        st.markdown(f"- Position: {POSITION[stretch.position]}\n"
                    f"- Camera: {stretch.view} view. {stretch.camera}\n"
                    f"- Sides: {sides}; {kind} of {stretch.hold_s:.0f} s each")
        st.markdown("**What is checked**")
        st.table([{"angle": c.angle.replace("{side}", "<side>").replace("{other}", "<other>"),
                   "from": "" if c.low is None else f"{c.low:g}",
                   "to": "" if c.high is None else f"{c.high:g}",
                   "cue when too low": c.low_cue, "cue when too high": c.high_cue}
                  for c in stretch.criteria])
        if stretch.limits:
            st.markdown("**Safe limits** (beyond them is over-range)")
            st.table([{"angle": x.angle.replace("{side}", "<side>"),
                       "min": "" if x.low is None else f"{x.low:g}",
                       "max": "" if x.high is None else f"{x.high:g}", "warning": x.cue}
                      for x in stretch.limits])
