"""The engine's pieces with answers known exactly: hold timer, bounce detector, per-frame
evaluation and side finding, overrides, and the mistakes a routine file can hold."""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pose.bounce import BounceDetector, Pauses
from pose.checks import (
    IN_FORM,
    NEARLY,
    OUT_OF_FORM,
    OVER_RANGE,
    UNKNOWN,
    evaluate,
    judge_frame,
    side_candidates,
)
from pose.errors import RoutineError
from pose.hold import Form, HoldTimer
from pose.routines import (
    CATALOGUE_FILE,
    ROUTINES_DIR,
    Criterion,
    Limit,
    SideRule,
    Stretch,
    load_catalogue,
    load_routine,
    load_stretches,
    with_overrides,
)

G, C, B = Form.GOOD, Form.CLOSE, Form.BAD


# ---------------------------------------------------------------------------------------------
# HoldTimer
# ---------------------------------------------------------------------------------------------

def feed(timer: HoldTimer, forms, fps: float, start: int = 0):
    """Feed ``forms`` (a list, or a function of time) at ``fps``; returns [(t, what, hold)]."""
    out = []
    frames = forms if isinstance(forms, list) else None
    n = len(frames) if frames is not None else None
    k = start
    while True:
        t = k / fps
        if frames is not None:
            if k - start >= n:
                break
            form = frames[k - start]
        else:
            form = forms(t)
            if form is None:
                break
        for what, hold in timer.update(t, form):
            out.append((t, what, hold))
        k += 1
    return out


M, P = Form.MOVING, Form.PARTIAL


def test_moving_cancels_an_entry_at_once_and_a_settled_hold_starts_where_it_was_reached():
    """At 10 fps: in position but moving 1.0-1.6 s (settling in), then still. Each still spell
    shorter than 0.5 s is cancelled by the next moving frame (quick reps: never a hold); the
    hold confirmed at 2.1 s starts when the position was reached, at most grace_s (1 s) before
    the entry: 1.6 - 1.0 = 0.6 s before, at 1.0."""
    timer = HoldTimer(confirm_s=0.5, grace_s=1.0)
    reps = feed(timer, [B] * 5 + ([M] * 3 + [G] * 3) * 4 + [B] * 5, fps=10.0)
    assert [w for _, w, _ in reps].count("started") == 0
    assert [w for _, w, _ in reps].count("entered") == 4
    timer = HoldTimer(confirm_s=0.5, grace_s=1.0)
    events = feed(timer, [B] * 10 + [M] * 6 + [G] * 20, fps=10.0)
    (started,) = [h for _, w, h in events if w == "started"]
    assert started.start_s == pytest.approx(1.0)
    timer = HoldTimer(confirm_s=0.5, grace_s=1.0)
    events = feed(timer, [B] * 10 + [M] * 25 + [G] * 20, fps=10.0)
    (started,) = [h for _, w, h in events if w == "started"]
    assert started.start_s == pytest.approx(3.5 - 1.0)  # settling longer: grace_s at most


def test_partial_view_keeps_a_hold_for_ten_seconds_and_never_starts_one():
    timer = HoldTimer(confirm_s=0.5, grace_s=1.0)
    assert [w for _, w, _ in feed(timer, [P] * 30, fps=10.0)] == []
    events = feed(timer, [G] * 20 + [P] * 150, fps=10.0, start=30)
    (started,) = [h for _, w, h in events if w == "started"]
    (ended,) = [h for _, w, h in events if w == "ended"]
    assert ended is started
    # Partial from 5.0 s: frames up to 5.0 + 10 s are counted (with the 0.1 s step from the
    # last good frame at 4.9), none after.
    assert ended.end_s == pytest.approx(15.0)
    assert ended.partial_s == pytest.approx(10.1)


def test_a_hold_is_confirmed_after_half_a_second_and_starts_at_entry():
    timer = HoldTimer(confirm_s=0.5, grace_s=1.0)
    events = feed(timer, [B] * 10 + [G] * 30, fps=10.0)
    assert [(round(t, 3), what) for t, what, _ in events] == [(1.0, "entered"), (1.5, "started")]
    started = events[1][2]
    assert started.start_s == 1.0  # the entry time, not the confirmation time
    assert timer.current is started  # the same Hold, extended frame by frame
    assert timer.held_s == pytest.approx(3.9 - 1.0)  # still going: last frame 3.9
    assert timer.finish() is started and started.end_s == pytest.approx(3.9)
    assert timer.holds == [started] and timer.current is None


def test_too_short_to_confirm_is_left_without_a_hold():
    timer = HoldTimer()
    events = feed(timer, [G] * 4 + [B] * 10, fps=10.0)  # 0.3 s good: under confirm_s
    assert [(round(t, 3), what) for t, what, _ in events] == [(0.0, "entered"), (0.9, "left")]
    assert timer.holds == [] and timer.finish() is None


def test_close_alone_never_starts_a_hold():
    timer = HoldTimer()
    assert feed(timer, [C] * 50, fps=10.0) == []
    assert timer.current is None and not timer.entering


