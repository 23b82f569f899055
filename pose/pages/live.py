"""Live: the webcam through the pipeline, coached through a routine, recorded as it goes.

Laid out for a person on a mat 2-3 m away: the mirrored video large, beside it the phase, the
stretch and side, the one cue and the hold ring in large type (``pose.live_view``); keys for
everything (space, S, P, F; ``pose.coach_component``); a voice; the pain stop's questions.
"""

from typing import Any

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from pose import show
from pose.app_state import camera_enabled, catalogue, db_url, rtc_configuration
from pose.coach_component import browser_coach
from pose.errors import StretchCheckError
from pose.estimator import PoseEstimator
from pose.live import LiveSession
from pose.live_view import CSS, coach_card
from pose.phases import AFTER_PAIN_CHOICES, FEELINGS
from pose.routines import HOLD_RANGE_S
from pose.sessions import grow_ranges, limits_for
from pose.store import open_store
from pose.summary import plan_of, summarise

#: Fewer processed frames a second than this and the hold timing and bounce checks suffer.
SLOW_FPS = 10.0
MODELS = {"full": "Accurate", "lite": "Fast (for slower computers)"}

# The video and the coach need the whole width: the settings wait in the closed sidebar.
st.set_page_config(initial_sidebar_state="collapsed")
st.html(CSS)
cat = catalogue()

with st.sidebar:
    profile_name = st.text_input("Your name", value=st.session_state.get("profile", "me"),
                                 key="profile").strip() or "me"
    routine_ids = list(cat.routines)
    linked = st.query_params.get("routine")  # a link can pick the routine: ?routine=desk-break
    routine_id = st.selectbox("Routine", routine_ids,
                              index=routine_ids.index(linked) if linked in routine_ids else 0,
                              format_func=lambda r: cat.routines[r].name, key="routine")
    asked = st.query_params.get("model")  # ?model=lite: the fast model from the link
    model = st.radio("Pose model", list(MODELS), format_func=MODELS.get, key="model",
                     index=list(MODELS).index(asked) if asked in MODELS else 0,
                     help="The fast model suits slower computers; the accurate one sees joints "
                          "more precisely.")

routine = cat.routines[routine_id]
unusual = [f"{s.stretch.name} {s.hold_s:.0f} s" for s in routine.steps
           if not HOLD_RANGE_S[0] <= s.hold_s <= HOLD_RANGE_S[1]]
if unusual:
    st.sidebar.warning(f"This routine's holds ({', '.join(unusual)}) are outside the usual "
                       f"advice of {HOLD_RANGE_S[0]:.0f}-{HOLD_RANGE_S[1]:.0f} s a side.")
st.session_state.setdefault("voice_on", True)


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

    return LiveSession(routine, lambda: PoseEstimator(model, count_in_background=True),
                       recorder_factory, limits, on_finish)


wanted = (profile_name, routine_id, model)
session: LiveSession
previous: LiveSession | None = st.session_state.get("live_session")
if previous is None or previous.closed or st.session_state.get("live_for") != wanted:
    if previous is not None and not previous.closed:
        previous.close()
    # STOP reruns the page after the session closed: keep its summary on screen until the
    # next session has frames.
    st.session_state.ended_session = (
        previous if previous is not None and previous.closed
        and st.session_state.get("live_for") == wanted else None)
    session = new_session()
    st.session_state.live_session = session
    st.session_state.live_for = wanted
else:
    session = previous

# The coach first: on a narrow window (or zoomed in) the columns stack and it comes on top.
panel, video = st.columns([4, 5], gap="medium")
with video:
    rtc: dict[str, Any] | None
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
            # Each frame processed as it arrives, late ones skipped (pose.live, issue 14).
            video_frame_callback=session.on_frame,
            on_video_ended=session.close,  # type: ignore[arg-type]  # its return value unused
            async_processing=False,
        )
    elif rtc is not None:
        st.info("The camera is switched off (STRETCHCHECK_CAMERA=off).")


def pain_questions(snap) -> None:
    """After the pain stop: what it is, how bad, then what to do."""
    if snap.view.pain_feeling is None:
        feeling = st.session_state.get("pain_feeling")
        st.markdown("<div class='sc-sub'>What do you feel?</div>", unsafe_allow_html=True)
        for key, words in FEELINGS.items():
            if st.button(words, key=f"sc-feel-{key}", use_container_width=True,
                         type="primary" if feeling == key else "secondary"):
                st.session_state.pain_feeling = key
                feeling = key
        if feeling is not None:
            st.markdown("<div class='sc-sub'>How strong is it? 0 is none, 10 the worst</div>",
                        unsafe_allow_html=True)
            for row in (range(0, 6), range(6, 11)):
                cols = st.columns(6)
                for col, n in zip(cols, row, strict=False):
                    if col.button(str(n), key=f"sc-rate-{n}", use_container_width=True):
                        session.request("pain_answer", feeling, n)
                        st.session_state.pain_feeling = None
    else:
        choice_words = {"rest": "Rest, then try again", "skip": "Skip this stretch",
                        "end": "End for today"}
        for choice in AFTER_PAIN_CHOICES:
            if st.button(choice_words[choice], key=f"sc-after-{choice}", use_container_width=True):
                session.request("after_pain", choice)


