"""The live path as streamlit-webrtc runs it: frames skipped and counted, the busy line's data,
the people count off the model's thread, the overlay handed to the encoder as yuv420p.

Speed itself is measured by ``stretchcheck bench`` (``pose.live_bench``), never asserted here.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from conftest import sample
from synthetic import EmptyRoom

from pose import live as live_module
from pose.landmarks import PoseFrame
from pose.live import (
    BUSY_CLEAR_SHARE,
    BUSY_SKIPPED_SHARE,
    LATE_S,
    LATE_WINDOW_S,
    MAX_SKIP_S,
    LiveSession,
    frame_to_i420,
    frame_to_rgb,
    rgb_to_frame,
)
from pose.live_bench import camera_pictures, run_through_track
from pose.live_view import coach_card
from pose.phases import PlayerView
from pose.routines import load_catalogue

A03 = "A03_physiocore_glute_bridge_side_floor.mp4"


class SlowRoom(EmptyRoom):
    """An empty room seen by a computer slower than the camera: each frame takes ``delay_s``."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    def process(self, rgb: np.ndarray, t_s: float) -> None:
        time.sleep(self.delay_s)
        return None


def routine():
    return load_catalogue().routine("desk-break")


def camera_frame(picture: np.ndarray, t_s: float) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(cv2.cvtColor(picture, cv2.COLOR_RGB2YUV_I420),
                                       format="yuv420p")
    frame.pts, frame.time_base = round(t_s * 90_000), Fraction(1, 90_000)
    return frame


def test_frames_a_slow_computer_cannot_take_are_skipped_and_counted():
    # A 200 fps camera and 20 ms a frame: the page cannot keep up, through streamlit-webrtc's
    # own processing track, and must skip (not queue) frames, and say how many.
    session = LiveSession(routine(), lambda: SlowRoom(0.02))
    pictures = [np.full((72, 64), 128, np.uint8)]  # I420 of a grey 64x48 picture
    run = run_through_track(session.on_frame, pictures, 1.0, fps=200.0, ended=session.close)
    snap = session.snapshot()
    assert run.camera_frames == 200
    assert session.dropped > 0 and snap.dropped == session.dropped
    # Every camera frame was either processed or skipped, and only the processed ones count
    # as frames; the clock saw them all, so the skipping is no drop-out.
    assert snap.frames == len(run.processed_pts)
    assert snap.frames + session.dropped == run.camera_frames
    assert session.loop.clock.t_s == pytest.approx(199 / 200)
    assert not session.loop.dropouts
    assert snap.busy  # the page's "Your computer is busy" line


def test_late_frames_are_skipped_on_the_cameras_own_timing(monkeypatch):
    """A frame ``LATE_S`` behind the camera's timing is skipped and the last picture shown
    again; a camera clock slower than ours is not taken for lateness."""
    now = [100.0]
    monkeypatch.setattr(live_module.time, "monotonic", lambda: now[0])
    session = LiveSession(routine(), EmptyRoom)
    grey = np.full((48, 64, 3), 90, np.uint8)

    def arrive(t_s: float, delay_s: float) -> av.VideoFrame:
        now[0] = 100.0 + t_s + delay_s
        return session.on_frame(camera_frame(grey, t_s))

    first = arrive(0.0, 0.0)
    assert session.dropped == 0 and first.format.name == "yuv420p"
    assert arrive(1 / 30, LATE_S / 2) is not first  # jitter: processed
    shown = arrive(2 / 30, 0.0)
    assert arrive(3 / 30, LATE_S + 0.001) is shown  # late: skipped, last picture again
    assert session.dropped == 1 and session.snapshot().frames == 3
    assert session.loop.clock.t_s == pytest.approx(3 / 30)  # its time still counts
    # A camera whose clock runs 0.2 % slow: 30 s later its frames arrive 60 ms "late" by the
    # first frame's reckoning, but the reference follows, so nothing is skipped.
    for i in range(4, 900):
        arrive(i / 30, i / 30 * 0.002)
    assert session.dropped == 1
    assert not session.snapshot().busy
    # The delay grows for good (the browser's jitter buffer): a few frames skipped, never
    # more than MAX_SKIP_S in a row, then the new delay is the camera's timing.
    skipped = []
    for i in range(900, 1050):
        before = session.dropped
        arrive(i / 30, 900 / 30 * 0.002 + 0.2)
        skipped.append(session.dropped > before)
    runs = "".join("s" if x else "." for x in skipped).split(".")
    assert 0 < max(len(r) for r in runs) <= round(MAX_SKIP_S * 30)
    assert not any(skipped[round(LATE_WINDOW_S * 30) + 1:])
    dropped = session.dropped
    # The camera restarts: its times start again from 0, which is not lateness.
    assert arrive(0.0, 80.0) is not shown and arrive(1 / 30, 80.0) is not shown
    assert session.dropped == dropped


