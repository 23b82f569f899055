"""The floor view of the Live page, as HTML: readable from a mat 2-3 m away.

Pure functions of a ``pose.live.LiveSnapshot``: the page only places what they return, so
the tests check sizes, words and contrast without a browser.

Type sizes follow the viewport's height (``vh``): the cue and the seconds left are at least
5 % of it (36 px on a 720 px-high window), with a floor in ``rem`` so zooming in makes them
larger still. Text is white on near-black (contrast 18:1, well over the 7:1 of WCAG AAA); the
phase is told by colour, by shape and by a word (``pose.draw.PHASE_STYLE``).
"""

from __future__ import annotations

import html
import math

from pose.draw import PHASE_STYLE
from pose.phases import PlayerView

INK, PAPER = (255, 255, 255), (17, 17, 17)
#: Dark red of the pain button: white on it is 9.4:1.
PAIN_RED = (155, 28, 28)

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
.sc-label { font-size: max(1.75rem, 4.6vh); font-weight: 700; line-height: 1.15;
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
div[class*="st-key-sc-"] button { min-height: max(3.2rem, 8vh); }
div[class*="st-key-sc-"] button p { font-size: max(1.3rem, 3.2vh); font-weight: 700;
                                    white-space: normal; }
div.st-key-sc-pain button { background: #9b1c1c; color: #ffffff; border-color: #9b1c1c; }
div.st-key-sc-pain button:hover { background: #7f1616; color: #ffffff; }
.sc-howto { font-size: max(1.1rem, 2.5vh); color: #000000; line-height: 1.35; }
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


#: Form status as a symbol and a word (never colour alone), for the coaching phases.
FORM_MARKS = {"in_form": ("\u2714", "Good"), "nearly": ("\u25D0", "Nearly"),
              "out_of_form": ("\u2716", "Not yet"), "over_range": ("\u26A0", "Too far"),
              "unknown": ("?", "Can't see")}


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
                 f'{math.ceil(view.seconds_left - 1e-6):d}</div></div>'
                 f'<div class="sc-sub">seconds left of {view.target_s:.0f}</div></div>')
    elif view.phase in ("release", "rest") and view.seconds_left is not None:
        left = math.ceil(view.seconds_left - 1e-6)
        timer = (f'<div class="sc-timer"><div class="sc-sub" data-testid="live-rest-seconds">'
                 f'{e(word)}: {left:d} s</div></div>')
    elif view.phase == "cycles":
        fraction = view.cycles / view.cycles_target if view.cycles_target else 0.0
        timer = (f'<div class="sc-timer"><div class="sc-ring">{ring_svg(fraction, colour)}'
                 f'<div class="sc-seconds" data-testid="live-cycles">{view.cycles}</div></div>'
                 f'<div class="sc-sub">of {view.cycles_target} slow cycles</div></div>')
    return (f'<div class="sc-card" style="--sc-phase: {_hex(colour)}" '
            f'data-testid="live-card">{top}{label}{cue}{timer}</div>')
