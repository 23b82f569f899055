"""The one pipeline: a live session replays to identical results, the batch entry equals the
per-frame one, report.json keeps its contract, and the pure core loads no I/O library."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import numpy as np
import pytest
from conftest import ROOT, SHARED, sample
from synthetic import poses_of, synthetic_knee_to_chest

from pose.catalogue_checker import CatalogueChecker, ScreenedFrame
from pose.coach import usable
from pose.landmarks import PoseFrame
from pose.live import LiveSession
from pose.phases import RoutinePlayer
from pose.pipeline import FrameLoop, check_track, run_poses, run_track
from pose.report import SCHEMA
from pose.routines import load_catalogue
from pose.sessions import checker_from_spec, checker_spec, replay_session
from pose.store import open_store
from pose.stretches import Routine, Step
from pose.traces import load_trace, pose_frames

A03 = "A03_physiocore_glute_bridge_side_floor.mp4"
REALCLIPS = SHARED / "realclips"


def outcome(report) -> tuple[list, list, list]:
    """What must be identical: every result, every event and what was declined for the camera
    view, as report.json writes them."""
    d = report.to_dict()
    return d["stretches"], d["events"], d["declined_for_view"]


def recorder_factory(store, routine):
    def make(width, height, checker):
        sid = store.start_session("live", "webcam", routine.id, "full", 0.0, (width, height),
                                  checker=checker)
        return sid, store.recorder(sid)

    return make


# -- live, recorded, replayed -----------------------------------------------------------------

def two_sided_routine() -> Routine:
    cat = load_catalogue()
    return Routine("two", "Two steps", "",
                   (Step(cat.stretch("knee_to_chest"), 30.0, ("left", "right")),
                    Step(cat.stretch("glute_bridge"), 30.0, ("both",))))


def test_a_live_session_replays_to_identical_results(tmp_path, monkeypatch):
    """Recorded through ``LiveSession`` (the live code path: clock, smoothing, the routine
    player and its coach, recorder) with a completed hold, release and rest, a drop-out, pause
    and resume, a pain stop during the rest with its answer and the choice after it, and a
    skip; replayed from the store with the player it was recorded with: the same results and
    events, to the digit."""
    catalogue = load_catalogue()
    monkeypatch.setattr(catalogue, "routines", {**catalogue.routines, "two": two_sided_routine()})
    routine = catalogue.routines["two"]
    track = synthetic_knee_to_chest(2.0, 34.0, 44.0)
    actions = {38.0: ("pause",), 39.0: ("resume",), 40.0: ("pain",),
               41.0: ("pain_answer", "discomfort", 3), 41.5: ("after_pain", "skip"),
               42.0: ("skip",)}
    store = open_store(tmp_path / "s.db")
    live = LiveSession(routine, lambda: None, recorder_factory(store, routine))
    for t, pose in zip(track.t_s, poses_of(track), strict=True):
        for at, action in actions.items():
            if abs(t - at) < 1e-6 or (at - 1 / 60 < t <= at + 1 / 60):
                live.request(*action)
        source_t = t + (3.0 if t >= 36.0 else 0.0)  # the camera loses 3 s during the rest
        live.process_pose(pose, source_t)
    sid = live.close()
    recorded = live.report()
    kinds = [e["kind"] for e in recorded.to_dict()["events"]]
    for kind in ("hold_completed", "dropout", "pain_stop", "pain_report", "step_started",
                 "routine_finished"):
        assert kind in kinds, kind
    assert kinds.count("step_started") == 3  # once per step: left, right, the bridge
    pain = next(e for e in recorded.events if e.kind == "pain_stop")
    assert (pain.stretch, pain.side) == ("knee_to_chest", "left")  # the stretch just done

    with store:
        again = replay_session(store, sid, catalogue)
        stored_results = store.results(sid)
        assert [(a, v) for _, a, v in store.controls(sid)] == [
            ("dropout", pytest.approx(3.0, abs=0.1)), ("pause", None), ("resume", None),
            ("pain", None), ("pain_answer:discomfort", 3.0), ("after_pain:skip", None),
            ("skip", None)]
    assert outcome(again) == outcome(recorded)
    assert again.dropouts == recorded.dropouts
    # Written with the recorder's last transaction, from memory.
    assert stored_results == recorded.to_dict()["stretches"]
    held = {(r["stretch"], r["side"]): r["held_s"] for r in stored_results}
    assert held[("knee_to_chest", "left")] == pytest.approx(32.0, abs=0.1)


def test_an_answer_given_after_the_last_frame_is_stored_and_replayed(tmp_path, monkeypatch):
    """The pain answer and the choice after it, posted after the last frame (STOP pressed right
    after answering), count: applied at the end, stored as controls after the last frame, and
    applied there again by the replay."""
    catalogue = load_catalogue()
    monkeypatch.setattr(catalogue, "routines", {**catalogue.routines, "two": two_sided_routine()})
    routine = catalogue.routines["two"]
    track = synthetic_knee_to_chest(2.0, 12.0, 14.0)
    store = open_store(tmp_path / "s.db")
    live = LiveSession(routine, lambda: None, recorder_factory(store, routine))
    for t, pose in zip(track.t_s, poses_of(track), strict=True):
        if abs(t - 10.0) < 1 / 60:
            live.request("pain")
        live.process_pose(pose, t)
    live.request("pain_answer", "discomfort", 4)
    live.request("after_pain", "end")
    with pytest.raises(ValueError):
        live.request("pain_answer", "itchy", 4)
    sid = live.close()
    recorded = live.report()
    kinds = [e.kind for e in recorded.events]
    assert kinds[-2:] == ["pain_report", "routine_finished"]
    with store:
        again = replay_session(store, sid, catalogue)
        last = float(store.load_track(sid).t_s[-1])
        controls = store.controls(sid)
    assert [(a, v) for _, a, v in controls] == [("pain", None), ("pain_answer:discomfort", 4.0),
                                                ("after_pain:end", None)]
    assert all(t > last for t, a, _ in controls if a != "pain")
    assert outcome(again) == outcome(recorded)


@pytest.mark.slow
def test_a_live_session_of_real_frames_replays_to_identical_results(tmp_path):
    """The same with the real model on real footage (A03 through ``LiveSession.process``)."""
    from pose.estimator import PoseEstimator
    from pose.video import read_video

    catalogue = load_catalogue()
    routine = catalogue.routine("floor-flow")
    store = open_store(tmp_path / "s.db")
    live = LiveSession(routine, lambda: PoseEstimator("full"), recorder_factory(store, routine))
    with read_video(sample(A03)) as reader:
        for frame in reader:
            if frame.index == 70:
                live.request("pause")
            if frame.index == 75:
                live.request("resume")
            live.process(frame.rgb, frame.t_s + (5.0 if frame.index >= 80 else 0.0))
    sid = live.close()
    recorded = live.report()
    assert any(r.record.holds for r in recorded.results)
    with store:
        again = replay_session(store, sid, catalogue)
    assert outcome(again) == outcome(recorded)


@pytest.mark.slow
def test_an_analysed_file_with_a_drop_out_replays_to_identical_results(tmp_path):
    """A file analysed with the catalogue (auto mode), its timestamps jumping 10 s at frame 45,
    saved, and replayed from the store: the same results, events and drop-out."""
    from test_clock import A03_TIMES, a03_frames, write_clip

    from pose.sessions import analyse_video, save_analysis

    src = [t + (10.0 if i >= 45 else 0.0) for i, t in enumerate(A03_TIMES)]
    clip = write_clip(tmp_path / "jump.mp4", a03_frames(), src)
    catalogue = load_catalogue()
    analysed = analyse_video(clip, catalogue)
    assert len(analysed.dropouts) == 1
    with open_store(tmp_path / "s.db") as store:
        sid = save_analysis(store, analysed, None)
        again = replay_session(store, sid, catalogue)
    assert outcome(again) == outcome(analysed)
    assert again.dropouts == analysed.dropouts


# -- batch equals per frame ---------------------------------------------------------------------

def test_batch_equals_per_frame_on_a_synthetic_session():
    track = synthetic_knee_to_chest(2.0, 20.0, 24.0)
    catalogue = load_catalogue()
    for stretch in ("auto", "knee_to_chest"):
        loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue, stretch=stretch),
                         smoothing=None)
        run_poses(loop, zip(track.t_s, poses_of(track), strict=True))
        per_frame = loop.report(loop.track(track.size, track.fps))
        batch = check_track(per_frame.track, catalogue, stretch=stretch)
        assert outcome(batch) == outcome(per_frame)
        assert per_frame.results and per_frame.results[0].record.holds


@cache
def trace(name: str) -> tuple[list[tuple[float, PoseFrame | None]], tuple[int, int]]:
    """A realclips trace as (source t_s, raw pose) pairs (the model's output, unsmoothed)."""
    path = REALCLIPS / f"{name}.npz"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    t = load_trace(path)
    return list(pose_frames(t)), t.size


def per_frame(loop: FrameLoop, frames) -> None:
    """The loop driven one ``step_pose`` at a time: what the batch entries must equal."""
    for source_t_s, pose in frames:
        loop.step_pose(pose, source_t_s)
    loop.finish()


REAL_TRACES = ["R01_knee_to_chest_side", "R02_supine_twist_three_shots",
               "R03_standing_quad_four_shots", "R04_cat_cow_side",
               "R05_seated_forward_fold_side", "R06_shoulder_neck_triceps_front",
               "R07_jumping_jacks_fast_front", "R08_seated_neck_side_bend_front",
               "R09_fast_walkouts_side"]


def raised(loop: FrameLoop) -> list[tuple]:
    """Every event the loop raised, in the order raised, with all it says."""
    return [(e.t_s, e.kind, e.stretch, e.side, e.message, e.data) for e in loop.events]


@pytest.mark.slow
@pytest.mark.parametrize("name", REAL_TRACES)
def test_batch_equals_per_frame_on_real_traces(name):
    """Raw traces through the loop frame by frame (smoothed once, pose by pose); the same
    through ``run_poses``' batch entry (smoothing, rounding, angles and screening over
    blocks); then the checked track again in one batch (``run_track``, no second smoothing):
    all three the same, every event raised in the same order, every landmark bit for bit."""
    frames, size = trace(name)
    catalogue = load_catalogue()
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue))
    per_frame(loop, frames)
    one_by_one, events = loop.report(loop.track(size, 0.0)), raised(loop)
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue))
    run_poses(loop, frames)
    chunked = loop.report(loop.track(size, 0.0))
    assert raised(loop) == events
    assert outcome(chunked) == outcome(one_by_one)
    assert chunked.dropouts == one_by_one.dropouts
    for field in ("t_s", "image", "world", "visibility", "people"):
        assert np.array_equal(getattr(chunked.track, field), getattr(one_by_one.track, field),
                              equal_nan=True), field
    checker = CatalogueChecker.for_catalogue(catalogue)
    loop = FrameLoop(checker, smoothing=None, keep_track=False)
    run_track(loop, one_by_one.track, dropouts=dict(one_by_one.dropouts))
    assert outcome(loop.report(one_by_one.track)) == outcome(one_by_one)
    assert raised(loop) == events