@pytest.mark.parametrize(("gap_s", "splits"), [(0.5, False), (0.9, False), (1.2, True)])
def test_grace_bridges_short_drop_outs_only(gap_s, splits):
    fps = 30.0
    n_gap = round(gap_s * fps)
    timer = HoldTimer(confirm_s=0.5, grace_s=1.0)
    events = feed(timer, [G] * 60 + [B] * n_gap + [G] * 60 + [B] * 40, fps=fps)
    holds = [h for _, what, h in events if what == "ended"]
    if splits:
        assert len(holds) == 2
        assert holds[0].end_s == pytest.approx(59 / fps)  # the last good frame
        assert holds[1].start_s == pytest.approx((60 + n_gap) / fps)
    else:
        assert len(holds) == 1
        assert holds[0].start_s == 0.0
        assert holds[0].end_s == pytest.approx((119 + n_gap) / fps)
        # The drop-out is inside the hold but not counted as full form.
        assert holds[0].in_form_s == pytest.approx(118 / fps)


def test_nearly_keeps_the_hold_but_is_not_full_form():
    fps = 30.0
    timer = HoldTimer()
    events = feed(timer, [G] * 60 + [C] * 150 + [G] * 30 + [B] * 40, fps=fps)
    (hold,) = [h for _, what, h in events if what == "ended"]
    assert hold.start_s == 0.0
    assert hold.end_s == pytest.approx(239 / fps)
    assert hold.in_form_s == pytest.approx((59 + 29) / fps)
    assert hold.in_form_fraction == pytest.approx(88 / 239)


def _motion(t: float) -> Form | None:
    """One stretch of time, the same at any frame rate."""
    if t >= 8.0:
        return None
    if t < 1.0 or t >= 6.0:
        return B
    if 3.0 <= t < 3.5:
        return B   # a wobble shorter than the grace
    if 4.0 <= t < 5.0:
        return C   # nearly there
    return G


@pytest.mark.parametrize("fps", [10.0, 30.0, 60.0])
def test_the_same_motion_gives_the_same_hold_at_any_frame_rate(fps):
    timer = HoldTimer()
    events = feed(timer, _motion, fps)
    holds = [h for _, what, h in events if what == "ended"]
    assert len(holds) == 1
    hold, frame = holds[0], 1.0 / fps
    assert hold.start_s == pytest.approx(1.0, abs=1e-9)
    assert 6.0 - frame - 1e-9 <= hold.end_s < 6.0
    # Full form: 1.0-3.0, 3.5-4.0 and 5.0-6.0, less one frame interval at each end.
    assert hold.in_form_s == pytest.approx(3.5 - 3 * frame, abs=1e-9)
    started = next(t for t, what, _ in events if what == "started")
    assert 1.5 <= started < 1.5 + frame + 1e-9
    ended = next(t for t, what, _ in events if what == "ended")
    assert hold.end_s + 1.0 < ended <= hold.end_s + 1.0 + frame + 1e-9


def test_frame_rates_agree_within_one_frame():
    ends = {}
    for fps in (10.0, 30.0, 60.0):
        timer = HoldTimer()
        (hold,) = [h for _, what, h in feed(timer, _motion, fps) if what == "ended"]
        ends[fps] = (hold.start_s, hold.end_s, hold.duration_s)
    for a in ends.values():
        for b in ends.values():
            assert abs(a[0] - b[0]) <= 0.1 and abs(a[1] - b[1]) <= 0.1 + 1e-9


def test_timestamps_not_the_wall_clock_and_uneven_frames():
    """Frames may come unevenly (a dropped frame, a variable-rate camera)."""
    timer = HoldTimer()
    ts = [0.0, 0.04, 0.30, 0.31, 0.62, 1.9, 2.0]
    out = []
    for t in ts:
        out += [(t, what) for what, _ in timer.update(t, G)]
    assert out == [(0.0, "entered"), (0.62, "started")]
    assert timer.current.start_s == 0.0 and timer.current.end_s == 2.0


# ---------------------------------------------------------------------------------------------
# BounceDetector
# ---------------------------------------------------------------------------------------------

def bounces(values, fps: float, angle: str = "hip_flexion_left", **kw):
    det = BounceDetector(angle, **kw)
    t = np.arange(len(values)) / fps
    return [b for ti, v in zip(t, values, strict=True) if (b := det.update(float(ti), float(v)))]


def wave(fps: float, hz: float, amplitude: float = 8.0, seconds: float = 6.0,
         centre: float = 90.0) -> np.ndarray:
    t = np.arange(0.0, seconds, 1.0 / fps)
    return centre + amplitude * np.sin(2.0 * np.pi * hz * t)


@pytest.mark.parametrize("fps", [15.0, 30.0, 60.0])
def test_a_two_hertz_bounce_is_flagged_once_with_its_size_and_rate(fps):
    found = bounces(wave(fps, 2.0), fps)
    assert len(found) == 1  # one episode, reported once
    b = found[0]
    assert b.angle == "hip_flexion_left"
    assert b.amplitude_deg == pytest.approx(8.0, abs=0.5)
    assert b.frequency_hz == pytest.approx(2.0, abs=0.5)
    assert b.t_s < 1.25  # two and a half swings


def test_a_bounce_is_reported_at_the_fifth_turning_point():
    """A 2 Hz sine from 90 at 60 fps: the first turning point is where watching began (the
    lowest value so far, t = 0), then the peak at 0.125 s, the trough at 0.375 s, the peak at
    0.625 s and the trough at 0.875 s; each is confirmed once the angle has come back 5 deg
    from it."""
    (b,) = bounces(wave(60.0, 2.0), 60.0)
    back = np.degrees(np.arccos(1.0 - 5.0 / 8.0)) / 360.0 / 2.0  # time to rise 5 deg again
    assert b.t_s == pytest.approx(0.875 + back, abs=1.0 / 60.0)
    assert b.frequency_hz == pytest.approx(2.0, abs=0.01)
    assert b.amplitude_deg == pytest.approx(8.0, abs=0.05)


