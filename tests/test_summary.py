"""The session summary and the Review page in plain words (issue 12).

The sessions are real live sessions: the coach, the checks, the recorder and the store run,
fed by a scripted person posed at each stretch's targets (tests/scripted_session.py).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from conftest import ROOT
from panel import panel_parts, panel_text
from scripted_session import Act, Actor, run_script
from streamlit.testing.v1 import AppTest

from pose.coach import Event
from pose.live import LiveSession
from pose.picture import picture_legend
from pose.review import (
    angle_charts,
    completion_note,
    daily_chart,
    range_chart,
    range_lines,
    stretch_window,
)
from pose.routines import load_catalogue
from pose.sessions import grow_ranges
from pose.store import open_store
from pose.stretches import POSITIONS
from pose.summary import (
    DONE,
    NOT_DONE,
    NOT_REACHED,
    SKIPPED,
    STOPPED,
    plan_of,
    sentences,
    summarise,
    table_rows,
)
from pose.words import (
    ROUTINE_ORDER,
    angle_label,
    cue_text,
    duration_text,
    hold_text,
    routine_seconds,
)

CATALOGUE = load_catalogue()
LOWER_BACK = CATALOGUE.routine("lower-back")
PAGES = ROOT / "pose" / "pages"

#: Cat-cow skipped, child's pose held 33 s, the lunge skipped on both sides, knee to chest held
#: 33 s on the left, then 12 s still and 4 s bouncing on the right, stopped for pain; the rest
#: of the routine never reached.
SCRIPT = (Act("cat_cow", "both", 0, "skip"), Act("childs_pose", "both", 33),
          Act("hip_flexor_lunge", "left", 0, "skip"), Act("hip_flexor_lunge", "right", 0, "skip"),
          Act("knee_to_chest", "left", 33), Act("knee_to_chest", "right", 12, "pain", bounce_s=4))


def live_session(db, script=SCRIPT, then=()) -> tuple[LiveSession, int]:
    """A real live session of ``script``, then the ``then`` requests (a frame after each),
    closed: (the session, its id)."""
    with open_store(db) as store:
        profile = store.profile("me")

    def recorder_factory(width, height, checker):  # as the Live page does
        store = open_store(db)
        sid = store.start_session("live", "webcam", LOWER_BACK.id, "full", 0.0,
                                  (width, height), profile_id=profile.id, checker=checker)
        return sid, store.recorder(sid, owns_store=True)

    def on_finish(sid, report):
        # The results were written with the recording's last transaction.
        with open_store(db) as s:
            grow_ranges(s, sid, report, profile.id)

    actor = Actor()
    session = LiveSession(LOWER_BACK, lambda: actor, recorder_factory, on_finish=on_finish)
    t = run_script(session, actor, script)
    for request in then:
        session.request(*request)
        t += 0.1
        session.process(np.zeros((480, 640, 3), np.uint8), t)
    return session, session.close()


def live_page_after(session: LiveSession) -> tuple[str, str]:
    """The Live page rerun with ``session`` of Lower back ended, as STOP or the routine's end
    leaves it: the coach column's words and its markup."""
    at = AppTest.from_file(str(PAGES / "live.py"), default_timeout=120)
    at.query_params["routine"] = "lower-back"
    at.session_state["live_session"] = session
    at.session_state["live_for"] = ("me", "lower-back", "full")
    at.run()
    assert not at.exception, at.exception
    return panel_text(at), "".join(panel_parts(at))


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = tmp_path / "sessions.db"
    monkeypatch.setenv("STRETCHCHECK_DB", str(path))
    return path


def result(stretch, name, side, longest, total=None, bounces=0, over=0, pains=(), cycles=None):
    d = {"stretch": stretch, "name": name, "side": side, "target_hold_s": 30.0,
         "longest_hold_s": longest, "held_s": longest if total is None else total,
         "holds": [], "bounces": [{}] * bounces, "over_range": [{}] * over,
         "pain_stops": list(pains)}
    if cycles is not None:
        d["cycles"] = cycles
    return d


