"""Real bodies: every clip of ../shared/realclips as a regression test (traces, no model).

Each clip is checked in auto mode through the same pipeline as ``stretchcheck analyze`` (the
trace enters where the model's output does) and scored as the private set is scored. The
figures are what the checks reach today (seconds rounded down to 0.1): a change that loses
any of them is a regression on real people. The issue's targets that are not reached yet are
strict xfails saying why.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache

import numpy as np
import pytest
from conftest import SHARED

from pose import landmarks as lm
from pose.evaluate import evaluate
from pose.routines import load_catalogue
from pose.sessions import analyse_trace
from pose.traces import FIELDS, load_trace

REALCLIPS = SHARED / "realclips"

#: clip -> (covered s >= , holds found >= , side right s >= , false hold s <= , bounce flagged)
MUST_REACH = {
    "R01_knee_to_chest_side": (20.0, 3, 14.4, 0.0, False),
    "R02_supine_twist_three_shots": (23.0, 2, 23.0, 0.0, False),
    # The man's left hold (9.3-15.8 s) goes on in partial view once his standing foot leaves
    # the frame (``pose.frame_edge``); no hold is timed on the duplicate ankle label there
    # (``pose.collapse``). Shots 3-4 read right: see test_side_accuracy_target.
    "R03_standing_quad_four_shots": (24.6, 4, 13.8, 0.3, False),
    "R04_cat_cow_side": (5.1, 3, 0.0, 0.0, False),
    "R05_seated_forward_fold_side": (5.9, 1, 0.0, 0.0, False),
    # The right overhead triceps counts while its hand is covered behind the head (the elbow
    # is optional "when covered": catalogue.toml); where the model places the hidden wrist at
    # the elbow's height, the elbow reads 45-60 deg and fails.
    "R06_shoulder_neck_triceps_front": (7.4, 3, 5.6, 0.0, False),
    "R07_jumping_jacks_fast_front": (0.0, 0, 0.0, 0.0, True),
    "R08_seated_neck_side_bend_front": (7.4, 7, 7.4, 0.0, False),
    "R09_fast_walkouts_side": (0.0, 0, 0.0, 0.0, True),
}


_catalogue = cache(load_catalogue)

#: A trace's per-frame arrays (its frame size is one for all).
_PER_FRAME = tuple(f for f in FIELDS if f != "size")


def _frames(trace, which):
    """The trace with only the frames ``which`` (a slice or a mask) picks."""
    return dataclasses.replace(trace, **{f: getattr(trace, f)[which] for f in _PER_FRAME})


@cache
def _evaluation():
    return evaluate(REALCLIPS, [REALCLIPS])


@pytest.fixture(scope="module")
def ev():
    if not (REALCLIPS / "R01_knee_to_chest_side.npz").is_file():
        pytest.skip(f"{REALCLIPS} is not here (the shared folder sits beside the repository)")
    return _evaluation()


def _row(ev, clip):
    return next(r for r in ev.per_clip if r["clip"] == clip)


@pytest.mark.parametrize("clip", sorted(MUST_REACH))
def test_each_real_clip_reaches_its_figures(ev, clip):
    covered, found, side_right, false_hold, bounce = MUST_REACH[clip]
    r = _row(ev, clip)
    assert r["hold_covered"] >= covered, r
    assert r["holds_found"] >= found, r
    assert r["side_right"] >= side_right, r
    assert r["false_hold_s"] <= false_hold + 1e-9, r
    assert r["bounce_flagged"] is bounce, r
    assert r["false_bounces"] == 0 and r["false_bounces_moving"] == 0, r


def test_the_nine_in_total(ev):
    s = ev.summary
    assert s["clips"] == 9
    assert s["hold_coverage"] >= 0.81  # target: >= 0.80
    assert s["false_hold_s"] <= 0.3  # target: <= 5 s
    assert s["bounce_recall"] == "2/2"  # target: every ballistic clip
    assert s["false_bounces"] == 0 and s["false_bounces_moving"] == 0  # targets: 0 and <= 2


def test_a_close_up_cutting_the_feet_keeps_the_hold_and_says_what_was_unseen(ev):
    """R01: the camera closes in at 14.8 s and the feet leave the frame; the right knee hold
    (10.0-20.2) goes on in partial view, and the report names the parts not seen."""
    report = ev.reports["R01_knee_to_chest_side"]
    right = next(s for s in report["stretches"] if s["stretch"] == "knee_to_chest"
                 and s["side"] == "right")
    hold = next(h for h in right["holds"] if h["start_s"] < 11.0)
    assert hold["end_s"] >= 20.0
    assert 0.0 < hold["partial_view_s"] <= 10.0
    assert "right ankle" in hold["unseen"]


def test_walkouts_are_flagged_and_never_a_hold(ev):
    """Flagged at 1.6 s, by the near (right) arm's swings of 142 deg seen on their way (one
    limb swinging whole, ``pose.ballistic``), and as one episode to the end: before, one limb
    was not enough, the episode ended from 4.2 s to 9.6 s while only that arm swung, and the
    hips joining again at 9.6 s started another (first flagged at 1.9 s, with the hips)."""
    report = ev.reports["R09_fast_walkouts_side"]
    assert report["stretches"] == []
    bounces = [e for e in report["events"] if e["kind"] == "bounce"]
    assert [round(b["t_s"], 1) for b in bounces] == [1.6]
    for bounce in bounces:
        assert bounce["stretch"] is None
        assert bounce["detail"].startswith("fast repeated movement of the arms")
        assert bounce["message"] == "Fast, jerky movement: stretch slowly and hold instead"


@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0])
@pytest.mark.parametrize("clip", sorted(MUST_REACH))
def test_ballistic_movement_at_low_frame_rates(clip, fps):
    """Every frame rate from 5 fps, through the one loop: the ballistic clips are flagged, the
    others are not."""
    path = REALCLIPS / f"{clip}.npz"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    trace = load_trace(path)
    step = max(1, round(trace.fps / fps))
    report = analyse_trace(_frames(trace, slice(None, None, step)), _catalogue())
    flagged = [e for e in report.events if e.kind == "bounce" and e.stretch is None]
    assert bool(flagged) is MUST_REACH[clip][4]


def test_coverage_target(ev):
    """The issue's target on these nine: 0.828 (94.0 of 113.58 s). Restoring the leg bones the
    world landmarks shorten (``pose.angles.restored_knee_flexion``) gave R03's knee held near
    140 deg its reading back (+7.8 s); not trusting an ankle whose heel the frame cuts
    (``pose.frame_edge``) let the man's hold on R03 go on in partial view (0.775 -> 0.812).
    Leaving out an elbow whose hand is covered behind the head (not one out of the picture)
    gave R06's right overhead triceps 1.4 s (0.812 -> 0.828). Still lost: R06's
    overhead-triceps elbows the model does place (5.4 s: in front of the head, at the
    elbow's height: 45-60 deg where the arm folds past 100), R02's side-view shot with the
    legs dropping towards the camera (5.8 s)."""
    assert ev.summary["hold_coverage"] >= 0.80


@pytest.mark.xfail(strict=True, reason=(
    "target not reached: side accuracy 0.856 of the 0.90 wanted (64.68 of 75.52 s); all the "
    "wrong-side time is R03's shots 3-4 (15.8-29 s, 10.84 s), which show a right quad "
    "stretch, not a far left leg read as near: the woman faces image right (nose 0.14-0.17 m "
    "ahead of the shoulders, held ankle 23-30 px behind her back, wall hand 30-90 px ahead of "
    "her chest), so her right side is the near one (shoulder z -0.12/-0.24 m vs +0.07/+0.19); "
    "by the model's occlusion the bent leg and the ankle hand are the near limbs: shot 3's "
    "wall-arm elbow lies inside the trunk's image span and reads hidden (visibility 0.35-0.50, "
    "so it passes behind the trunk), shot 4's straight-leg knee sits at the bent knee's image x "
    "and reads hidden (0.35-0.51 vs 0.99). On R01 the same model gets a far bent leg right "
    "(left hold: far knee z +0.21, side correct) and reads far arms at 0.05-0.18. So these "
    "shots are a mirrored edit of shot 1 (which reads left, as the on-screen text says) or a "
    "right-side take; no landmark rule tells either from a right quad stretch. The other 2.8 s "
    "wrong before (13-15.8 s, the man: the 'right ankle' label moved onto the held left ankle "
    "once his standing ankle left the frame) are gone: pose.collapse marks that duplicate not "
    "seen, and his left hold goes on there in partial view (pose.frame_edge; 0.815 -> 0.856)."))
def test_side_accuracy_target(ev):
    assert ev.summary["side_accuracy"] >= 0.90


def test_no_hold_is_timed_on_a_duplicate_ankle(ev):
    """R03, 13.3-15.8 s: the man's standing ankle is below the frame and the model's 'right
    ankle' label sits on his held left ankle. That duplicate is not seen (``pose.collapse``),
    so no right quad hold is timed on it (one was, from 13.0 s); his left hold goes on there in
    partial view instead (``pose.frame_edge``: the standing ankle at the edge is not trusted,
    so its knee no longer reads bent), naming the parts not seen; the woman's holds after the
    cut stand."""
    report = ev.reports["R03_standing_quad_four_shots"]
    quad = {s["side"]: s["holds"] for s in report["stretches"]
            if s["stretch"] == "standing_quad"}
    assert not [h for h in quad["right"] if h["start_s"] < 15.8 and h["end_s"] > 13.3]
    left = next(h for h in quad["left"] if h["start_s"] < 2.0)
    assert left["end_s"] >= 15.5
    assert 0.0 < left["partial_view_s"] <= 10.0
    assert "right ankle" in left["unseen"]
    assert any(h["start_s"] >= 15.8 for h in quad["right"])


# ---------------------------------------------------------------------------------------------
# The nine made into other recordings: mirrored, and at lower frame rates
# ---------------------------------------------------------------------------------------------

#: Each landmark's mirror image: the model labels a mirrored person's left parts as left.
_MIRROR = np.array([lm.INDEX[name.replace("left", "@").replace("right", "left")
                         .replace("@", "right")] for name in lm.NAMES])
_SWAP_SIDE = {"left": "right", "right": "left"}


def _write_clip(folder, clip: str, trace, label: dict) -> None:
    np.savez(folder / f"{clip}.npz", **{f: getattr(trace, f) for f in _PER_FRAME},
             size=np.array(trace.size, dtype=np.int32))
    (folder / f"{clip}.json").write_text(json.dumps(label))


def _made_from_the_nine(folder, change_trace, change_label=lambda label: label):
    """The nine traces and labels, each changed, written to ``folder`` and evaluated."""
    for clip in MUST_REACH:
        trace = load_trace(REALCLIPS / f"{clip}.npz")
        label = json.loads((REALCLIPS / f"{clip}.json").read_text())
        _write_clip(folder, clip, change_trace(trace), change_label(label))
    return evaluate(folder, [folder])


def _mirrored_trace(trace):
    image = trace.image[:, _MIRROR].copy()
    image[..., 0] = trace.size[0] - image[..., 0]
    world = trace.world[:, _MIRROR].copy()
    world[..., 0] = -world[..., 0]
    return dataclasses.replace(trace, image=image, world=world,
                               visibility=trace.visibility[:, _MIRROR])


def _mirrored_label(label: dict) -> dict:
    for segment in label["segments"]:
        segment["side"] = _SWAP_SIDE.get(segment["side"], segment["side"])
    return label


def _holds_and_events(report: dict, swap: bool = False):
    side = (lambda s: _SWAP_SIDE.get(s, s)) if swap else (lambda s: s)
    holds = sorted((s["stretch"], side(s["side"]), [(h["start_s"], h["end_s"])
                                                    for h in s["holds"]])
                   for s in report["stretches"])
    events = [(e["t_s"], e["kind"], e["stretch"], side(e["side"])) for e in report["events"]]
    return holds, events


def test_a_mirror_image_is_read_as_the_other_side_and_scores_the_same(ev, tmp_path):
    """Each real clip mirrored (image x -> width - x, world x -> -x, each landmark's label
    swapped with its twin's, as the model labels a mirrored person) and its labels' sides
    swapped: every hold and event comes out at the same time on the other side, and every
    figure of the score is the same. A rule that looks at which way the image runs, or breaks
    a left/right tie one way, fails here on real bodies (side in profile, tilts from the
    front, the filters)."""
    mirrored = _made_from_the_nine(tmp_path, _mirrored_trace, _mirrored_label)
    assert mirrored.summary == ev.summary
    for clip in MUST_REACH:
        assert ({k: v for k, v in _row(mirrored, clip).items() if k != "source"}
                == {k: v for k, v in _row(ev, clip).items() if k != "source"}), clip
        assert (_holds_and_events(mirrored.reports[clip], swap=True)
                == _holds_and_events(ev.reports[clip])), clip


@pytest.mark.parametrize("scale", [3.0, 0.5])
def test_another_resolution_scores_the_same(ev, tmp_path, scale):
    """Each real clip as a camera with 3 times the pixels each way (640x360 -> 1920x1080, a
    phone's) or half (the image landmarks and the frame's size scaled; the world landmarks are
    metres and stay): every hold, event and figure is the same. A rule with a threshold in
    pixels, not in body or frame lengths, fails here."""
    scaled = _made_from_the_nine(tmp_path, lambda trace: dataclasses.replace(
        trace, image=(trace.image * scale).astype(np.float32),
        size=(round(trace.size[0] * scale), round(trace.size[1] * scale))))
    assert scaled.summary == ev.summary
    for clip in MUST_REACH:
        assert _holds_and_events(scaled.reports[clip]) == _holds_and_events(ev.reports[clip])


#: Every k-th frame kept: 12.5-15, 8.3-10 and 5-6 fps from the nine's 25-30 fps.
SLOWER = (2, 3, 5)


@pytest.fixture(scope="module")
def slowed(ev, tmp_path_factory):
    """step -> the evaluation of the nine with every ``step``-th frame kept (made once)."""
    made = {}

    def at(step: int):
        if step not in made:
            made[step] = _made_from_the_nine(
                tmp_path_factory.mktemp(f"every{step}"),
                lambda trace: _frames(trace, slice(None, None, step)))
        return made[step]

    return at


@pytest.mark.parametrize("step", SLOWER)
def test_the_nine_at_lower_frame_rates(slowed, step):
    """A busy computer processes fewer frames, and phones film at 15 fps or less: the
    targets on the nine still hold with every second, third or fifth frame (measured:
    coverage 0.812, 0.813, 0.806; false holds 0.2, 0.5, 1.6 s; side 0.857, 0.847, 0.848, as at
    the full rate: R03's shots 3-4)."""
    s = slowed(step).summary
    assert s["hold_coverage"] >= 0.80
    assert s["false_hold_s"] <= 5.0
    assert s["bounce_recall"] == "2/2"
    assert s["false_bounces_moving"] == 0


@pytest.mark.parametrize("step", [
    2, pytest.param(3, marks=pytest.mark.xfail(strict=True, reason=(
        "R03, 21.1-22.2 s (shot 4's cut): the model's 'right ankle' flickers between two "
        "places 30-55 px apart from one 25 fps frame to the next (the knee reads 94-140 deg "
        "while the image shows a held quad). At 25 fps the turns are 1-3 frames (0.04-0.12 s) "
        "apart and fail the bounce's 0.1 s floor; kept one frame in three (8.3 fps) they fall "
        "0.12-0.24 s apart, a 4.2 Hz bounce of 6 deg that no frame-rate rule can tell from a "
        "real one (the flicker is aliased). Left: a single-landmark flicker test would be a "
        "new rule, not tried on the private set."))),
    5])
def test_no_bounce_inside_a_hold_at_lower_frame_rates(slowed, step):
    assert slowed(step).summary["false_bounces"] == 0


@pytest.mark.parametrize("seed", [2, 3])
def test_the_nine_with_uneven_timestamps(ev, tmp_path, seed):
    """As a phone's variable-frame-rate recording, or a page dropping frames now and then:
    each timestamp moved by up to 45 % of a frame interval and a fifth of the frames dropped
    at random. Time comes from the timestamps, so the targets still hold (measured: coverage
    0.810 and 0.809, false holds 0.2 and 0.5 s, side 0.856, no bounce)."""
    rng = np.random.default_rng(seed)

    def uneven(trace):
        n = len(trace)
        keep = rng.random(n) >= 0.2
        t_s = trace.t_s + rng.uniform(-0.45, 0.45, n) / trace.fps
        return _frames(dataclasses.replace(trace, t_s=t_s), keep)

    s = _made_from_the_nine(tmp_path, uneven).summary
    assert s["hold_coverage"] >= 0.80
    assert s["false_hold_s"] <= 5.0
    assert s["bounce_recall"] == "2/2"
    assert s["false_bounces"] == 0 and s["false_bounces_moving"] == 0


def test_the_nine_with_more_landmark_jitter(ev, tmp_path):
    """A poorer camera or light gives a jumpier model: white noise of 2 mm on the world
    landmarks and 0.3 px (at 360 rows, scaled with the frame) on the image, about twice the
    jitter of the nine's noisiest held joints (robust estimate from second differences: 0.3-1.6
    mm median per clip, 3.4 mm at most), on top of theirs. The targets hold (measured: only
    coverage 0.813 and side 0.857 move). Further up: at 3 mm / 0.5 px a borderline head tilt
    during R06's overhead triceps becomes a 2.8 s neck side bend hold; at 5 mm / 1 px stretch
    bounces appear inside holds (3), at 10 mm / 2 px 18."""
    rng = np.random.default_rng(0)

    def jumpier(trace):
        px = 0.3 * trace.size[1] / 360.0
        return dataclasses.replace(
            trace, image=(trace.image + rng.normal(0.0, px, trace.image.shape)).astype(np.float32),
            world=(trace.world + rng.normal(0.0, 0.002, trace.world.shape)).astype(np.float32))

    s = _made_from_the_nine(tmp_path, jumpier).summary
    assert s["hold_coverage"] >= 0.80
    assert s["false_hold_s"] <= 0.5
    assert s["bounce_recall"] == "2/2"
    assert s["false_bounces"] == 0 and s["false_bounces_moving"] == 0


def _rolled(degrees: float):
    """A trace as a camera rolled by ``degrees`` about its line of sight (a phone propped
    askew) films it: the image landmarks turned about the picture's centre, the world
    landmarks about the camera's z axis (the real model's world turns with a rolled picture:
    on A06 warped by +-10 deg its trunk_lateral_tilt moved 1:1, from -1.0 to -11.0 and 8.9;
    a pitched picture, by contrast, moved its trunk_inclination only 0.1 deg per deg), and
    landmarks turned out of the picture not seen."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))

    def roll(trace):
        centre = np.array(trace.size, np.float32) / 2
        image = (trace.image - centre) @ np.array([[c, s], [-s, c]], np.float32) + centre
        world = trace.world @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]], np.float32)
        inside = ((image >= 0) & (image < np.array(trace.size, np.float32))).all(axis=-1)
        return dataclasses.replace(trace, image=image.astype(np.float32),
                                   world=world.astype(np.float32),
                                   visibility=np.where(inside, trace.visibility, 0.0)
                                   .astype(np.float32))
    return roll


@pytest.mark.parametrize("degrees", [
    5.0, -5.0,
    *(pytest.param(d, marks=pytest.mark.xfail(strict=True, reason=(
        "Side tilts seen from the front are read against the picture's horizontal "
        "(pose.angles.image_tilts), so a rolled camera adds its roll to them: at 10 deg "
        "R08 keeps 4 of its 7 neck side bends (shoulder_tilt, 'keep your shoulders level', "
        "reads the roll), at 15 deg none, and R06's overhead triceps becomes a 3.2-5.0 s "
        "standing side bend (false hold). Measured against the pelvis instead (shoulder and "
        "trunk tilt less the hip line's) all of R08 and R06 stand at +-15 deg, but the "
        "synthetic body bends sideways as a whole, pelvis included (pose.body), and its "
        "exact side bends would need a waist first."))) for d in (10.0, -15.0))])
def test_a_camera_rolled_a_little_keeps_the_targets(tmp_path, degrees):
    """A camera propped a few degrees askew (measured: coverage 0.818 and 0.811, side 0.858
    and 0.856, false holds 0.5 and 0.3 s at +5 and -5 deg; at -5 one stretch bounce inside
    R03's quad hold, the man's sideways sway on one leg read as trunk inclination)."""
    s = _made_from_the_nine(tmp_path, _rolled(degrees)).summary
    assert s["hold_coverage"] >= 0.80
    assert s["false_hold_s"] <= 5.0
    assert s["bounce_recall"] == "2/2"
    assert s["false_bounces_moving"] == 0
    assert s["holds_found"] == "23/27"
