"""Ballistic movement is found anywhere, at 5-60 fps; holds, slow moves and flicker are not it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from pose import landmarks as lm
from pose.ballistic import (
    BIG_JOINTS,
    LIMB_END,
    MESSAGE,
    MIN_TRAVEL,
    Ballistic,
    BallisticWatch,
    limb,
)
from pose.catalogue_checker import CatalogueChecker
from pose.landmarks import PoseFrame
from pose.pipeline import FrameLoop
from pose.routines import load_catalogue

#: Landmarks spread over most of a 640x480 picture: a person near the camera (the angles come
#: from the streams; only the pose's size in the picture matters, ``pose.checks.MIN_SPAN``).
BODY_PX = np.column_stack([np.linspace(220.0, 420.0, 33), np.linspace(40.0, 440.0, 33)])


def run(streams: dict[str, np.ndarray], fps: float):
    n = len(next(iter(streams.values())))
    t = np.arange(n) / fps
    watch = BallisticWatch()
    return [e for i in range(n)
            if (e := watch.update(float(t[i]), {k: float(v[i]) for k, v in streams.items()}))]


def jacks(fps: float, seconds: float = 8.0, hz: float = 1.35) -> dict[str, np.ndarray]:
    """Jumping jacks: arms from the sides to overhead and legs apart and back, ``hz`` a second."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    phase = 0.5 - 0.5 * np.cos(2 * np.pi * hz * t)  # 0 arms down, 1 arms up
    return {"shoulder_abduction_left": 10 + 160 * phase,
            "shoulder_abduction_right": 10 + 160 * phase,
            "hip_abduction_left": 2 + 15 * phase, "hip_abduction_right": 2 + 15 * phase,
            "trunk_inclination": np.full_like(t, 3.0), "knee_flexion_left": 5 + 10 * phase}


@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0, 30.0, 60.0])
def test_jumping_jacks_are_one_ballistic_episode_at_any_rate(fps):
    found = run(jacks(fps), fps)
    assert len(found) == 1
    b = found[0]
    assert b.t_s < 3.5
    assert b.frequency_hz == pytest.approx(1.35, rel=0.25)
    assert {"shoulder_abduction_left", "shoulder_abduction_right"} <= set(b.joints)
    assert b.detail.startswith("fast repeated movement of the arms")


def kicks(fps: float, seconds: float = 10.0, per_s: float = 1.5) -> dict[str, np.ndarray]:
    """Front kicks, left and right in turn, ``per_s`` a second: each hip flexes 85 deg and
    back in 0.45 s (the knee 20 deg), then rests while the other leg kicks."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    every = 2.0 / per_s

    def kick(start: float) -> np.ndarray:
        phase = np.clip(((t - start) % every) / 0.45, 0.0, 1.0)
        return 0.5 - 0.5 * np.cos(2 * np.pi * phase)

    left, right = kick(0.0), kick(every / 2)
    return {"hip_flexion_left": 5 + 85 * left, "hip_flexion_right": 5 + 85 * right,
            "knee_flexion_left": 5 + 20 * left, "knee_flexion_right": 5 + 20 * right,
            "trunk_inclination": 3 + 5 * (left + right),
            "shoulder_flexion_left": np.full_like(t, 20.0),
            "shoulder_flexion_right": np.full_like(t, 20.0)}


def eased(t: np.ndarray, keys: list[float], values: list[float]) -> np.ndarray:
    """Through ``values`` at times ``keys`` (s), each move easing in and out (a cosine):
    a limb speeds up and slows down, its top speed 1.6 times its mean."""
    i = np.clip(np.searchsorted(keys, t, side="right") - 1, 0, len(keys) - 2)
    k, v = np.asarray(keys, float), np.asarray(values, float)
    x = np.clip((t - k[i]) / (k[i + 1] - k[i]), 0.0, 1.0)
    return v[i] + (v[i + 1] - v[i]) * (0.5 - 0.5 * np.cos(np.pi * x))


def burpees(fps: float, seconds: float = 12.0, every_s: float = 2.5) -> dict[str, np.ndarray]:
    """Burpees, one every ``every_s`` s: squat (0.4 s), jump back to a plank (0.3 s), in
    (0.3 s), up with the arms overhead (0.5 s), then stand until the next."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    keys = [0.0, 0.4, 0.7, 1.0, 1.5, every_s]
    s = t % every_s
    hips = eased(s, keys, [5, 120, 10, 120, 5, 5])
    knees = eased(s, keys, [5, 130, 5, 130, 5, 5])
    arms = eased(s, keys, [10, 60, 80, 60, 170, 10])
    return {"trunk_inclination": eased(s, keys, [5, 45, 85, 45, 5, 5]),
            "hip_flexion_left": hips, "hip_flexion_right": hips,
            "knee_flexion_left": knees, "knee_flexion_right": knees,
            "shoulder_flexion_left": arms, "shoulder_flexion_right": arms}