def test_sentences_say_what_happened_per_stretch():
    results = [result("knee_to_chest", "Knee to chest", "left", 32.2, 33.0),
               result("knee_to_chest", "Knee to chest", "right", 18.4, pains=[50.0]),
               result("cat_cow", "Cat-cow", "both", 31.0, bounces=2, over=1, cycles=6)]
    plan = [("cat_cow", "Cat-cow", "both", 30.0),
            ("knee_to_chest", "Knee to chest", "left", 30.0),
            ("knee_to_chest", "Knee to chest", "right", 30.0),
            ("supine_twist", "Lying knee drop twist", "left", 30.0),
            ("supine_twist", "Lying knee drop twist", "right", 30.0)]
    pain = Event(50.0, "pain_stop", "knee_to_chest", "right", "", {"level": 3})
    summary = summarise(results, plan, [pain])
    assert summary.headline == "2 of 5 done"
    assert sentences(summary) == [
        "Cat-cow: 31 s of 30 s - done, six slow cycles; two bounces; past the safe range once.",
        "Knee to chest: left 32 s, right 18 s of 30 s; no bouncing; one pain stop, 3/10.",
        "Not reached this time: Lying knee drop twist.",
    ]
    assert [r.status for r in summary.rows] == [DONE, DONE, STOPPED, NOT_REACHED, NOT_REACHED]
    rows = table_rows(summary)
    assert list(rows[0]) == ["Stretch", "Held", "Result", "Notes"]
    assert rows[2] == {"Stretch": "Knee to chest, right side", "Held": "18 s of 30 s",
                       "Result": "stopped: pain", "Notes": "one pain stop, 3/10"}
    assert rows[3]["Held"] == "" and rows[3]["Result"] == "not reached"  # never "0 s"

    # A side held, the other not reached; a side tried but short of the target.
    partial = summarise([result("knee_to_chest", "Knee to chest", "left", 12.0)],
                        plan[1:3])
    assert sentences(partial) == ["Knee to chest: left 12 s of 30 s, right not reached; "
                                  "no bouncing."]
    # Come to and held for no time (the person pressed skip): skipped, never "0 s".
    skipped = summarise([result("cat_cow", "Cat-cow", "both", 0.0)], plan[:1])
    assert skipped.rows[0].status == SKIPPED and sentences(skipped) == ["Cat-cow: skipped."]
    several = summarise([], plan[:1] + plan[3:])
    assert sentences(several) == ["Not reached this time: Cat-cow and Lying knee drop twist."]

    # A stretch's other side has a result as soon as its first side starts: the events say
    # how far the session came. The left side hurt at once (nothing held: no "no bouncing"),
    # the person rested, then pressed STOP.
    sides = [("seated_hamstring", "Seated hamstring stretch", "left", 30.0),
             ("seated_hamstring", "Seated hamstring stretch", "right", 30.0),
             ("seated_forward_fold", "Seated forward fold", "both", 30.0)]
    hurt = summarise([result("seated_hamstring", "Seated hamstring stretch", "left", 0.0,
                             pains=[6.2]),
                      result("seated_hamstring", "Seated hamstring stretch", "right", 0.0)],
                     sides, [Event(0.0, "step_started", "seated_hamstring", "left"),
                             Event(6.2, "pain_stop", "seated_hamstring", "left")])
    assert [r.status for r in hurt.rows] == [STOPPED, NOT_REACHED, NOT_REACHED]
    assert sentences(hurt) == [
        "Seated hamstring stretch: left 0 s of 30 s, right not reached; one pain stop.",
        "Not reached this time: Seated forward fold."]
    # Past the safe range is said held or not; one side skipped, the other not reached.
    went_too_far = summarise([result("seated_hamstring", "Seated hamstring stretch", "left",
                                     0.0, over=1)], sides[:2],
                             [Event(0.0, "step_started", "seated_hamstring", "left")])
    assert sentences(went_too_far) == ["Seated hamstring stretch: left 0 s of 30 s, right not "
                                       "reached; past the safe range once."]
    # STOP on the left side with nothing done there: not skipped (nobody skipped it), not
    # done; after a skip (the next side started), skipped.
    stopped = summarise([result("seated_hamstring", "Seated hamstring stretch", side, 0.0)
                         for side in ("left", "right")], sides,
                        [Event(0.0, "step_started", "seated_hamstring", "left")])
    assert [r.status for r in stopped.rows] == [NOT_DONE, NOT_REACHED, NOT_REACHED]
    assert sentences(stopped)[0] == ("Seated hamstring stretch: left 0 s of 30 s, right not "
                                     "reached.")
    skipped_one = summarise([result("seated_hamstring", "Seated hamstring stretch", side, 0.0)
                             for side in ("left", "right")], sides,
                            [Event(0.0, "step_started", "seated_hamstring", "left"),
                             Event(5.0, "step_started", "seated_hamstring", "right")])
    assert [r.status for r in skipped_one.rows] == [SKIPPED, NOT_DONE, NOT_REACHED]
    assert partial.rows[0].status == NOT_DONE and partial.headline == "0 of 2 done"