def coaching(snap) -> bool:
    """The coach card and its buttons, or the pain questions; before the first frame the
    routine's start; once the session has ended, its summary. True while it coaches."""
    shown = session
    ended = st.session_state.get("ended_session")
    if not snap.frames and ended is not None:
        shown, snap = ended, ended.snapshot()
    if snap.view.phase == "stopped_today":
        st.markdown(coach_card(snap.view, snap.t_s), unsafe_allow_html=True)
        st.error(snap.view.advice, icon=":material/medical_services:")
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
        return False
    if not snap.frames:
        first = routine.steps[0].stretch
        st.markdown(
            f"<div class='sc-card' style='--sc-phase:#0072b2'><div class='sc-label'>"
            f"{routine.name}</div><div class='sc-sub'>{len(routine.steps)} stretches. Press "
            f"START, then get ready on your mat: I will tell you each step aloud.</div>"
            f"<div class='sc-note'>First: {first.name}. {first.camera}</div></div>",
            unsafe_allow_html=True)
        show.picture(first, caption=f"First: {first.name}")
        return False
    st.markdown(coach_card(snap.view, snap.t_s), unsafe_allow_html=True)
    if snap.recording_error:
        st.error(f"Recording stopped - the coaching goes on and this session's results are "
                 f"kept: {snap.recording_error}", icon=":material/sd_card_alert:")
    if snap.view.phase == "pain":
        pain_questions(snap)
    else:
        if st.button("Stop - it hurts (P)", key="sc-pain", use_container_width=True):
            session.request("pain")
        c1, c2 = st.columns(2)
        if c1.button("Go on (space)" if snap.view.paused else "Pause (space)", key="sc-pause",
                     use_container_width=True):
            session.request("toggle_pause")
        if c2.button("Skip (S)", key="sc-skip", use_container_width=True):
            session.request("skip")
    return True


def stretch_picture(snap) -> None:
    """The stretch's picture, small so that the panel fits a laptop's screen: the one to get
    into and hold, or during the rest the next one (issue 12)."""
    view = snap.view
    if view.phase == "rest" and view.stretch in cat.stretches:
        show.next_up(cat.stretches[view.stretch], snap.next_side, width=show.SMALL_PX)
    elif view.phase in ("position", "hold", "cycles") and view.stretch in cat.stretches:
        show.picture(cat.stretches[view.stretch], snap.side, width=show.SMALL_PX)


def camera_notes(snap) -> None:
    """Camera problems and advice, how to do the stretch, the slow-computer notice."""
    for problem in snap.camera:
        st.warning(problem, icon=":material/photo_camera:")
    if snap.frames and snap.view.phase in ("position", "rest"):
        st.markdown(f"<div class='sc-howto'><b>Camera:</b> {snap.view.camera}</div>",
                    unsafe_allow_html=True)
    if snap.frames and snap.view.phase == "position":
        with st.expander("How to do it"):
            st.markdown(f"<div class='sc-howto'>{snap.instructions}</div>",
                        unsafe_allow_html=True)
    if snap.frames > 30 and snap.fps < SLOW_FPS:
        st.warning(f"This computer checks only {snap.fps:.0f} pictures a second; coaching "
                   f"needs {SLOW_FPS:.0f} or more to time holds and see bouncing.",
                   icon=":material/speed:")
        if model != "lite" and st.button("Use the fast pose model", key="sc-fast"):
            # The sidebar's radio is not part of this fragment's run: it may be set here, and
            # the whole page reruns to start a session with the fast model.
            st.session_state.model = "lite"
            st.rerun(scope="app")
    elif snap.busy:  # from the frames really skipped (pose.live.BUSY_SKIPPED_SHARE)
        st.info("Your computer is busy: some frames are skipped.", icon=":material/speed:")


def voice_and_keys(snap) -> None:
    """The voice switch, full screen, and the browser side (keys, voice)."""
    voice_on = st.session_state.voice_on
    voice_col, screen_col = st.columns([3, 2], vertical_alignment="center")
    if voice_col.button("Voice: on - turn it off" if voice_on else "Voice: off - turn it on",
                        key="sc-voice"):
        st.session_state.voice_on = voice_on = not voice_on
    with screen_col:
        actions, local = browser_coach(snap.utterances, voice_on)
    if local is False and voice_on:
        st.info("This browser has no voice of its own on this computer, so the coach stays "
                "silent: other voices would send the words to a server.",
                icon=":material/volume_off:")
    for action in actions:
        if action in ("toggle_pause", "skip", "pain") and snap.view.phase != "pain":
            session.request(action)


# One fragment for everything that changes, in the coach's column; the video's column holds
# only the video. With two fragments rerunning every half second (coach | under the video),
# Streamlit 1.67's page now and then crashed to a blank white screen mid-routine ("Cannot set a
# node at a delta path" in the browser; 2 of 3 runs of the floor test on a loaded machine, and
# by its symptom a CI run), the known fragility of its clean-up when fragment reruns interleave
# (streamlit#15084, #16708; 1.67 can run fragments in parallel).
@st.fragment(run_every=0.5)
def live_panel() -> None:
    snap = session.snapshot()
    coaching_now = coaching(snap)
    camera_notes(snap)
    if coaching_now:
        stretch_picture(snap)
    voice_and_keys(snap)


with panel:
    live_panel()