def squats(fps: float, seconds: float = 12.0, every_s: float = 1.6) -> dict[str, np.ndarray]:
    """Brisk bodyweight squats, one every ``every_s`` s: down in 0.5 s, up in 0.5 s, arms
    raised forward as the hips drop, a short stand between."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    keys = [0.0, 0.5, 0.6, 1.1, every_s]
    s = t % every_s
    hips = eased(s, keys, [5, 105, 105, 5, 5])
    knees = eased(s, keys, [5, 115, 115, 5, 5])
    arms = eased(s, keys, [10, 90, 90, 10, 10])
    return {"trunk_inclination": eased(s, keys, [4, 40, 40, 4, 4]),
            "hip_flexion_left": hips, "hip_flexion_right": hips,
            "knee_flexion_left": knees, "knee_flexion_right": knees,
            "shoulder_flexion_left": arms, "shoulder_flexion_right": arms}


@pytest.mark.parametrize("jitter", [0.0, 2.0])
@pytest.mark.parametrize("fps", [10.0, 15.0, 30.0, 60.0])
@pytest.mark.parametrize("moves", [kicks, burpees])
def test_kicks_and_burpees_rest_between_fast_swings_and_are_ballistic(moves, fps, jitter):
    """Each joint swings explosively and pauses (a kick's leg rests while the other kicks; a
    burpee stands a moment): not every swing is fast as in bouncing, but two of four are.
    With landmark noise (``jitter`` deg) too: a rest's lowest sample falls anywhere in it.
    From 10 fps: at 5 a kick is up in a frame, as a landmark jumps."""
    streams = moves(fps)
    rng = np.random.default_rng(int(fps))
    streams = {k: v + rng.normal(0.0, jitter, v.size) for k, v in streams.items()}
    found = run(streams, fps)
    assert len(found) == 1
    assert found[0].t_s < 4.0


@pytest.mark.parametrize("jitter", [0.0, 2.0])
@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0, 30.0, 60.0])
def test_brisk_squats_are_not_ballistic(fps, jitter):
    """Down in 0.5 s and up in 0.5 s, 100 deg at the hips: brisk, under the 400 deg/s of
    ``pose.bounce.Pauses`` (the middle of each move at about 270)."""
    streams = squats(fps)
    rng = np.random.default_rng(int(fps))
    streams = {k: v + rng.normal(0.0, jitter, v.size) for k, v in streams.items()}
    assert run(streams, fps) == []


def folds(fps: float, down_s: float, pause_s: float = 0.0, depth: float = 100.0,
          seconds: float = 12.0) -> dict[str, np.ndarray]:
    """Standing, folding forward ``depth`` deg (the hips with the trunk, the arms reaching down)
    in ``down_s`` s and straightening as fast, ``pause_s`` s upright between: toe touches when
    quick, rolling down and up when slow."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    every = 2 * down_s + pause_s
    keys = [0.0, down_s, 2 * down_s, every]
    s = t % every
    hips = eased(s, keys, [3, 3 + 0.95 * depth, 3, 3])
    arms = eased(s, keys, [10, 80, 10, 10])
    return {"trunk_inclination": eased(s, keys, [5, 5 + depth, 5, 5]),
            "hip_flexion_left": hips, "hip_flexion_right": hips,
            "knee_flexion_left": np.full_like(t, 5.0), "knee_flexion_right": np.full_like(t, 5.0),
            "shoulder_flexion_left": arms, "shoulder_flexion_right": arms}


