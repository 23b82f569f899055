"""The block judge (``pose.block_checks``) says of every frame what ``judge_frame`` says, and
the batch entry checking with it gives what judging every frame one by one gives.

Real traces (../shared/realclips), every catalogue stretch, every frame: side, status, criteria
met, over-range, blocked by the view and the whole ``Position`` built on demand; each side's
verdict against ``evaluate``'s. Then a whole clip through the batch entry (verdicts read from
blocks, idle stretches left behind) against the loop stepped one frame at a time with every
stretch judged by ``judge_frame`` on every frame: every event raised, in order, and the report.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHARED

from pose.block_checks import judge_block, judge_blocks
from pose.catalogue_checker import CatalogueChecker
from pose.checks import (
    IN_FORM,
    NEARLY,
    OUT_OF_FORM,
    UNKNOWN,
    blocked_by_view,
    evaluate,
    judge_frame,
)
from pose.coach import StretchChecker
from pose.pipeline import FrameLoop, run_poses
from pose.routines import load_catalogue
from pose.sessions import analyse_trace
from pose.stretches import Limit
from pose.traces import load_trace, pose_frames

REALCLIPS = SHARED / "realclips"

#: A personal limit on each stretch (as a profile's comfortable ranges give): over-range
#: frames on every clip, so the limits' part of the judge is exercised on real bodies too.
PERSONAL = (Limit("hip_flexion_{side}", high=60.0, cue="Not so far with your {side} hip"),
            Limit("knee_drop", low=-10.0, high=10.0, positive_side="right", cue="Knees up"))


def checked_frames(name: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A realclip's poses as the checks see them (smoothed, stored precision, one person):
    angle name -> (N,) degrees and (N, 33) visibilities."""
    path = REALCLIPS / f"{name}.npz"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    track = analyse_trace(path, load_catalogue()).track
    one = track.people == 1
    angles = {k: v[one] for k, v in track.angles().items()}
    visibility = np.asarray(track.visibility, np.float32).astype(np.float64)[one]
    return angles, visibility


@pytest.mark.slow
@pytest.mark.parametrize("name", ["R03_standing_quad_four_shots",
                                  "R06_shoulder_neck_triceps_front",
                                  "R09_fast_walkouts_side"])
@pytest.mark.parametrize("limits", [(), PERSONAL], ids=["catalogue", "personal"])
def test_block_verdicts_are_judge_frames_on_real_traces(name, limits):
    angles, visibility = checked_frames(name)
    catalogue = load_catalogue()
    stretches = list(catalogue.stretches.values())
    blocks = judge_blocks([(s, limits) for s in stretches], angles, visibility)
    names = list(angles)
    rows = np.stack([angles[n] for n in names], axis=1).tolist()
    seen, over = set(), 0
    for stretch, block in zip(stretches, blocks, strict=True):
        for i, row in enumerate(rows):
            frame = dict(zip(names, row, strict=True))
            want = judge_frame(stretch, frame, visibility[i], extra_limits=limits)
            got = block.verdict(i, frame, visibility[i])
            assert (got.side, got.status, got.met, got.over, got.blocked) == (
                want.side, want.status, want.met, bool(want.over_range),
                blocked_by_view(stretch, want)), (stretch.id, i)
            # Read first, the limits passed are worked out alone, not from the position.
            assert got.over_range == want.over_range, (stretch.id, i)
            assert got.position == want, (stretch.id, i)
            assert block.moves[i] == (want.status != OUT_OF_FORM and not (
                want.status == UNKNOWN and want.met == 0)), (stretch.id, i)
            for side in block.sides:
                one = evaluate(stretch, side, frame, visibility[i], limits)
                other = got.on_side(side)
                assert (other.side, other.status, other.met, other.over, other.blocked) == (
                    side, one.status, one.met, bool(one.over_range),
                    blocked_by_view(stretch, one)), (stretch.id, side, i)
            seen.add(want.status)
            over += got.over
    # Not a comparison of empty verdicts: the holds reach form and near misses (R09 is a
    # negative: fast walk-outs), each clip the unseen, and the personal limits are passed.
    assert seen >= {OUT_OF_FORM, UNKNOWN} | (set() if name.startswith("R09") else
                                            {IN_FORM, NEARLY})
    assert over > 0 or not limits


