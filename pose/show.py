"""Streamlit pieces of the Review page: a stretch's picture, a session's summary (the Live page
draws the same as HTML, ``pose.live_view``).

Thin layout only: the picture comes from ``pose.picture``, the words from ``pose.summary``.
"""

from __future__ import annotations

import html
from typing import Literal

import streamlit as st

from pose.picture import picture_caption, picture_side, stretch_picture
from pose.stretches import Stretch
from pose.summary import SessionSummary, sentences, table_rows

#: Pixel width of a stretch's picture beside its instructions.
LARGE_PX = 420


def picture(stretch: Stretch, side: str | None = None, caption: str | None = None,
            width: int | Literal["stretch", "content"] = LARGE_PX) -> None:
    """The picture of ``stretch`` at its target on ``side`` ("both"/None: the default side).

    ``width``: pixels, or "stretch" to fill the column.
    """
    side = picture_side(side)
    st.image(stretch_picture(stretch, side), width=width, output_format="PNG",
             caption=caption if caption is not None else picture_caption(stretch, side))


def summary(result: SessionSummary) -> None:
    """"x of y done", one sentence per stretch in large type, then the table of every side."""
    if not result.rows:
        st.markdown("No stretch was held in this session.")
        return
    st.subheader(f"How it went: {result.headline}")
    # Large type: these lines are read from the mat, 2-3 m away.
    st.markdown("<ul data-testid='session-sentences' style='font-size:1.5rem;line-height:1.5'>"
                + "".join(f"<li>{html.escape(line)}</li>" for line in sentences(result))
                + "</ul>", unsafe_allow_html=True)
    st.table(table_rows(result))