def test_a_video_analysis_without_a_routine_lists_what_was_found():
    summary = summarise([result("glute_bridge", "Glute bridge", "both", 1.8)], None)
    assert summary.headline == "0 of 1 done"
    assert sentences(summary) == ["Glute bridge: 2 s of 30 s; no bouncing."]
    assert summarise([], None).rows == ()


def test_a_scripted_live_session_is_summarised_from_the_store(db):
    session, sid = live_session(db)
    with open_store(db) as store:
        results, events = store.results(sid), store.events(sid)
    summary = summarise(results, plan_of(LOWER_BACK), events)
    assert summary.headline == "2 of 16 done"
    lines = sentences(summary)
    assert lines[0] == "Cat-cow: skipped."
    assert re.fullmatch(r"Child's pose: 3[2-4] s of 30 s - done; no bouncing\.", lines[1])
    assert lines[2] == "Kneeling hip flexor stretch: skipped."
    assert re.fullmatch(r"Knee to chest: left 3[2-4] s, right 1[5-7] s of 30 s; "
                        r"(one|two|three) bounces?; one pain stop\.", lines[3]), lines[3]
    names = [s.stretch.name for s in LOWER_BACK.steps[4:]]
    assert lines[4:] == [f"Not reached this time: {', '.join(names[:-1])} and {names[-1]}."]


def test_review_page_answers_in_sentences_then_the_summary(db):
    _, sid = live_session(db)
    at = AppTest.from_file(str(PAGES / "review.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "How it went: 2 of 16 done"
    said = html.unescape(next(m.value for m in at.markdown if "session-sentences" in m.value))
    assert "<li>Cat-cow: skipped.</li>" in said
    assert re.search(r"<li>Knee to chest: left 3\d s, right 1\d s of 30 s; \w+ bounces?; "
                     r"one pain stop\.</li>", said), said
    table = at.table[0].value
    assert list(table.columns) == ["Stretch", "Held", "Result", "Notes"]
    assert len(table) == 16 and list(table["Result"]).count("skipped") == 3
    assert list(table["Result"]).count("not reached") == 10
    row = table[table["Stretch"] == "Knee to chest, right side"].iloc[0]
    assert row["Result"] == "stopped: pain" and "pain stop" in row["Notes"]
    # Labelled as what it was: a live session recorded to its end.
    assert any(c.value.startswith("Live session of") for c in at.caption)
    assert not any("ended early" in c.value or "cut short" in c.value for c in at.caption)
    # No ids, no {side}, no raw names on the page.
    text = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.subheader))
    assert not re.search(r"\{side\}|\{other\}|_left|_right|knee_to_chest|\.0000", text)
    # The chart shows the first stretch with a hold, not the skipped cat-cow.
    assert at.selectbox[2].value == 1


def test_live_page_summary_after_stop(db, monkeypatch):
    """STOP reruns the Live page with the closed session: it shows the same summary."""
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    session, sid = live_session(db)
    text, markup = live_page_after(session)
    assert "Session ended - here is how it went." in text
    assert "How it went: 2 of 16 done" in text
    assert "Stretch Held Result Notes" in text and markup.count("<tr>") == 1 + 16
    assert f"Saved as session {sid}" in text
    assert 'data-testid="live-again"' in markup and "START again (Enter)" in text
    # The pain stop went unanswered: said here too, with the advice for sharp pain.
    assert re.search(r"Pain stop at \d+ s during Knee to chest, right side: the questions "
                     r"after it were not answered\. If it was sharp pain", text), text


def test_after_a_stop_for_today_the_live_page_offers_no_start_again(db, monkeypatch):
    """Sharp pain ends the day: the end says so as a warning, not a green "Routine finished",
    and no START again (nor its Enter) invites the routine again; the advice stands."""
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    session, _ = live_session(db, SCRIPT[:4] + (Act("knee_to_chest", "left", 10, "pain"),),
                              then=[("pain_answer", "sharp", 8)])
    assert session.snapshot().view.phase == "stopped_today"
    text, markup = live_page_after(session)
    assert "Stopped for today because of the pain" in text
    assert "physiotherapist" in text
    assert "Routine finished" not in text and "live-again" not in markup


def test_live_page_shows_the_first_stretch_before_start(db, monkeypatch):
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    at = AppTest.from_file(str(PAGES / "live.py"), default_timeout=120)
    at.query_params["routine"] = "floor-flow"
    at.run()
    assert not at.exception, at.exception
    markup = "".join(panel_parts(at))
    assert markup.count("<img ") == 1 and 'alt="First: Glute bridge"' in markup
    assert "<figcaption>First: Glute bridge</figcaption>" in markup