def test_the_batch_entry_meets_drop_outs_in_order():
    """A gap inside a chunk: the frames before it are checked before the drop-out is."""
    track = synthetic_knee_to_chest(2.0, 20.0, 24.0)
    frames = [(t + (5.0 if t > 12.0 else 0.0), p)
              for t, p in zip(track.t_s.tolist(), poses_of(track), strict=True)]
    catalogue = load_catalogue()
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue, stretch="knee_to_chest"))
    per_frame(loop, frames)
    expected, raised = loop.report(loop.track(track.size, track.fps)), loop.events
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue, stretch="knee_to_chest"))
    run_poses(loop, frames)
    got = loop.report(loop.track(track.size, track.fps))
    assert len(got.dropouts) == 1 and got.dropouts == expected.dropouts
    assert outcome(got) == outcome(expected)
    assert [(e.t_s, e.kind, e.message) for e in loop.events] == [
        (e.t_s, e.kind, e.message) for e in raised]  # every event, in the order raised
    assert any(e.kind == "dropout" for e in raised) and len(raised) > 3


# -- report.json is a contract ------------------------------------------------------------------

#: ``stretchcheck.report/1`` as first released: fields may be added, never renamed or removed.
REPORT_V1 = {"schema", "source", "fps", "frames", "frames_with_pose", "duration_s", "model",
             "mode", "routine", "stretches", "events", "warnings"}
