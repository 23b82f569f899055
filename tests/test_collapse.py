"""Collapsed labels: a left and a right landmark on one image point (``pose.collapse``).

A label whose joint left the view and then jumped onto the other side's joint is a duplicate:
marked not seen, the true one kept. Two limbs that overlap in the image honestly (the far one
behind the near one, side-on) or a limb brought next to the other in full view are left alone.
The synthetic body (``tests/body.py``) gives the true joints; the label errors are made the way
the pose model makes them on R03 of the real clips.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from body import Camera, Placement, Pose, sequence
from conftest import SHARED

from pose import landmarks as lm
from pose.catalogue_checker import CatalogueChecker
from pose.checks import IN_FORM, judge_frame
from pose.collapse import (
    COLLAPSE,
    DUPLICATE_VISIBILITY,
    PAIRS,
    SEEN_VISIBILITY,
    WAIT_MAX,
    CollapseFilter,
    CollapseState,
    duplicate_sides,
    mark_duplicates,
)
from pose.frame_edge import CutFootFilter
from pose.landmarks import PoseFrame
from pose.pipeline import FrameLoop, frame_angles
from pose.routines import load_catalogue
from pose.traces import load_trace

FPS = 30.0
L_ANKLE, R_ANKLE = lm.LEFT_ANKLE, lm.RIGHT_ANKLE
ANKLES = next(k for k, pair in enumerate(PAIRS) if pair[0] == L_ANKLE)
R03 = SHARED / "realclips" / "R03_standing_quad_four_shots.npz"
REAL_CLIPS = ["R01_knee_to_chest_side", "R02_supine_twist_three_shots",
              "R03_standing_quad_four_shots", "R04_cat_cow_side", "R05_seated_forward_fold_side",
              "R06_shoulder_neck_triceps_front", "R07_jumping_jacks_fast_front",
              "R08_seated_neck_side_bend_front", "R09_fast_walkouts_side"]


def quad(n: int = 90, view: str = "front", seed: int = 3):
    """A left standing quad stretch held still (left heel to buttock), ``n`` frames at 30 fps,
    1 px of landmark jitter: (t, image, visibility)."""
    t = np.arange(n) / FPS
    image, _, vis = sequence(Pose(knee_flexion_left=130.0, knee_flexion_right=5.0), t,
                             Placement(0.0), Camera(view=view), noise_px=1.0, rng=seed)
    return t, image, vis


def standing_ankle_lost(image: np.ndarray, vis: np.ndarray, out: int = 30, jump: int = 45,
                        slide: int = 5):
    """The model's failure on R03: from frame ``out`` the standing (right) ankle is below the
    frame (visibility 0) and the held left ankle dims to 0.3; from ``jump`` the right label
    slides over ``slide`` frames onto the left ankle and sits 2 px from it, reading clearly
    seen (0.95)."""
    image, vis = image.copy(), vis.copy()
    vis[out:, L_ANKLE] = 0.3
    vis[out:jump, R_ANKLE] = 0.0
    start, target = image[jump, R_ANKLE].copy(), image[jump + slide:, L_ANKLE] + [2.0, 0.0]
    w = (np.arange(1, slide + 1) / slide)[:, None]
    image[jump:jump + slide, R_ANKLE] = (1 - w) * start + w * (image[jump:jump + slide, L_ANKLE]
                                                               + [2.0, 0.0])
    image[jump + slide:, R_ANKLE] = target
    vis[jump:, R_ANKLE] = 0.95
    return image, vis


def torso_px(image: np.ndarray) -> np.ndarray:
    return np.linalg.norm(image[:, [11, 12]].mean(1) - image[:, [23, 24]].mean(1), axis=1)


def test_a_label_that_lost_its_joint_and_jumped_onto_the_other_is_marked_unseen():
    t, image, vis = quad()
    image, vis = standing_ankle_lost(image, vis)
    out = CollapseFilter()(t, image, vis)
    gap = np.linalg.norm(image[:, L_ANKLE] - image[:, R_ANKLE], axis=1) / torso_px(image)
    collapsed = gap < COLLAPSE
    assert collapsed[50:].all() and not collapsed[:45].any()
    # The duplicate is not seen wherever it sits on the other ankle; the true one is kept.
    assert (out[collapsed, R_ANKLE] == DUPLICATE_VISIBILITY).all()
    assert np.array_equal(out[:, L_ANKLE], vis[:, L_ANKLE])
    # Nothing else changes, and nothing before the jump.
    changed = out != vis
    changed[:, R_ANKLE] &= ~collapsed
    assert not changed.any()


def test_the_same_marks_frame_by_frame_as_in_blocks():
    """Live feeds one frame at a time, evaluate whole blocks: the marks must not differ."""
    t, image, vis = quad(120)
    image, vis = standing_ankle_lost(image, vis, out=40, jump=60)
    whole = CollapseFilter()(t, image, vis)
    one = CollapseFilter()
    frames = np.concatenate([one(t[i:i + 1], image[i:i + 1], vis[i:i + 1])
                             for i in range(len(t))])
    cuts = [0, 7, 31, 44, 61, 62, 99, len(t)]
    chunked = CollapseFilter()
    blocks = np.concatenate([chunked(t[a:b], image[a:b], vis[a:b])
                             for a, b in zip(cuts, cuts[1:], strict=False)])
    assert np.array_equal(whole, frames) and np.array_equal(whole, blocks)
    assert (whole[:, R_ANKLE] < vis[:, R_ANKLE]).any()


def test_causal_a_frame_is_decided_on_the_frames_before_it_only():
    t, image, vis = quad()
    image, vis = standing_ankle_lost(image, vis)
    full, _ = duplicate_sides(t, image, vis)
    for n in (46, 50, 51, 70):
        head, _ = duplicate_sides(t[:n], image[:n], vis[:n])
        assert np.array_equal(head, full[:n])


def test_a_joint_seen_all_along_that_moves_onto_the_other_is_kept():
    """Seen side-on, the near leg swings back next to the far one (or a foot is set beside the
    other in full view): the labels meet, but no label had lost its joint."""
    n = 60
    t = np.arange(n) / FPS
    swing = Pose(hip_flexion_left=np.clip(40.0 - 2.0 * np.arange(n), 0.0, None))
    far_camera = Camera(view="side_left", distance=8.0, focal=1200.0)  # little parallax
    image, _, vis = sequence(swing, t, Placement(0.0), far_camera, noise_px=1.0, rng=5)
    gap = np.linalg.norm(image[:, L_ANKLE] - image[:, R_ANKLE], axis=1) / torso_px(image)
    assert gap[0] > 0.25 and (gap[25:] < COLLAPSE).all()  # apart, then on one point
    marks, _ = duplicate_sides(t, image, vis)
    assert (marks[:, ANKLES] == -1).all()


def test_limbs_overlapping_side_on_from_the_start_are_left_alone():
    """Side-on, legs together: the far ankle lies behind the near one all along (on R01, R02
    and R05 of the real clips such overlaps are common and honest)."""
    t = np.arange(60) / FPS
    image, _, vis = sequence(Pose(), t, Placement(0.0), Camera(view="side_left"), noise_px=1.0,
                             rng=7)
    out = CollapseFilter()(t, image, vis)
    assert np.array_equal(out, vis)


def test_no_continuity_is_looked_for_across_a_camera_cut():
    """A cut (the body twice as large) just before the labels meet: where each label 'came
    from' in the other shot says nothing, so nothing is marked."""
    t, image, vis = quad()
    image, vis = standing_ankle_lost(image, vis, jump=45, slide=1)
    image = image.copy()
    image[45:] = 2.0 * (image[45:] - [320.0, 240.0]) + [320.0, 240.0]
    out = CollapseFilter()(t, image, vis)
    assert np.array_equal(out, vis)


