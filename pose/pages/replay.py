"""Replay: a stored session or a video file through the same checks, played back with cues."""

import tempfile
from pathlib import Path
from typing import NoReturn

import pandas as pd
import streamlit as st

from pose.app_state import catalogue, db_url
from pose.errors import StretchCheckError
from pose.render import render_playback
from pose.review import event_label, events_rows, results_rows, session_label
from pose.sessions import analyse_video, replay_session, save_analysis
from pose.store import open_store, resolve_db
from pose.uploads import staged_upload, videos_dir

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
UPLOAD_TYPES = ["mp4", "mov", "avi", "webm", "mkv", "gif"]
#: The profile the sample videos' analyses are kept under, apart from the person's own.
SAMPLES_PROFILE = "samples"

st.title("Replay")
cat = catalogue()
url = db_url()


def analyse(path: Path, name: str, keep_video: bool, own: bool = True) -> tuple[int, list[str]]:
    """Run a video through the pipeline with a progress bar and store it; returns the session
    and the warnings about the file (e.g. one that ends early), naming it as chosen. Not
    ``own`` (a sample: someone else's body), it is stored under ``SAMPLES_PROFILE``: it
    neither counts in the person's progress nor moves their comfortable ranges, and Review
    and Your data still show it (and delete it)."""
    bar = st.progress(0.0, text=f"Analysing {name}")

    def progress(done: int, total: int) -> None:
        if total:
            bar.progress(min(1.0, done / total), text=f"Analysing {name}: frame {done} of {total}")

    try:
        report = analyse_video(path, cat, progress=progress)
    except StretchCheckError as exc:  # a damaged video: one line, naming the file as chosen
        failed(str(exc).replace(str(path), name))
    report.track.source = name
    warnings = [w.replace(str(path), name) for w in report.track.warnings]
    with open_store(url) as store:
        profile = store.profile(st.session_state.get("profile", "me") if own
                                else SAMPLES_PROFILE)
        sid = save_analysis(store, report, profile.id,
                            video_path=str(path) if keep_video else None)
    bar.empty()
    return sid, warnings


def failed(message: str) -> NoReturn:
    """An analysis that could not be done: the page starts again with the one-line error
    above an empty uploader. Stopped where it stood, the page kept the uploader of the file
    that failed, whose key was already spent: the next file picked there was dropped."""
    st.session_state.replay_error = message
    st.rerun()


def finished(analysed: tuple[int, list[str]]) -> None:
    """Show the analysed session and the warnings about its file: the page starts again, so the
    uploader and its button are empty (the file is read and gone) and only the result is on
    screen."""
    st.session_state.replay_session, st.session_state.replay_warnings = analysed
    st.rerun()


source = st.radio("Source", ["Stored session", "Video file", "Sample video"], horizontal=True)
session_id = st.session_state.get("replay_session")
for warning in st.session_state.pop("replay_warnings", []):
    st.warning(warning, icon=":material/warning:")
if "replay_error" in st.session_state:
    st.error(st.session_state.pop("replay_error"), icon=":material/error:")

if source == "Video file":
    # A new key after each analysis empties the uploader: Streamlit then drops its in-memory
    # copy of the file too.
    upload = st.file_uploader("A recording of your stretches", type=UPLOAD_TYPES,
                              key=f"upload-{st.session_state.get('uploads_done', 0)}")
    keep = st.checkbox("Keep a copy of the video with the session",
                       help="Off by default: only the body landmarks are stored, not the picture")
    if upload is not None and st.button("Analyse", type="primary"):
        # Read, then deleted at once unless kept (then in the data folder beside the store).
        st.session_state.uploads_done = st.session_state.get("uploads_done", 0) + 1
        try:
            keep_in = videos_dir(resolve_db(url)) if keep else None
            with staged_upload(upload.name, upload.getvalue(), keep_in) as path:
                analysed = analyse(path, upload.name, keep)
        except StretchCheckError as exc:
            failed(str(exc))
        except OSError as exc:
            failed(f"Could not store the upload: {exc.strerror or exc} "
                   f"({exc.filename or 'the data folder'})")
        finished(analysed)
    if upload is not None:
        st.stop()  # a new file waits for Analyse: the last one's result is not shown under it
elif source == "Sample video":
    samples = sorted(p for p in SAMPLES.glob("*") if p.suffix.lstrip(".") in UPLOAD_TYPES)
    if not samples:
        st.info("No sample videos are installed.")
        st.stop()
    sample = st.selectbox("Sample", samples, format_func=lambda p: p.name)
    if st.button("Analyse sample", type="primary"):
        finished(analyse(sample, sample.name, keep_video=True, own=False))
else:
    with open_store(url) as store:
        sessions = store.sessions()
    if not sessions:
        st.info("No stored sessions yet: analyse a video or a sample.")
        st.stop()
    labels = {s.id: session_label(s, cat) for s in sessions}
    ids = list(labels)
    session_id = st.selectbox("Session", ids, format_func=labels.__getitem__,
                              index=ids.index(session_id) if session_id in ids else 0)

if session_id is None:
    st.stop()

AS_RECORDED = "As it was recorded: the same checks and the same key presses"
AUTO = "Any stretch it recognises"
with open_store(url) as store:
    info = store.session(session_id)
    choices = [AS_RECORDED, AUTO] + list(cat.routines)
    choice = st.selectbox("Check it", choices, index=0,
                          format_func=lambda c: c if c in (AS_RECORDED, AUTO)
                          else f"As the routine {cat.routines[c].name!r}")
    if choice == AS_RECORDED:
        report = replay_session(store, session_id, cat)
    elif choice == AUTO:
        report = replay_session(store, session_id, cat, stretch="auto")
    else:
        report = replay_session(store, session_id, cat, routine=choice)
track = report.track

st.subheader(f"Session {session_id}: {Path(info.source_name).name}")
rows = results_rows(report.results)
if rows:
    # Static: long names wrap, none is cut; seconds as a person reads them, not "30.0000".
    seconds = {"target (s)": "{:.0f}", "longest hold (s)": "{:.1f}", "total held (s)": "{:.1f}"}
    st.table(pd.DataFrame(rows).style.format(seconds), hide_index=True)
else:
    st.caption("No stretch held.")

key = (session_id, choice)
if st.session_state.get("playback_for") != key:
    bar = st.progress(0.0, text="Drawing the playback")
    with tempfile.TemporaryDirectory(prefix="stretchcheck-") as folder:  # no copy left behind
        out = Path(folder) / "playback.mp4"
        render_playback(track, report, out, Path(info.video_path) if info.video_path else None,
                        progress=lambda d, n: bar.progress(d / n if n else 1.0,
                                                           text="Drawing the playback"))
        st.session_state.playback = out.read_bytes()
    bar.empty()
    st.session_state.playback_for = key

events = [e for e in report.events if e.kind not in ("pose_found",)]
jump = 0.0
if events:
    names = {sid: s.name for sid, s in cat.stretches.items()}
    # From the start unless asked: the first event may be half a minute in.
    pick = st.selectbox("Jump to event", [None, *range(len(events))],
                        format_func=lambda i: "From the start" if i is None
                        else event_label(events[i], names))
    jump = 0.0 if pick is None else max(0.0, events[pick].t_s - 1.0)
st.video(st.session_state.playback, start_time=int(jump))
if events:
    with st.expander("Timeline of events"):
        st.dataframe(pd.DataFrame(events_rows(events)), hide_index=True)
else:  # an expander over an empty table read "empty"
    st.caption("Nothing happened to note: no hold, bounce or warning.")