def test_the_live_settings_are_as_left_when_live_comes_back(db, monkeypatch):
    """A widget's value lives only while its page shows it: after a look at another page the
    name and the routine went back to "me" and the first routine, and the next session was
    recorded under them. Leaving a page drops its widgets' keys, as here."""
    monkeypatch.setenv("STRETCHCHECK_CAMERA", "off")
    at = AppTest.from_file(str(PAGES / "live.py"), default_timeout=120).run()
    at.text_input(key="_profile").set_value("Ann").run()
    at.selectbox(key="_routine").set_value("lower-back").run()
    assert "Lower back" in "".join(panel_parts(at))
    kept = {k: at.session_state[k] for k in ("profile", "routine", "model")}
    assert kept == {"profile": "Ann", "routine": "lower-back", "model": "full"}
    back = AppTest.from_file(str(PAGES / "live.py"), default_timeout=120)
    for key, value in kept.items():  # what Session State keeps once the widgets are gone
        back.session_state[key] = value
    back.run()
    assert not back.exception, back.exception
    assert back.text_input(key="_profile").value == "Ann"
    assert back.selectbox(key="_routine").value == "lower-back"
    assert "Lower back" in "".join(panel_parts(back)) and not back.warning


def test_review_charts_speak_plain_words_and_show_only_the_stretch(db):
    _, sid = live_session(db)
    with open_store(db) as store:
        track, events, results = store.load_track(sid), store.events(sid), store.results(sid)
    knee = next(r for r in results if (r["stretch"], r["side"]) == ("knee_to_chest", "left"))
    window = stretch_window(track, "knee_to_chest", "left", knee["holds"], events)
    hold = knee["holds"][0]
    # The step runs from its announcement (at the start of the rest before it) to the next.
    started = next(e.t_s for e in events if e.kind == "step_started"
                   and (e.stretch, e.side) == ("knee_to_chest", "left"))
    assert window[0] == pytest.approx(min(started, hold["start_s"]) - 5.0, abs=0.2)
    assert window[1] - window[0] < 0.6 * float(track.t_s[-1])  # not the whole session
    charts = angle_charts(track, CATALOGUE.stretches["knee_to_chest"], "left", events, window)
    titles = [c.to_dict()["title"]["text"] for c in charts]
    assert "Left hip bend (hip flexion)" in titles and "Left knee bend (knee flexion)" in titles
    spec = charts[0].to_dict()
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    assert line["encoding"]["x"]["scale"]["domain"] == list(window)
    assert line["encoding"]["x"]["title"] == "seconds into the session"
    labels = {r.get("label") for d in spec["datasets"].values() for r in d}
    assert "target range" in labels and "held" in labels
    # The hold's end is "hold done", never a second "target" (a new user read the two as one).
    assert not any("target" in str(r.get("event", "")) for d in spec["datasets"].values()
                   for r in d)
    spans = [(r["start"], r["end"]) for d in spec["datasets"].values() for r in d
             if r.get("label") == "held"]
    assert spans == [(pytest.approx(hold["start_s"], abs=0.05),
                      pytest.approx(hold["end_s"], abs=0.05))]

    daily = daily_chart([("2026-11-28", 20.0), ("2026-11-29", 75.0)]).to_dict()
    legend_values = {r["total that day"] for d in daily["datasets"].values() for r in d
                     if "total that day" in r}
    assert legend_values == {"60 s or more", "under 60 s"}
    ranges = range_chart([("knee_to_chest", "hip_flexion_left", "2026-11-29", 120.0)],
                         {"knee_to_chest": "Knee to chest"}).to_dict()
    series = {r["series"] for d in ranges["datasets"].values() for r in d}
    assert series == {"Knee to chest: left hip bend"}
    assert ranges["encoding"]["color"]["legend"]["orient"] == "bottom"
    # One day so far: in words, not a chart of one point.
    assert range_lines([("knee_to_chest", "hip_flexion_left", "2026-11-29", 118.0),
                        ("knee_to_chest", "hip_flexion_left", "2026-11-29", 120.4)],
                       {"knee_to_chest": "Knee to chest"}) == [
        "Knee to chest: left hip bend, comfortable to 120\N{DEGREE SIGN} (29 Nov)"]