def test_a_new_episode_after_a_quiet_spell_is_reported_again():
    fps = 30.0
    still = np.full(int(3 * fps), 90.0)
    found = bounces(np.concatenate([wave(fps, 2.0, seconds=3.0), still,
                                    wave(fps, 2.0, seconds=3.0)]), fps)
    assert len(found) == 2 and found[1].t_s > 6.0


def kicks(fps: float, seconds: float = 8.0, every_s: float = 1.2, up_s: float = 0.25,
          size: float = 80.0, jitter: float = 0.0) -> np.ndarray:
    """A leg kicked up by ``size`` deg and back down, ``up_s`` each way, then resting, a kick
    every ``every_s`` s: two fast swings, then a pause; ``jitter`` deg of landmark noise."""
    t = np.arange(0.0, seconds, 1.0 / fps)
    phase = np.clip((t % every_s) / (2 * up_s), 0.0, 1.0)
    noise = np.random.default_rng(int(fps)).normal(0.0, jitter, t.size) if jitter else 0.0
    return 5.0 + size * (0.5 - 0.5 * np.cos(2 * np.pi * phase)) + noise


PAUSES = Pauses(min_fast=2, min_swing_deg=60.0, max_span_s=4.0)


@pytest.mark.parametrize("jitter", [0.0, 2.0])
@pytest.mark.parametrize("fps", [10.0, 15.0, 30.0, 60.0])
def test_fast_swings_with_pauses(fps, jitter):
    """Bouncing is every swing fast; with ``pauses`` five turning points within 4 s with two
    fast, large swings between them and a pause count too. With landmark noise the rest's
    lowest sample falls anywhere in it: a swing is timed over its middle, not from turning
    point to turning point. (At 5 fps a kick is up in a frame, unseen on its way.)"""
    values = kicks(fps, jitter=jitter)
    assert bounces(values, fps, min_swing_deg=20) == []
    found = bounces(values, fps, min_swing_deg=20, pauses=PAUSES)
    assert found and found[0].t_s < 4.0
    # The rate of the swings themselves: up or down in 0.25 s, a sine of 2 Hz.
    assert found[0].frequency_hz == pytest.approx(2.0, rel=0.25)
    # Too small to count as fast swings, or too far apart for five turning points in 4 s.
    assert bounces(kicks(fps, size=50.0, jitter=jitter), fps, min_swing_deg=20,
                   pauses=PAUSES) == []
    assert bounces(kicks(fps, seconds=20.0, every_s=5.0, jitter=jitter), fps, min_swing_deg=20,
                   pauses=PAUSES) == []


@pytest.mark.parametrize("fps", [5.0, 10.0, 30.0, 60.0])
def test_a_steady_swing_is_judged_as_bouncing_even_with_pauses_allowed(fps):
    """A sine has no pause: its turning points lie 1/0.59 of a swing's middle apart, under
    ``min_pause_ratio``; it counts only as fast as bouncing (half-period 0.55 s)."""
    for hz, flagged in ((0.75, False), (1.2, True)):
        values = wave(fps, hz, amplitude=45.0, seconds=8.0)
        assert bool(bounces(values, fps, min_swing_deg=20, pauses=PAUSES)) is flagged
        assert bool(bounces(values, fps, min_swing_deg=20)) is flagged


def test_a_swing_is_timed_over_its_middle():
    """On a sine, the middle 80 % of a swing takes arccos(-0.8)/pi - arccos(0.8)/pi = 0.59 of
    the half-period, interpolated between frames."""
    det = BounceDetector("x", min_swing_deg=20, pauses=PAUSES)
    for fps in (10.0, 30.0):
        det.reset()
        for ti, v in zip(np.arange(0, 4, 1 / fps), wave(fps, 0.8, amplitude=40.0, seconds=4.0),
                         strict=True):
            det.update(float(ti), float(v))
        half = 1 / (2 * 0.8)
        share = (np.arccos(-0.8) - np.arccos(0.8)) / np.pi
        assert [m.moving_s for m in det._moves] == pytest.approx([share * half] * 4, abs=0.01)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_a_landmark_jumping_is_not_a_fast_swing(fps):
    """An angle that jumps 80 deg from one frame to the next and back 0.3 s later, then
    rests: its middle is crossed in under ``MIN_MOVING_S``, faster than a limb moves. Not a
    fast swing with pauses; and with ``seen_moving``, a jump every 0.3 s is not bouncing."""
    t = np.arange(0.0, 8.0, 1.0 / fps)
    values = np.where((t % 1.2) < 0.3, 85.0, 5.0)
    assert bounces(values, fps, min_swing_deg=20, pauses=PAUSES) == []
    flicker = np.where((t % 0.6) < 0.3, 85.0, 5.0)
    assert bounces(flicker, fps, min_swing_deg=20)
    assert bounces(flicker, fps, min_swing_deg=20, seen_moving=True) == []


@pytest.mark.parametrize("fps", [5.0, 10.0, 30.0, 60.0])
def test_jitter_is_not_bouncing(fps):
    rng = np.random.default_rng(int(fps))
    n = int(20 * fps)
    assert bounces(90.0 + rng.uniform(-2.4, 2.4, n), fps) == []      # swings under 5 deg
    assert bounces(90.0 + rng.normal(0.0, 1.0, n), fps) == []


