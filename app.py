"""StretchCheck: streamlit run app.py"""

import sqlite3

import streamlit as st

from pose.app_state import show_error
from pose.errors import StretchCheckError

st.set_page_config(page_title="StretchCheck", page_icon="🧘",
                   layout="wide")

pages = [
    st.Page("pose/pages/live.py", title="Live", icon=":material/videocam:", default=True),
    st.Page("pose/pages/replay.py", title="Replay", icon=":material/replay:"),
    st.Page("pose/pages/review.py", title="Review", icon=":material/insights:"),
    st.Page("pose/pages/routines.py", title="Routines", icon=":material/list_alt:"),
    st.Page("pose/pages/data.py", title="Your data", icon=":material/folder_managed:"),
]
page = st.navigation(pages)
try:
    page.run()
except (StretchCheckError, OSError, sqlite3.Error) as exc:  # a damaged store, a broken routine
    show_error(exc)
