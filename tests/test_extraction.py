"""Pose extraction in parallel parts gives the report of the sequential path."""

from __future__ import annotations

import multiprocessing as mp
import shutil
import subprocess

import numpy as np
import pytest
from conftest import sample

from pose.errors import VideoError
from pose.extraction import MIN_PART_S, Packed, Part, _worker, part_poses, split
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
def test_a_worker_runs_its_model_behind_the_network_guard():
    """The worker checks ``pose.privacy.blocked()`` with its landmarker alive, in the spawned
    process itself, and says "error" if not: a part of A03 must come back done."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_worker, args=(str(sample(A03)), "full", Part(1, 1.5, None), out))
    child.start()
    messages = []
    while not messages or messages[-1][0] == "frames":
        messages.append(out.get(timeout=120))
    child.join(timeout=30)
    assert messages[-1] == ("done", None), messages[-1]
    frames = [f for m in messages[:-1] for f in m[1].unpack()]
    assert frames and all(t >= 1.5 for t, _ in frames)
    assert child.exitcode == 0


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
