"""Live: the webcam through the pipeline, coached through a routine, recorded as it goes.

Laid out for a person on a mat 2-3 m away: the mirrored video large, beside it the phase, the
stretch and side, the one cue and the hold ring in large type (``pose.live_view``); keys for
everything (Enter, space, S, P, F and the pain questions' answers;
``pose.coach_component``); a voice; the pain stop's questions.
"""

from typing import Any

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from pose import live_view as view_html
from pose.app_state import camera_enabled, catalogue, db_url, rtc_configuration
from pose.coach_component import browser_coach, local_voice
from pose.errors import StretchCheckError
from pose.estimator import PoseEstimator
from pose.live import LiveSession
from pose.live_view import CSS, coach_card
from pose.phases import AFTER_PAIN_CHOICES, FEELINGS
from pose.picture import picture_caption, picture_side, stretch_picture_uri
from pose.routines import HOLD_RANGE_S
from pose.sessions import grow_ranges, limits_for
from pose.store import open_store
from pose.summary import pain_lines, plan_of, summarise

MODELS = {"full": "Accurate", "lite": "Fast (for slower computers)"}
#: The routine a first visit opens on: the one for the people StretchCheck is for (the
#: catalogue's first, Desk break, has no stretch for the lower back).
DEFAULT_ROUTINE = "lower-back"

# The video and the coach need the whole width: the settings wait in the closed sidebar.
st.set_page_config(initial_sidebar_state="collapsed")
st.html(CSS)
cat = catalogue()

routine_ids = list(cat.routines)
if st.session_state.get("routine") not in routine_ids:  # kept from a catalogue since edited
    st.session_state.pop("routine", None)
linked = st.query_params.get("routine")  # a link can pick the routine: ?routine=desk-break
asked = st.query_params.get("model")  # ?model=lite: the fast model from the link
st.session_state.setdefault("profile", "me")
st.session_state.setdefault("routine", linked if linked in routine_ids
                            else DEFAULT_ROUTINE if DEFAULT_ROUTINE in routine_ids
                            else routine_ids[0])
st.session_state.setdefault("model", asked if asked in MODELS else next(iter(MODELS)))


def setting(key: str) -> dict[str, Any]:
    """A sidebar widget's ``key`` and ``on_change`` for the setting ``key``. A widget's value
    lives only while its page shows it: the settings are kept under keys of their own, copied
    to the widget at each run and back when it changes, so they are as the person left them
    when Live comes back (Streamlit's multipage widgets, option 2; the name and the routine
    went back to "me" and the first routine after a look at Routines, in a review)."""
    st.session_state[f"_{key}"] = st.session_state[key]

    def keep() -> None:
        st.session_state[key] = st.session_state[f"_{key}"]
    return {"key": f"_{key}", "on_change": keep}


with st.sidebar:
    profile_name = st.text_input("Your name", **setting("profile")).strip() or "me"
    routine_id = st.selectbox("Routine", routine_ids, **setting("routine"),
                              format_func=lambda r: cat.routines[r].name) or routine_ids[0]
    model = st.radio("Pose model", list(MODELS), format_func=MODELS.get, **setting("model"),
                     help="The fast model suits slower computers; the accurate one sees joints "
                          "more precisely.") or next(iter(MODELS))

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


def picture_part(stretch, side: str | None, caption: str | None = None,
                 heading: str = "") -> str:
    side = picture_side(side)
    return view_html.picture(stretch_picture_uri(stretch, side),
                             caption if caption is not None else picture_caption(stretch, side),
                             heading)


def ended_parts(shown: LiveSession, snap) -> list[str]:
    """The session's end (finished, stopped for today, or STOP): where it was saved, each
    pain stop (safety first), the summary, then START again (not after a stop for today).
    Most important first: at 720 px the end of the summary is below the fold."""
    stopped_today = snap.view.phase == "stopped_today"
    parts = [view_html.ended_notice(snap.finished, stopped_today)]
    if shown.save_error:
        where = f" They were written to {shown.saved_to} instead." if shown.saved_to else ""
        parts.append(view_html.alert(f"The results could not be saved in the session store: "
                                     f"{shown.save_error}.{where}", "error"))
    elif snap.session_id is not None:
        # The Review page opens the session its address names.
        parts.append(view_html.alert(f"Saved as session {snap.session_id}.", "info",
                                     link=("See it on Review", f"review?session="
                                           f"{snap.session_id}")))
    # Each pain stop with what was answered, or the advice for sharp pain if nothing was; the
    # summary from all the session's events (the snapshot keeps the last 50 only).
    events = shown.loop.events
    parts += [view_html.alert(line, "warning")
              for line in pain_lines(events, {k: s.name for k, s in cat.stretches.items()})]
    parts.append(view_html.summary(summarise([r.to_dict() for r in shown.results()],
                                             plan_of(shown.routine), events)))
    if shown.finish_error:
        parts.append(view_html.alert(f"Your comfortable ranges were not updated from this "
                                     f"session: {shown.finish_error}", "warning"))
    if not stopped_today:  # after sharp pain, nothing invites the routine again (nor Enter)
        parts.append(view_html.start_again())
    return parts