def test_busy_follows_the_share_of_frames_skipped_lately():
    session = LiveSession(routine(), EmptyRoom)
    blank = np.zeros((48, 64, 3), np.uint8)
    t = 0.0
    for i in range(60):  # every other frame skipped: a third of the camera's frames
        t += 1 / 30
        if i % 2 == 0:
            session.skip(t)
            t += 1 / 30
        session.process(blank, t)
    snap = session.snapshot()
    assert snap.dropped == 30 and snap.frames == 60
    assert snap.busy and BUSY_SKIPPED_SHARE <= 1 / 3
    for _ in range(60):  # keeping up again
        t += 1 / 30
        session.process(blank, t)
    snap = session.snapshot()
    assert snap.dropped == 30 and not snap.busy


def test_the_busy_line_does_not_blink_while_the_share_skipped_wavers():
    """Once a quarter of the recent frames were skipped the line is said, and it stays while
    the share skipped wavers between an eighth and a third; it goes once under a tenth."""
    session = LiveSession(routine(), EmptyRoom)
    blank = np.zeros((48, 64, 3), np.uint8)
    t, shown = 0.0, []
    for period in (2, 2, 3, 3, 7, 7, 3, 7, 3, 7) * 3:  # a skip every 2nd, 3rd or 7th frame
        for i in range(period * 6):
            t += 1 / 30
            if i % period == 0:
                session.skip(t)
                t += 1 / 30
            session.process(blank, t)
            shown.append(session.snapshot().busy)
    first = shown.index(True)
    assert all(shown[first:])
    assert BUSY_CLEAR_SHARE < 1 / 8 < 1 / 4 <= BUSY_SKIPPED_SHARE < 1 / 3
    for _ in range(60):  # keeping up again
        t += 1 / 30
        session.process(blank, t)
    assert not session.snapshot().busy


def test_people_counted_off_the_models_thread_give_the_same_counts():
    from pose.estimator import PoseEstimator
    from pose.video import read_video

    with read_video(sample("tfjs_pose.jpg")) as reader:
        person = next(iter(reader)).rgb
    two = np.concatenate([person, person[:, ::-1]], axis=1)
    frames = [two] * 5 + [np.ascontiguousarray(two[:, : person.shape[1]])] * 5
    seen = {}
    for way in ("inline", "background", "frame buffer"):
        people = []
        with PoseEstimator(count_people_every_s=0.5,
                           count_in_background=way != "inline") as est:
            for i, rgb in enumerate(frames):
                if way == "frame buffer":  # as the live camera's frames reach the model
                    buffer = est.frame_buffer(rgb.shape[1], rgb.shape[0])
                    np.copyto(buffer, rgb)
                    pose = est.process(buffer, i * 0.6)
                    buffer[:] = 0  # the next frame, written while the count may still run
                else:
                    pose = est.process(rgb, i * 0.6)
                people.append(pose.people if pose is not None else None)
                est.wait_for_count()  # so that the test does not depend on the thread's speed
            seen[way] = (est.people_counts, people)
    (counts, inline), (counts_bg, background) = seen["inline"], seen["background"]
    assert counts == counts_bg and max(counts) == 2 and counts[-1] == 1
    assert seen["frame buffer"] == seen["background"]  # the count looked at its own copy
    assert [p is None for p in inline] == [p is None for p in background]
    # A count made off the thread counts from the next frame with a pose on.
    inline, background = ([p for p in people if p is not None] for people in (inline, background))
    assert background[1:] == inline[:-1] and 2 in background


def test_people_are_counted_half_as_often_while_one_person_is_in_view():
    from pose.estimator import CALM_COUNT_FACTOR, PoseEstimator
    from pose.video import read_video

    assert CALM_COUNT_FACTOR == 2
    with read_video(sample("tfjs_pose.jpg")) as reader:
        person = next(iter(reader)).rgb
    two = np.ascontiguousarray(np.concatenate([person, person[:, ::-1]], axis=1))
    alone = np.ascontiguousarray(two[:, : person.shape[1]])
    people = []
    with PoseEstimator(count_people_every_s=0.5) as est:
        for i in range(6):  # alone, a frame every 0.6 s: counted every 1.0 s, at 0, 1.2, 2.4
            est.process(alone, i * 0.6)
        assert est.people_counts == [1, 1, 1]
        for i in range(6, 11):  # a second person walks in at 3.6 s
            pose = est.process(two, i * 0.6)
            people.append(pose.people if pose is not None else None)
        # The model re-finds its person the frame after the picture changes; the first count
        # with several comes at 4.2 s, and from then on every frame is counted (0.6 s >= 0.5 s).
        assert people[0] is None
        assert est.people_counts == [1, 1, 1, 2, 2, 2, 2], people
    # Flagged at the second count in a row that saw several.
    assert people[1:] == [1, 2, 2, 2]