def pick_ups(fps: float, every_s: float, seconds: float = 12.0) -> dict[str, np.ndarray]:
    """Picking things up, one every ``every_s`` s: down in 0.6 s, 0.5 s there, up in 0.6 s."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    keys = [0.0, 0.6, 1.1, 1.7, every_s]
    s = t % every_s
    hips, knees = eased(s, keys, [3, 90, 90, 3, 3]), eased(s, keys, [5, 40, 40, 5, 5])
    return {"trunk_inclination": eased(s, keys, [5, 85, 85, 5, 5]),
            "hip_flexion_left": hips, "hip_flexion_right": hips,
            "knee_flexion_left": knees, "knee_flexion_right": knees}


def _jittered(streams: dict[str, np.ndarray], fps: float, jitter: float):
    rng = np.random.default_rng(int(fps))
    return {k: v + rng.normal(0.0, jitter, v.size) for k, v in streams.items()}


def run_folding(streams: dict[str, np.ndarray], fps: float, shift_px: float = 200.0
                ) -> list[Ballistic]:
    """``run`` with the body's pose too (400 px tall), its shoulders lowered ``shift_px`` per
    100 deg of trunk inclination, as a fold lowers them across the picture (0: a trunk whose
    inclination swings while no point moves, as the model re-reading its depth)."""
    n = len(next(iter(streams.values())))
    watch = BallisticWatch()
    found = []
    shoulders = [lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]
    for i in range(n):
        t = i / fps
        image = BODY_PX.copy()
        image[shoulders, 1] += shift_px * (streams["trunk_inclination"][i] - 5.0) / 100.0
        pose = PoseFrame(t, image, np.zeros((33, 3)), np.ones(33), STREET)
        e = watch.update(t, {k: float(v[i]) for k, v in streams.items()}, pose)
        if e:
            found.append(e)
    return found


@pytest.mark.parametrize("jitter", [0.0, 2.0])
@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0, 30.0, 60.0])
@pytest.mark.parametrize("down_s,pause_s", [(0.625, 0.0), (0.7, 0.0), (0.4, 0.7), (0.4, 1.2)])
def test_toe_touches_are_ballistic(down_s, pause_s, fps, jitter):
    """Toe touches on and on at 0.7-0.8 Hz, or 0.4 s a way with a pause upright: the trunk
    swings 100 deg too slowly for the bouncing rule (0.55 s a way) and the explosive one (400
    deg/s), but folds fast, the shoulders going down and up the picture
    (``pose.ballistic.FOLDS``): one episode, the trunk named."""
    found = run_folding(_jittered(folds(fps, down_s, pause_s), fps, jitter), fps)
    assert len(found) == 1
    assert found[0].t_s < 5.0
    assert "trunk" in found[0].detail


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_the_trunk_alone_folds_toe_touches_but_not_a_reading_that_moves_no_point(fps):
    """The fold rule needs no other joint: the trunk's inclination alone, its shoulders going
    down and up the picture, is an episode. The same inclination with the shoulders still in
    the picture (the model re-reading the trunk's depth) is not."""
    trunk = {"trunk_inclination": folds(fps, 0.625)["trunk_inclination"]}
    assert len(run_folding(trunk, fps)) == 1
    assert run_folding(trunk, fps, shift_px=0.0) == []


@pytest.mark.parametrize("jitter", [0.0, 2.0])
@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0, 30.0, 60.0])
@pytest.mark.parametrize("moves", [
    lambda fps: folds(fps, 1.0),             # rolling down and up, a second a way
    lambda fps: folds(fps, 1.2, 0.5),        # slower, a breath upright
    lambda fps: pick_ups(fps, 2.0),
    lambda fps: pick_ups(fps, 3.0),
    lambda fps: folds(fps, 0.7, depth=50.0),  # a brisk half fold: under 60 deg a way
], ids=["roll-1.0", "roll-1.2-pause", "pick-ups-2s", "pick-ups-3s", "half-folds"])
def test_slow_folds_and_picking_things_up_are_not_ballistic(moves, fps, jitter):
    assert run_folding(_jittered(moves(fps), fps, jitter), fps) == []


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_a_left_right_swap_in_a_held_lunge_is_not_ballistic(fps):
    """Seen side-on, the model now and then swaps the legs' labels for a moment (0.1-0.5 s,
    about every 1.2 s): the hips' readings trade places from one frame to the next, faster
    than a limb moves (``pose.bounce.MIN_MOVING_S``, ``seen_moving``). Before, such swaps were
    flagged in 3-6 of 10 runs at 30-60 fps. At 20 fps and slower a frame is longer than
    that: a jump cannot be told from a swing (flagged in 3-7 runs of 10 at 5-15 fps, 4-8
    before)."""
    t = np.arange(0.0, 20.0, 1.0 / fps)
    rng = np.random.default_rng(int(fps))
    swapped = np.zeros(t.size, bool)
    start = 1.0
    while start < t[-1]:
        swapped |= (t >= start) & (t < start + rng.uniform(0.1, 0.5))
        start += 1.2 * rng.uniform(0.6, 1.4)
    front, back = np.where(swapped, -10.0, 95.0), np.where(swapped, 95.0, -10.0)
    streams = {"hip_flexion_left": front, "hip_flexion_right": back,
               "knee_flexion_left": np.where(swapped, 5.0, 90.0),
               "knee_flexion_right": np.where(swapped, 90.0, 5.0),
               "trunk_inclination": np.full_like(t, 8.0)}
    streams = {k: v + rng.normal(0.0, 1.5, v.size) for k, v in streams.items()}
    assert run(streams, fps) == []


