"""Live: the webcam through the pipeline, coached through a routine, recorded as it goes."""

import streamlit as st
import streamlit.components.v1 as components
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from pose import show
from pose.app_state import camera_enabled, catalogue, db_url, rtc_configuration
from pose.errors import StretchCheckError
from pose.estimator import PoseEstimator
from pose.live import LiveSession
from pose.review import speech_script
from pose.sessions import grow_ranges, limits_for
from pose.store import open_store
from pose.summary import plan_of, summarise

st.title("Live coaching")
cat = catalogue()

with st.sidebar:
    profile_name = st.text_input("Profile", value=st.session_state.get("profile", "me"),
                                 key="profile").strip() or "me"
    routine_ids = list(cat.routines)
    linked = st.query_params.get("routine")  # a link can pick the routine: ?routine=desk-break
    routine_id = st.selectbox("Routine", routine_ids,
                              index=routine_ids.index(linked) if linked in routine_ids else 0,
                              format_func=lambda r: cat.routines[r].name, key="routine")
    model = st.radio("Pose model", ["full", "lite"], horizontal=True, key="model",
                     help="lite is faster on slow computers, full is more accurate")
    speak = st.toggle("Speak the cues", key="speak",
                      help="For stretches on the floor, when you cannot read the screen")

routine = cat.routines[routine_id]


def new_session() -> LiveSession:
    url = db_url()
    try:
        with open_store(url) as store:
            profile = store.profile(profile_name)
            limits = limits_for(store, profile, cat)
    except StretchCheckError as exc:  # a damaged store: coach anyway, without recording
        st.error(f"This session cannot be recorded: {exc}", icon=":material/error:")
        profile, limits = None, {}

    def recorder_factory(width: int, height: int, checker: dict):
        store = open_store(url)
        try:
            sid = store.start_session("live", "webcam", routine.id, model, 0.0, (width, height),
                                      profile_id=profile.id if profile else None,
                                      checker=checker)
            return sid, store.recorder(sid, owns_store=True)
        except BaseException:
            store.close()  # the recorder owns the store only once it exists
            raise

    def on_finish(session_id, report) -> None:
        # The results were written with the recording's last transaction.
        with open_store(url) as store:
            grow_ranges(store, session_id, report, profile.id if profile else None)

    return LiveSession(routine, lambda: PoseEstimator(model), recorder_factory, limits,
                       on_finish)


wanted = (profile_name, routine_id, model)
session: LiveSession | None = st.session_state.get("live_session")
if session is None or session.closed or st.session_state.get("live_for") != wanted:
    if session is not None and not session.closed:
        session.close()
    # STOP reruns the page after the session closed: keep its summary on screen until the
    # next session has frames.
    st.session_state.ended_session = (
        session if session is not None and session.closed
        and st.session_state.get("live_for") == wanted else None)
    session = new_session()
    st.session_state.live_session = session
    st.session_state.live_for = wanted

video, panel = st.columns([3, 2])
with video:
    try:
        rtc = rtc_configuration()
    except StretchCheckError as exc:  # the rest of the page (and the app) keeps working
        st.error(f"The camera cannot start: {exc}", icon=":material/error:")
        rtc = None
    if rtc is not None and camera_enabled():
        webrtc_streamer(
            key="live",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc,
            media_stream_constraints={"video": True, "audio": False},
            queued_video_frames_callback=session.on_frames,
            on_video_ended=session.close,
            async_processing=True,
        )
    elif rtc is not None:
        st.info("The camera is switched off (STRETCHCHECK_CAMERA=off).")
    first = routine.steps[0].stretch
    st.caption(f"Camera for the first stretch, {first.name}: {first.camera} "
               "Your camera's picture stays on this computer.")


@st.fragment(run_every=0.5)
def coaching_panel() -> None:
    shown = session
    snap = shown.snapshot()
    ended = st.session_state.get("ended_session")
    if not snap.frames and ended is not None:
        shown, snap = ended, ended.snapshot()
    if snap.finished or (shown.closed and snap.frames):
        st.success("Routine finished - here is how it went." if snap.finished
                   else "Session ended - here is how it went.")
        show.summary(summarise([r.to_dict() for r in shown.results()],
                               plan_of(shown.routine), snap.events))
        if shown.save_error:
            st.error(f"The results could not be saved in the session store: "
                     f"{shown.save_error}", icon=":material/sd_card_alert:")
            if shown.saved_to is not None:
                st.caption(f"They were written to {shown.saved_to} instead.")
        elif snap.session_id is not None:
            st.caption(f"Saved as session {snap.session_id}: see Review for the details.")
        if shown.finish_error:
            st.warning(f"Your comfortable ranges were not updated from this session: "
                       f"{shown.finish_error}", icon=":material/sd_card_alert:")
        return
    if not snap.frames:
        st.info(f"**{routine.name}**: {len(session.coach.plan)} stretches and sides. Press START, "
                "then step back until the camera sees you.")
        first_stretch = routine.steps[0].stretch
        show.picture(first_stretch, caption=f"First: {first_stretch.name}")
        return
    side = "" if snap.side == "both" else f" - {snap.side} side"
    st.subheader(f"{snap.step}/{snap.steps} {snap.stretch_name}{side}")
    st.caption(snap.instructions)
    show.picture(cat.stretches[snap.stretch], snap.side, width=show.SMALL_PX)
    if snap.recording_error:
        st.error(f"Recording stopped - the coaching goes on and this session's results are "
                 f"kept: {snap.recording_error}", icon=":material/sd_card_alert:")
    for problem in snap.camera:
        st.warning(problem, icon=":material/photo_camera:")
    if snap.warning:
        st.error(snap.warning, icon=":material/warning:")
    st.markdown(f"<div data-testid='live-cue' style='font-size:2rem;font-weight:700'>"
                f"{snap.cue}</div>", unsafe_allow_html=True)
    left = max(0.0, snap.target_s - snap.held_s)
    st.progress(min(1.0, snap.held_s / snap.target_s) if snap.target_s else 0.0,
                text=f"Held {snap.held_s:.0f} s - {left:.0f} s to go")
    c1, c2, c3 = st.columns(3)
    if c1.button("Resume" if snap.paused else "Pause", use_container_width=True):
        session.request("resume" if snap.paused else "pause")
    if c2.button("Skip", use_container_width=True):
        session.request("skip")
    if c3.button("Stop - it hurts", type="primary", use_container_width=True):
        session.request("pain")
    recent = [e for e in snap.events if e.kind not in ("pose_found",)][-4:]
    if recent:
        st.markdown("\n".join(f"- `{e.t_s:5.1f} s` {e.kind.replace('_', ' ')}: {e.message}"
                              for e in reversed(recent)))
    st.caption(f"{snap.frames} frames, {snap.fps:.0f} fps"
               + (f", recording session {snap.session_id}" if snap.session_id else ""))
    if speak and snap.cue != st.session_state.get("spoken"):
        st.session_state.spoken = snap.cue
        components.html(speech_script(snap.cue), height=0)


with panel:
    coaching_panel()
