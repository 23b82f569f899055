"""`stretchcheck evaluate`: pose traces in, reports scored exactly as the private set's scorer."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import SHARED

from pose import landmarks as lm
from pose.cli import main
from pose.evaluate import evaluate
from pose.routines import load_catalogue
from pose.scoring import score_dirs
from pose.sessions import analyse_trace
from pose.smoothing import OneEuroFilter, OneEuroParams
from pose.traces import TraceError, load_trace, pose_frames

REALCLIPS = SHARED / "realclips"
SCORE_PY = REALCLIPS / "score.py"


@pytest.fixture(scope="module")
def realclips():
    if not (REALCLIPS / "score.py").is_file():
        pytest.skip(f"{REALCLIPS} is not here (the shared folder sits beside the repository)")
    return REALCLIPS


def _score_py(labels, reports, *flags):
    out = subprocess.run([sys.executable, str(SCORE_PY), str(labels), str(reports), "--json",
                          *flags], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _same(ours, theirs):
    if isinstance(theirs, float) and math.isnan(theirs):
        return ours is None or (isinstance(ours, float) and math.isnan(ours))
    return ours == theirs


def test_scores_agree_with_score_py_to_the_digit(realclips, tmp_path):
    ev = evaluate(realclips, [realclips], out=tmp_path)
    theirs = _score_py(realclips, tmp_path)
    assert set(theirs["summary"]) <= set(ev.summary)
    for key, value in theirs["summary"].items():
        assert _same(ev.summary[key], value), key
    assert len(ev.per_clip) == len(theirs["clips"]) == 9
    for ours, row in zip(ev.per_clip, theirs["clips"], strict=True):
        assert ours["clip"][:3] == row["clip"]
        for key, value in row.items():
            if key != "clip":
                assert ours[key] == value, (row["clip"], key)


def test_scores_agree_on_edited_reports_and_missing_ones(realclips, tmp_path):
    """Holds moved, sides swapped, bounces added and reports missing: still the same digits."""
    reports = tmp_path / "reports"
    evaluate(realclips, [realclips], out=reports)
    rng = np.random.default_rng(7)
    for i, path in enumerate(sorted(reports.glob("*.json"))):
        if i % 4 == 3:
            path.unlink()  # scored as an empty report with --all-labels
            continue
        report = json.loads(path.read_text())
        for s in report["stretches"]:
            s["side"] = {"left": "right", "right": "left"}.get(s["side"], s["side"]) \
                if rng.random() < 0.5 else s["side"]
            for h in s["holds"]:
                shift = float(rng.uniform(-2, 2))
                h["start_s"], h["end_s"] = h["start_s"] + shift, h["end_s"] + shift * 0.5
        report["stretches"].append({"stretch": "neck_side_bend", "side": "left",
                                    "holds": [{"start_s": 1.0, "end_s": 6.5}],
                                    "bounces": [{"t_s": 3.333}]})
        report["events"].append({"t_s": float(rng.uniform(0, 20)), "kind": "bounce"})
        path.write_text(json.dumps(report))
    for flags, all_labels in (((), False), (("--all-labels",), True)):
        theirs = _score_py(realclips, reports, *flags)
        summary, rows = score_dirs(realclips, reports, all_labels=all_labels)
        for key, value in theirs["summary"].items():
            assert _same(summary[key], value), (flags, key)
        assert rows == theirs["clips"]


def test_evaluate_json_on_the_nine_traces(realclips, capsys, tmp_path):
    assert main(["evaluate", str(realclips), str(realclips), "--json",
                 "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    summary = data["summary"]
    for key in ("clips", "hold_coverage", "holds_found", "side_accuracy", "false_hold_s",
                "bounce_recall", "false_bounces"):
        assert key in summary
    assert summary["clips"] == 9
    assert len(data["per_clip"]) == 9
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == [r["clip"] for r in data["per_clip"]]
    report = json.loads((tmp_path / "R01_knee_to_chest_side.json").read_text())
    assert report["schema"] == "stretchcheck.report/1"
    assert data["timing"]["media_s"] > 200


def test_evaluate_one_stretch_and_one_file(realclips, capsys):
    assert main(["evaluate", str(realclips / "R05_seated_forward_fold_side.json"),
                 str(realclips / "R05_seated_forward_fold_side.npz"),
                 "--stretch", "seated_forward_fold", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["clips"] == 1
    assert data["per_clip"][0]["clip"] == "R05_seated_forward_fold_side"


def test_evaluate_bad_input_is_one_line(realclips, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope"), str(realclips)]) == 2
    assert main(["evaluate", str(realclips), str(tmp_path)]) == 2  # nothing pairs up
    assert main(["evaluate", str(realclips), str(realclips), "--stretch", "neck_sidebend"]) == 2
    (tmp_path / "X.json").write_text('{"segments": [{"start_s": 0}]}')
    (tmp_path / "X.npz").write_bytes(b"not a zip")
    assert main(["evaluate", str(tmp_path / "X.json"), str(tmp_path)]) == 2
    (tmp_path / "X.json").write_text('{"segments": []}')
    assert main(["evaluate", str(tmp_path / "X.json"), str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 5
    assert all(line.startswith("stretchcheck: error: ") for line in err)
    assert "did you mean 'neck_side_bend'" in err[2]
    assert "not a label file" in err[3]
    assert "not a readable pose trace" in err[4]


#: Both ways in one child process, each clip's pid recorded (the workers inherit the patch).
_BOTH_WAYS = """
import json, os, sys
from pathlib import Path
import pose.evaluate as evaluation
clips, out = Path(sys.argv[1]), Path(sys.argv[2])
checked = evaluation._checked
def recording(*args, **kwargs):
    with open(out / "pids", "a") as f:
        f.write(f"{os.getpid()} ")
    return checked(*args, **kwargs)
