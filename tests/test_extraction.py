"""Pose extraction in parallel parts gives the report of the sequential path."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import sample

from pose import extraction
from pose.cli import main
from pose.errors import VideoError
from pose.extraction import (
    MIN_PART_S,
    MIN_STEAL_S,
    Packed,
    Part,
    _Plan,
    _Range,
    own_core,
    part_poses,
    settle_s,
    split,
)
from pose.routines import load_catalogue
from pose.sessions import analyse_video
from pose.video import VideoReader

A03 = "A03_physiocore_glute_bridge_side_floor.mp4"
A06 = "A06_sports2d_lateral_raise_reps_front.mp4"


def test_split_cuts_equal_parts_and_keeps_short_videos_whole():
    parts = split(2.0, 18.0, 2)
    assert parts == [Part(0, None, 11.0), Part(1, 11.0, None)]
    assert len(split(0.0, 18.0, 4)) == 3  # parts of at least MIN_PART_S
    assert split(0.0, 2 * MIN_PART_S - 0.1, 2) == [Part(0, None, None)]
    assert split(0.0, 60.0, 1) == [Part(0, None, None)]


def test_a_range_settles_half_a_second_and_at_least_ten_frames():
    assert settle_s(30.0) == 0.5 and settle_s(5.0) == 2.0 and settle_s(0.0) == 0.5


def test_poses_packed_for_the_way_back_unpack_to_the_same_poses():
    """A worker's poses travel (pickled) and wait as arrays; unpacked, they are the same."""
    import pickle

    from pose.landmarks import PoseFrame

    rng = np.random.default_rng(1)

    def pose(t: float, people: int) -> PoseFrame:
        return PoseFrame(t + 0.5, rng.normal(size=(33, 2)) * 300, rng.normal(size=(33, 3)),
                         rng.random(33), (640, 480), people)

    batch = [(0.0, pose(0.0, 1)), (0.04, None), (None, pose(0.08, 2)), (0.12, None)]
    packed = pickle.loads(pickle.dumps(Packed.of(batch)))
    back = list(packed.unpack())
    assert len(packed) == 4 and [t for t, _ in back] == [t for t, _ in batch]
    for (_, a), (_, b) in zip(back, batch, strict=True):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert (a.t_s, a.size, a.people) == (b.t_s, b.size, b.people)
            for field in ("image", "world", "visibility"):
                assert np.array_equal(getattr(a, field), getattr(b, field))
    assert list(Packed.of([]).unpack()) == [] and list(Packed.of([(1.0, None)]).unpack()) == [
        (1.0, None)]


@pytest.mark.slow
def test_parallel_analysis_gives_the_sequential_report():
    catalogue = load_catalogue()
    done: list[tuple[int, int]] = []
    sequential = analyse_video(sample(A06), catalogue, jobs=1)
    parallel = analyse_video(sample(A06), catalogue, jobs=2,
                             progress=lambda n, total: done.append((n, total)))
    a, b = sequential.track, parallel.track
    assert len(a) == len(b) == 540
    assert np.array_equal(a.t_s, b.t_s)
    assert np.array_equal(a.has_pose, b.has_pose)
    error = np.linalg.norm(a.image - b.image, axis=2)
    print(f"parallel vs sequential landmarks: mean {error.mean():.3f} px, max {error.max():.2f}")
    assert error.mean() <= 1.0
    seq, par = sequential.to_dict(), parallel.to_dict()
    for key in seq:
        assert par[key] == seq[key], key  # same holds, events, drop-outs, declined views
    # progress counts both parts' frames and reaches the end
    assert done[-1][0] == 540 and [n for n, _ in done] == sorted(n for n, _ in done)


@pytest.mark.slow
def test_a_file_cut_short_in_a_later_part_keeps_what_the_sequential_path_keeps(tmp_path):
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "scripts/test.sh installs ffmpeg"
    fast = tmp_path / "fast.mp4"  # index first, as phones write it: cut, it decodes to the cut
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(sample(A06)), "-c", "copy",
                    "-movflags", "+faststart", str(fast)], check=True, timeout=60)
    data = fast.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.8)])
    catalogue = load_catalogue()
    sequential = analyse_video(cut, catalogue, jobs=1)
    parallel = analyse_video(cut, catalogue, jobs=2)
    assert 270 < len(parallel.track) == len(sequential.track) < 540  # cut in the second part
    assert parallel.track.warnings == sequential.track.warnings
    assert "ends early" in parallel.track.warnings[0]