@pytest.mark.parametrize("fps", [10.0, 30.0, 60.0])
def test_one_limb_flickering_is_not_a_body_moving(fps):
    """A far arm's landmarks jumping (the elbow read 90 deg higher for 0.2 s, about every
    1.7 s) move the shoulder's flexion and abduction together: two angles, one limb. An
    episode needs two limbs (or the trunk) moving."""
    t = np.arange(0.0, 20.0, 1.0 / fps)
    rng = np.random.default_rng(int(fps))
    jump = 90.0 * ((t % 1.7) < 0.2)
    streams = {"shoulder_flexion_left": 10 + jump, "shoulder_abduction_left": 8 + jump,
               "trunk_inclination": np.full_like(t, 4.0),
               "hip_flexion_left": np.full_like(t, 5.0), "hip_flexion_right": np.full_like(t, 5.0)}
    streams = {k: v + rng.normal(0.0, 1.5, v.size) for k, v in streams.items()}
    assert run(streams, fps) == []


def one_limb(fps: float, angle: str, swing, seconds: float = 12.0, jitter: float = 2.0,
             reach_m: float = 0.6) -> list[Ballistic]:
    """The episodes found when every big joint is still (with landmark jitter) but ``angle``,
    which adds ``swing``, a function of time (s) in degrees, and that limb's hand or foot
    goes up to ``reach_m`` metres with it (0: it stays put while the angle swings)."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    rng = np.random.default_rng(int(fps))
    streams = {name: 5.0 + rng.normal(0.0, jitter, t.size) for name in BIG_JOINTS}
    moved = swing(t)
    streams[angle] = streams[angle] + moved
    end = LIMB_END[limb(angle)]
    watch, found = BallisticWatch(), []
    for i in range(t.size):
        world = np.zeros((33, 3))
        world[end, 2] = reach_m * moved[i] / max(1e-9, float(np.abs(moved).max()))
        pose = PoseFrame(float(t[i]), BODY_PX, world, np.ones(33), (640, 480))
        if e := watch.update(float(t[i]), {k: float(v[i]) for k, v in streams.items()}, pose):
            found.append(e)
    return found


def pulses(per_s: float, width_s: float, start_s: float = 0.3):
    """0-1 raised-cosine pulses of ``width_s``, ``per_s`` a second, 0 between them."""
    def at(t: np.ndarray) -> np.ndarray:
        phase = np.clip(((t - start_s) % (1.0 / per_s)) / width_s, 0.0, 1.0)
        return 0.5 - 0.5 * np.cos(2 * np.pi * phase)
    return at


@pytest.mark.parametrize("fps", [10.0, 15.0, 30.0, 60.0])
@pytest.mark.parametrize("angle, swing", [
    ("hip_flexion_left", lambda t: 85.0 * pulses(0.8, 0.45)(t)),   # one leg kicking, resting
    ("hip_flexion_left", lambda t: 85.0 * pulses(1.5, 0.45)(t)),   # ... hardly resting
    ("hip_flexion_right", lambda t: 15.0 + 50.0 * np.sin(2 * np.pi * 1.2 * t)),  # leg swings
    ("shoulder_flexion_right", lambda t: 80.0 * pulses(1.0, 0.35)(t)),  # one arm punching
], ids=["kicks", "fast kicks", "leg swings", "punches"])
def test_one_limb_swinging_whole_is_ballistic(fps, angle, swing):
    """One leg kicking or swinging, one arm punching: the other limbs still, so two limbs
    never agree, and these were missed at every rate; each swing is a whole limb's (60 deg or
    more, seen on its way), which a flickering limb's jumps never are."""
    found = one_limb(fps, angle, swing)
    assert len(found) == 1 and found[0].joints[0] == angle and found[0].t_s < 6.0
    # The same angle swinging while the hand or foot stays put: a projected angle flickering
    # on a still limb (an arm lying out to the side reads shoulder flexions 90 deg apart).
    assert one_limb(fps, angle, swing, reach_m=0.0) == []