evaluation._checked = recording
runs = {}
for jobs in (1, 2):
    ev = evaluation.evaluate(clips, [clips], jobs=jobs, out=out / str(jobs))
    runs[jobs] = {"pids": sorted(set((out / "pids").read_text().split())),
                  "per_clip": ev.per_clip, "summary": ev.summary, "media_s": ev.media_s}
    (out / "pids").unlink()
print(json.dumps({"parent": str(os.getpid()), "runs": runs}))
"""


def test_traces_checked_in_parallel_give_the_same_reports(realclips, tmp_path):
    """Forked workers, a clip each: every report the same to the byte as one process's, and
    really checked in other processes. (In a child process: a fork that hangs is killed.)"""
    code, out, err = _run_guarded(_BOTH_WAYS, realclips, tmp_path)
    assert code == 0, err[-2000:]
    data = json.loads(out)
    one, two = data["runs"]["1"], data["runs"]["2"]
    assert one["pids"] == [data["parent"]]
    assert two["pids"] and data["parent"] not in two["pids"]
    names = sorted(p.name for p in (tmp_path / "1").iterdir())
    assert len(names) == 9 and names == sorted(p.name for p in (tmp_path / "2").iterdir())
    for name in names:
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
    for key in ("per_clip", "summary", "media_s"):
        assert one[key] == two[key], key


def test_corrupt_traces_among_good_ones_in_parallel_first_one_first(realclips, tmp_path):
    """The first corrupt trace in clip order is the one-line error, as in one process, and
    the reports before it are written."""
    for stem in ("R04_cat_cow_side", "R07_jumping_jacks_fast_front"):
        for suffix in (".json", ".npz"):
            (tmp_path / f"{stem}{suffix}").symlink_to(realclips / f"{stem}{suffix}")
    for stem in ("R05_x", "R08_y"):
        (tmp_path / f"{stem}.json").write_text('{"segments": []}')
        (tmp_path / f"{stem}.npz").write_bytes(b"PK\x03\x04 cut short")
    code, out, err = _run_guarded(
        "import sys; from pose.cli import main; sys.exit(main(sys.argv[1:]))",
        "evaluate", tmp_path, tmp_path, "--jobs", "2", "--out", tmp_path / "out")
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("stretchcheck: error: ") and "R05_x.npz" in line
    assert "not a readable pose trace" in line
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["R04_cat_cow_side.json"]


#: A parent that decoded a video and left the decoder in garbage only a full collection frees
#: (a reference cycle), with every allocation allowed to collect: without the parent freezing
#: its objects before it forks, a child's collector freed the codec context, whose threads
#: stayed behind in the parent, and hung in it for good.
_GARBAGE_BEFORE_FORK = """
import gc, sys
from pathlib import Path
import av
from pose.evaluate import evaluate
keep = []
class Holder: pass
def decode(path):
    container = av.open(path)
    stream = container.streams.video[0]
    stream.thread_type = "FRAME"
    for i, _ in enumerate(container.decode(stream)):
        if i > 20:
            break
    holder = Holder()
    holder.me, holder.container, holder.stream = holder, container, stream
    keep.append(holder)
