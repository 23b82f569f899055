"""The floor view of the Live page, as HTML: readable from a mat 2-3 m away.

Pure functions of a ``pose.live.LiveSnapshot``: the page only places what they return, so
the tests check sizes, words and contrast without a browser.

Type sizes follow the viewport's height (``vh``): the stretch, the cue and the seconds left
are at least 5 % of it (36 px on a 720 px-high window), with a floor in ``rem`` so zooming in
makes them larger still. Text is white on near-black (contrast 18:1, well over the 7:1 of
WCAG AAA); the phase is told by colour, by shape and by a word (``pose.draw.PHASE_STYLE``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from pose.draw import PHASE_STYLE
from pose.phases import AFTER_PAIN_CHOICES, FEELINGS, PlayerView
from pose.stretches import Routine
from pose.summary import SessionSummary, plan_of, sentences, table_rows

INK, PAPER = (255, 255, 255), (17, 17, 17)
#: Dark red of the pain button: white on it is 9.4:1.
PAIN_RED = (155, 28, 28)
#: Dark blue of the start card's START: white on it is 7.4:1.
START_BLUE = (0, 90, 140)

CSS = """
<style>
/* Room for the coach: no wasted space above the video. */
.block-container { padding-top: 4.25rem; padding-bottom: 1rem; }  /* below the 3.75rem header */
.sc-card { background: #111111; color: #ffffff; border-radius: 0.8rem; padding: 0.6rem 1rem;
           border-left: 1.1rem solid var(--sc-phase); overflow-wrap: anywhere; }
.sc-top { display: flex; align-items: center; gap: 0.6rem; flex-wrap: wrap;
          font-size: max(1.5rem, 3.6vh); font-weight: 700; }