@pytest.mark.parametrize("fps", [10.0, 30.0, 60.0])
def test_one_arm_reaching_up_twice_is_not_ballistic(fps):
    """Reaching up quickly for something twice, 100 deg in 0.45 s and back (its middle at
    about 300 deg/s, under the explosive 400), then still. Twice 120 deg in 0.3 s (530 deg/s)
    would be flagged: as fast as a kick."""
    reach = pulses(1 / 1.5, 0.9, start_s=1.0)
    assert one_limb(fps, "shoulder_flexion_right",
                    lambda t: 100.0 * reach(t) * ((t > 0.5) & (t < 3.5))) == []


@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0, 30.0, 60.0])
def test_the_knees_swing_fast_and_rest_at_every_step_of_a_walk(fps):
    """Walking on the spot at 0.7 strides a second: each knee bends 65 deg in 0.36 s (a brisk
    walk's swing phase: 60-70 deg at its peak) and straightens as fast, then stands; the hips
    swing slowly. Counting the knees' fast swings with pauses would call a walk ballistic;
    only bouncing knees count."""
    assert run(walk(fps, 10.0, stride_hz=0.7, knee_deg=65.0), fps) == []


def test_a_second_episode_after_a_rest_is_reported_again():
    fps = 30.0
    a, rest = jacks(fps, 4.0), {k: np.full(int(5 * fps), v[0]) for k, v in jacks(fps, 4.0).items()}
    streams = {k: np.concatenate([a[k], rest[k], a[k]]) for k in a}
    found = run(streams, fps)
    assert len(found) == 2 and found[1].t_s > 9.0


@pytest.mark.parametrize("fps", [5.0, 30.0])
def test_slow_moves_holds_and_one_flickering_limb_are_not_ballistic(fps):
    t = np.arange(0.0, 20.0, 1.0 / fps)
    rng = np.random.default_rng(3)
    still = {name: 90 + rng.normal(0, 1.5, len(t)) for name in
             ("trunk_inclination", "hip_flexion_left", "hip_flexion_right", "knee_flexion_left")}
    assert run(still, fps) == []                       # a hold, with landmark jitter
    slow = {"shoulder_abduction_left": 90 + 80 * np.sin(2 * np.pi * 0.3 * t),
            "shoulder_abduction_right": 90 + 80 * np.sin(2 * np.pi * 0.3 * t)}
    assert run(slow, fps) == []                        # slow arm circles, 0.3 Hz
    stand_up = {"hip_flexion_left": np.clip(90 - 60 * (t - 5), 0, 90),
                "knee_flexion_left": np.clip(90 - 60 * (t - 5), 0, 90)}
    assert run(stand_up, fps) == []                    # one ordinary transition
    far_leg = dict(still, knee_flexion_right=60 + 30 * np.sign(np.sin(2 * np.pi * 1.5 * t)))
    assert run(far_leg, fps) == []  # one limb alone swinging (a far leg's flicker)