def test_the_mark_ends_when_the_labels_part_and_survives_a_one_frame_flicker():
    t, image, vis = quad(120)
    true_right = image[:, R_ANKLE].copy()
    image, vis = standing_ankle_lost(image, vis)
    image[70, R_ANKLE] = true_right[70]  # the label toggles back for one frame
    image[90:, R_ANKLE] = true_right[90:]  # ... and for good
    out = CollapseFilter()(t, image, vis)
    lowered = out[:, R_ANKLE] < vis[:, R_ANKLE]
    assert lowered[50:90].all()  # frame 70 included
    assert not lowered[90 + int(0.25 * FPS) + 1:].any()


@pytest.mark.parametrize("view", ["front", "back"])
def test_the_coach_says_it_cannot_see_the_ankle_instead_of_coaching_the_duplicate(view):
    """Through the frame loop: a left quad stretch held well, the standing ankle's label on the
    held ankle (in the image and in the world landmarks, as the model puts it). On the raw
    labels the standing knee reads bent like the held one and the coach would say "straighten
    your right leg" to a straight leg; with the duplicate marked, the position is in form and
    the right ankle is named as not seen."""
    t = np.arange(90) / FPS
    image, world, vis = sequence(Pose(knee_flexion_left=130.0, knee_flexion_right=5.0), t,
                                 Placement(0.0), Camera(view=view), noise_px=1.0, rng=3)
    image, vis = standing_ankle_lost(image, vis)
    vis[:, L_ANKLE] = vis[0, L_ANKLE]  # here the held ankle stays clearly seen
    world = world.copy()
    world[50:, R_ANKLE] = world[50:, L_ANKLE] + [0.01, 0.0, 0.0]
    catalogue = load_catalogue()
    stretch = catalogue.stretch("standing_quad")
    loop = FrameLoop(CatalogueChecker.for_catalogue(catalogue, None, "standing_quad"))
    size = (640, 480)
    results = loop.step_poses([(float(t[i]), PoseFrame(float(t[i]), image[i], world[i], vis[i],
                                                       size)) for i in range(len(t))])
    for i in (60, 89):
        checked = results[i]
        assert checked.pose is not None and checked.pose.visibility[R_ANKLE] < SEEN_VISIBILITY
        position = judge_frame(stretch, checked.angles, checked.pose.visibility)
        assert (position.side, position.status) == ("left", IN_FORM)
        assert position.unseen == ("right ankle",)
        raw = PoseFrame(float(t[i]), image[i], world[i], vis[i], size)
        guessed = judge_frame(stretch, {k: float(v[0]) for k, v in frame_angles(raw).items()},
                              vis[i])
        assert guessed.status != IN_FORM and "Straighten your right leg" in guessed.cue