def test_overlay_handed_as_yuv_matches_the_rgb_path(monkeypatch):
    from pose.estimator import PoseEstimator
    from pose.video import read_video

    with read_video(sample(A03)) as reader:
        frames = [f for _, f in zip(range(20), reader, strict=False)]
    # The same camera frames through the RGB path (what the encoder would convert) and the
    # page's path (yuv420p handed over), each with its own model: the same landmarks.
    rgb_path = LiveSession(routine(), lambda: PoseEstimator(count_people_every_s=None))
    yuv_path = LiveSession(routine(), lambda: PoseEstimator(count_people_every_s=None))
    now = [0.0]  # each frame arrives on the camera's time, however long the model took
    monkeypatch.setattr(live_module.time, "monotonic", lambda: now[0])
    try:
        for f in frames:
            camera = camera_frame(f.rgb, f.t_s)
            expected = rgb_path.process(frame_to_rgb(camera), f.t_s)
            now[0] = 100.0 + f.t_s
            got = yuv_path.on_frame(camera)
        assert rgb_path.snapshot().frames == yuv_path.snapshot().frames == 20
        # The page's conversion went straight into its model's own input image (no copy), and
        # its poses are the RGB path's to the bit.
        last = frame_to_rgb(camera)
        assert np.array_equal(yuv_path.loop.estimator.frame_buffer(last.shape[1], last.shape[0]),
                              last)
        assert np.array_equal(yuv_path.loop.last.pose.image, rgb_path.loop.last.pose.image)
        # What the encoder would have made of the RGB overlay, plane by plane, against ours.
        encoded = av.VideoFrame.from_ndarray(expected, format="rgb24").reformat(
            format="yuv420p").to_ndarray()
        ours = got.to_ndarray()
        assert got.format.name == "yuv420p" and ours.shape == encoded.shape
        diff = np.abs(ours.astype(int) - encoded.astype(int))
        h = expected.shape[0]
        # Brightness: the same, up to rounding (the text's blend is worked out once, in
        # integers; the skeleton's bones are drawn as polylines, not one line at a time).
        assert diff[:h].max() <= 4 and diff[:h].mean() < 0.05
        # Colour is kept at half size in 4:2:0: OpenCV and the encoder average it differently
        # at sharp edges (the skeleton's, the text's), nowhere else.
        assert diff[h:].mean() < 1.0 and (diff[h:] > 8).mean() < 0.02
        # Back to RGB, as the browser shows it: no further from the overlay than the
        # encoder's own conversion of it.
        shown = got.to_ndarray(format="rgb24").astype(int)
        encoder = av.VideoFrame.from_ndarray(expected, format="rgb24").reformat(
            format="yuv420p").to_ndarray(format="rgb24").astype(int)
        error, encoder_error = (np.abs(x - expected.astype(int)).mean() for x in (shown, encoder))
        assert error <= encoder_error + 0.5
        assert np.abs(expected.astype(int) - frames[-1].rgb[:, ::-1]).max() > 100  # drawn
    finally:
        rgb_path.close()
        yuv_path.close()


@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (642, 480), (200, 100)])
def test_a_cameras_yuv_frame_is_copied_whole_with_or_without_padded_rows(size):
    w, h = size  # 642 and 200: PyAV pads the rows of such frames
    i420 = np.random.default_rng(0).integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
    got = frame_to_i420(frame)
    assert got is not None and got.flags.c_contiguous and np.array_equal(got, i420)
    got[:] = 0  # a copy: the frame's own memory is untouched
    assert np.array_equal(frame.to_ndarray(format="yuv420p"), i420)
    assert frame_to_i420(av.VideoFrame.from_ndarray(np.zeros((h, w, 3), np.uint8),
                                                    format="rgb24")) is None


def test_rgb_to_frame_keeps_odd_sizes_as_rgb():
    odd = np.zeros((49, 65, 3), np.uint8)
    assert rgb_to_frame(odd).format.name == "rgb24"
    even = np.full((48, 64, 3), 200, np.uint8)
    back = frame_to_rgb(rgb_to_frame(even))
    assert back.shape == even.shape and np.abs(back.astype(int) - 200).max() <= 2