def test_the_loop_flags_it_once_with_the_detail():
    """The one frame loop (here in auto mode, as for a file or a trace) watches every frame for
    ballistic movement: one bounce event with no stretch, the message and a detail."""
    fps = 30.0
    streams = jacks(fps)
    loop = FrameLoop(CatalogueChecker.for_catalogue(load_catalogue()), smoothing=None)
    n = len(next(iter(streams.values())))
    pose = PoseFrame(0.0, BODY_PX, np.zeros((33, 3)), np.ones(33), (640, 480))
    for i in range(n):
        angles = {k: float(v[i]) for k, v in streams.items()}
        loop.step_pose(pose, i / fps, angles=angles)
    loop.finish()
    events = [e for e in loop.events if e.kind == "bounce" and e.stretch is None]
    assert len(events) == 1
    assert events[0].message == MESSAGE
    assert "arms" in str(events[0].data["detail"])


@pytest.mark.parametrize("gap_s, flagged", [(0.0, True), (3.0, False)])
def test_a_drop_out_ends_what_was_watched(gap_s, flagged):
    """Two halves of 1.6 s of jumping jacks, each too short to be flagged: back to back they
    are; with 3 s without a picture between them (a drop-out) the swings before the gap do not
    pair with those after it."""
    fps = 30.0
    half = jacks(fps, 1.6)
    n = len(next(iter(half.values())))
    loop = FrameLoop(CatalogueChecker.for_catalogue(load_catalogue()), smoothing=None)
    pose = PoseFrame(0.0, BODY_PX, np.zeros((33, 3)), np.ones(33), (640, 480))
    for offset in (0.0, n / fps + gap_s):
        for i in range(n):
            loop.step_pose(pose, offset + i / fps,
                           angles={k: float(v[i]) for k, v in half.items()})
    loop.finish()
    assert len(loop.dropouts) == (1 if gap_s else 0)
    found = [e for e in loop.events if e.kind == "bounce" and e.stretch is None]
    assert bool(found) is flagged


def walk(fps: float, seconds: float = 8.0, stride_hz: float = 1.0,
         knee_deg: float = 55.0) -> dict[str, np.ndarray]:
    """Ordinary walking: each hip +-20 deg and knee 5 to 5 + ``knee_deg`` deg, arms +-15 deg,
    left against right, ``stride_hz`` strides a second (each joint reverses twice a stride)."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    swing = np.sin(2 * np.pi * stride_hz * t)
    knee = 5 + knee_deg * np.clip(np.sin(2 * np.pi * stride_hz * t - 1.0), 0, None)
    knee_other = 5 + knee_deg * np.clip(-np.sin(2 * np.pi * stride_hz * t - 1.0), 0, None)
    return {"hip_flexion_left": 10 + 20 * swing, "hip_flexion_right": 10 - 20 * swing,
            "knee_flexion_left": knee, "knee_flexion_right": knee_other,
            "shoulder_flexion_left": -15 * swing, "shoulder_flexion_right": 15 * swing,
            "trunk_inclination": np.full_like(t, 4.0)}


#: A picture wide enough for a walk of several seconds across it (the body spans 400 px).
STREET = (3200, 480)


def run_moving(streams: dict[str, np.ndarray], fps: float,
               x_px: Callable[[float], float]) -> list[Ballistic]:
    """``run`` with the body's pose at ``x_px(t)`` pixels across (its size: 400 px)."""
    n = len(next(iter(streams.values())))
    watch = BallisticWatch()
    found = []
    for i in range(n):
        t = i / fps
        pose = PoseFrame(t, BODY_PX + (x_px(t), 0.0), np.zeros((33, 3)), np.ones(33), STREET)
        e = watch.update(t, {k: float(v[i]) for k, v in streams.items()}, pose)
        if e:
            found.append(e)
    return found


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_walking_across_the_picture_is_not_ballistic_swinging_in_place_is(fps):
    """Legs and arms swing as much walking as marching on the spot; what tells them apart is
    that a walker crosses the picture (0.7 body sizes a second here: 1.2 m/s)."""
    streams = walk(fps)
    assert run_moving(streams, fps, lambda t: 0.7 * 400 * t) == []
    assert len(run_moving(streams, fps, lambda t: 0.0)) == 1
    # Swaying a little while doing jumping jacks is still jumping jacks.
    assert len(run_moving(jacks(fps), fps, lambda t: 40 * np.sin(2 * np.pi * 0.5 * t))) == 1