def test_mark_duplicates_lowers_only_the_marked_landmarks():
    vis = np.full((2, lm.N_LANDMARKS), 0.9)
    marks = np.full((2, len(PAIRS)), -1)
    marks[1, ANKLES] = 1
    out = mark_duplicates(vis, marks)
    assert out[1, R_ANKLE] == DUPLICATE_VISIBILITY and out[1, L_ANKLE] == 0.9
    assert (np.delete(out.ravel(), lm.N_LANDMARKS + R_ANKLE) == 0.9).all()


# -- the real clips ----------------------------------------------------------------------------

def _filtered(path):
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared folder sits beside the repository)")
    trace = load_trace(path)
    found = trace.found
    t, vis = trace.t_s[found], trace.visibility[found]
    return t, vis, CollapseFilter()(t, trace.image[found], vis)


def test_r03_the_standing_ankle_label_on_the_held_ankle_is_marked_unseen():
    """R03, 13-15.8 s (the man): his standing right ankle leaves the frame at the bottom and
    the model moves the 'right ankle' label onto the held left ankle (1-3 px apart, visibility
    0.94 against the true one's 0.2-0.3). The right ankle, heel and foot labels sitting there
    are marked not seen; the left ones are kept."""
    t, vis, out = _filtered(R03)
    span = (t >= 13.40) & (t < 15.8)
    for right in (lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX):
        assert (vis[span, right] >= SEEN_VISIBILITY).all()
        assert (out[span, right] <= DUPLICATE_VISIBILITY).all(), lm.NAMES[right]
    for left in (lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX, lm.LEFT_KNEE):
        assert np.array_equal(out[span, left], vis[span, left])
    # Before the jump the standing ankle's label is its own.
    before = (t > 9.5) & (t < 13.2)
    assert np.array_equal(out[before], vis[before])