def test_frame_to_frame_flicker_is_noise_at_any_rate():
    """+-4 deg alternating every frame (8 deg swings): turning points one frame apart."""
    for fps in (5.0, 10.0, 30.0):
        assert bounces(90.0 + 4.0 * (-1.0) ** np.arange(int(10 * fps)), fps) == []


@pytest.mark.parametrize("fps", [5.0, 30.0])
def test_slow_motion_is_not_bouncing(fps):
    t = np.arange(0.0, 20.0, 1.0 / fps)
    assert bounces(90.0 + 3.0 * t, fps) == []                                  # 3 deg/s deeper
    assert bounces(90.0 + 3.0 * np.sin(2 * np.pi * 0.25 * t), fps) == []      # breathing
    assert bounces(90.0 + 12.0 * np.sin(2 * np.pi * 0.5 * t), fps) == []      # slow and big
    assert bounces(90.0 + np.minimum(3.0 * t, 20.0) + 1.0 * np.sin(2 * np.pi * 2 * t), fps) == []


def test_a_gap_in_the_data_breaks_an_episode():
    fps = 30.0
    v = wave(fps, 2.0, seconds=3.0).copy()
    v[::10] = math.nan  # every third of a second the angle is unknown
    assert bounces(v, fps) == []


def test_five_fps_data_bounce_at_one_and_a_quarter_hertz():
    """At 5 fps (the sample GIF's rate) a 1.25 Hz bounce is flagged."""
    (b, *_) = bounces(wave(5.0, 1.25, seconds=8.0), 5.0)
    assert b.amplitude_deg == pytest.approx(8.0, abs=1.0)
    assert b.frequency_hz == pytest.approx(1.25, abs=0.2)


@pytest.mark.parametrize("hz", [1.0, 2.0])
def test_five_fps_data_bounce_at_one_or_two_hertz(hz):
    """5 fps samples a 1-2 Hz bounce above the Nyquist rate: at 2 Hz some turning points are
    one frame apart (the mean gap, 1.25 frames, is what tells it from flicker); at 1 Hz the
    half-period 0.5 s is quantised to 0.4 / 0.6 s (half a frame of tolerance)."""
    (b, *_) = bounces(wave(5.0, hz, seconds=8.0), 5.0)
    assert b.frequency_hz == pytest.approx(hz, rel=0.25)
    assert b.amplitude_deg >= 5.0


@pytest.mark.parametrize(("hz", "rates"), [(1.0, (10.0, 30.0)), (2.0, (10.0, 30.0)),
                                           (3.0, (15.0, 30.0))])
def test_ten_fps_and_faster_flag_one_to_three_hertz(hz, rates):
    # At 10 fps a 3 Hz swing spans barely three frames: it takes 15 fps to see it reliably.
    for fps in rates:
        assert bounces(wave(fps, hz), fps), (fps, hz)


# ---------------------------------------------------------------------------------------------
# evaluate, side_candidates, judge_frame
# ---------------------------------------------------------------------------------------------

def stretch_of(*criteria, limits=(), sides="alternate", side_by=None) -> Stretch:
    return Stretch(id="test", name="Test", instructions="", position="supine", view="side",
                   sides=sides, kind="hold", hold_s=30.0, criteria=tuple(criteria),
                   limits=tuple(limits), side_by=side_by)


HIP = Criterion("hip_flexion_{side}", 100.0, 150.0, low_cue="Pull your {side} knee in",
                high_cue="Ease your {side} knee off")
OTHER = Criterion("hip_flexion_{other}", None, 70.0, high_cue="Keep your {other} foot down")
KNEE = Criterion("knee_flexion_{side}", 70.0, low_cue="Bend your {side} knee")
HIP_LIMIT = Limit("hip_flexion_{side}", None, 155.0, cue="Too far, {side}")
PICK_MAX = SideRule("hip_flexion_{side}", pick="max", threshold=60.0)


def angles(**values: float) -> dict[str, float]:
    return {name: float(v) for name, v in values.items()}


def test_evaluate_in_form_nearly_out_of_form():
    s = stretch_of(HIP, KNEE)
    assert evaluate(s, "left", angles(hip_flexion_left=120, knee_flexion_left=90)).status == \
        IN_FORM
    near = evaluate(s, "left", angles(hip_flexion_left=90, knee_flexion_left=90))
    assert (near.status, near.cue) == (NEARLY, "Pull your left knee in")  # 10 short: nearly
    assert near.criteria[0].miss_deg == 10.0 and near.criteria[0].state == "low"
    out = evaluate(s, "left", angles(hip_flexion_left=89.9, knee_flexion_left=90))
    assert out.status == OUT_OF_FORM
    # The worst miss gives the cue.
    both = evaluate(s, "left", angles(hip_flexion_left=95, knee_flexion_left=40))
    assert (both.status, both.cue) == (OUT_OF_FORM, "Bend your left knee")
    # Bounds are inclusive.
    assert evaluate(s, "left", angles(hip_flexion_left=150, knee_flexion_left=70)).status == \
        IN_FORM


