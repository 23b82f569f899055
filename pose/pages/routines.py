"""Routines and stretches for a person: a picture of each stretch, what to do, how long."""

import streamlit as st

from pose.app_state import catalogue
from pose.figure import target_pose
from pose.picture import stretch_picture
from pose.words import POSITION_WORDS, duration_text, hold_text, range_rows, routine_seconds

PER_ROW = 4  # routine steps per row: names stay whole on a laptop with the sidebar open

st.title("Routines and stretches")
cat = catalogue()

st.header("Routines")
for routine in cat.routines.values():
    with st.container(border=True):
        st.subheader(f"{routine.name} - {duration_text(routine_seconds(routine))}")
        st.write(routine.description)
        numbered = list(enumerate(routine.steps, start=1))
        for start in range(0, len(numbered), PER_ROW):
            row = numbered[start:start + PER_ROW]  # the last row may be short
            for col, (n, step) in zip(st.columns(PER_ROW), row, strict=False):
                col.image(stretch_picture(step.stretch, None, 320, 240),
                          width="stretch", output_format="PNG")
                col.markdown(f"**{n}. {step.stretch.name}**  \n"
                             f"{hold_text(step.stretch, step.hold_s)}")

st.header("Every stretch")
for stretch in cat.stretches.values():
    with st.container(border=True):
        pic, text = st.columns([2, 3])
        shown = "" if stretch.sides == "both" else " Shown on the left side; then the right."
        pic.image(stretch_picture(stretch), width="stretch", output_format="PNG",
                  caption=f"Green: the part being stretched.{shown}")
        problems = target_pose(stretch).problems
        if problems:  # `stretchcheck routines check` reports these too
            pic.warning("This picture cannot show the definition exactly: "
                        + "; ".join(problems), icon=":material/warning:")
        with text:
            st.subheader(stretch.name)
            st.markdown(f"**{POSITION_WORDS[stretch.position].capitalize()}** · "
                        f"**{hold_text(stretch)}**")
            st.write(stretch.instructions)
            camera = stretch.camera or "whole body in view."
            st.markdown(f":material/photo_camera: **Camera:** {camera}")
            used = [r.name for r in cat.routines.values()
                    if any(s.stretch.id == stretch.id for s in r.steps)]
            if used:
                st.caption("In the routines: " + ", ".join(used))
            with st.expander("Angle ranges (for whoever tunes them)"):
                st.dataframe(range_rows(stretch), hide_index=True, width="stretch")