def test_live_bench_figures_through_the_track(tmp_path):
    from pose.live_bench import bench_live

    r = bench_live(sample(A03), model="lite", seconds=1.0, say=lambda _: None, raw_warmup_s=0.5,
                   turns=2, turn_s=0.3)
    live = r["live"]
    for key in ("live_ms", "live_ratio", "live_ratio_own_model", "live_lag_ms", "dropped_frames"):
        assert r[key] is not None
    # The session's own landmarker, called bare once the session is done with it, against the
    # raw one: a turn each way, and the ratio against it is the raw one's scaled by the factor.
    assert len(live["own_model_turns"]) == 2 and live["own_model_factor"] > 0
    assert r["live_ratio_own_model"] == pytest.approx(
        r["live_ratio"] / live["own_model_factor"], rel=0.01)
    assert live["track"] == "VideoProcessTrack" and live["raw_model_ms"] > 0
    assert live["raw_model_back_to_back_ms"] > 0
    assert live["processed_frames"] + r["dropped_frames"] == live["camera_frames"]
    assert r["live_lag_ms"] > 0
    assert len(live["round_ratios"]) == live["rounds"] > 1
    # Where the CPU went, thread by thread: the model on MediaPipe's threads, in the session as
    # bare, and our code on the callback's.
    threads = live["threads_ms"]
    assert set(threads) == {"callback", "mediapipe", "other_threads", "raw_mediapipe",
                            "raw_calling_thread"}
    assert min(threads.values()) >= 0
    assert threads["mediapipe"] > threads["other_threads"]
    assert threads["raw_mediapipe"] > 0 and threads["callback"] > 0