.sc-top svg { width: 1.3em; height: 1.3em; flex: none; }
.sc-step { margin-left: auto; font-weight: 400; }
.sc-form { border: 2px solid #ffffff; border-radius: 0.4rem; padding: 0 0.4rem; }
.sc-label { font-size: max(1.75rem, 5vh); font-weight: 700; line-height: 1.15;
            margin: 0.2rem 0 0.3rem 0; }
.sc-cue { font-size: max(2.25rem, 6vh); font-weight: 800; line-height: 1.12; margin: 0.2rem 0; }
.sc-cue[data-kind="safety"] { background: #ffffff; color: #000000; padding: 0.2rem 0.5rem;
                              border-radius: 0.4rem; }
.sc-timer { display: flex; align-items: center; gap: 1.2rem; margin-top: 0.4rem; }
.sc-ring { position: relative; width: max(7rem, 19vh); height: max(7rem, 19vh); flex: none; }
.sc-ring svg { position: absolute; inset: 0; width: 100%; height: 100%; }
.sc-seconds { position: absolute; inset: 0; display: flex; align-items: center;
              justify-content: center; font-size: max(2.6rem, 8.5vh); font-weight: 800; }
.sc-sub { font-size: max(1.5rem, 3.6vh); line-height: 1.2; }
.sc-note { font-size: max(1.15rem, 2.6vh); line-height: 1.3; }
/* Big targets for a hand reaching from the floor. */
.sc-panel { display: flex; flex-direction: column; gap: 0.6rem; color: #000000; }
.sc-panel > div:empty { display: none; }
.sc-voice { display: flex; gap: 0.6rem; flex-wrap: wrap; align-items: center; }
.sc-controls { display: flex; flex-direction: column; gap: 0.6rem; }
.sc-row { display: grid; grid-template-columns: 1fr 1fr; gap: 0.6rem; }
.sc-rating { display: grid; grid-template-columns: repeat(auto-fit, minmax(2.6rem, 1fr));
             gap: 0.4rem; }
.sc-btn { min-height: max(3.2rem, 8vh); font-size: max(1.3rem, 3.2vh); font-weight: 700;
          font-family: inherit; background: #ffffff; color: #000000; cursor: pointer;
          border: 2px solid #555555; border-radius: 0.5rem; padding: 0.2rem 0.6rem;
          white-space: normal; width: 100%; }
.sc-btn:hover, .sc-btn:focus-visible { border-color: #000000; outline: 3px solid #0072b2; }
.sc-btn.sc-pain { background: #9b1c1c; color: #ffffff; border-color: #9b1c1c; }
.sc-btn.sc-pain:hover { background: #7f1616; }
.sc-btn.sc-chosen { background: #000000; color: #ffffff; }
.sc-btn.sc-start { background: #005a8c; color: #ffffff; border-color: #005a8c;  /* 7.4:1 */
                   margin-top: 0.5rem; }
.sc-btn.sc-small { min-height: 2.8rem; font-size: max(1.1rem, 2.6vh); width: auto; }
.sc-alert { border-radius: 0.5rem; padding: 0.6rem 0.9rem; font-size: max(1.1rem, 2.5vh);
            line-height: 1.35; border-left: 0.5rem solid var(--sc-alert); background: #f4f4f4; }
.sc-alert[data-kind="warning"], .sc-alert[data-kind="error"] {
            font-size: max(1.5rem, 3.6vh); font-weight: 700; line-height: 1.2; }
.sc-howto { font-size: max(1.1rem, 2.5vh); color: #000000; line-height: 1.35; }
.sc-next { font-size: 2rem; font-weight: 700; }
.sc-picture { margin: 0; }
.sc-picture img { max-width: 100%; height: auto; }
.sc-picture figcaption { font-size: max(1rem, 2.2vh); color: #333333; }
.sc-summary { font-size: 1.5rem; line-height: 1.5; }
.sc-table { border-collapse: collapse; font-size: 1.1rem; }
.sc-table th, .sc-table td { border-bottom: 1px solid #cccccc; padding: 0.3rem 0.6rem;
                             text-align: left; }
</style>
"""


def _luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255 channels)."""
    def lin(c: float) -> float:
        c = c / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def shape_svg(shape: str, colour: tuple[int, int, int]) -> str:
    """The phase's shape as a small inline SVG (the same shapes as the video's badge)."""
    fill = _hex(colour)
    shapes = {
        "circle": f'<circle cx="12" cy="12" r="8" fill="none" stroke="{fill}" stroke-width="4"/>',
        "square": f'<rect x="4" y="4" width="16" height="16" fill="none" stroke="{fill}" '
                  'stroke-width="4"/>',
        "bars": f'<rect x="4" y="3" width="5" height="18" fill="{fill}"/>'
                f'<rect x="15" y="3" width="5" height="18" fill="{fill}"/>',
        "flat": f'<rect x="2" y="9" width="20" height="6" fill="{fill}"/>',
        "diamond": f'<polygon points="12,2 22,12 12,22 2,12" fill="{fill}"/>',
        "down": f'<polygon points="2,5 22,5 12,21" fill="{fill}"/>',
        "octagon": f'<polygon points="8,2 16,2 22,8 22,16 16,22 8,22 2,16 2,8" fill="{fill}"/>',
        "star": f'<polygon points="12,2 15,9 22,9 16.5,14 18.5,21 12,17 5.5,21 7.5,14 2,9 9,9" '
                f'fill="{fill}"/>',
    }
    return (f'<svg viewBox="0 0 24 24" aria-hidden="true" data-shape="{shape}">'
            f'{shapes.get(shape, shapes["square"])}</svg>')


def ring_svg(fraction: float, colour: tuple[int, int, int]) -> str:
    """A ring filled clockwise from the top by ``fraction`` (0-1)."""
    r = 44.0
    length = 2 * math.pi * r
    done = max(0.0, min(1.0, fraction)) * length
    return ('<svg viewBox="0 0 100 100" aria-hidden="true">'
            f'<circle cx="50" cy="50" r="{r}" fill="none" stroke="#444444" stroke-width="9"/>'
            f'<circle cx="50" cy="50" r="{r}" fill="none" stroke="{_hex(colour)}" '
            f'stroke-width="9" stroke-dasharray="{done:.1f} {length:.1f}" '
            'transform="rotate(-90 50 50)" stroke-linecap="butt"/></svg>')


#: Form status as a symbol and a word (never colour alone), for the coaching phases. "unknown"
#: is "can't tell", not "can't see": it is also a person in full view in the wrong posture or
#: seen from a side that cannot judge the stretch, where "can't see" beside their skeleton
#: made the coach look blind (the cue says which: come into view, lie down, turn side-on).
FORM_MARKS = {"in_form": ("\u2714", "Good"), "nearly": ("\u25D0", "Nearly"),
              "out_of_form": ("\u2716", "Not yet"), "over_range": ("\u26A0", "Too far"),
              "unknown": ("?", "Can't tell")}


def coach_card(view: PlayerView, t_s: float = 0.0) -> str:
    """The coach card for the routine player's view (``LiveSnapshot.view``): phase (colour,
    shape, word), stretch and side, the one cue, and the hold ring with the seconds left
    (``data-testid="live-seconds"``, holds only). ``t_s`` is the frame time (s) the view stands
    at, carried as ``data-t`` so a test can match the panel with the video's time code."""
    phase = "paused" if view.paused else view.phase
    colour, shape, word = PHASE_STYLE.get(phase, PHASE_STYLE["position"])
    e = html.escape
    form = ""
    if phase in ("position", "hold", "cycles"):
        mark, words = FORM_MARKS.get(view.status, FORM_MARKS["unknown"])
        form = (f'<span class="sc-form" data-testid="live-form" data-status="{e(view.status)}">'
                f'{mark} {e(words)}</span>')
    top = (f'<div class="sc-top" data-testid="live-phase" data-phase="{e(phase)}" '
           f'data-t="{t_s:.2f}">'
           f'{shape_svg(shape, colour)}<span>{e(word)}</span>{form}'
           f'<span class="sc-step">{view.step} of {view.steps}</span></div>')
    text = f"Next: {view.label}" if view.phase == "rest" else view.label
    label = f'<div class="sc-label" data-testid="live-label">{e(text)}</div>'
    cue = (f'<div class="sc-cue" data-testid="live-cue" data-kind="{e(view.cue_kind)}" '
           f'role="status" aria-live="polite">{e(view.cue)}</div>')
    timer = ""
    if view.phase == "hold" and view.seconds_left is not None:
        fraction = view.held_s / view.target_s if view.target_s else 0.0
        timer = (f'<div class="sc-timer"><div class="sc-ring">{ring_svg(fraction, colour)}'
                 f'<div class="sc-seconds" data-testid="live-seconds">'
                 f'{view.countdown:d}</div></div>'
                 f'<div class="sc-sub">seconds left of {view.target_s:.0f}</div></div>')
    elif view.phase in ("release", "rest") and view.seconds_left is not None:
        left = view.countdown
        timer = (f'<div class="sc-timer"><div class="sc-sub" data-testid="live-rest-seconds">'
                 f'{e(word)}: {left:d} s</div></div>')
    elif view.phase == "cycles":
        fraction = view.cycles / view.cycles_target if view.cycles_target else 0.0
        timer = (f'<div class="sc-timer"><div class="sc-ring">{ring_svg(fraction, colour)}'
                 f'<div class="sc-seconds" data-testid="live-cycles">{view.cycles}</div></div>'
                 f'<div class="sc-sub">of {view.cycles_target} slow cycles</div></div>')
    return (f'<div class="sc-card" style="--sc-phase: {_hex(colour)}" '
            f'data-testid="live-card">{top}{label}{cue}{timer}</div>')


# -- the rest of the panel, as HTML ------------------------------------------------------------
# The whole coach column is one element that the page's browser side (pose.coach_component)
# draws: buttons carry a ``data-action`` that comes back like a key press (pose.pages.live).

#: Words of the choices after a pain answer (``pose.phases.AFTER_PAIN_CHOICES``).
AFTER_PAIN_WORDS = {"rest": "Rest, then try again", "skip": "Skip this stretch",
                    "end": "End for today"}
#: Border colours of the notices, by kind (the words say what they are; colour only adds).
ALERT_COLOURS = {"error": "#b00020", "warning": "#b45f06", "info": "#0072b2",
                 "success": "#1b7f3b"}


#: Positions done lying, kneeling or on all fours: a routine with one is done on a mat.
ON_THE_FLOOR = frozenset({"supine", "prone", "all_fours", "kneeling"})


def start_card(routine: Routine, voice: bool | None = None) -> str:
    """The card before START: the routine, its steps counted as the coach card counts them
    (each side of a stretch is a step of its own: "1 of 5"), where to get ready, the voice
    promised only where the browser said it has one (``voice``: True, False, or None before
    it has said), and a START as large as the coach's buttons, also the Enter key (the
    video's own is a small one; the browser side presses it, ``coach_component.js``)."""
    e = html.escape
    stretches, steps = len(routine.steps), len(plan_of(routine))
    counted = f"{steps} steps"
    if steps != stretches:
        counted += f" ({stretches} stretches, each side its own step)"
    floor = any(step.stretch.position in ON_THE_FLOOR for step in routine.steps)
    where = "get ready on your mat" if floor else "get ready where the camera sees you"
    told = {True: "I will tell you each step aloud",
            None: "I will show each step here, and say it aloud if this browser can speak",
            False: "read each step on this screen: this browser has no voice of its own"}[voice]
    first = routine.steps[0].stretch
    return (f"<div class='sc-card' style='--sc-phase:#0072b2' data-testid='live-start'>"
            f"<div class='sc-label'>{e(routine.name)}</div><div class='sc-sub'>"
            f"{e(counted)}. Press START, then {where}: {told}.</div>"
            f"<div class='sc-note'>First: {e(first.name)}. {e(first.camera)}</div>"
            + button("START (Enter)", "start", "live-start-button", "sc-start") + "</div>")


def ended_notice(finished: bool, stopped_today: bool) -> str:
    """The first line after a session: stopped for today after a pain stop (a warning, not a
    green "finished": the person is in pain), the routine finished, or STOP pressed."""
    if stopped_today:
        return alert("Stopped for today because of the pain - here is what you did before it.",
                     "warning")
    return alert("Routine finished - here is how it went." if finished
                 else "Session ended - here is how it went.", "success")


def start_again() -> str:
    """After STOP (or the routine's end), below the summary: START again, large, also Enter
    (``coach_component.js``)."""
    return button("START again (Enter)", "start", "live-again", "sc-start")


def button(label: str, action: str, testid: str, kind: str = "", key: str = "") -> str:
    """A large button whose click comes back to the page as ``action``; with ``key`` (one
    letter or digit, named in the label unless the label is that key) that key presses it
    while it is shown (``coach_component.js``)."""
    e = html.escape
    shown = label if not key or label.lower() == key else f"{label} ({key.upper()})"
    data_key = f' data-key="{e(key)}"' if key else ""
    return (f'<button type="button" class="sc-btn {e(kind)}" data-action="{e(action)}"{data_key} '
            f'data-testid="{e(testid)}">{e(shown)}</button>')


def controls(paused: bool, resting: bool = False) -> str:
    """Stop - it hurts, pause (or go on) and skip (the rest, when ``resting``:
    ``PlayerView.skip_ends_rest``); each is also a key (P, space, S)."""
    return ('<div class="sc-controls">'
            + button("Stop - it hurts (P)", "pain", "live-pain", "sc-pain")
            + '<div class="sc-row">'
            + button("Go on (space)" if paused else "Pause (space)", "toggle_pause",
                     "live-pause")
            + button("Skip rest (S)" if resting else "Skip (S)", "skip", "live-skip")
            + "</div></div>")


def pain_questions(view: PlayerView, feeling: str | None) -> str:
    """After the pain stop: what it is (``FEELINGS``), then how bad (0-10) once ``feeling`` is
    chosen; after the answer, what to do (``AFTER_PAIN_CHOICES``). Every answer is also a key,
    for a person who pressed P from the floor: the feelings and the choices 1, 2, 3 (the
    feelings' keys go once one is chosen, the digits then being the rating's), the rating its
    digit, 10 the T."""
    if view.pain_feeling is None:
        parts = ['<div class="sc-sub">What do you feel?</div>']
        # Once one is chosen only it stays, so that the whole 0-10 scale fits below it on a
        # laptop's screen (8-10, the severe end, fell below the fold).
        parts += [button(words, f"feel:{key}", f"live-feel-{key}",
                         "sc-chosen" if key == feeling else "",
                         key=str(i) if feeling is None else "")
                  for i, (key, words) in enumerate(FEELINGS.items(), start=1)
                  if feeling is None or key == feeling]
        if feeling is not None:
            parts.append('<div class="sc-sub">How strong is it? 0 is none, 10 the worst</div>'
                         '<div class="sc-rating">'
                         + "".join(button(str(n), f"rate:{n}", f"live-rate-{n}",
                                          key=str(n) if n < 10 else "t")
                                   for n in range(11))
                         + "</div>")
    else:
        parts = [button(AFTER_PAIN_WORDS[c], f"after:{c}", f"live-after-{c}", key=str(i))
                 for i, c in enumerate(AFTER_PAIN_CHOICES, start=1)]
    return '<div class="sc-controls">' + "".join(parts) + "</div>"


def alert(text: str, kind: str = "info", link: tuple[str, str] | None = None) -> str:
    """A notice (``ALERT_COLOURS`` kinds), read out by screen readers as it appears; ``link``
    (words, address in the app) follows the text."""
    after = "" if link is None else (f' <a href="{html.escape(link[1])}" target="_self">'
                                     f"{html.escape(link[0])}</a>")
    return (f'<div class="sc-alert" role="alert" data-kind="{html.escape(kind)}" '
            f'style="--sc-alert: {ALERT_COLOURS.get(kind, ALERT_COLOURS["info"])}">'
            f"{html.escape(text)}{after}</div>")


def picture(uri: str, caption: str, heading: str = "", width_px: int = 220) -> str:
    """A stretch's picture (a ``data:`` URI), with its caption and an optional heading."""
    e = html.escape
    head = f'<div class="sc-next">{e(heading)}</div>' if heading else ""
    return (f'{head}<figure class="sc-picture" data-testid="live-picture">'
            f'<img src="{e(uri)}" alt="{e(caption)}" width="{width_px}">'
            f"<figcaption>{e(caption)}</figcaption></figure>")


def voice_row(voice_on: bool, voice: bool | None = None) -> str:
    """The voice switch and full screen (also keys: F). No switch where the browser said it
    has no voice of its own (``voice`` False): "Voice: on" stood beside the note that the
    coach stays silent."""
    switch = "" if voice is False else button(
        "Voice: on - turn it off" if voice_on else "Voice: off - turn it on", "voice",
        "live-voice", "sc-small")
    return ('<div class="sc-voice">' + switch
            + button("Full screen (F)", "fullscreen", "live-fullscreen", "sc-small")
            + "</div>")


def camera_notes(problems: Sequence[str], cue: str) -> list[str]:
    """What the camera cannot see (``LiveSnapshot.camera``) as warnings, in type read from the
    mat; the one the card's ``cue`` already says is not said again below it."""
    return [alert(problem, "warning") for problem in problems if problem != cue]


#: Fewer processed frames a second than this and bouncing can go unseen: the checks are
#: proven from 5 fps up (bouncing at 1-2 Hz and the real clips kept one frame in five,
#: ``tests/test_ballistic.py``, ``tests/test_realclips.py``). It was 10, which a loaded
#: computer crossed back and forth while holds were timed well, so the page said it could not
#: time holds while it did.
SLOW_FPS = 5.0


def computer_notes(frames: int, fps: float, busy: bool, fast_model: bool) -> list[str]:
    """What the picture rate means for the coaching (``LiveSnapshot`` frames, fps, busy).

    Under ``SLOW_FPS`` pictures checked a second, bouncing can go unseen; who is to blame
    comes from the frames really skipped (``busy``: ``pose.live.BUSY_SKIPPED_SHARE`` of them
    lately): skipping, the computer is too slow (the fast pose model offered unless
    ``fast_model``); not skipping, too few pictures arrive, and a faster model would change
    nothing: the camera sends few (dim light slows most webcams down) or a busy computer loses
    them before they reach the coach, which cannot tell which. At a usable rate, a busy
    computer gets the plain line that frames are skipped.
    """
    if frames > 30 and fps < SLOW_FPS:
        rate = f"{math.floor(fps * 10) / 10:.1f}"  # 4.97 is 4.9, never the 5 it falls short of
        if not busy:
            return [alert(f"Only {rate} pictures a second arrive from the camera; below "
                          f"{SLOW_FPS:.0f}, bouncing can go unseen. More light helps in a dim "
                          "room (most webcams slow down in the dark), and so does closing "
                          "other programs.", "warning")]
        notes = [alert(f"This computer checks only {rate} pictures a second; below "
                       f"{SLOW_FPS:.0f}, bouncing can go unseen.", "warning")]
        if not fast_model:
            notes.append(button("Use the fast pose model", "fast", "live-fast", "sc-small"))
        return notes
    if busy:
        return [alert("Your computer is busy: some frames are skipped.", "info")]
    return []


def howto(camera: str, instructions: str, phase: str) -> str:
    """The camera advice (getting into position and resting) and, while getting into
    position, how to do the stretch (folded)."""
    parts = []
    if phase in ("position", "rest") and camera:
        # The catalogue's advice starts "Camera at ...": "Camera: Camera at" said it twice.
        label = "" if camera.lower().startswith("camera") else "<b>Camera:</b> "
        parts.append(f'<div class="sc-howto">{label}{html.escape(camera)}</div>')
    if phase == "position" and instructions:
        parts.append(f'<details class="sc-howto"><summary>How to do it</summary>'
                     f"{html.escape(instructions)}</details>")
    return "".join(parts)


def summary(result: SessionSummary) -> str:
    """"x of y done", one sentence per stretch in large type, then the table of every side
    (the Live page's end; Review shows the same with Streamlit's table)."""
    e = html.escape
    if not result.rows:
        return '<div class="sc-summary">No stretch was held in this session.</div>'
    rows = table_rows(result)
    head = "".join(f"<th>{e(k)}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row.values()) + "</tr>"
                   for row in rows)
    return (f'<div class="sc-next">How it went: {e(result.headline)}</div>'
            "<ul data-testid='session-sentences' class='sc-summary'>"
            + "".join(f"<li>{e(line)}</li>" for line in sentences(result))
            + f'</ul><table class="sc-table" data-testid="live-summary-table"><thead><tr>{head}'
            f"</tr></thead><tbody>{body}</tbody></table>")