def test_progress_with_one_day_of_ranges_is_said_in_words(db):
    """One day of holds: the comfortable ranges as sentences, not a chart of one point each."""
    live_session(db)
    at = AppTest.from_file(str(PAGES / "review.py"), default_timeout=120).run()
    at.radio(key="review_part").set_value("Progress over days").run()
    assert not at.exception, at.exception
    assert [h.value for h in at.subheader] == ["Comfortable range"]
    said = " ".join(m.value for m in at.markdown)
    # Child's pose was held 33 s; knee to chest 33 s left, and 16 s right, which hurt.
    assert re.search(r"Child's pose: [a-z ]+, comfortable to -?\d+\N{DEGREE SIGN} \(\d\d \w+\)",
                     said), said
    assert "Knee to chest: left hip bend, comfortable to" in said
    assert "right hip bend" not in said


def test_plain_words_for_the_catalogue():
    assert angle_label("hip_flexion_left") == "Left hip bend (hip flexion)"
    assert angle_label("knee_flexion_{side}") == "Knee bend (knee flexion)"
    assert angle_label("trunk_lateral_tilt", short=True) == "Side bend of the trunk"
    assert cue_text("Pull your {side} knee closer") == "Pull your knee closer"
    assert cue_text("Keep your {other} foot on the floor") == "Keep your other foot on the floor"
    knee = CATALOGUE.stretches["knee_to_chest"]
    assert hold_text(knee) == "Hold 30 s on each side"
    assert hold_text(CATALOGUE.stretches["cat_cow"]) == "Slow cycles for 30 s"
    # 9 stretches, 16 sides of 30 s, 15 s each to move: 12 minutes.
    assert routine_seconds(LOWER_BACK) == 16 * 45
    assert duration_text(routine_seconds(LOWER_BACK)) == "about 12 minutes"
    assert sorted(ROUTINE_ORDER) == sorted(POSITIONS)  # every position has its place in the list


def test_routines_page_speaks_to_a_person():
    at = AppTest.from_file(str(PAGES / "routines.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    heads = [s.value for s in at.subheader]
    assert "Lower back - about 12 minutes" in heads and "Knee to chest" in heads
    # A picture for every stretch (and every routine step).
    n_steps = sum(len(r.steps) for r in CATALOGUE.routines.values())
    assert len(at.get("image")) == n_steps + len(CATALOGUE.stretches)
    shown = " ".join(str(e.value) for e in (*at.markdown, *at.subheader, *at.caption))
    assert "Hold 30 s on each side" in shown
    assert not re.search(r"\{side\}|\{other\}|knee_to_chest|30\.0|`", shown)
    # Every stretch in the order a floor routine moves through the positions.
    by_name = {st.name: st for st in CATALOGUE.stretches.values()}
    listed = [ROUTINE_ORDER.index(by_name[h].position) for h in heads if h in by_name]
    assert len(listed) == len(by_name) and listed == sorted(listed)
    assert [h for h in heads if h in by_name][0] == "Cat-cow"
    # The legend says what the colours mean, and which side a one-sided picture shows.
    assert picture_legend(CATALOGUE.stretches["knee_to_chest"]).startswith(
        "Drawn stretching the left side")
    assert "Green: the limbs the coach checks" in picture_legend(CATALOGUE.stretches["cat_cow"])
    # The raw ranges are there, behind one switch, for whoever tunes them: off by default.
    assert not at.table
    at.toggle[0].set_value(True).run()
    assert not at.exception, at.exception
    assert len(at.table) == len(CATALOGUE.stretches)
    ranges = at.table[0].value
    assert {"angle", "from", "to", "cue", "in the TOML"} <= set(ranges.columns)


def test_completion_note_names_a_complete_video_analysis(db):
    with open_store(db) as store:
        sid = store.start_session("video", "/clips/A03.mp4", None, "full", 30.0, (640, 480),
                                  started_at=0.0)
        store.end_session(sid, 1.0)
        info = store.session(sid)
    assert completion_note(info, 91) == "Complete analysis of A03.mp4: all 91 frames (0 s) checked."


def test_no_empty_charts_for_a_stretch_never_measured():
    """A session where nobody was in view (or the stretch never reached): no chart of empty
    axes, which reads as a broken page; the Review page says why there is nothing instead."""
    from pose.track import TrackBuilder

    builder = TrackBuilder((640, 480), 30.0)
    for i in range(60):
        builder.add(i / 30.0, None)
    track = builder.build()
    stretch = CATALOGUE.stretches["knee_to_chest"]
    assert angle_charts(track, stretch, "left", (), stretch_window(track, stretch.id, "left",
                                                                    [])) == []