def test_the_raw_model_reference_is_handed_frames_at_the_camera_pace():
    from pose.live_bench import VIDEO_CLOCK, raw_model_cpu_ms

    pictures = camera_pictures(sample(A03), frames=4, size=(160, 120))
    # 10 fps for 2 s, with a frame the page skipped: its gap is kept.
    two_seconds = [n * VIDEO_CLOCK // 10 for n in range(21) if n != 7]
    w0 = time.perf_counter()
    paced = raw_model_cpu_ms(pictures, two_seconds, "lite")
    assert time.perf_counter() - w0 >= 2.0  # the last frame 2 s after the first
    eight_seconds = [n * VIDEO_CLOCK // 10 for n in range(81)]
    w0 = time.perf_counter()
    back_to_back = raw_model_cpu_ms(pictures, eight_seconds, "lite", paced=False)
    assert time.perf_counter() - w0 < 6.0  # as soon as the model is free
    assert len(paced) == 20 and len(back_to_back) == 81 and (paced > 0).all()


def test_the_raw_model_warms_up_and_the_frames_after_keep_their_spacing():
    from pose.live_bench import VIDEO_CLOCK, RawModel

    pictures = camera_pictures(sample(A03), frames=4, size=(160, 120))
    with RawModel(pictures, "lite") as raw:
        w0 = time.perf_counter()
        raw.warm_up(0.5)
        assert time.perf_counter() - w0 >= 14 / 30  # 15 frames at the camera's pace
        warmed = raw.last_timestamp_ms
        assert warmed == 467  # the 15th frame, 14 / 30 s
        # The measured frames, numbered from 0 again, follow a second later, 100 ms apart
        # (not squeezed 1 ms apart behind the warm-up's timestamps).
        assert len(raw.cpu_ms([0, VIDEO_CLOCK // 10])) == 2
        assert raw.last_timestamp_ms == warmed + 1000 + 100


def test_camera_pictures_play_back_and_forth():
    pictures = camera_pictures(sample(A03), frames=5, size=(64, 48))
    assert len(pictures) == 8 and pictures[0].shape == (72, 64)
    assert np.array_equal(pictures[5], pictures[3]) and np.array_equal(pictures[7], pictures[1])


def test_a_live_session_keeps_under_1_kb_of_landmarks_a_frame_and_loses_nothing():
    from synthetic import poses_of, synthetic_knee_to_chest

    from pose.pipeline import at_stored_precision
    from pose.track import TrackBuilder

    track = synthetic_knee_to_chest(1.0, 5.0, 7.0)
    poses = [at_stored_precision(p) if p is not None else None for p in poses_of(track)]
    poses[3] = None  # no one seen
    kept = TrackBuilder((640, 480), 30.0, dtype=np.float32)
    full = TrackBuilder((640, 480), 30.0)
    for t, pose in zip(track.t_s, poses, strict=True):
        kept.add(float(t), pose)
        full.add(float(t), pose)
    a, b = kept.build(), full.build()
    for name in ("t_s", "image", "world", "visibility", "people"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.frame(3) is None and len(a) == len(track.t_s)
    block = kept._blocks[0]
    assert block.nbytes / TrackBuilder.BLOCK <= 800  # 33 landmarks x 6 values x 4 bytes


def test_the_live_page_says_when_the_computer_is_busy(tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from pose.live_view import computer_notes

    monkeypatch.setenv("STRETCHCHECK_DB", str(tmp_path / "live.db"))
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    page = Path(__file__).resolve().parents[1] / "pose" / "pages" / "live.py"
    first = next(iter(load_catalogue().routines))
    blank = np.zeros((48, 64, 3), np.uint8)
    lines = {}
    for skipping in (False, True):
        session = LiveSession(load_catalogue().routines[first], EmptyRoom)
        t = 0.0
        for i in range(60):
            t += 1 / 30
            if skipping and i % 2 == 0:
                session.skip(t)
                t += 1 / 30
            session.process(blank, t)
        at = AppTest.from_file(str(page), default_timeout=60)
        at.session_state.live_session = session  # as the page left it after those frames
        at.session_state.live_for = ("me", first, "full")
        at.query_params["routine"] = first  # the session's own (not the page's default)
        at.run()  # the page draws with it (its panel is HTML: the lines come from live_view)
        assert not at.exception, at.exception
        snap = session.snapshot()
        lines[skipping] = [re.sub(r"<[^>]+>", "", note) for note in
                           computer_notes(snap.frames, snap.fps, snap.busy, fast_model=False)]
        session.close()
    busy = "Your computer is busy: some frames are skipped."
    assert busy in lines[True] and busy not in lines[False]


def test_camera_problems_are_worked_out_when_the_page_asks(monkeypatch):
    """The snapshot's camera check is computed when the page reads it (twice a second), not on
    every frame, and always for the latest frame processed."""
    from synthetic import poses_of, synthetic_knee_to_chest

    calls: list[object] = []
    real = live_module.camera_check

    def counted(*args):
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(live_module, "camera_check", counted)
    session = LiveSession(routine(), lambda: None)
    poses = poses_of(synthetic_knee_to_chest(1.0, 2.0, 3.0))
    for i in range(10):
        session.process_pose(None, i / 30)
    assert calls == []  # ten frames, nobody asked
    assert session.snapshot().camera == ("I can't see anyone - step into view",)
    assert session.snapshot().camera == ("I can't see anyone - step into view",)
    assert len(calls) == 1  # worked out once for that frame
    half = poses[20]
    half.visibility[:] = 0.0  # a person the model barely sees: nothing of the stretch in view
    session.process_pose(half, 20 / 30)
    problems = session.snapshot().camera
    step = session.coach.step
    side = session.snapshot().side
    assert len(calls) == 2 and calls[-1] is session.loop.last.pose.image
    assert problems == tuple(real(step.stretch, side, session.loop.last.pose.image,
                                  session.loop.last.pose.visibility, 1))
    assert problems and problems != ("I can't see anyone - step into view",)
    session.request("pause")
    session.process_pose(poses[21], 21 / 30)
    assert session.snapshot().camera == ()  # paused: no camera advice
    assert len(calls) == 2


def test_a_live_session_keeps_opencv_on_the_calling_thread():
    """OpenCV's pool split each 640x480 conversion over the cores and spun between frames:
    0.8 ms of CPU a frame on another thread (issue 14)."""
    cv2.setNumThreads(2)
    try:
        LiveSession(routine(), lambda: None)
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(-1)


@pytest.mark.parametrize("left", [29.99, 18.4, 18.0, 0.3])
def test_the_picture_and_the_card_count_down_the_same_seconds(left):
    """The hold's seconds on the picture (seen from the mat) and on the card beside it are one
    number: rounded up, as a countdown is (18.4 s left: both say 19; the picture once said 18)."""
    session = LiveSession(routine(), EmptyRoom)
    result = session.process_pose(None, 0.0)
    session._view = PlayerView(phase="hold", stretch_name="Neck side bend", side="left",
                               seconds_left=left, held_s=30.0 - left, target_s=30.0)
    card = re.search(r'data-testid="live-seconds">(\d+)<', coach_card(session._view))
    label = session._scene(result, (640, 480)).hold_label
    assert label == f"{card.group(1)} s" == f"{math.ceil(left)} s"


def test_a_slow_camera_is_not_blamed_on_the_computer():
    """4.7 pictures a second with none skipped: too few arrive (a webcam in a dim room, or
    lost on the way), so the note says so and offers no faster model; with frames being
    skipped the computer is the limit, and the fast model is offered. The rate is never
    rounded up to the 5 it falls short of (the page once said "only 10 pictures a second;
    coaching needs 10"). From 5 a second up, the checks hold (``SLOW_FPS``): no warning that
    a page timing holds well cannot time them."""
    from pose.live_view import SLOW_FPS, computer_notes

    def words(notes):
        return [re.sub(r"<[^>]+>", "", n) for n in notes]

    assert SLOW_FPS == 5.0
    camera = words(computer_notes(60, 4.97, busy=False, fast_model=False))
    assert camera == ["Only 4.9 pictures a second arrive from the camera; below 5, bouncing "
                      "can go unseen. More light helps in a dim room (most webcams slow down "
                      "in the dark), and so does closing other programs."]
    computer = words(computer_notes(60, 4.7, busy=True, fast_model=False))
    assert computer[0] == ("This computer checks only 4.7 pictures a second; below 5, "
                           "bouncing can go unseen.")
    assert "Use the fast pose model" in computer[1]
    assert len(words(computer_notes(60, 4.7, busy=True, fast_model=True))) == 1
    for fps in (6.6, 9.7, 24.0):
        assert words(computer_notes(60, fps, busy=True, fast_model=False)) == [
            "Your computer is busy: some frames are skipped."]
    assert computer_notes(60, 7.3, busy=False, fast_model=False) == []
    assert computer_notes(60, 29.9, busy=False, fast_model=False) == []


def test_camera_problems_are_said_once_in_large_type():
    """The card's cue already says the first thing the camera cannot see: the warnings below
    it do not repeat it (the page showed "I can't see your left hip..." twice), and warnings
    are in type for the mat, not the small print of a passing note."""
    from pose.live_view import CSS, camera_notes

    hip = "I can't see your left hip: move so the camera sees the whole body this stretch needs"
    turn = "Turn side-on to the camera for this stretch"
    notes = [re.sub(r"<[^>]+>", "", n) for n in camera_notes([hip, turn], cue=hip)]
    assert notes == [turn]
    size = re.search(r'\.sc-alert\[data-kind="warning"\][^{]*\{[^}]*font-size: max\(([\d.]+)rem, '
                     r'([\d.]+)vh\)', CSS)
    assert size and float(size.group(2)) >= 3.6  # 26 px at 720 rows, as the card's own lines


def test_a_person_far_in_the_background_is_asked_to_come_closer():
    """Someone spanning a small part of the picture (a passer-by behind, the user at the far
    end of a room) is not coached into position ("Lie on your back" to a walker in the
    street): the cue says to come closer, and nothing is checked."""
    from synthetic import poses_of, synthetic_knee_to_chest

    from pose.checks import TOO_FAR

    session = LiveSession(routine(), lambda: None)
    poses = poses_of(synthetic_knee_to_chest(1.0, 2.0, 3.0))
    for i, pose in enumerate(poses[:30]):
        small = dataclasses.replace(pose, image=pose.image * 0.15)
        session.process_pose(small, i / 30)
    snap = session.snapshot()
    assert snap.view.cue == TOO_FAR
    assert snap.camera == (TOO_FAR,)
    assert session.loop.last.position is None


def _holding_camera(monkeypatch, first_frame_s: float = 0.0, recorder_factory=None,
                    shrink: float = 1.0):
    """A live session whose stand-in model sees the routine's first stretch held as defined,
    fed camera frames through ``on_frame`` with the arrival time under the test's control:
    ``show(t_s, arrives_s)`` hands over the frame of camera time ``t_s`` (None: no timestamp)
    at ``arrives_s`` (at the latest when the session is done with the last one) on the
    session's monotonic clock. The stand-in takes ``first_frame_s`` over its first frame, as
    the model takes to load; ``shrink`` makes the figure smaller about its centre (a person
    further away)."""
    from scripted_session import Actor

    from pose.figure import target_pose

    now = [0.0]
    monkeypatch.setattr(live_module.time, "monotonic", lambda: now[0])

    class Loading(Actor):
        """The figure in pixels of the picture it is shown, whatever its size."""

        def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
            if not hasattr(self, "loaded"):
                self.loaded = True
                now[0] += first_frame_s
            pose = super().process(rgb, t_s)
            if pose is None:
                return None
            h, w = rgb.shape[:2]
            centre = pose.image[pose.visibility >= 0.5].mean(axis=0)
            image = (centre + (pose.image - centre) * shrink) * (w / 640, h / 480)
            return dataclasses.replace(pose, image=image, size=(w, h))

    actor = Loading()
    session = LiveSession(routine(), lambda: actor, recorder_factory)
    figure = target_pose(session.coach.step.stretch, "left")
    actor.show(figure.pose, figure.placement, figure.view)

    def show(t_s: float | None, arrives_s: float, size: tuple[int, int] = (640, 480)) -> None:
        now[0] = max(now[0], arrives_s)
        frame = camera_frame(np.full((size[1], size[0], 3), 90, np.uint8),
                             0.0 if t_s is None else t_s)
        if t_s is None:
            frame.pts = None
        session.on_frame(frame)

    return session, show


def _holds(session: LiveSession) -> list[tuple[float, float]]:
    return [(h.start_s, h.end_s) for r in session.results() for h in r.record.holds]


@pytest.mark.parametrize("late_s", [0.0, LATE_S + 0.03])
def test_a_gap_in_the_camera_ends_the_hold_even_when_the_frame_after_it_is_late(
        monkeypatch, late_s):
    """The first frame after a 1.5 s gap, arriving late (a busy moment as the camera comes
    back), was skipped, and the drop-out it carried never reached the checks: one hold ran
    across the gap to "Well done - 30 s held"."""
    session, show = _holding_camera(monkeypatch)
    for n in range(600):  # 20 s at 30 fps, no frames from 10.0 to 11.5 s
        if not 300 <= n < 345:
            show(n / 30, n / 30 + (late_s if n == 345 else 0.0))
    assert session.dropped == 0
    assert session.loop.dropouts == [(pytest.approx(10.0), pytest.approx(1.5333, abs=1e-3))]
    holds = _holds(session)
    assert holds[0][1] == pytest.approx(299 / 30, abs=1e-6)  # ends at the last frame before
    assert all(not (start < 10.0 < end) for start, end in holds)


@pytest.mark.parametrize("restart", ["timestamps from 0", "no timestamps"])
def test_a_camera_that_stops_and_restarts_its_timestamps_ends_the_hold(monkeypatch, restart):
    """A camera that stops for 10 s and comes back with its timestamps started again (a new
    stream after the browser renegotiates) or with none: the source's own time cannot say how
    long it was gone, the session knows how long it waited, and that is not held time."""
    session, show = _holding_camera(monkeypatch)
    for n in range(300):  # 10 s held
        show(n / 30, n / 30)
    for n in range(300):  # back 10 s later
        show(n / 30 if restart == "timestamps from 0" else None, 20.0 + n / 30)
    (when, gap), = session.loop.dropouts
    assert when == pytest.approx(10.0, abs=0.05) and gap == pytest.approx(10.033, abs=0.01)
    holds = _holds(session)
    assert holds[0][1] < 10.0 and all(not (s < 10.0 < e) for s, e in holds)


def test_time_the_session_was_busy_is_no_gap(monkeypatch):
    """Frames queued while the session was busy (2 s: the model loading at the first frame)
    were not waited for: a camera restarting its timestamps among them is re-anchored, no
    drop-out, as before."""
    session, show = _holding_camera(monkeypatch, first_frame_s=2.0)
    for n in range(60):
        show(n / 30, n / 30)  # the first takes 2 s: the next ones queue and come at once
    show(0.0, 2.0)  # the camera restarts (a step back) among them
    assert session.loop.clock.reanchors == 1 and not session.loop.dropouts


@pytest.mark.parametrize("later", [(320, 240), (1280, 960)])
def test_a_camera_that_changes_its_resolution_is_stored_and_replayed_as_checked_live(
        monkeypatch, tmp_path, later):
    """A browser lowers the resolution it sends when the computer is busy (or a renegotiation
    changes it): the later poses were stored in their own pixels against the first frame's
    size, and the replay judged the person too far away, a completed hold gone from Review."""
    from pose.sessions import replay_session
    from pose.store import open_store

    url = tmp_path / "sessions.db"

    def recorder_factory(width: int, height: int, checker: dict):
        store = open_store(url)
        sid = store.start_session("live", "test", routine().id, "full", 0.0, (width, height),
                                  checker=checker)
        return sid, store.recorder(sid, owns_store=True)

    # A person spanning a third of the picture: twice that, or half, reads "too far".
    session, show = _holding_camera(monkeypatch, recorder_factory=recorder_factory, shrink=0.75)
    for n in range(1200):  # 1 s at 640x480, then the other size
        show(n / 30, n / 30, (640, 480) if n < 30 else later)
    last = session.loop.last
    assert last.pose.size == (640, 480)  # placed in the session's frame
    assert 0.25 < last.pose.span < 0.45
    # The picture's overlay is drawn where the body is in the picture itself.
    shown = session._scene(last, later).pose
    assert shown.size == later
    w, h = later
    fig = session.loop.estimator.process(np.zeros((h, w, 3), np.uint8), last.t_s)
    np.testing.assert_allclose(shown.image, fig.image, atol=0.01)
    session.close()
    live = [(h.start_s, h.end_s) for r in session.results() for h in r.record.holds]
    with open_store(url) as store:
        replayed = replay_session(store, session._session_id, load_catalogue())
    again = [(h.start_s, h.end_s) for r in replayed.results for h in r.record.holds]
    assert live and live[0][1] - live[0][0] >= 30.0
    assert again == live


def test_a_camera_switched_to_another_aspect_keeps_its_own_frame(monkeypatch):
    """A letterbox would shrink the person's share of the picture (a 4:3 session shown a
    16:9 picture: 0.25 read as 0.19, "too far") and move its edges (a foot cut at the bottom
    read as inside): a picture of another aspect is checked in its own pixels."""
    session, show = _holding_camera(monkeypatch, shrink=0.6)
    for n in range(1200):
        show(n / 30, n / 30, (640, 480) if n < 30 else (1280, 720))
    last = session.loop.last
    assert last.pose.size == (1280, 720) and 0.2 < last.pose.span < 0.35
    shown = session._scene(last, (1280, 720)).pose
    np.testing.assert_array_equal(shown.image, last.pose.image)
    holds = _holds(session)
    assert holds and holds[0][1] - holds[0][0] >= 30.0


def test_a_fit_places_a_picture_alike_both_ways_and_centred():
    from pose.landmarks import Fit

    pose = PoseFrame(0.0, np.array([[0.0, 0.0], [1280.0, 720.0], [640.0, 360.0]] * 11),
                     np.zeros((33, 3)), np.ones(33), (1280, 720))
    fit = Fit((1280, 720), (640, 480))
    placed = fit.placed(pose)
    assert placed.size == (640, 480) and fit.scale == 0.5
    np.testing.assert_allclose(placed.image[:3], [[0, 60], [640, 420], [320, 240]])
    back = fit.shown(placed)
    assert back.size == (1280, 720)
    np.testing.assert_allclose(back.image, pose.image)
    assert Fit((640, 480), (640, 480)).placed(pose) is pose
    assert not fit.same_aspect and Fit((320, 240), (640, 480)).same_aspect
    assert Fit((854, 480), (1280, 720)).same_aspect  # to a pixel


@pytest.mark.parametrize("level, dark", [(5, True), (25, True), (90, False)])
def test_a_picture_too_dark_to_find_anyone_in_says_so(level, dark):
    """In a dark room the person is in view but not found: "step into view" would send them
    looking for the camera; the card and the camera note ask for light instead."""
    from pose.checks import NOBODY, TOO_DARK
    from pose.phases import NOT_SEEN

    session = LiveSession(routine(), EmptyRoom)
    picture = np.full((480, 640, 3), level, np.uint8)
    for i in range(10):
        session.on_frame(camera_frame(picture, i / 30))
    snap = session.snapshot()
    assert snap.view.phase == "position"
    assert snap.view.cue == (TOO_DARK if dark else NOT_SEEN)
    assert snap.camera == ((TOO_DARK,) if dark else (NOBODY,))
    session.process(picture, 11 / 30)  # an RGB picture tells the same
    assert session.snapshot().view.cue == (TOO_DARK if dark else NOT_SEEN)


def test_frames_skipped_before_the_first_one_processed_set_nothing_up():
    """A drop-out among frames skipped before any was looked at has no hold to end: the
    session's size and recording come from the first picture processed."""
    session = LiveSession(routine(), EmptyRoom)
    session.skip(0.0)
    session.skip(2.0)  # a gap, before anything was processed
    session.process(np.zeros((48, 64, 3), np.uint8), 2.1)
    assert session._size == (64, 48) and session.snapshot().frames == 1
    assert session.dropped == 2


def test_settle_waits_for_the_people_count_and_the_recorders_queue(tmp_path):
    """``bench`` measures a live session in rounds: what a round's frames left running is
    finished (and counted) before the next measurement starts."""
    from pose.estimator import PoseEstimator
    from pose.store import open_store
    from pose.video import read_video

    url = tmp_path / "sessions.db"

    def recorder_factory(width: int, height: int, checker: dict):
        store = open_store(url)
        sid = store.start_session("live", "test", routine().id, "full", 0.0, (width, height),
                                  checker=checker)
        return sid, store.recorder(sid, batch_s=60.0, owns_store=True)  # writes on flush

    with read_video(sample("tfjs_pose.jpg")) as reader:
        person = np.ascontiguousarray(next(iter(reader)).rgb)
    session = LiveSession(routine(), lambda: PoseEstimator(count_in_background=True),
                          recorder_factory)
    for n in range(5):
        session.process(person, n / 30)
    session.settle()
    assert session.loop.estimator.people_counts == [1]  # the count of the first frame, done
    with open_store(url) as store:
        assert len(store.load_track(session._session_id)) == 5
    session.close()


def test_thread_cpu_counts_each_thread_apart():
    import threading as th

    from pose.live_bench import thread_cpu_s

    spun, release = th.Event(), th.Event()

    def spin(seconds: float) -> None:
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass
        spun.set()
        release.wait()  # alive until read: an ended thread is no longer listed

    worker = th.Thread(target=spin, args=(0.15,), name="spinner")
    before = thread_cpu_s()
    mine = time.thread_time()
    worker.start()
    spun.wait()
    after = thread_cpu_s()
    mine = time.thread_time() - mine
    release.set()
    worker.join()
    me = th.get_native_id()
    # This thread's clock as Python's own reads it; the worker's by its name, its own CPU only.
    assert after[me][1] - before[me][1] == pytest.approx(mine, abs=0.01)
    worker_cpu = [cpu for name, cpu in after.values() if name == "spinner"]
    assert len(worker_cpu) == 1 and 0.15 <= worker_cpu[0] <= 0.2
