"""Routines and stretches for a person: a picture of each stretch, what to do, how long."""

import streamlit as st

from pose.app_state import catalogue
from pose.figure import target_pose
from pose.picture import picture_legend, stretch_picture
from pose.stretches import Catalogue
from pose.words import (
    POSITION_WORDS,
    duration_text,
    hold_text,
    range_rows,
    routine_seconds,
    stretches_by_position,
)

PER_ROW = 4  # routine steps per row: names stay whole on a laptop with the sidebar open


def show_routines(cat: Catalogue) -> None:
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


def show_stretches(cat: Catalogue) -> None:
    st.write("In the order a floor routine goes: on hands and knees, kneeling, lying, then "
             "sitting and standing.")
    ranges = st.toggle("Show the angle ranges (for whoever tunes the checks)", value=False)
    for stretch in stretches_by_position(cat.stretches.values()):
        with st.container(border=True):
            pic, text = st.columns([2, 3])
            pic.image(stretch_picture(stretch), width="stretch", output_format="PNG")
            pic.write(picture_legend(stretch))  # body text: the caption style is small and faint
            problems = target_pose(stretch).problems
            if problems:  # `stretchcheck routines check` reports these too
                pic.warning("This picture cannot show the definition exactly: "
                            + "; ".join(problems), icon=":material/warning:")
            with text:
                st.subheader(stretch.name)
                st.markdown(f"**{POSITION_WORDS[stretch.position].capitalize()}** · "
                            f"**{hold_text(stretch)}**")
                st.write(stretch.instructions)
                camera = stretch.camera or "Camera where it sees your whole body."
                st.markdown(f":material/photo_camera: {camera}")
                used = [r.name for r in cat.routines.values()
                        if any(s.stretch.id == stretch.id for s in r.steps)]
                if used:
                    st.caption("In the routines: " + ", ".join(used))
            if ranges:  # under the card's picture and text, full width: every column shows
                st.table(range_rows(stretch), hide_index=True)


st.title("Routines and stretches")
cat = catalogue()
routines_tab, stretches_tab = st.tabs(["Routines", "Every stretch"])
# Each picture is posed by a solver the first time (``pose.figure``, 0.05-1 s a stretch), then
# cached: say so while the first visit draws them.
with st.spinner("Drawing the stretch pictures (a few seconds the first time)"):
    with routines_tab:
        show_routines(cat)
    with stretches_tab:
        show_stretches(cat)