def test_evaluate_unknown_and_unknown_with_a_near_miss():
    s = stretch_of(HIP, KNEE)
    unseen = evaluate(s, "left", angles(hip_flexion_left=120, knee_flexion_left=math.nan),
                      visibility=np.ones(33) * 0.9)
    assert unseen.status == UNKNOWN and unseen.cue.startswith("I can't see your ")
    # A near miss is not "nearly" while something else is unknown.
    assert evaluate(s, "left", angles(hip_flexion_left=95,
                                      knee_flexion_left=math.nan)).status == OUT_OF_FORM
    vis = np.full(33, 0.9)
    vis[25] = 0.1  # left knee
    assert evaluate(s, "left", angles(hip_flexion_left=math.nan, knee_flexion_left=math.nan),
                    vis).cue == "I can't see your left knee: bring it into view"


def test_evaluate_optional_criterion():
    optional = replace(OTHER, optional=True)
    s = stretch_of(HIP, optional)
    assert evaluate(s, "left", angles(hip_flexion_left=120,
                                      hip_flexion_right=math.nan)).status == IN_FORM
    bad = evaluate(s, "left", angles(hip_flexion_left=120, hip_flexion_right=90))
    assert (bad.status, bad.cue) == (OUT_OF_FORM, "Keep your right foot down")
    strict = stretch_of(HIP, OTHER)
    assert evaluate(strict, "left", angles(hip_flexion_left=120,
                                           hip_flexion_right=math.nan)).status == UNKNOWN


def test_evaluate_over_range_needs_the_rest_of_the_stretch():
    s = stretch_of(HIP, KNEE, limits=[HIP_LIMIT])
    over = evaluate(s, "right", angles(hip_flexion_right=160, knee_flexion_right=90))
    assert (over.status, over.cue) == (OVER_RANGE, "Too far, right")
    assert over.over_range[0].value == 160 and over.over_range[0].limit == 155
    # Past the limit while another criterion is missed by more than nearly: out of form.
    lost = evaluate(s, "right", angles(hip_flexion_right=160, knee_flexion_right=30))
    assert lost.status == OUT_OF_FORM and lost.cue == "Bend your right knee"
    # ... and within nearly: still over range.
    assert evaluate(s, "right", angles(hip_flexion_right=160,
                                       knee_flexion_right=65)).status == OVER_RANGE
    # Personal limits add to the stretch's own.
    personal = Limit("hip_flexion_{side}", None, 130.0, cue="Your limit, {side}")
    mine = evaluate(s, "right", angles(hip_flexion_right=140, knee_flexion_right=90),
                    extra_limits=[personal])
    assert (mine.status, mine.cue) == (OVER_RANGE, "Your limit, right")


def test_evaluate_both_sides_judges_the_visible_side():
    s = stretch_of(HIP, sides="both")
    half = evaluate(s, "both", angles(hip_flexion_left=120, hip_flexion_right=math.nan))
    assert half.status == IN_FORM
    worst = evaluate(s, "both", angles(hip_flexion_left=120, hip_flexion_right=80))
    assert (worst.status, worst.cue) == (OUT_OF_FORM, "Pull your right knee in")
    none = evaluate(s, "both", angles(hip_flexion_left=math.nan, hip_flexion_right=math.nan))
    assert none.status == UNKNOWN
    # A "both" cue with {side} reads as the side that fails.
    assert evaluate(s, "both", angles(hip_flexion_left=95,
                                      hip_flexion_right=120)).cue == "Pull your left knee in"


def test_positive_side_mirrors_a_signed_angle():
    drop = Criterion("knee_drop", 30.0, 80.0, positive_side="right", low_cue="More to {other}",
                     high_cue="Less")
    s = stretch_of(drop, side_by=SideRule("knee_drop", positive="right", threshold=15.0))
    assert evaluate(s, "right", angles(knee_drop=45)).status == IN_FORM
    assert evaluate(s, "left", angles(knee_drop=-45)).status == IN_FORM
    wrong = evaluate(s, "left", angles(knee_drop=45))
    assert wrong.criteria[0].value == -45 and wrong.cue == "More to right"
    assert side_candidates(s, angles(knee_drop=45)) == ("right",)
    assert side_candidates(s, angles(knee_drop=-45)) == ("left",)
    assert side_candidates(s, angles(knee_drop=-14.9)) == ("left", "right")  # below threshold
    assert side_candidates(s, angles(knee_drop=-15.0)) == ("left",)
    assert side_candidates(s, angles(knee_drop=math.nan)) == ("left", "right")
    assert side_candidates(s, {}) == ("left", "right")


def test_a_dimly_seen_far_limb_does_not_win_the_side_rule():
    """Side view: the near (right) leg clearly seen and pulled in to 100, the far (left) leg
    seen at 0.6 and read at 120 (a guess behind the near leg): right. With the near leg not
    past the threshold both sides stay candidates; with both legs clear, the larger wins."""
    from pose import landmarks as lm
    s = stretch_of(HIP, OTHER, side_by=PICK_MAX)
    vis = np.ones(lm.N_LANDMARKS)
    vis[[lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_SHOULDER]] = 0.6
    both = angles(hip_flexion_left=120, hip_flexion_right=100)
    assert side_candidates(s, both, vis) == ("right",)
    assert side_candidates(s, both) == ("left",)  # no visibility: as before
    assert side_candidates(s, angles(hip_flexion_left=120, hip_flexion_right=40), vis) == \
        ("left", "right")
    assert side_candidates(s, both, np.ones(lm.N_LANDMARKS)) == ("left",)