def coaching_parts(snap) -> list[str]:
    """The coach's column as HTML parts: before the first frame the routine's start; the
    coach card with its buttons or the pain questions, the camera notes and the stretch's
    picture while it coaches; once the session has ended, its summary."""
    shown = session
    ended = st.session_state.get("ended_session")
    if not snap.frames and ended is not None:
        shown, snap = ended, ended.snapshot()
    parts: list[str] = []
    if snap.view.phase == "stopped_today":
        parts += [coach_card(snap.view, snap.t_s), view_html.alert(snap.view.advice, "error")]
    if snap.finished or (shown.closed and snap.frames):
        return parts + ended_parts(shown, snap)
    if not snap.frames:
        first = routine.steps[0].stretch
        return [view_html.start_card(routine, local_voice()),
                picture_part(first, None, caption=f"First: {first.name}")]
    view = snap.view
    parts.append(coach_card(view, snap.t_s))
    if snap.recording_error:
        parts.append(view_html.alert(f"Recording stopped - the coaching goes on and this "
                                     f"session's results are kept: {snap.recording_error}",
                                     "error"))
    parts.append(view_html.pain_questions(view, st.session_state.get("pain_feeling"))
                 if view.phase == "pain" else view_html.controls(view.paused,
                                                                  view.skip_ends_rest))
    parts += view_html.camera_notes(snap.camera, view.cue)
    parts.append(view_html.howto(view.camera, snap.instructions, view.phase))
    parts += view_html.computer_notes(snap.frames, snap.fps, snap.busy, model == "lite")
    # The stretch's picture, small so that the panel fits a laptop's screen: the one to get
    # into and hold, or during the rest the next one (issue 12).
    if view.phase == "rest" and view.stretch in cat.stretches:
        stretch = cat.stretches[view.stretch]
        side = picture_side(snap.next_side)
        parts.append(picture_part(stretch, side, caption=stretch.camera or stretch.name,
                                  heading=f"Next: {stretch.name}"
                                  + ("" if side is None else f", {side} side")))
    elif view.phase in ("position", "hold", "cycles") and view.stretch in cat.stretches:
        parts.append(picture_part(cat.stretches[view.stretch], snap.side))
    return parts


def apply(actions: list[str], snap) -> bool:
    """Carry out the keys pressed and buttons clicked (``data-action``s); True when one
    changed what the panel shows."""
    changed = False
    pain = snap.view.phase == "pain"
    for action in actions:
        name, _, arg = action.partition(":")
        if name in ("toggle_pause", "skip", "pain") and not pain:
            session.request(name)
        elif name == "feel" and pain and arg in FEELINGS:
            st.session_state.pain_feeling = arg
        elif name == "rate" and pain and arg.isdigit() and 0 <= int(arg) <= 10:
            feeling = st.session_state.get("pain_feeling")
            if feeling is not None:
                session.request("pain_answer", feeling, int(arg))
                st.session_state.pain_feeling = None
        elif name == "after" and pain and arg in AFTER_PAIN_CHOICES:
            session.request("after_pain", arg)
        elif name == "voice":
            st.session_state.voice_on = not st.session_state.voice_on
        elif name == "fast" and model != "lite":
            # The sidebar's radio is not part of this fragment's run: it may be set here, and
            # the whole page reruns to start a session with the fast model.
            st.session_state.model = "lite"
            st.rerun(scope="app")
        else:
            continue
        changed = True
    return changed


# The whole coach's column is ONE element, our component drawing HTML, refreshed by one
# fragment; the video's column holds only the video. Streamlit 1.67 crashed the page to a blank
# white screen now and then mid-routine when the panel was made of its own elements ("Cannot set
# a node at a delta path", "Bad delta path index 10 (should be between [0, 9])": a run's delta
# for a child that the clean-up after the run before had just removed; streamlit#16708 shows
# that clean-up running with a later run's id): 1 run in 3 of the floor test on a loaded
# machine, and by its symptom a CI run, at the pain stop, its questions or the next stretch,
# with two fragments, one, and no blocks alike. A single element has only index 0, always valid.
@st.fragment(run_every=0.5)
def live_panel() -> None:
    snap = session.snapshot()
    parts = coaching_parts(snap)
    voice_on, voice = st.session_state.voice_on, local_voice()  # as the browser said last
    if voice is False:
        parts.append(view_html.alert(
            "This browser has no voice of its own on this computer, so the coach stays silent: "
            "other voices would send the words to a server.", "info"))
    parts.append(view_html.voice_row(voice_on, voice))
    actions = browser_coach(parts, snap.utterances, voice_on)
    if apply(actions, snap):
        st.rerun(scope="fragment")  # show what the press changed at once


with panel:
    live_panel()