def test_a_block_of_one_frame_and_frames_out_of_view():
    """One frame, and frames with every angle unmeasured or missing from the mapping: the
    verdicts still agree with ``judge_frame`` (unknown, the part to bring into view)."""
    catalogue = load_catalogue()
    stretch = catalogue.stretch("knee_to_chest")
    visibility = np.zeros((2, 33))
    visibility[1, :12] = 0.9  # the head and shoulders in view, the legs not
    angles = {"hip_flexion_left": np.array([np.nan, np.nan])}
    block = judge_block(stretch, angles, visibility)
    for i in range(2):
        frame = {"hip_flexion_left": float("nan")}
        want = judge_frame(stretch, frame, visibility[i])
        got = block.verdict(i, frame, visibility[i])
        assert (got.side, got.status, got.met) == (want.side, want.status, want.met)
        assert got.position == want and got.unseen == want.unseen


class _FrameByFrame(CatalogueChecker):
    """The reference: every stretch judged by ``judge_frame`` on every frame, none left
    behind, nothing worked out ahead."""

    def screen(self, angles, visibility):
        return None

    def update(self, t_s, pose, angles, hint=None):
        return None, [e for c in self.checkers for e in c.observe(t_s, pose, angles)[1]]


def raised(loop: FrameLoop) -> list[tuple]:
    return [(e.t_s, e.kind, e.stretch, e.side, e.message, e.data) for e in loop.events]


@pytest.mark.slow
@pytest.mark.parametrize(("clip", "stretch"), [
    ("R05_seated_forward_fold_side", "auto"), ("R03_standing_quad_four_shots", "auto"),
    ("R06_shoulder_neck_triceps_front", "auto"),
    ("R06_shoulder_neck_triceps_front", "overhead_triceps"),
    ("R06_shoulder_neck_triceps_front", "neck_side_bend")])
def test_batch_evaluate_equals_judging_every_frame(clip, stretch, monkeypatch):
    """A realclip checked as ``evaluate`` checks it (the batch entry: verdicts read from
    blocks, idle stretches left behind; blocks of 256 frames, so verdicts and stretches left
    behind cross block boundaries) and stepped one frame at a time with each stretch
    judging each frame itself: every event in the order raised, the report, the declined."""
    path = REALCLIPS / f"{clip}.npz"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    trace = load_trace(path)
    catalogue = load_catalogue()
    calls = {"update_judged": 0, "out_of_position": 0}
    def counting(name):
        method = getattr(StretchChecker, name)

        def counted(self, *args):
            calls[name] += 1
            return method(self, *args)
        return counted

    for name in calls:  # count how the batch followed the frames
        monkeypatch.setattr(StretchChecker, name, counting(name))
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue, stretch=stretch))
    run_poses(loop, pose_frames(trace), batch=256)
    monkeypatch.undo()
    reference = FrameLoop(_FrameByFrame.for_catalogue(catalogue, stretch=stretch))
    for t, pose in pose_frames(trace):
        reference.step_pose(pose, t)
    reference.finish()
    assert raised(loop) == raised(reference)
    assert loop.report(loop.track(trace.size, 0.0)).to_dict() == \
        reference.report(reference.track(trace.size, 0.0)).to_dict()
    assert any(e.kind == "hold_started" for e in reference.events)
    # The batch read its verdicts from blocks and (auto mode) left idle stretches behind.
    assert calls["update_judged"] > 0
    assert calls["out_of_position"] > 0 or stretch != "auto"