def test_side_candidates_pick_max_and_min():
    s = stretch_of(HIP, OTHER, side_by=PICK_MAX)
    assert side_candidates(s, angles(hip_flexion_left=120, hip_flexion_right=40)) == ("left",)
    assert side_candidates(s, angles(hip_flexion_left=40, hip_flexion_right=120)) == ("right",)
    assert side_candidates(s, angles(hip_flexion_left=50, hip_flexion_right=40)) == \
        ("left", "right")  # nobody past the threshold
    assert side_candidates(s, angles(hip_flexion_left=math.nan,
                                     hip_flexion_right=120)) == ("right",)
    assert side_candidates(s, angles(hip_flexion_left=math.nan,
                                     hip_flexion_right=math.nan)) == ("left", "right")
    lunge = stretch_of(HIP, side_by=SideRule("hip_flexion_{side}", pick="min", threshold=10.0))
    assert side_candidates(lunge, angles(hip_flexion_left=-15, hip_flexion_right=90)) == \
        ("left",)
    assert side_candidates(lunge, angles(hip_flexion_left=20, hip_flexion_right=90)) == \
        ("left", "right")
    assert side_candidates(stretch_of(HIP, sides="both"), {}) == ("both",)
    assert side_candidates(stretch_of(HIP), angles(hip_flexion_left=1)) == ("left", "right")


def test_judge_frame_finds_the_side_and_names_a_wrong_one():
    s = stretch_of(HIP, OTHER, side_by=PICK_MAX)
    a = angles(hip_flexion_left=45, hip_flexion_right=120)
    found = judge_frame(s, a)
    assert (found.status, found.side) == (IN_FORM, "right")
    told = judge_frame(s, a, side="left")
    assert (told.status, told.side) == (OUT_OF_FORM, "left")
    assert told.cue == "That is your right side: now stretch your left side"
    # Below the side threshold both sides are tried; the one that fits better is kept.
    close = judge_frame(s, angles(hip_flexion_left=55, hip_flexion_right=30))
    assert (close.status, close.side) == (OUT_OF_FORM, "left")
    nearly = judge_frame(stretch_of(HIP, OTHER, side_by=replace(PICK_MAX, threshold=95.0)),
                         angles(hip_flexion_left=92, hip_flexion_right=30))
    assert (nearly.status, nearly.side, nearly.cue) == (NEARLY, "left",
                                                       "Pull your left knee in")


def test_judge_frame_prefers_unknown_over_guessing_the_other_side():
    s = stretch_of(HIP, KNEE, side_by=PICK_MAX)
    vis = np.full(33, 0.9)
    vis[25] = 0.1  # the left knee is hidden: the left hip and knee angles are unknown
    pos = judge_frame(s, angles(hip_flexion_left=math.nan, knee_flexion_left=math.nan,
                                hip_flexion_right=40, knee_flexion_right=90), vis)
    assert (pos.status, pos.side) == (UNKNOWN, "left")
    assert pos.cue == "I can't see your left knee: bring it into view"


# ---------------------------------------------------------------------------------------------
# with_overrides
# ---------------------------------------------------------------------------------------------

def test_with_overrides_changes_only_what_is_asked():
    s = load_catalogue().stretch("knee_to_chest")
    changed = with_overrides(s, {"hold_s": "45", "hip_flexion_{side}.min": "90",
                                 "limit.hip_flexion_{side}.max": "160"})
    assert changed.hold_s == 45.0 and s.hold_s == 30.0
    hip = next(c for c in changed.criteria if c.angle == "hip_flexion_{side}")
    assert (hip.low, hip.high) == (90.0, 150.0)
    assert changed.limits[0].high == 160.0 and s.limits[0].high == 155.0
    assert [c for c in changed.criteria if c.angle != "hip_flexion_{side}"] == \
        [c for c in s.criteria if c.angle != "hip_flexion_{side}"]
    assert with_overrides(s, {}) == s


@pytest.mark.parametrize(("key", "value", "message"), [
    ("hip_flexion_{side}.min", "ninety", "knee_to_chest.hip_flexion_{side}.min: 'ninety' is "
                                         "not a number"),
    ("hip_flexion.min", "90", "knee_to_chest: cannot set 'hip_flexion.min'; settable: hold_s, "
                              "chest_up.min/max"),
    ("hip_flexion_{side}.middle", "90", "cannot set 'hip_flexion_{side}.middle'"),
    ("limit.knee_flexion_{side}.max", "90", "settable: hold_s, limit.hip_flexion_{side}.min/max"),
])
def test_with_overrides_rejects_what_it_cannot_set(key, value, message):
    with pytest.raises(RoutineError) as err:
        with_overrides(load_catalogue().stretch("knee_to_chest"), {key: value})
    assert message in str(err.value)


# ---------------------------------------------------------------------------------------------
# Mistakes in routine files
# ---------------------------------------------------------------------------------------------

CATALOGUE_TEXT = (ROUTINES_DIR / CATALOGUE_FILE).read_text()


def write(tmp_path: Path, text: str, name: str = CATALOGUE_FILE) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def catalogue_error(tmp_path: Path, old: str, new: str) -> str:
    assert CATALOGUE_TEXT.count(old) == 1, old
    with pytest.raises(RoutineError) as err:
        load_stretches(write(tmp_path, CATALOGUE_TEXT.replace(old, new)))
    return str(err.value)


