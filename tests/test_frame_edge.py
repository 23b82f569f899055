"""Ankles at the frame's edge (``pose.frame_edge``): where the frame cuts a foot at the heel, the
ankle is the model's guess and counts as not seen; a toe tip over the edge changes nothing.
The synthetic body (``tests/body.py``) gives the true joints; the label errors are made the way
the pose model makes them on R03 of the real clips (the ankle label jumping inside the frame)."""

from __future__ import annotations

import numpy as np
import pytest
from body import Camera, Placement, Pose, sequence
from conftest import SHARED

from pose import landmarks as lm
from pose.catalogue_checker import CatalogueChecker
from pose.checks import IN_FORM, judge_frame
from pose.frame_edge import CUT_VISIBILITY, HEEL_OUT_HOLD_S, CutFootFilter
from pose.landmarks import PoseFrame
from pose.pipeline import FrameLoop, frame_angles
from pose.routines import load_catalogue
from pose.traces import load_trace

FPS = 30.0
SIZE = (640, 480)
R_ANKLE, R_HEEL, R_TOE, R_KNEE = (lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX,
                                  lm.RIGHT_KNEE)


def standing(n: int = 60):
    """``n`` frames of a still standing body, 30 fps: (t, image, visibility), all seen."""
    t = np.arange(n) / FPS
    image, _, vis = sequence(Pose(), t, Placement(0.0), Camera(view="side_left"))
    return t, image, np.full_like(vis, 0.9)


def test_an_ankle_is_not_seen_while_its_heel_is_outside_the_frame_and_shortly_after():
    t, image, vis = standing()
    image[10:15, R_HEEL, 1] = SIZE[1] + 2.0  # the right heel below the frame, 5 frames
    before = vis.copy()
    out = CutFootFilter()(t, image, vis, SIZE)
    assert np.array_equal(vis, before)  # the input is left alone
    last_out = t[14]
    cut = (t >= t[10]) & (t - last_out <= HEEL_OUT_HOLD_S)
    assert (out[cut, R_ANKLE] == CUT_VISIBILITY).all()
    assert (out[~cut, R_ANKLE] == 0.9).all()
    others = np.delete(out, R_ANKLE, axis=1)
    assert (others == 0.9).all()  # the heel's own visibility is the model's (0 outside)


def test_a_toe_over_the_edge_or_a_heel_on_it_keeps_the_ankle():
    """R01: the pulled-in foot's toe pokes 1-4 px over the top edge while the ankle, well
    inside, is read steadily. A heel at the last pixel row is still inside; NaN is nowhere."""
    t, image, vis = standing(20)
    image[:, R_TOE, 1] = -3.0
    image[:5, R_HEEL, 1] = SIZE[1] - 1.0
    image[5:10, lm.LEFT_HEEL] = np.nan
    out = CutFootFilter()(t, image, vis, SIZE)
    assert np.array_equal(out, vis)


def test_either_edge_and_either_foot():
    t, image, vis = standing(4)
    image[0, R_HEEL, 0] = -1.0  # left edge
    image[1, lm.LEFT_HEEL, 0] = SIZE[0]  # right edge (pixels run 0 .. width - 1)
    image[2, lm.LEFT_HEEL, 1] = -0.5  # top
    out = CutFootFilter(hold_s=0.0)(t, image, vis, SIZE)
    assert out[0, R_ANKLE] == CUT_VISIBILITY and out[0, lm.LEFT_ANKLE] == 0.9
    assert out[1, lm.LEFT_ANKLE] == CUT_VISIBILITY and out[1, R_ANKLE] == 0.9
    assert out[2, lm.LEFT_ANKLE] == CUT_VISIBILITY
    assert (out[3, [R_ANKLE, lm.LEFT_ANKLE]] == 0.9).all()


def test_the_same_marks_frame_by_frame_as_in_blocks_and_a_reset_forgets():
    t, image, vis = standing(60)
    image[[5, 6, 20, 41], R_HEEL, 1] = SIZE[1] + 5.0
    sizes = np.tile(SIZE, (len(t), 1))
    whole = CutFootFilter()(t, image, vis, sizes)
    one = CutFootFilter()
    frames = np.concatenate([one(t[i:i + 1], image[i:i + 1], vis[i:i + 1], SIZE)
                             for i in range(len(t))])
    chunked = CutFootFilter()
    blocks = np.concatenate([chunked(t[i:i + 7], image[i:i + 7], vis[i:i + 7], sizes[i:i + 7])
                             for i in range(0, len(t), 7)])
    assert np.array_equal(whole, frames) and np.array_equal(whole, blocks)
    assert whole[:, R_ANKLE].min() == CUT_VISIBILITY
    one.reset()  # a drop-out: the heel out before it does not carry over
    assert one(t[-1:] + 0.1, image[:1], vis[:1], SIZE)[0, R_ANKLE] == 0.9