decode(sys.argv[1])
gc.collect()  # the cycle, still kept, goes to the oldest generation
keep.clear()
gc.set_threshold(1, 1, 1)
clips = Path(sys.argv[2])
print(evaluate(clips, [clips], jobs=2).summary["clips"])
"""


def _run_guarded(code: str, *args: object, timeout_s: float = 60.0) -> tuple[int, str, str]:
    """``code`` run by a new Python in a session of its own, killed with all its processes
    (forked workers too) if it has not ended after ``timeout_s``: (exit code, out, err)."""
    import os
    import signal
    run = subprocess.Popen([sys.executable, "-c", code, *map(str, args)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    try:
        out, err = run.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
        pytest.fail(f"hung: killed after {timeout_s:.0f} s")
    return run.returncode, out, err


def test_workers_forked_beside_a_decoders_garbage_do_not_hang(realclips):
    """Guards ``gc.freeze`` before the fork (``_Workers``): without it this hung. The
    parent's garbage, frozen with the rest, is left to the parent: a ``gc.collect`` before
    the fork passed this case too, and cost 14-37 ms an evaluation."""
    from conftest import sample
    video = sample("A06_sports2d_lateral_raise_reps_front.mp4")
    code, out, err = _run_guarded(_GARBAGE_BEFORE_FORK, video, realclips)  # ~3 s
    assert code == 0, err[-2000:]
    assert out.split() == ["9"]


_WORKER_DIES = """
import os, signal, sys
from pathlib import Path
import pose.evaluate as evaluation
from pose.errors import StretchCheckError
checked = evaluation._checked
def dying(clip, *args, **kwargs):
    if clip.id.startswith("R03"):
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return checked(clip, *args, **kwargs)
evaluation._checked = dying  # the workers are forked with it
clips = Path(sys.argv[1])
try:
    evaluation.evaluate(clips, [clips], jobs=2)
except StretchCheckError as exc:
    print(exc)