def test_the_shipped_catalogue_and_routines_load():
    cat = load_catalogue()
    assert len(cat.stretches) == 16 and cat.routines
    for routine in cat.routines.values():
        assert all(30 <= step.hold_s <= 60 for step in routine.steps)


def test_unknown_field_is_named_with_a_suggestion(tmp_path):
    msg = catalogue_error(tmp_path, 'position = "supine"\nview = "front"',
                          'positon = "supine"\nview = "front"')
    assert msg.startswith("catalogue.toml: stretch supine_twist: unknown field 'positon' "
                          "(did you mean 'position'?); allowed: name, ")
    assert "catalogue.toml: stretch supine_twist: missing field 'position'" in msg


def test_unknown_field_in_a_criterion(tmp_path):
    msg = catalogue_error(tmp_path, 'min = 110\nlow_cue = "Rock your hips back',
                          'mni = 110\nlow_cue = "Rock your hips back')
    assert ("catalogue.toml: stretch childs_pose: criteria[0]: unknown field 'mni' "
            "(did you mean 'min'?)") in msg


def test_optional_is_true_false_or_when_covered(tmp_path):
    triceps = load_catalogue().stretch("overhead_triceps")
    elbow = next(c for c in triceps.criteria if c.angle == "elbow_flexion_{side}")
    assert (elbow.optional, elbow.when_covered) == (False, True)
    msg = catalogue_error(tmp_path, 'optional = "when covered"', 'optional = "when hidden"')
    assert ("catalogue.toml: stretch overhead_triceps: criteria[2].optional: must be true, "
            "false or 'when covered', got 'when hidden'") in msg


def test_unknown_angle_is_named_with_a_suggestion(tmp_path):
    msg = catalogue_error(tmp_path, 'angle = "knee_drop"\npositive_side = "right"\nmin = 30',
                          'angle = "knee_dorp"\npositive_side = "right"\nmin = 30')
    assert ("catalogue.toml: stretch supine_twist: criteria[4].angle: unknown angle "
            "'knee_dorp' (did you mean 'knee_drop'?); see the angle list in "
            "routines/README.md") in msg


def test_unknown_side_template_angle(tmp_path):
    old = 'angle = "knee_flexion_{other}"\nmax = 25\nhigh_cue = "Straighten'
    msg = catalogue_error(tmp_path, old, old.replace("flexion", "flexon"))
    assert "stretch standing_quad: criteria[1].angle: unknown angle 'knee_flexon_{other}'" in msg


def test_bad_position_is_named_with_a_suggestion(tmp_path):
    msg = catalogue_error(tmp_path, 'position = "all_fours"', 'position = "all-fours"')
    assert msg == ("catalogue.toml: stretch cat_cow: position: 'all-fours' is not allowed "
                   "(did you mean 'all_fours'?); allowed: supine, prone, all_fours, kneeling, "
                   "seated, standing")


def test_a_misspelt_resting_part_is_named_with_a_suggestion(tmp_path):
    msg = catalogue_error(tmp_path, 'rests_on = ["hands", "knees", "toes"]',
                          'rests_on = ["hands", "kness", "toes"]')
    assert msg.startswith("catalogue.toml: stretch cat_cow: rests_on[1]: 'kness' is not "
                          "allowed (did you mean 'knees'?); allowed: hands, knees, ")
    msg = catalogue_error(tmp_path, 'rests_on = ["hands", "knees", "toes"]',
                          'rests_on = "hands"')
    assert msg == ("catalogue.toml: stretch cat_cow: rests_on: must be a list of parts, got "
                   "'hands'")


def test_a_hold_that_does_not_read_part_on_part_is_named(tmp_path):
    old = 'holds = ["hand_{side} on knee_{side}"]'
    msg = catalogue_error(tmp_path, old, 'holds = ["hand_{side} on kne_{side}", "hands"]')
    assert ("catalogue.toml: stretch knee_to_chest: holds[0]: 'kne_{side}' is not allowed "
            "(did you mean 'knee_{side}'?)") in msg
    assert ('catalogue.toml: stretch knee_to_chest: holds[1]: must read "<part> on <part>" '
            '("hands on knee_{side}"), got \'hands\'') in msg


@pytest.mark.parametrize("hold", ["4", "121"])
def test_hold_outside_5_to_120_seconds(tmp_path, hold):
    old = 'kind = "hold"\nhold_s = 30\nforward_bend = true\n\n[[stretch.childs_pose'
    msg = catalogue_error(tmp_path, old, old.replace("hold_s = 30", f"hold_s = {hold}"))
    assert msg == (f"catalogue.toml: stretch childs_pose: hold_s: {hold} s is outside the "
                   "allowed 5-120 s")


def test_every_mistake_is_reported_at_once(tmp_path):
    text = CATALOGUE_TEXT.replace('position = "all_fours"', 'position = "all-fours"')
    text = text.replace('angle = "knee_drop"\npositive_side = "right"\nmin = 30',
                        'angle = "knee_dorp"\npositive_side = "right"\nmin = 30')
    with pytest.raises(RoutineError) as err:
        load_stretches(write(tmp_path, text))
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert "stretch cat_cow: position" in lines[0] and "stretch supine_twist" in lines[1]


def routine_error(tmp_path: Path, text: str) -> str:
    stretches = load_catalogue().stretches
    with pytest.raises(RoutineError) as err:
        load_routine(write(tmp_path, text, "my-routine.toml"), stretches)
    return str(err.value)


