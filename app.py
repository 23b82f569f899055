"""StretchCheck: streamlit run app.py"""

import streamlit as st

st.set_page_config(page_title="StretchCheck", page_icon="🧘",
                   layout="wide")

pages = [
    st.Page("pose/pages/live.py", title="Live", icon=":material/videocam:", default=True),
    st.Page("pose/pages/replay.py", title="Replay", icon=":material/replay:"),
    st.Page("pose/pages/review.py", title="Review", icon=":material/insights:"),
    st.Page("pose/pages/routines.py", title="Routines", icon=":material/list_alt:"),
    st.Page("pose/pages/data.py", title="Your data", icon=":material/folder_managed:"),
]
st.navigation(pages).run()
