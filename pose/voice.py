"""What the voice says, and in which order: a queue of utterances with priorities.

The ``Announcer`` turns what the routine player shows (``pose.phases.PlayerView``) and the
events of each frame into utterances: the stretch and side, the posture cue, the fine cues,
10 / 5 / 3-2-1 s left, release, rest, what comes next, and safety warnings. Each gets a
priority, an id that only grows (so the browser, which keeps the queue, knows what is new after
any number of page reruns) and a time to live (a countdown said late is wrong: it is dropped).

The browser plays them one at a time (``pose/coach_component.js``): a safety warning cuts off
whatever is being said, a transition or a countdown number cuts off a coaching cue (a long cue
must not hold back "Release slowly" or "3" past its time), everything else waits its turn,
highest priority first, oldest first.
``play_order`` is the same rule in Python, for the tests and for reading. Nothing is said again
within ``repeat_s`` seconds.

Pure Python on frame time: no Streamlit, no browser.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pose.events import Event
from pose.phases import (
    CYCLES,
    FINISHED,
    HOLD,
    PAIN,
    POSITION,
    RELEASE,
    REST,
    SAFETY_EVENTS,
    STOPPED_TODAY,
    PlayerView,
    countdown,
    step_label,
)

#: Priorities, highest first. SAFETY interrupts anything else; COUNTDOWN and TRANSITION
#: interrupt a CUE; the others wait their turn. A countdown number goes before a waiting
#: announcement: said late it would be wrong, while "Hold for 5 seconds" behind "3" is merely
#: late (and dropped once its time to live is over) - so a short hold that starts while its
#: stretch is being announced still gets its whole countdown.
SAFETY, COUNTDOWN, TRANSITION, CUE = 4, 3, 2, 1
#: Seconds left in a hold that are said aloud.
COUNTDOWN_AT = (10, 5, 3, 2, 1)
#: Speaking rate assumed when keeping a cue clear of the countdown (characters a second; the
#: Web Speech API's default voices say about 14-16 at rate 0.95).
CHARS_PER_S = 14.0


@dataclass(frozen=True)
class Utterance:
    id: int
    text: str
    priority: int
    t_s: float
    """Frame time it was queued at (s)."""
    ttl_s: float
    """Dropped unless it starts within this many seconds of being queued."""

    @property
    def interrupt(self) -> bool:
        return self.priority >= SAFETY

    @property
    def cuts_below(self) -> int:
        """It cuts off an utterance being said whose priority is below this: a safety warning
        anything but another warning, a transition or a countdown number a coaching cue."""
        return SAFETY if self.interrupt else (CUE + 1 if self.priority > CUE else 0)

    def cuts_off(self, other: Utterance) -> bool:
        return other.priority < self.cuts_below

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "text": self.text, "priority": self.priority,
                "ttl_ms": round(self.ttl_s * 1000), "interrupt": self.interrupt,
                "cuts_below": self.cuts_below}


class Announcer:
    """Utterances from successive views of the routine player.

    Args:
        repeat_s: the same sentence is not said again within this time (s).
        keep: how many recent utterances ``recent`` keeps for the page.
    """

    def __init__(self, repeat_s: float = 5.0, keep: int = 40, settle_s: float = 1.0) -> None:
        self.repeat_s = repeat_s
        self.settle_s = settle_s
        self._cue: tuple[str, float] = ("", 0.0)  # the cue shown, since when
        self._said: dict[str, float] = {}
        self._next_id = 1
        self._previous: PlayerView | None = None
        self.recent: deque[Utterance] = deque(maxlen=keep)

    def update(self, t_s: float, view: PlayerView, events: Iterable[Event] = ()) -> list[Utterance]:
        """Everything to say after this frame, in the order it was decided."""
        prev, self._previous = self._previous, view
        out: list[Utterance] = []
        for e in events:
            if e.kind in SAFETY_EVENTS and e.message:
                self._say(out, t_s, e.message, SAFETY, ttl_s=4.0)
        for text, priority, ttl in _transitions(prev, view):
            self._say(out, t_s, text, priority, ttl)
            if view.cue and text.endswith(view.cue):
                self._said[view.cue] = t_s  # the posture cue went with the announcement
        if view.phase == HOLD and not view.paused and view.seconds_left is not None:
            before = prev.seconds_left if (prev is not None and prev.phase == HOLD
                                           and prev.stretch == view.stretch
                                           and prev.seconds_left is not None) else view.target_s
            # Said once, as the countdown passes k (ceil: "3" while 2.x s are left); when
            # frames come slowly and several marks pass at once, only the last one counts.
            passed = [k for k in COUNTDOWN_AT
                      if countdown(before) > k >= countdown(view.seconds_left)]
            if passed and view.seconds_left > 0:
                k = min(passed)
                self._say(out, t_s, f"{k} seconds left" if k >= 5 else str(k), COUNTDOWN,
                          ttl_s=1.2, force=True)
        if view.cue != self._cue[0]:
            self._cue = (view.cue, t_s)
        if view.phase in (POSITION, HOLD, CYCLES) and not view.paused and \
                view.cue_kind in ("posture", "form") and self._cue_settled(t_s, view):
            self._say(out, t_s, view.cue, CUE, ttl_s=3.0)
        if view.phase == CYCLES and prev is not None and view.cycles > prev.cycles:
            self._say(out, t_s, f"{view.cycles} of {view.cycles_target}", CUE, ttl_s=2.0)
        return out

    def _cue_settled(self, t_s: float, view: PlayerView) -> bool:
        """A cue is said once it has stood for ``settle_s`` (a cue that flickers by as the
        person moves is not worth a sentence), and, in a hold, only if it ends a second before
        the countdown's next number (which must not wait behind it)."""
        if t_s - self._cue[1] < self.settle_s:
            return False
        if view.phase == HOLD and view.seconds_left is not None:
            mark = max((k for k in COUNTDOWN_AT if k < view.seconds_left), default=0)
            return view.seconds_left - len(view.cue) / CHARS_PER_S - 1.0 > mark
        return True

    def _say(self, out: list[Utterance], t_s: float, text: str, priority: int, ttl_s: float,
             force: bool = False) -> None:
        last = self._said.get(text)
        if not force and last is not None and t_s - last < self.repeat_s:
            return
        self._said[text] = t_s
        u = Utterance(self._next_id, text, priority, t_s, ttl_s)
        self._next_id += 1
        out.append(u)
        self.recent.append(u)