def test_routine_naming_a_missing_stretch(tmp_path):
    msg = routine_error(tmp_path, 'name = "Mine"\n[[step]]\nstretch = "cat_cow"\n'
                                  '[[step]]\nstretch = "knee_to_chst"\n')
    assert msg == ("my-routine.toml: step[1]: stretch: no stretch 'knee_to_chst' in the "
                   "catalogue (did you mean 'knee_to_chest'?)")


def test_routine_hold_outside_5_to_120_seconds(tmp_path):
    msg = routine_error(tmp_path, 'name = "Mine"\n[[step]]\nstretch = "cat_cow"\nhold_s = 130\n')
    assert msg == ("my-routine.toml: step[0] (cat_cow): hold_s: 130 s is outside the allowed "
                   "5-120 s")


@pytest.mark.parametrize(("hold", "warned"), [(5, True), (29, True), (30, False), (60, False),
                                              (90, True), (120, True)])
def test_routine_hold_outside_30_to_60_seconds_loads_with_a_warning(tmp_path, hold, warned):
    path = write(tmp_path, f'name = "Mine"\n[[step]]\nstretch = "knee_to_chest"\n'
                           f'hold_s = {hold}\n', "my-routine.toml")
    routine = load_routine(path, load_catalogue().stretches)
    assert routine.steps[0].hold_s == hold
    expected = (f"my-routine.toml: step[0] (knee_to_chest): hold_s: {hold} s is outside the "
                "advised 30-60 s")
    assert routine.warnings == ((expected,) if warned else ())


def test_routine_unknown_field_and_bad_sides(tmp_path):
    msg = routine_error(tmp_path, 'name = "Mine"\n[[step]]\nstretch = "knee_to_chest"\n'
                                  'hold = 45\nsides = ["both"]\n')
    assert ("my-routine.toml: step[0] (knee_to_chest): unknown field 'hold' (did you mean "
            "'hold_s'?)") in msg
    assert ("my-routine.toml: step[0] (knee_to_chest): sides: ['both'] is not allowed for "
            "knee_to_chest; use a list of left, right") in msg


def test_routine_without_steps(tmp_path):
    assert routine_error(tmp_path, 'name = "Empty"\n') == \
        "my-routine.toml: top level: missing field 'step'\n" \
        "my-routine.toml: top level: a routine needs at least one [[step]]"


def test_a_broken_routine_folder_names_the_file(tmp_path):
    for path in ROUTINES_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    write(tmp_path, 'name = "Mine"\n[[step]]\nstretch = "cobbra"\n', "mine.toml")
    with pytest.raises(RoutineError) as err:
        load_catalogue(tmp_path)
    assert str(err.value) == ("mine.toml: step[0]: stretch: no stretch 'cobbra' in the "
                              "catalogue (did you mean 'cobra'?)")


def test_routine_step_messages_name_the_stretch(tmp_path):
    msg = routine_error(tmp_path, 'name = "Mine"\n[[step]]\nstretch = "cat_cow"\nhold_s = 190\n'
                                  '[[step]]\nstretch = "cobra"\nhold = 45\n')
    first, second = msg.splitlines()
    assert "cat_cow" in first and "hold_s" in first
    assert "cobra" in second and "'hold'" in second


def test_a_body_far_in_the_background_is_not_checked():
    """A person spanning under ``MIN_SPAN`` of the picture (some 8 m away: a passer-by behind,
    not the user on the mat) is not checked, and the camera check says to come closer; only
    the landmarks seen count, and a block of frames gets the same spans at once."""
    from pose.checks import MIN_SPAN, TOO_FAR, camera_check
    from pose.coach import usable
    from pose.landmarks import PoseFrame, spans

    rng = np.random.default_rng(0)
    seen = np.ones(33)
    near = PoseFrame(0.0, rng.uniform([100.0, 50.0], [400.0, 450.0], (33, 2)),
                     np.zeros((33, 3)), seen, (640, 480))
    far = replace(near, image=near.image * 0.15)
    assert near.span == pytest.approx(max(np.ptp(near.image[:, 0]) / 640,
                                          np.ptp(near.image[:, 1]) / 480))
    assert far.span < MIN_SPAN <= near.span
    assert usable(near) and not usable(far)
    knee = load_catalogue().stretches["knee_to_chest"]
    assert camera_check(knee, "left", far.image, far.visibility, 1, far.span) == [TOO_FAR]
    assert TOO_FAR not in camera_check(knee, "left", near.image, near.visibility, 1, near.span)
    # A landmark far off but not seen does not make a small body large.
    stray = far.image.copy()
    stray[0] = (630.0, 470.0)
    hidden = replace(far, image=stray, visibility=np.where(np.arange(33) == 0, 0.1, 1.0))
    assert hidden.span < MIN_SPAN
    # Too little seen to size a body (under five landmarks): unknown, not "far"; the camera
    # check names the parts it cannot see instead.
    blind = replace(far, visibility=np.where(np.arange(33) < 4, 1.0, 0.0))
    assert math.isnan(blind.span) and usable(blind)
    assert TOO_FAR not in camera_check(knee, "left", blind.image, blind.visibility, 1,
                                       blind.span)
    block = spans(np.stack([near.image, far.image, hidden.image, blind.image]),
                  np.stack([near.visibility, far.visibility, hidden.visibility,
                            blind.visibility]), np.array([near.size] * 4))
    assert block[:3].tolist() == [near.span, far.span, hidden.span] and np.isnan(block[3])