"""


def test_a_worker_that_dies_is_a_one_line_error_not_a_hang(realclips):
    code, out, err = _run_guarded(_WORKER_DIES, realclips)
    assert code == 0, err[-2000:]
    (line,) = out.strip().splitlines()
    assert "ended unexpectedly" in line and "--jobs 1" in line


def test_trace_format_errors(tmp_path):
    with pytest.raises(TraceError, match="no such file"):
        load_trace(tmp_path / "none.npz")
    np.savez(tmp_path / "bad.npz", t_s=np.zeros(3))
    with pytest.raises(TraceError, match="not a pose trace"):
        load_trace(tmp_path / "bad.npz")
    n = 4
    good = {"t_s": np.arange(n) / 30, "found": np.ones(n, bool),
            "image": np.zeros((n, 33, 2)), "world": np.zeros((n, 33, 3)),
            "visibility": np.ones((n, 33)), "people": np.ones(n, int), "size": np.array([64, 48])}
    # Found by a robustness probe: each was a traceback (or a warning per frame, for inf).
    for name, value, match in (("t_s", np.float64(0.0), r"t_s is shaped \(\), expected \(N,\)"),
                               ("t_s", np.zeros((n, 1)), r"t_s is shaped \(4, 1\)"),
                               ("image", np.zeros((n, 33, 2), np.complex64), "holds complex64")):
        np.savez(tmp_path / "odd.npz", **{**good, name: value})
        with pytest.raises(TraceError, match=match):
            load_trace(tmp_path / "odd.npz")
    world = good["world"].copy()
    world[1, 5] = np.inf
    np.savez(tmp_path / "inf.npz", **{**good, "world": world})
    trace = load_trace(tmp_path / "inf.npz")
    assert np.isnan(trace.world[1, 5]).all() and np.isfinite(trace.world[0]).all()


def test_trace_frames_are_raw_and_the_loop_smooths_them_as_it_smooths_the_model(realclips):
    """A trace yields the model's raw output; the one loop smooths it as it does live (image in
    frame heights and world in metres, each through its own filter, found frames only) and
    checks it at stored precision."""
    trace = load_trace(realclips / "R04_cat_cow_side.npz")
    frames = list(pose_frames(trace))
    assert len(frames) == len(trace)
    for i, (t, frame) in enumerate(frames):
        assert t == trace.t_s[i]
        if not trace.found[i]:
            assert frame is None
            continue
        np.testing.assert_array_equal(frame.image, trace.image[i])
        np.testing.assert_array_equal(frame.world, trace.world[i])
        np.testing.assert_array_equal(frame.visibility, trace.visibility[i])
        assert frame.size == trace.size and frame.people >= 1
    assert frames[0][1] is None or frames[0][1].image.shape == (lm.N_LANDMARKS, 2)

    checked = analyse_trace(trace, load_catalogue()).track
    fi, fw = OneEuroFilter(OneEuroParams()), OneEuroFilter(OneEuroParams())
    h = trace.size[1]
    f32 = lambda a: a.astype(np.float32).astype(np.float64)  # noqa: E731
    for i, t in enumerate(trace.t_s):
        assert checked.t_s[i] == t  # a clean trace: session time is its own time
        if trace.found[i]:
            np.testing.assert_array_equal(checked.image[i], f32(fi(trace.image[i] / h, t) * h))
            np.testing.assert_array_equal(checked.world[i], f32(fw(trace.world[i], t)))


@pytest.mark.slow
def test_evaluate_runs_the_model_on_a_video(tmp_path, capsys):
    """A video beside its label goes through the model, then the same checks and scoring.
    A06 (lateral raise reps, no stretch) labelled as ordinary movement: every reported hold is
    false hold time, reps are not holds, and steady raises are not ballistic."""
    from conftest import sample
    video = sample("A06_sports2d_lateral_raise_reps_front.mp4")
    clip = tmp_path / "clips"
    clip.mkdir()
    (clip / "A06.mp4").symlink_to(video)
    label = {"segments": [{"start_s": 0.0, "end_s": 60.0, "stretch": "none", "side": None,
                           "phase": "moving"}], "expected": {"ballistic": False}}
    (clip / "A06.json").write_text(json.dumps(label))
    assert main(["evaluate", str(clip), str(clip), "--json", "--out", str(tmp_path / "out")]) == 0
    data = json.loads(capsys.readouterr().out)
    (row,) = data["per_clip"]
    assert row["source"] == "video" and row["media_s"] > 5.0
    report = json.loads((tmp_path / "out" / "A06.json").read_text())
    held = sum(h["duration_s"] for s in report["stretches"] for h in s["holds"])
    assert row["false_hold_s"] == pytest.approx(held, abs=0.02)
    assert row["false_hold_s"] <= 2.0
    assert row["false_bounces_moving"] == 0  # steady raises (samples README): not ballistic