@pytest.mark.slow
def test_a_part_of_a_file_that_cannot_seek_is_read_from_the_start(monkeypatch):
    """No frame may be lost between parts: where seeking fails, a part decodes from the start."""
    part = Part(1, 1.5, None)
    seeking = list(part_poses(str(sample(A03)), "full", part))

    def cannot(self, t_s):
        raise VideoError(f"{self.path}: cannot seek")

    monkeypatch.setattr(VideoReader, "seek", cannot)
    reading = list(part_poses(str(sample(A03)), "full", part))
    assert [t for t, _ in reading] == [t for t, _ in seeking]
    assert reading[0][0] >= 1.5 and len(reading) == len([t for t, _ in seeking if t >= 1.5]) > 40


def test_workers_do_not_rerun_the_parents_main_script(tmp_path, monkeypatch):
    """Streamlit (and its AppTest) leave a page as ``__main__``; a user's script may have no
    ``__name__`` guard. A spawned worker re-running either died or analysed again."""
    import sys
    import types

    script = tmp_path / "main_script.py"
    script.write_text("raise SystemExit(3)  # a page that cannot run outside Streamlit\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    report = analyse_video(sample(A06), load_catalogue(), jobs=2)
    assert len(report.track) > 0 and not report.track.warnings
    assert sys.modules["__main__"] is main


@pytest.mark.slow
def test_checks_in_batches_give_the_report_of_the_checks_frame_by_frame(tmp_path):
    """A sequential analysis hands the checks its poses in batches (``FrameLoop.step_poses``);
    drawing an annotated video takes them frame by frame (``step_image``): the same report
    and the same landmarks, bit for bit."""
    catalogue = load_catalogue()
    batched = analyse_video(sample(A03), catalogue, jobs=1)
    framewise = analyse_video(sample(A03), catalogue, jobs=1,
                              annotate_to=tmp_path / "annotated.mp4")
    assert (tmp_path / "annotated.mp4").stat().st_size > 0
    assert batched.to_dict() == framewise.to_dict()
    for field in ("t_s", "image", "world", "visibility", "people"):
        assert np.array_equal(getattr(batched.track, field), getattr(framewise.track, field),
                              equal_nan=True), field
    assert len(batched.track) > 60 and batched.track.has_pose.all()


# -- threads sharing the work ---------------------------------------------------------------


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("stretchcheck-poses")]


@pytest.fixture(scope="module")
def a06_sequential():
    return analyse_video(sample(A06), load_catalogue(), jobs=1)


def test_an_idle_thread_takes_the_second_half_of_the_range_with_most_left():
    """The cut leaves the thief its settling less (it settles first); ranges with less than
    ``MIN_STEAL_S`` left, broken ones, or none running are left alone."""
    first, second = _Range(None, 6.0, strict=False), _Range(6.0, None, strict=True)
    plan = _Plan("clip.mp4", "full", [first, second], stop_s=20.0)
    plan.judge(True)  # the file's timestamps rise: it may be cut
    assert plan.steal() is None  # nothing running yet
    first.running = second.running = True
    first.claimed_s, second.claimed_s = 5.9, 8.0
    thief = plan.steal()
    assert thief is not None and thief.end_s is None and thief.strict
    assert thief.start_s == pytest.approx(8.0 + (12.0 + plan.settle_s) / 2)
    assert second.end_s == thief.start_s and plan.ranges == [first, second, thief]
    second.claimed_s = thief.start_s - MIN_STEAL_S + 0.1  # too little left anywhere
    thief.claimed_s = 20.0 - MIN_STEAL_S + 0.1
    assert plan.steal() is None
    thief.claimed_s = None  # still settling: measured from its start
    plan.free(second)  # reads on to the end: the ranges after it are dropped
    assert second.end_s is None and thief.dropped and plan.steal() is None


def test_a_file_that_cannot_be_cut_is_left_to_the_first_range():
    first, second = _Range(None, 6.0, strict=False), _Range(6.0, None, strict=True)
    plan = _Plan("clip.mp4", "full", [first, second], stop_s=20.0)
    first.running = second.running = True
    second.claimed_s = 7.0
    plan.judge(False)
    assert first.end_s is None and second.dropped and plan.steal() is None
    assert plan.claim(first, 19.0) and not plan.claim(second, 7.1)


