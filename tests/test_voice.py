"""The voice: what is said, in which order, and that nothing is cut off but by a safety warning."""

from __future__ import annotations

from dataclasses import replace

from stretch_poses import ideal
from test_phases import Run, lying_flat, routine

from pose.coach import Event
from pose.phases import HOLD, POSITION, PlayerView, RoutinePlayer
from pose.voice import COUNTDOWN, CUE, SAFETY, TRANSITION, Announcer, Utterance, play_order


def said(announcer: Announcer, views) -> list[str]:
    out = []
    for t, view in views:
        out += [u.text for u in announcer.update(t, view)]
    return out


def test_a_whole_side_is_announced_in_order():
    player = RoutinePlayer(routine(("knee_to_chest", 12)), rest_s=4.0, release_s=2.0)
    run = Run(player)
    run.feed(ideal("standing_quad", "left", knee=0.0), 1.0)
    run.feed(lying_flat(), 2.5)
    run.feed(ideal("knee_to_chest", "left"), 13.5)
    run.feed(lying_flat(), 7.0)
    texts = said(Announcer(), run.views)
    assert texts[0] == "Knee to chest, either side first. Lie on your back"
    expected = ["Hold for 12 seconds", "10 seconds left", "5 seconds left", "3", "2", "1",
                "Release slowly", "Rest. Next: Knee to chest, right side.",
                "Knee to chest, right side."]
    positions = [texts.index(e) for e in expected]
    assert positions == sorted(positions), texts


def test_nothing_repeats_within_a_few_seconds_and_flickers_are_not_said():
    a = Announcer(repeat_s=5.0, settle_s=1.0)
    view = PlayerView(phase=POSITION, stretch="x", stretch_name="X", cue="Lie on your back",
                      cue_kind="posture")
    other = replace(view, cue="Bend your left knee", cue_kind="form")
    flicker = replace(view, cue="Straighten your right leg", cue_kind="form")
    timeline = [(k / 2, v) for k, v in enumerate([view] * 4 + [other] * 4 + [flicker]
                                                  + [view] * 3 + [other] * 4 + [view] * 4)]
    texts = said(a, timeline)
    assert texts[0] == "X, either side first. Lie on your back"
    assert texts.count("Bend your left knee") == 1  # again after 4 s: too soon
    assert "Straighten your right leg" not in texts  # shown for half a second only
    assert texts.count("Lie on your back") == 1  # 5.5 s after the announcement said it


def test_safety_events_are_said_first_and_interrupt():
    a = Announcer()
    view = PlayerView(phase=HOLD, stretch="x", stretch_name="X", seconds_left=20.0, target_s=30)
    a.update(0.0, view)
    warning = Event(1.0, "over_range", "x", "left", "Don't force it")
    out = a.update(1.0, view, [warning])
    assert out[0].text == "Don't force it" and out[0].priority == SAFETY and out[0].interrupt


def test_play_order_waits_and_only_safety_cuts_off():
    u = [Utterance(1, "Hold for 30 seconds", TRANSITION, 0.0, 3.0),
         Utterance(2, "Bend your knee", CUE, 0.2, 3.0),
         Utterance(3, "10 seconds left", COUNTDOWN, 0.5, 1.2),
         Utterance(4, "Don't force it", SAFETY, 3.0, 4.0),
         Utterance(5, "5 seconds left", COUNTDOWN, 3.1, 0.5)]
    durations = {1: 1.5, 2: 1.2, 3: 1.0, 4: 1.0, 5: 1.0}
    log = play_order([(x.t_s, x) for x in u], durations)
    status = {i: s for i, _, _, s in log}
    # 1 plays to its end; 3 (higher priority) goes before 2; 4 cuts off 2, which was speaking.
    assert [i for i, *_ in log][:2] == [1, 3]
    assert status[1] == "spoken" and status[3] == "spoken"
    assert status[2] == "interrupted" and status[4] == "spoken"
    assert status[5] == "dropped"  # a countdown said late would be wrong


def test_a_long_cue_does_not_hold_back_a_transition():
    """"Release slowly" comes while a long form cue is being said: the cue is cut off and the
    transition said at once, not when the cue ends (past its time to live); a countdown number
    cuts off a cue too, but a transition does not cut off another transition."""
    long_cue = "Keep your shoulders on the floor and let your left knee come closer"
    u = [Utterance(1, long_cue, CUE, 0.0, 3.0),
         Utterance(2, "Release slowly", TRANSITION, 1.0, 4.0),
         Utterance(3, "Rest. Next: Knee to chest, right side.", TRANSITION, 1.5, 8.0),
         Utterance(4, "Bend your knee", CUE, 6.0, 3.0),
         Utterance(5, "3", COUNTDOWN, 6.5, 1.2)]
    durations = {1: len(long_cue) / 14.0, 2: 1.0, 3: 2.5, 4: 1.2, 5: 0.4}
    log = {i: (start, end, status) for i, start, end, status in
           play_order([(x.t_s, x) for x in u], durations)}
    assert log[1] == (0.0, 1.0, "interrupted")
    assert log[2] == (1.0, 2.0, "spoken")  # at once
    assert log[3] == (2.0, 4.5, "spoken")  # waited for the other transition, not cut off
    assert log[4][2] == "interrupted" and log[5] == (6.5, 6.9, "spoken")
    assert not Utterance(9, "x", TRANSITION, 0, 1).cuts_off(u[2])
    assert Utterance(9, "x", SAFETY, 0, 1).cuts_off(u[2])


def test_a_short_hold_gets_its_whole_countdown():
    """A 5 s hold begun while its stretch is still being announced: the countdown goes before
    the late "Hold for 5 seconds" (which runs out of time), so 3, 2, 1 are all said on time,
    and nothing is cut off."""
    u = [Utterance(1, "Bridge on one side, either side first.", TRANSITION, 0.0, 8.0),
         Utterance(2, "Hold for 5 seconds", TRANSITION, 0.5, 2.0),
         Utterance(3, "3", COUNTDOWN, 2.5, 1.2),
         Utterance(4, "2", COUNTDOWN, 3.5, 1.2),
         Utterance(5, "1", COUNTDOWN, 4.5, 1.2)]
    durations = {1: 2.8, 2: 1.3, 3: 0.4, 4: 0.4, 5: 0.4}
    log = {i: (start, status) for i, start, _, status in
           play_order([(x.t_s, x) for x in u], durations)}
    assert [log[i] for i in (3, 4, 5)] == [(2.8, "spoken"), (3.5, "spoken"), (4.5, "spoken")]
    assert log[1][1] == "spoken" and log[2][1] == "dropped"


def test_utterance_ids_only_grow():
    a = Announcer()
    views = [(float(t), PlayerView(phase=HOLD, stretch="x", stretch_name="X",
                                   seconds_left=12.0 - t, target_s=12)) for t in range(13)]
    ids = [u.id for t, v in views for u in a.update(t, v)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_slow_frames_say_only_the_last_countdown_mark_passed():
    a = Announcer()
    hold = PlayerView(phase=HOLD, stretch="x", stretch_name="X", target_s=30, cue="",
                      cue_kind="info")
    texts = said(a, [(0.0, replace(hold, seconds_left=6.2)),
                     (1.0, replace(hold, seconds_left=5.4)),
                     (2.0, replace(hold, seconds_left=1.6)),
                     (3.0, replace(hold, seconds_left=0.4))])
    assert [t for t in texts if t in ("5 seconds left", "3", "2", "1")] == ["2", "1"]