@pytest.mark.parametrize("clip", sorted(p.stem for p in (SHARED / "realclips").glob("*.npz")))
def test_one_frame_at_a_time_equals_the_block_on_the_real_clips(clip):
    """Live feeds one frame at a time through a path of its own: the same visibility and the
    same memory of the heels as the block, frame by frame, on every real clip."""
    trace = load_trace(SHARED / "realclips" / f"{clip}.npz")
    found = trace.found
    t, image, vis = trace.t_s[found], trace.image[found], trace.visibility[found]
    block = CutFootFilter()
    whole = block(t, image, vis, trace.size)
    one = CutFootFilter()
    for i in range(len(t)):
        assert np.array_equal(one(t[i:i + 1], image[i:i + 1], vis[i:i + 1], trace.size),
                              whole[i:i + 1]), f"frame {i}, {t[i]:.3f} s"
    assert np.array_equal(one.heel_out_at, block.heel_out_at)
    if clip.startswith("R03"):
        assert (whole != vis).any()  # the marking path was taken


def test_a_hold_goes_on_when_the_standing_foot_leaves_the_frame():
    """Through the frame loop, as on R03 (the man, seen from behind): a left standing quad held
    still; from 2 s the camera tilts up and the standing heel leaves the frame at the bottom,
    and the model's standing-ankle label jumps up the shin and back from frame to frame, in the
    image and in the world landmarks (the raw labels read a standing knee bent ~50 deg:
    "straighten your right leg" to a straight leg, and the hold would end). With the ankle not
    trusted, the hold goes on and the coach names the right ankle as not seen."""
    t = np.arange(int(5 * FPS)) / FPS
    image, world, vis = sequence(Pose(knee_flexion_left=130.0, knee_flexion_right=5.0), t,
                                 Placement(0.0), Camera(view="back"), noise_px=0.5, rng=4)
    vis = np.full_like(vis, 0.95)
    # Framed with the standing heel 10 px above the bottom edge, then tilting up 25 px by 2.5 s.
    image[..., 1] += SIZE[1] - 10.0 - image[0, R_HEEL, 1]
    image[..., 1] += 25.0 * np.clip((t - 2.0) / 0.5, 0.0, 1.0)[:, None]
    # A third to half way up the shin, changing every frame.
    up = np.where(t >= 2.3, 0.3 + 0.2 * (np.arange(len(t)) % 2), 0.0)[:, None]
    image[:, R_ANKLE] += up * (image[:, R_KNEE] - image[:, R_ANKLE])
    world = world.copy()
    world[:, R_ANKLE] += up * (world[:, R_KNEE] - world[:, R_ANKLE])
    catalogue = load_catalogue()
    stretch = catalogue.stretch("standing_quad")
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue, None, "standing_quad"))
    results = loop.step_poses([(float(t[i]), PoseFrame(float(t[i]), image[i], world[i], vis[i],
                                                       SIZE)) for i in range(len(t))])
    loop.finish()
    kinds = [(e.kind, e.side, round(e.t_s, 2)) for e in loop.events
             if e.kind in ("hold_started", "hold_ended")]
    assert [k[:2] for k in kinds] == [("hold_started", "left"), ("hold_ended", "left")]
    assert kinds[1][2] == round(t[-1], 2)  # ended by the end of the recording only
    checked = results[-2]
    assert checked.pose is not None
    assert checked.pose.visibility[R_ANKLE] == np.float32(CUT_VISIBILITY)  # stored precision
    position = judge_frame(stretch, checked.angles, checked.pose.visibility)
    assert (position.side, position.status, position.unseen) == ("left", IN_FORM,
                                                                  ("right ankle",))
    raw = PoseFrame(float(t[-2]), image[-2], world[-2], vis[-2], SIZE)
    guessed = judge_frame(stretch, {k: float(v[0]) for k, v in frame_angles(raw).items()},
                          vis[-2])
    assert guessed.status != IN_FORM and "Straighten your right leg" in guessed.cue