STRETCH_V1 = {"stretch", "name", "side", "target_hold_s", "holds", "held_s", "longest_hold_s",
              "completed", "bounces", "over_range", "pain_stops"}
HOLD_V1 = {"start_s", "end_s", "duration_s", "in_form_fraction"}
EVENT_V1 = {"t_s", "kind", "stretch", "side", "message"}
BOUNCE_V1 = {"t_s", "angle", "amplitude_deg", "frequency_hz"}


def check_contract(d: dict) -> None:
    assert d["schema"] == SCHEMA == "stretchcheck.report/1"
    assert REPORT_V1 <= set(d)
    assert isinstance(d["stretches"], list) and isinstance(d["events"], list)
    for s in d["stretches"]:
        assert STRETCH_V1 <= set(s)
        assert s["side"] in ("left", "right", "both")
        assert isinstance(s["completed"], bool)
        for h in s["holds"]:
            assert HOLD_V1 <= set(h) and 0 <= h["start_s"] <= h["end_s"]
        for b in s["bounces"]:
            assert BOUNCE_V1 <= set(b)
    for e in d["events"]:
        assert EVENT_V1 <= set(e) and e["t_s"] >= 0
    json.loads(json.dumps(d))  # plain JSON all the way down


def test_report_contract_synthetic_bounce_and_hold():
    from body import Camera, bounce, moving, posture, sequence

    from pose.track import Track

    catalogue = load_catalogue()
    pose, place = posture("supine", knee_flexion=90.0, hip_flexion=45.0)
    t = np.arange(0.0, 14.0, 1 / 30)
    motion = moving(pose, hip_flexion_left=bounce(118.0, 8.0, 2.0),
                    knee_flexion_left=110.0)
    image, world, vis = sequence(motion, t, place, Camera("side_left"), rng=2, noise_m=0.001)
    track = Track(t, image, world, vis, np.ones(len(t), np.int64), (640, 480), 30.0, "synthetic")
    d = check_track(track, catalogue, stretch="knee_to_chest").to_dict()
    check_contract(d)
    assert any(e["kind"] == "bounce" for e in d["events"])  # bounces are events of kind bounce
    assert d["dropouts"] == []  # added in issue 9