def test_a_walker_who_stops_for_a_moment_is_still_walking_past():
    """Stopping for a second (stepping on the spot) at a crossing, then walking on: the travel
    between the halves of 2 s dips under ``MIN_TRAVEL``, but the body crossed the picture less
    than 2 s before, so no episode starts."""
    fps = 30.0
    streams = walk(fps, 10.0)

    def x_px(t: float) -> float:  # 0.7 body sizes a second, standing still from 3 to 4 s
        return 0.7 * 400 * (min(t, 3.0) + max(0.0, t - 4.0))

    watch = BallisticWatch()
    travelled = []
    for i in range(len(streams["hip_flexion_left"])):
        t = i / fps
        pose = PoseFrame(t, BODY_PX + (x_px(t), 0.0), np.zeros((33, 3)), np.ones(33), STREET)
        assert watch.update(t, {k: float(v[i]) for k, v in streams.items()}, pose) is None
        travelled.append(watch.travelled())
    assert min(travelled[int(2.5 * fps):]) < MIN_TRAVEL  # the dip the latch bridges


@pytest.mark.parametrize("speed, flagged", [(0.7, False), (0.0, True)])
def test_the_loop_tells_a_walk_past_from_the_spot_across_a_drop_out(speed, flagged):
    """Through the one loop (the pose reaches the watch with the angles): a walk across the
    picture with 1.5 s without a picture in the middle is not flagged - the swings just before
    the gap still count, and the body was crossing - while the same steps on the spot are."""
    fps = 30.0
    streams = walk(fps, 8.0)
    loop = FrameLoop(CatalogueChecker.for_catalogue(load_catalogue()), smoothing=None)
    for i in range(len(streams["hip_flexion_left"])):
        t = i / fps + (1.5 if i >= 4 * fps else 0.0)
        pose = PoseFrame(t, BODY_PX + (speed * 400 * i / fps, 0.0), np.zeros((33, 3)),
                         np.ones(33), STREET)
        loop.step_pose(pose, t, angles={k: float(v[i]) for k, v in streams.items()})
    loop.finish()
    assert len(loop.dropouts) == 1
    found = [e for e in loop.events if e.kind == "bounce" and e.stretch is None]
    assert bool(found) is flagged


def test_time_going_back_starts_the_travel_afresh():
    """A new recording (time back to 0) after a walk: jumping jacks in place are flagged as
    soon as on a fresh watch, not held back by the walk before."""
    fps = 30.0
    fresh = run_moving(jacks(fps), fps, lambda t: 0.0)
    watch = BallisticWatch()
    streams = walk(fps, 6.0)
    for i in range(len(streams["hip_flexion_left"])):
        t = i / fps
        pose = PoseFrame(t, BODY_PX + (0.7 * 400 * t, 0.0), np.zeros((33, 3)), np.ones(33),
                         STREET)
        assert watch.update(t, {k: float(v[i]) for k, v in streams.items()}, pose) is None
    again = []
    for i, row in enumerate(zip(*jacks(fps).values(), strict=True)):
        t = i / fps
        pose = PoseFrame(t, BODY_PX, np.zeros((33, 3)), np.ones(33), STREET)
        if (e := watch.update(t, dict(zip(jacks(fps), map(float, row), strict=True)), pose)):
            again.append(e)
    assert len(fresh) == 1 and again and again[0].t_s == pytest.approx(fresh[0].t_s, abs=0.2)