@pytest.mark.slow
def test_uneven_ranges_shared_by_stealing_give_the_sequential_report(monkeypatch,
                                                                      a06_sequential):
    """Cut far from even (4 s and 14 s), the thread that finishes first takes half of the
    other's rest: three ranges, two seams, the sequential holds and landmarks."""
    monkeypatch.setattr(extraction, "split", lambda start, duration, *a: [
        Part(0, None, start + 4.0), Part(1, start + 4.0, None)])
    made: list[extraction.PartedPoses] = []
    original = extraction.parted_poses

    def kept(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(extraction, "parted_poses", kept)
    parallel = analyse_video(sample(A06), load_catalogue(), jobs=2)
    ranges = made[0].ranges
    print("ranges:", ranges)
    assert len(ranges) >= 3 and ranges[0] == (None, pytest.approx(4.0, abs=0.1))
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # no gap, no overlap
    a, b = a06_sequential.track, parallel.track
    assert np.array_equal(a.t_s, b.t_s) and np.array_equal(a.has_pose, b.has_pose)
    error = np.linalg.norm(a.image - b.image, axis=2)
    print(f"landmarks: mean {error.mean():.3f} px, max {error.max():.2f}")
    assert error.mean() <= 1.0
    seq, par = a06_sequential.to_dict(), parallel.to_dict()
    for key in seq:
        assert par[key] == seq[key], key
    assert not _threads()


@pytest.mark.slow
def test_a_failing_thread_is_one_clear_line_and_a_non_zero_exit(monkeypatch, tmp_path,
                                                                 capsys):
    """A thread's model failing mid-way (not a user error: a bug or a native fault) stops
    the analysis with one line naming the part, exit code 2, no thread left running."""
    original = extraction._estimator

    def failing(model):
        estimator = original(model)
        if threading.current_thread().name != "stretchcheck-poses-1":
            return estimator
        calls = [0]
        process = estimator.process

        def process_then_fail(rgb, t_s):
            calls[0] += 1
            if calls[0] > 40:
                raise RuntimeError("graph stopped: out of memory\n  (native detail)")
            return process(rgb, t_s)

        estimator.process = process_then_fail
        return estimator

    monkeypatch.setattr(extraction, "_estimator", failing)
    code = main(["analyze", str(sample(A06)), "--out", str(tmp_path), "--jobs", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(
        "stretchcheck: error: pose extraction failed in the part from "), err
    assert err[0].endswith("s: RuntimeError: graph stopped: out of memory"), err
    assert not (tmp_path / "report.json").exists() and not _threads()


@pytest.mark.slow
def test_an_interrupted_analysis_stops_its_threads(monkeypatch):
    """Ctrl-C arrives in the main thread (here: from the progress callback, where the
    consumer is); the threads stop within a frame and close their models."""
    closed: list[str] = []
    original = extraction._estimator

    def watched(model):
        estimator = original(model)
        close = estimator.close

        def close_and_note():
            closed.append(threading.current_thread().name)
            close()

        estimator.close = close_and_note
        return estimator

    monkeypatch.setattr(extraction, "_estimator", watched)

    def interrupt(done: int, total: int) -> None:
        if done >= 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyse_video(sample(A06), load_catalogue(), jobs=2, progress=interrupt)
    assert not _threads()
    assert sorted(closed) == ["stretchcheck-poses-0", "stretchcheck-poses-1"]


@pytest.mark.slow
def test_ctrl_c_ends_a_parallel_analyze_at_once_with_nothing_left(tmp_path):
    """SIGINT to ``stretchcheck analyze`` mid-way: exit 130 within seconds, one line said,
    and no process of it left (the threads die with it; no child process exists)."""
    import signal
    import sys
    import time

    from pose.soak import looped_clip

    long = tmp_path / "long.mp4"  # 90 s: far from done 4 s in, however quiet the machine
    looped_clip(sample(A06), 90.0, long)
    # SIGINT as a terminal gives it, whoever started the tests (a shell without job control
    # starts a background command with SIGINT ignored, and the child would inherit that).
    proc = subprocess.Popen([sys.executable, "-m", "pose", "analyze", str(long),
                             "--out", str(tmp_path / "out"), "--jobs", "2"],
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4.0)  # imports, models loading, frames under way
    children = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "pid="],
                              capture_output=True, text=True).stdout.split()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "stretchcheck: interrupted"
    assert children == []  # threads, not processes: nothing to orphan


@pytest.mark.slow
def test_every_thread_runs_its_model_behind_the_network_guard(monkeypatch):
    """Each thread's landmarker runs while ``pose.privacy`` blocks the native logger."""
    from pose import privacy
    from pose.estimator import PoseEstimator

    seen: dict[str, set[bool]] = {}
    process = PoseEstimator.process

    def noted(self, rgb, t_s):
        seen.setdefault(threading.current_thread().name, set()).add(privacy.blocked())
        return process(self, rgb, t_s)

    monkeypatch.setattr(PoseEstimator, "process", noted)
    analyse_video(sample(A06), load_catalogue(), jobs=2)
    assert seen == {"stretchcheck-poses-0": {True}, "stretchcheck-poses-1": {True}}


CORES = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
needs_two_cores = pytest.mark.skipif(len(CORES) < 2, reason="one core: nothing to pin")


@needs_two_cores
def test_a_pinned_thread_and_the_threads_it_starts_keep_one_core_the_process_keeps_all():
    seen: dict[str, object] = {}

    def child() -> None:
        seen["child"] = os.sched_getaffinity(0)

    def pinned() -> None:
        seen["core"] = own_core(len(CORES) + 1)  # modulo the cores: the second one
        seen["pinned"] = os.sched_getaffinity(0)
        started = threading.Thread(target=child)
        started.start()
        started.join()

    thread = threading.Thread(target=pinned)
    thread.start()
    thread.join()
    assert seen["core"] == CORES[1]
    assert seen["pinned"] == seen["child"] == {CORES[1]}
    assert sorted(os.sched_getaffinity(0)) == CORES  # the calling thread only


def _task_cores(name: str) -> list[set[int]]:
    """The allowed cores of this process' threads called ``name``."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        try:
            if (task / "comm").read_text().strip() == name:
                found.append(os.sched_getaffinity(int(task.name)))  # a thread id works as pid
        except OSError:  # the thread ended meanwhile
            continue
    return found


@pytest.mark.slow
@needs_two_cores
def test_each_thread_runs_its_model_on_a_core_of_its_own(monkeypatch):
    """A range's thread, its model's graph threads and its decoder's threads share one core,
    another than the other range's; the calling thread keeps every core."""
    from pose.estimator import PoseEstimator

    own: dict[str, set[int]] = {}
    graphs: list[set[int]] = []
    process = PoseEstimator.process

    def noted(self, rgb, t_s):
        own[threading.current_thread().name] = os.sched_getaffinity(0)
        if len(graphs) < 8:
            graphs.extend(_task_cores("drishti"))
        return process(self, rgb, t_s)

    monkeypatch.setattr(PoseEstimator, "process", noted)
    analyse_video(sample(A06), load_catalogue(), jobs=2)
    assert own == {"stretchcheck-poses-0": {CORES[0]}, "stretchcheck-poses-1": {CORES[1]}}
    assert graphs and all(len(cores) == 1 for cores in graphs)
    assert sorted(os.sched_getaffinity(0)) == CORES


@pytest.mark.slow
def test_timestamps_that_go_back_are_read_on_by_the_range_that_meets_them(tmp_path):
    """Four copies of A03 joined byte for byte as MPEG-TS: the timestamps go back to the
    start every 3 s, so the file cannot be cut by time. Cut anyway, the ranges give the
    frames of a sequential read, in its order, with its landmarks."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "scripts/test.sh installs ffmpeg"
    one = tmp_path / "one.ts"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(sample(A03)), "-c", "copy",
                    "-bsf:v", "h264_mp4toannexb", "-f", "mpegts", str(one)], check=True,
                   timeout=60)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(one.read_bytes() * 4)
    with VideoReader(joined) as reader:
        info, start = reader.info, reader.start_s
    assert start is not None
    sequential = list(part_poses(str(joined), "full", Part(0, None, None), strict=False))
    parts = [Part(0, None, start + 1.2), Part(1, start + 1.2, start + 2.2),
             Part(2, start + 2.2, None)]
    parted = extraction.PartedPoses(info, "full", parts, start + 12.0)
    parallel = list(parted)
    assert [t for t, _ in parallel] == [t for t, _ in sequential]
    assert len(parallel) > 4 * 85 and parted.ranges == [(None, None)]  # the first read all
    for (_, a), (_, b) in zip(sequential, parallel, strict=True):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert np.array_equal(a.image, b.image)  # one model all the way: bit for bit
    assert not _threads()
