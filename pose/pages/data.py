"""Your data: export a profile's sessions, results and pain notes; delete a session, a profile,
or everything. Each deletion asks to be confirmed with a tick first, a tick for that one
session or profile only (keyed by it: a tick kept across the rerun after a deletion confirmed
the next session's, and a second click deleted it unasked), and says what it deleted."""

import streamlit as st

from pose.app_state import catalogue, db_url
from pose.export import export_zip
from pose.review import session_label
from pose.store import open_store
from pose.uploads import remove_kept
from pose.words import counted

st.title("Your data")
st.caption("Everything StretchCheck keeps stays on this computer, in one database file. "
           "Take a copy of it, or delete it, here.")

# What the last deletion did: said after the rerun that shows the store without it.
done = st.session_state.pop("data_deleted", None)
if done:
    st.success(done)

with open_store(db_url()) as store:
    st.caption(f"Stored in {store.path}")
    profiles = store.profiles()
    if not profiles:
        st.info("Nothing is stored yet.")
        st.stop()
    names = [p.name for p in profiles]
    current = st.session_state.get("profile")
    name = st.selectbox("Profile", names, index=names.index(current) if current in names else 0,
                        key="data_profile")
    profile = profiles[names.index(name)]
    sessions = store.sessions(profile.id)

    st.subheader("Export")
    st.write(f"**{profile.name}**: {counted(len(sessions), 'session')}. The zip holds their "
             "details, "
             "results per stretch and side and pain notes, as JSON and as CSV tables.")
    st.download_button("Export my data (zip)", export_zip(store, profile),
                       file_name=f"stretchcheck-{profile.name}.zip", mime="application/zip",
                       type="primary")

    st.subheader("Delete")
    if sessions:
        labels = {s.id: session_label(s, catalogue()) for s in sessions}
        sid = st.selectbox("Session", list(labels), format_func=labels.__getitem__,
                           key="data_session")
        sure = st.checkbox(f"Yes, delete session {sid} for good", key=f"sure_session_{sid}")
        if st.button("Delete this session", disabled=not sure) and sid is not None:
            remove_kept(store.delete_session(sid), store.path)
            st.session_state.data_deleted = f"{labels[sid]} deleted."
            st.rerun()
    sure = st.checkbox(f"Yes, delete profile {profile.name!r} and its "
                       f"{counted(len(sessions), 'session')} for good",
                       key=f"sure_profile_{profile.id}")
    if st.button("Delete this profile", disabled=not sure):
        remove_kept(store.delete_profile(profile.id), store.path)
        st.session_state.data_deleted = (f"Profile {profile.name!r} and its "
                                         f"{counted(len(sessions), 'session')} deleted.")
        st.rerun()
    sure = st.checkbox("Yes, delete every profile and every session for good",
                       key="sure_everything")  # after it nothing is left to confirm
    if st.button("Delete everything", type="primary", disabled=not sure):
        remove_kept(store.delete_everything(), store.path)
        st.session_state.data_deleted = "Everything deleted."
        st.rerun()