@pytest.mark.slow
def test_report_contract_of_the_cli(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "pose", "analyze", str(sample(A03)), "--out",
                             str(out)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    check_contract(json.loads((out / "report.json").read_text()))


# -- the pure core --------------------------------------------------------------------------------

CORE = ("pose.landmarks", "pose.angles", "pose.smoothing", "pose.stretches", "pose.checks",
        "pose.block_checks", "pose.hold", "pose.bounce", "pose.cycles", "pose.events",
        "pose.coach", "pose.clock", "pose.catalogue_checker", "pose.pipeline", "pose.track",
        "pose.report", "pose.personal", "pose.body", "pose.figure", "pose.summary", "pose.words",
        "pose.phases", "pose.voice")
IO_LIBRARIES = ("mediapipe", "av", "cv2", "streamlit", "sqlite3", "tomllib")


def test_the_pure_core_imports_no_io_library():
    code = ("import sys\n"
            f"for m in {CORE!r}: __import__(m)\n"
            f"print(','.join(m for m in {IO_LIBRARIES!r} if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""



class _EagerChecker(CatalogueChecker):
    """The catalogue checker as it was before idle stretches were left behind: every idle
    stretch screened out of a frame (or in a frame without a usable pose) moved along
    (``out_of_position``) in that very frame."""

    def update(self, t_s, pose, angles, hint=None):
        events = []
        row = hint if isinstance(hint, ScreenedFrame) and usable(pose) else None
        for k, checker in enumerate(self.checkers):
            if (not usable(pose) or (row is not None and not row.moves[k])) and checker.idle:
                checker.out_of_position(t_s)
            elif row is not None:
                verdict = row.judgements[k].verdict(row.i, angles, pose.visibility)
                events.extend(checker.update_judged(t_s, verdict, angles, pose.visibility))
            else:
                events.extend(checker.observe(t_s, pose, angles)[1])
        return None, events


@pytest.mark.slow
@pytest.mark.parametrize("name", ["R02_supine_twist_three_shots", "R07_jumping_jacks_fast_front"])
@pytest.mark.parametrize("max_times", [4096, 2])
def test_idle_stretches_left_behind_catch_up_exactly(name, max_times):
    """Idle stretches screened out of a frame are left behind and caught up later
    (``CatalogueChecker.update``), also with the frame times they keep trimmed hard: every
    event, hold and report the same as moving each one along every frame, across a drop-out
    (the second half of the trace 2 s later) too."""
    frames, size = trace(name)
    half = len(frames) // 2
    frames = frames[:half] + [(t + 2.0, p) for t, p in frames[half:]]
    catalogue = load_catalogue()
    eager = FrameLoop(_EagerChecker.for_catalogue(catalogue))
    checker = CatalogueChecker.for_catalogue(catalogue)
    checker.max_times = max_times
    lazy = FrameLoop(checker)
    for i in range(0, len(frames), 97):
        eager.step_poses(frames[i:i + 97])
        lazy.step_poses(frames[i:i + 97])
        checker._catch_up_all()  # what any question to the checker does first
        assert [_state(c) for c in checker.checkers] == \
            [_state(c) for c in eager.checker.checkers]
    eager.finish()
    lazy.finish()
    assert lazy.dropouts and lazy.dropouts == eager.dropouts
    assert raised(lazy) == raised(eager)
    assert outcome(lazy.report(lazy.track(size, 0.0))) == \
        outcome(eager.report(eager.track(size, 0.0)))
    assert checker.declined() == eager.checker.declined()


def _state(checker) -> list:
    """All a ``StretchChecker`` keeps from frame to frame (timers, speed gates, bounce
    detectors, cycle counters and its own)."""
    parts = [*checker.timers.values(), *checker._still.values(),
             *(d for dets in checker._detectors.values() for d in dets),
             *(c for cs in checker._cycles.values() for c in cs)]
    own = {k: v for k, v in vars(checker).items()
           if k not in ("timers", "_still", "_detectors", "_cycles", "stretch")}
    return [own] + [vars(p) for p in parts]


def test_a_session_recorded_before_skip_ended_a_rest_replays_its_skips_as_skips():
    """S in a rest skipped the next stretch until 5cecd41 and ends the rest since: a session
    stored before (its checker has no ``skip_ends_rest``) replays with its S meaning what it
    meant, so that its replay skips what the person skipped."""
    catalogue = load_catalogue()
    spec = checker_spec(RoutinePlayer(catalogue.routine("lower-back")), None)
    assert spec["skip_ends_rest"] is True
    assert checker_from_spec(spec, catalogue).skip_ends_rest is True
    old = {k: v for k, v in spec.items() if k != "skip_ends_rest"}
    assert checker_from_spec(old, catalogue).skip_ends_rest is False