@pytest.mark.parametrize("clip", REAL_CLIPS)
def test_no_other_seen_landmark_is_taken_away_on_the_real_clips(clip):
    """Overlaps side-on are frequent on these clips (R01's wrists on 58 % of its frames, the
    ankles of R02 and R05 on ~30 %): none of them costs a landmark the model saw, except
    R03's duplicate ankle."""
    t, vis, out = _filtered(SHARED / "realclips" / f"{clip}.npz")
    taken = (out < SEEN_VISIBILITY) & (vis >= SEEN_VISIBILITY)
    if clip.startswith("R03"):
        rows, cols = np.nonzero(taken)
        assert set(cols) == {lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX}
        assert t[rows].min() >= 13.2 and t[rows].max() < 15.8
    else:
        assert not taken.any()


def _same_state(a: CollapseState, b: CollapseState) -> bool:
    """Every field equal to the bit (NaN equal to NaN)."""
    return all(np.array_equal(np.asarray(getattr(a, f.name)), np.asarray(getattr(b, f.name)),
                              equal_nan=True) for f in fields(CollapseState))


@pytest.mark.parametrize("clip", REAL_CLIPS)
def test_one_frame_at_a_time_equals_the_block_path_on_the_real_clips(clip):
    """Live feeds one frame at a time through a path of its own (``_one_frame``): its marks on
    every frame, and what it remembers, equal the block path's on every real clip (fed what
    the loop feeds it: the cut-foot filter's visibility)."""
    path = SHARED / "realclips" / f"{clip}.npz"
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared folder sits beside the repository)")
    trace = load_trace(path)
    found = trace.found
    t, image = trace.t_s[found], trace.image[found]
    vis = CutFootFilter()(t, image, trace.visibility[found], trace.size)
    cuts = sorted({0, len(t)} | set(np.random.default_rng(14).integers(1, len(t), 12).tolist()))
    block_state, states = None, {}
    for a, b in zip(cuts, cuts[1:], strict=False):
        _, block_state = duplicate_sides(t[a:b], image[a:b], vis[a:b], block_state)
        states[b] = block_state
    whole, _ = duplicate_sides(t, image, vis)
    state = None
    for i in range(len(t)):
        marks, state = duplicate_sides(t[i:i + 1], image[i:i + 1], vis[i:i + 1], state)
        assert np.array_equal(marks, whole[i:i + 1]), f"frame {i}, {t[i]:.3f} s"
        if i + 1 in states:
            assert _same_state(state, states[i + 1]), f"state after {t[i]:.3f} s"
    if clip.startswith("R03"):
        assert (whole >= 0).any()  # the new marks' path was taken, not only the quiet one
    # The filter as the live loop feeds it, one frame at a time, most of them waiting to be
    # worked into the state in blocks: the same visibility on every frame, the same state.
    live = CollapseFilter()
    waited = 0
    for i in range(len(t)):
        out = live(t[i:i + 1], image[i:i + 1], vis[i:i + 1])
        waited += bool(live._waiting)
        assert np.array_equal(out, mark_duplicates(vis[i:i + 1], whole[i:i + 1])), f"{t[i]:.3f} s"
    assert _same_state(live.state, states[len(t)])
    if clip.startswith(("R06", "R07", "R08")):  # seen from the front: pairs lie apart
        assert waited > 0.8 * len(t)
        assert clip.startswith("R07") or len(t) > WAIT_MAX  # a full wait was worked in too


def test_one_frame_at_a_time_equals_the_block_path_through_a_mark_and_a_cut():
    """The synthetic duplicate (a mark decided, kept, released) and a camera cut, one frame at
    a time against the block: the same marks and state."""
    t, image, vis = quad(150)
    image, vis = standing_ankle_lost(image, vis, out=40, jump=60)
    image[100:] = image[100:] * 1.6 + 40.0  # a camera cut: the body jumps and grows
    image[120:, R_ANKLE] += [0.0, 60.0]  # the pair parts: the mark ends
    whole, block_state = duplicate_sides(t, image, vis)
    state = None
    rows = []
    for i in range(len(t)):
        marks, state = duplicate_sides(t[i:i + 1], image[i:i + 1], vis[i:i + 1], state)
        rows.append(marks)
    assert np.array_equal(np.concatenate(rows), whole)
    assert _same_state(state, block_state)
    assert (whole[:, ANKLES] == 1).any() and (whole[-10:, ANKLES] == -1).all()
