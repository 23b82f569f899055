"""The media clock: broken source timestamps never become held time.

Each input of issue 9 is here with its right value: a forward jump (10 s, and the 13-hour jump
of a real camera report), a camera restarting at 0, frames without a timestamp, a WebM starting
below zero; and a seeded-random property test over all of them mixed.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from conftest import sample
from synthetic import EmptyRoom, poses_of, synthetic_knee_to_chest

from pose.catalogue_checker import CatalogueChecker
from pose.clock import MAX_GAP_S, MIN_STEP_S, MediaClock
from pose.hold import HoldTimer
from pose.pipeline import FrameLoop, run_poses
from pose.routines import load_catalogue
from pose.stretches import Routine, Step

A03 = "A03_physiocore_glute_bridge_side_floor.mp4"
THIRTEEN_HOURS_S = 47_723.0  # the jump of the real camera report: a 47,723 s "hold"


def times(clock: MediaClock, sources: list[float | None]) -> list[float]:
    return [clock.tick(t).t_s for t in sources]


# -- the clock on its own ------------------------------------------------------------------------

def test_a_clean_source_keeps_its_own_spacing_from_zero():
    src = [5.0 + i / 30 for i in range(10)]
    assert times(MediaClock(1 / 30), src) == pytest.approx([i / 30 for i in range(10)], abs=1e-12)


def test_a_forward_jump_is_a_drop_out_not_time():
    clock = MediaClock(1 / 30)
    ticks = [clock.tick(t) for t in [0.0, 1 / 30, 2 / 30, 10.0 + 3 / 30, 10.0 + 4 / 30]]
    assert [round(t.t_s, 4) for t in ticks] == [0.0, 0.0333, 0.0667, 0.1, 0.1333]
    assert ticks[3].dropout_s == pytest.approx(10.0 + 1 / 30)
    assert clock.dropouts == [(pytest.approx(0.1), pytest.approx(10.0 + 1 / 30))]


def test_a_restart_at_zero_reanchors_and_time_goes_on():
    clock = MediaClock()
    t = times(clock, [20.0, 20.033, 20.066, 0.0, 0.033, 0.066])
    assert np.all(np.diff(t) > 0)
    assert t[3] - t[2] == pytest.approx(0.033, abs=1e-3)  # one frame interval, not 1 ms
    assert t[-1] == pytest.approx(0.165, abs=1e-3)
    assert clock.reanchors == 1 and not clock.dropouts


def test_a_missing_timestamp_takes_the_frame_interval():
    clock = MediaClock(1 / 25)
    t = times(clock, [0.0, 0.04, None, None, 0.16, 0.2])
    assert t == pytest.approx([0.0, 0.04, 0.08, 0.12, 0.16, 0.2])


def test_a_repeated_timestamp_adds_no_time():
    """A coarse time base stamps 30 fps frames in pairs: the repeats take a millisecond each,
    which the next step gives back, so the source's own spacing stands."""
    clock = MediaClock()
    t = times(clock, [k // 2 / 15 for k in range(8)])
    assert t == pytest.approx([0.0, 0.001, 1 / 15, 1 / 15 + 0.001, 2 / 15, 2 / 15 + 0.001,
                               3 / 15, 3 / 15 + 0.001])
    assert times(MediaClock(), [2.0] * 4) == pytest.approx([0.0, 0.001, 0.002, 0.003])


def test_a_negative_start_is_time_zero():
    t = times(MediaClock(), [-0.5 + i / 30 for i in range(5)])
    assert t[0] == 0.0 and t == pytest.approx([i / 30 for i in range(5)])


def test_a_misstated_nominal_rate_does_not_bend_time():
    """A 10 s gap makes a container report ~7 fps for a 30 fps clip: the steps decide."""
    clock = MediaClock(1 / 6.98)
    t = times(clock, [i / 30 for i in range(45)] + [10 + i / 30 for i in range(45, 50)])
    assert t[44] == pytest.approx(44 / 30) and t[45] - t[44] == pytest.approx(1 / 30)


def test_the_gap_limit_is_the_holds_grace():
    grace = inspect.signature(HoldTimer).parameters["grace_s"].default
    assert MAX_GAP_S == grace


# -- through the pipeline: holds -------------------------------------------------------------

def held(report, stretch: str) -> float:
    return sum(r.record.held_s for r in report.results if r.stretch.id == stretch)


def run_stream(track, sources, smoothing=True):
    """Poses with the given source timestamps through the one loop, catalogue-checked."""
    checker = CatalogueChecker.for_catalogue(load_catalogue(), stretch="knee_to_chest")
    loop = FrameLoop(checker, smoothing=None) if not smoothing else FrameLoop(checker)
    run_poses(loop, zip(sources, poses_of(track), strict=True))
    return loop, loop.report(loop.track(track.size, track.fps))


def test_a_jump_inside_a_hold_ends_it_there():
    track = synthetic_knee_to_chest(1.0, 9.0, 12.0)  # 8 s held
    src = [t + (30.0 if t >= 5.0 else 0.0) for t in track.t_s]
    loop, report = run_stream(track, src)
    holds = [h for r in report.results for h in r.record.holds]
    assert len(holds) == 2  # one before the drop-out, one after it
    assert held(report, "knee_to_chest") == pytest.approx(8.0, abs=0.2)
    assert max(report.track.t_s) < 12.1
    kinds = [e.kind for e in report.events]
    assert kinds.count("dropout") == 1
    assert report.to_dict()["dropouts"] == [{"t_s": pytest.approx(5.0, abs=0.04),
                                             "gap_s": pytest.approx(30.033, abs=0.01)}]


def hold_stream(faults: random.Random, track) -> tuple[list[float | None], int]:
    """The track's timestamps with 1-4 random faults: (source times, how many timestamps
    repeat the one before)."""
    src: list[float | None] = [float(t) for t in track.t_s]
    offset = faults.uniform(-3.0, 3.0)  # containers may start anywhere, below zero too
    src = [t + offset for t in src]
    duplicates = 0
    for _ in range(faults.randint(1, 4)):
        i = faults.randrange(1, len(src) - 1)
        kind = faults.choice(["jump", "huge_jump", "restart", "back", "missing", "repeat"])
        if kind in ("jump", "huge_jump"):
            gap = faults.uniform(1.2, 60.0) if kind == "jump" else THIRTEEN_HOURS_S
            src[i:] = [None if t is None else t + gap for t in src[i:]]
        elif kind in ("restart", "back"):
            base = src[i] if src[i] is not None else 0.0
            # A restart goes back to 0 (from a time below 0, that would be a step forward).
            shift = base if kind == "restart" and base > 0 else faults.uniform(0.1, 5.0)
            src[i:] = [None if t is None else t - shift for t in src[i:]]
        elif kind == "missing":
            n = faults.randint(1, 20)
            src[i:i + n] = [None] * len(src[i:i + n])
        else:
            src[i] = src[i - 1]
            duplicates += 1
    return src, duplicates


@pytest.mark.parametrize("seed", range(30))
def test_property_no_timestamp_fault_becomes_held_time(seed):
    """Whatever the faults, session time starts at 0 and only moves forward by at most the
    hold's grace, the model is fed strictly increasing timestamps at least a millisecond
    apart, and no more time is held than the person held (6 s; a repeated timestamp's frame
    takes 1 ms, a restart's or a step back's one frame interval)."""
    track = SYNTHETIC_HOLD()
    rng = random.Random(seed)
    src, duplicates = hold_stream(rng, track)
    loop, report = run_stream(track, src)
    t = report.track.t_s
    steps = np.diff(t)
    assert t[0] == 0.0
    assert steps.min() >= MIN_STEP_S - 1e-12 and steps.max() <= MAX_GAP_S + 1e-9
    model_ms = np.round(t * 1000).astype(int)
    assert np.all(np.diff(model_ms) > 0)
    frame = 1 / 30
    truth = 6.0
    total = held(report, "knee_to_chest")
    assert total <= truth + 2 * frame + duplicates * MIN_STEP_S
    assert all(h.duration_s <= truth + 2 * frame + duplicates * MIN_STEP_S
               for r in report.results for h in r.record.holds)
    assert not any(e.kind == "hold_completed" for e in report.events)  # 30 s target
    if not loop.dropouts:  # restarts, missing and repeated timestamps lose no held time
        assert total >= truth - 3 * frame


def test_timestamps_in_pairs_do_not_double_a_hold():
    """Every timestamp given twice, as a 1/15 s time base stamps a 30 fps source: the hold is
    as long as it was held (6 s), not twice as long."""
    track = SYNTHETIC_HOLD()
    _, report = run_stream(track, [np.floor(t * 15 + 1e-9) / 15 for t in track.t_s])
    assert held(report, "knee_to_chest") == pytest.approx(6.0, abs=3 / 30)


@cache
def _synthetic_hold():
    return synthetic_knee_to_chest(1.0, 7.0, 8.0)


SYNTHETIC_HOLD = _synthetic_hold


# -- the long live hold: a camera restarting at 0 ------------------------------------------------

def test_long_live_hold_survives_a_camera_restart():
    """Issue 9: each non-increasing time became "previous + 1 ms", so a 34 s hold read 17.65 s
    and never completed. Held from 2.0 s to 34.0 s (inside the routine player's 3 s release
    after the 30 s hold completes at 32 s), the camera restarting at 0 at 20 s."""
    from pose.live import LiveSession

    catalogue = load_catalogue()
    stretch = catalogue.stretch("knee_to_chest")
    routine = Routine("one", "Knee to chest", "", (Step(stretch, 30.0, ("left",)),))
    track = synthetic_knee_to_chest(2.0, 34.0, 40.0)
    session = LiveSession(routine, lambda: None)
    restart = 20.0
    for t, pose in zip(track.t_s, poses_of(track), strict=True):
        session.process_pose(pose, t if t < restart else t - restart)
    session.close()
    (result,) = session.results()
    assert (result.stretch.id, result.side) == ("knee_to_chest", "left")
    assert [round(h.duration_s, 1) for h in result.record.holds] == [32.0]
    assert result.to_dict()["completed"] is True
    kinds = [e.kind for e in session.coach.events]
    assert kinds.count("hold_completed") == 1 and kinds.count("step_started") == 1


# -- live: frames the page skips are not gaps ---------------------------------------------------

def test_frames_skipped_while_busy_are_seen_by_the_clock():
    from pose.live import LiveSession

    catalogue = load_catalogue()
    stretch = catalogue.stretch("knee_to_chest")
    routine = Routine("one", "Knee to chest", "", (Step(stretch, 30.0, ("left",)),))
    track = synthetic_knee_to_chest(1.0, 11.0, 13.0)
    busy = (track.t_s > 5.0) & (track.t_s < 7.0)  # the page stalls for 2 s
    outcomes = {}
    for seen in (True, False):
        session = LiveSession(routine, lambda: None)
        for i, (t, pose) in enumerate(zip(track.t_s, poses_of(track), strict=True)):
            if busy[i]:
                if seen:
                    session.skip(t)
                continue
            session.process_pose(pose, t)
        session.close()
        outcomes[seen] = session
    shown = outcomes[True]
    assert not shown.loop.dropouts
    assert [round(h.duration_s, 1) for r in shown.results() for h in r.record.holds] == [10.0]
    # Had the clock not seen them, the stall would have been a drop-out.
    assert outcomes[False].loop.dropouts


def test_on_frames_ticks_every_queued_frame_and_processes_the_newest():
    import av

    from pose.live import LiveSession

    routine = load_catalogue().routine("desk-break")
    session = LiveSession(routine, EmptyRoom)
    blank = np.zeros((48, 64, 3), np.uint8)

    def frames(ts):
        out = []
        for t in ts:
            f = av.VideoFrame.from_ndarray(blank, format="rgb24")
            f.pts, f.time_base = round(t * 1000), Fraction(1, 1000)
            out.append(f)
        return out

    out = asyncio.run(session.on_frames(frames([0.0])))  # as streamlit-webrtc awaits it
    assert len(out) == 1 and out[0].width == 64
    asyncio.run(session.on_frames(frames([i / 30 for i in range(1, 40)])))  # 1.3 s queued up
    assert session.dropped == 38 and session.snapshot().frames == 2
    assert not session.loop.dropouts and session.loop.clock.t_s == pytest.approx(39 / 30)


# -- real footage, real model: A03 with broken timestamps -------------------------------------

@cache
def a03_frames() -> tuple[np.ndarray, ...]:
    from pose.video import read_video

    with read_video(sample(A03)) as reader:
        return tuple(f.rgb for f in reader)


def write_clip(path: Path, frames, source_t_s, codec: str = "libx264") -> Path:
    """Encode ``frames`` with the given container timestamps (ms precision)."""
    import av

    opts = {"avoid_negative_ts": "disabled"} if path.suffix == ".webm" else {}
    codec_opts = ({"deadline": "realtime", "cpu-used": "8", "threads": "1"}
                  if codec == "libvpx" else {"bf": "0", "threads": "1"})
    with av.open(str(path), "w", container_options=opts) as out:
        stream = out.add_stream(codec, rate=30, options=codec_opts)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for rgb, t in zip(frames, source_t_s, strict=True):
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            vf.pts, vf.time_base = int(round(t * 1000)), Fraction(1, 1000)
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def glute_bridge_held(report) -> float:
    return held(report, "glute_bridge")


A03_TIMES = [i / 30 for i in range(91)]


@pytest.mark.slow
@pytest.mark.parametrize("jump_s", [10.0, THIRTEEN_HOURS_S])
def test_a03_file_with_a_forward_jump(tmp_path, jump_s):
    """Every timestamp from frame 45 moved later: 11.8 s (10 s jump) and 47,723 s (13 h) were
    reported as held; about 1.8 s were."""
    from pose.sessions import analyse_video

    src = [t + (jump_s if i >= 45 else 0.0) for i, t in enumerate(A03_TIMES)]
    clip = write_clip(tmp_path / "jump.mp4", a03_frames(), src)
    report = analyse_video(clip, load_catalogue())
    total = glute_bridge_held(report)
    assert 1.2 <= total <= 2.5
    assert not any(r.to_dict()["completed"] for r in report.results)
    assert report.track.t_s[-1] < 3.1  # the report's timeline is the session's, from 0
    assert [round(gap) for _, gap in report.dropouts] == [round(jump_s)]


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["jump_10s", "jump_13h", "restart", "missing"])
def test_a03_live_with_broken_camera_timestamps(fault):
    from pose.estimator import PoseEstimator
    from pose.live import LiveSession

    src: list[float | None] = list(A03_TIMES)
    if fault == "jump_10s":
        src = [t + (10.0 if i >= 45 else 0.0) for i, t in enumerate(A03_TIMES)]
    elif fault == "jump_13h":
        src = [t + (THIRTEEN_HOURS_S if i >= 45 else 0.0) for i, t in enumerate(A03_TIMES)]
    elif fault == "restart":
        src = [t - (1.5 if i >= 45 else 0.0) for i, t in enumerate(A03_TIMES)]
    else:  # frames 30-60 arrive without a timestamp (the wall clock used to stand in)
        src = [None if 30 <= i <= 60 else t for i, t in enumerate(A03_TIMES)]
    session = LiveSession(load_catalogue().routine("floor-flow"), lambda: PoseEstimator("full"))
    for rgb, t in zip(a03_frames(), src, strict=True):
        session.process(rgb, t)
    session.close()
    report = session.report()
    total = glute_bridge_held(report)
    assert 1.2 <= total <= 2.5, total
    assert report.track.t_s[-1] == pytest.approx(3.0, abs=0.05)


@pytest.mark.slow
def test_webm_starting_below_zero(tmp_path):
    """Browser recorders write WebM files whose timestamps start below zero: the report starts
    at 0, and the model sees the frames spaced as they are (it was fed the first second 1 ms
    apart, which moved landmarks by 7.6 px): the same frames give the same landmarks whether
    their timestamps start at -0.5 s or at 0."""
    from pose.estimator import PoseEstimator
    from pose.sessions import analyse_video
    from pose.video import read_video

    negative = write_clip(tmp_path / "negative.webm", a03_frames(),
                          [t - 0.5 for t in A03_TIMES], "libvpx")
    with read_video(negative) as reader:
        decoded = [(f.rgb, f.t_s) for f in reader]
    assert decoded[0][1] == pytest.approx(-0.5, abs=0.01)

    def checked(shift_s: float):
        checker = CatalogueChecker.for_catalogue(load_catalogue())
        with PoseEstimator("full") as est:
            loop = FrameLoop(checker, est, clock=MediaClock(1 / 30))
            for rgb, t in decoded:
                loop.step_image(rgb, t + shift_s)
        return loop.track((640, 480), 30.0)

    below, above = checked(0.0), checked(0.5)
    assert np.allclose(below.t_s, above.t_s, atol=1e-9) and below.t_s[0] == 0.0
    both = below.has_pose & above.has_pose
    assert both.sum() > 80 and np.array_equal(below.has_pose, above.has_pose)
    assert np.nanmax(np.abs(below.image[both] - above.image[both])) < 1e-3  # pixels

    report = analyse_video(negative, load_catalogue())
    assert report.track.t_s[0] == 0.0 and min(e.t_s for e in report.events) >= 0.0
    assert 1.2 <= glute_bridge_held(report) <= 2.5
    assert all(h["start_s"] >= 0 for s in report.to_dict()["stretches"] for h in s["holds"])


def test_a_live_sources_wait_tells_a_drop_out_only_where_its_own_time_cannot():
    """``waited_s`` (how long a live receiver waited for the frame) is read only where the
    source's timestamps cannot say how long passed: no timestamp, a step back, a repeat."""
    clock = MediaClock(1 / 30)
    clock.tick(0.0, None)
    assert clock.tick(1 / 30, 5.0).dropout_s == 0.0  # its own time says 33 ms: taken as is
    no_stamp = clock.tick(None, 5.0)
    assert no_stamp.dropout_s == 5.0 and no_stamp.t_s == pytest.approx(2 / 30)  # one frame on
    back = clock.tick(0.0, 2.5)
    assert back.reanchored and back.dropout_s == 2.5
    assert clock.tick(0.0, 0.5).dropout_s == 0.0  # a repeat, waited for less than the grace
    assert clock.tick(None, None).dropout_s == 0.0
    assert [gap for _, gap in clock.dropouts] == [5.0, 2.5]