def _transitions(prev: PlayerView | None, view: PlayerView) -> list[tuple[str, int, float]]:
    """(text, priority, ttl) for what changed between two views."""
    out: list[tuple[str, int, float]] = []
    if prev is not None and prev.paused != view.paused:
        out.append(("Paused" if view.paused else "Going on", TRANSITION, 6.0))
    if prev is not None and prev.phase == view.phase and prev.stretch == view.stretch and \
            prev.step == view.step:
        return out
    name = step_label(view.stretch_name, view.side)
    if view.phase == POSITION:
        # The stretch and side first, then how to get there: "Knee to chest, left side. Lie
        # on your back."
        lead = f"{name}. " if prev is None or prev.step != view.step or prev.phase != POSITION \
            else ""
        posture = view.cue if view.cue_kind == "posture" else ""
        out.append((f"{lead}{posture}".strip(), TRANSITION, 8.0))
    elif view.phase == HOLD:
        # Said late (behind a cue still being spoken) the number would be wrong: let it go
        # after a third of the hold.
        out.append((f"Hold for {view.target_s:.0f} seconds", TRANSITION,
                    max(2.0, 0.3 * view.target_s)))
    elif view.phase == CYCLES:
        out.append((f"Now {view.cycles_target} slow cycles, with your breath", TRANSITION, 4.0))
    elif view.phase == RELEASE:
        out.append(("Release slowly", TRANSITION, 4.0))
    elif view.phase == REST:
        move = " Then move the camera." if view.camera_moves else ""
        out.append((f"Rest. Next: {view.next_label}.{move}", TRANSITION, 8.0))
    elif view.phase == FINISHED:
        out.append(("Routine finished. Well done.", TRANSITION, 10.0))
    elif view.phase == PAIN:
        out.append(("Stopped. Rest now. Tell me on the screen what you feel.", SAFETY, 6.0))
    elif view.phase == STOPPED_TODAY:
        out.append(("Please stop stretching for today, and talk to your doctor or "
                    "physiotherapist before you stretch again.", SAFETY, 10.0))
    return out


def play_order(queued: Sequence[tuple[float, Utterance]], durations: dict[int, float]
               ) -> list[tuple[int, float, float, str]]:
    """How the browser plays ``queued`` ((time queued, utterance), in time order) when each
    utterance takes ``durations[id]`` seconds: [(id, start, end, "spoken" | "interrupted" |
    "dropped")]. An utterance cuts off the one being said when ``Utterance.cuts_off`` says so
    (safety a non-safety one, a transition or countdown a cue); the rest wait, highest
    priority first, then oldest; one that cannot start within its ttl is dropped."""
    log: list[tuple[int, float, float, str]] = []
    waiting: list[tuple[float, Utterance]] = []
    now, speaking = 0.0, None  # speaking: (utterance, start, end)
    events = sorted(queued, key=lambda q: (q[0], q[1].id))
    i = 0
    while i < len(events) or waiting or speaking:
        next_arrival = events[i][0] if i < len(events) else math.inf
        next_end = speaking[2] if speaking else math.inf
        if next_arrival <= next_end and i < len(events):
            now = next_arrival
            t, u = events[i]
            i += 1
            if speaking and u.cuts_off(speaking[0]):
                log.append((speaking[0].id, speaking[1], now, "interrupted"))
                speaking = None
            waiting.append((t, u))
        elif speaking:
            now = next_end
            log.append((speaking[0].id, speaking[1], now, "spoken"))
            speaking = None
        if speaking is None and waiting:
            waiting.sort(key=lambda q: (-q[1].priority, q[1].id))
            while waiting:
                t, u = waiting.pop(0)
                if now - t > u.ttl_s:
                    log.append((u.id, now, now, "dropped"))
                    continue
                speaking = (u, now, now + durations[u.id])
                break
    return log
