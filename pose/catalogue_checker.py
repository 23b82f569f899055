"""``CatalogueChecker``: several stretches checked at once over a recording, with no coach.

The checker an analysed video file (or a trace) runs with, behind the same interface as the live
``Coach`` (``pose.pipeline.Checker``). With a stretch named, only that stretch is checked (its
side found frame by frame). With a routine, its stretches are. Otherwise (auto mode) every
catalogue stretch is checked at once and overlapping claims on the same stretch of time are
settled: the more specific stretch (more criteria met) wins, then the longer hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pose.block_checks import BlockJudgement, judge_blocks
from pose.checks import Position
from pose.coach import StretchChecker, usable
from pose.events import Event
from pose.hold import Hold
from pose.landmarks import PoseFrame
from pose.report import StretchResult
from pose.stretches import Catalogue, Limit, Routine, Stretch

MODES = ("auto", "routine", "stretch")

NEAR_HOLD_S = 2.0
"""Auto mode keeps a stretch's events, bounces and over-range moments this close to its holds."""


class CatalogueChecker:
    """Every stretch of a plan checked on every frame; see the module docstring.

    Args:
        plan: (stretch, target hold in seconds) pairs, each checked on whichever side is seen.
        mode: "auto" settles overlapping holds; "routine" keeps only ``sides`` (the routine's);
            "stretch" keeps all.
        sides: for "routine", the (stretch id, side) pairs the routine asks for.
        personal_limits: over-range limits from a profile, by stretch id.
    """

    def __init__(self, plan: Sequence[tuple[Stretch, float]], mode: str = "auto",
                 routine: str | None = None, sides: set[tuple[str, str]] | None = None,
                 personal_limits: Mapping[str, Sequence[Limit]] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        personal = personal_limits or {}
        self.mode = mode
        self.routine_id = routine
        self.sides = sides
        self.checkers = [StretchChecker(s, hold, extra_limits=personal.get(s.id, ()))
                         for s, hold in plan]
        self.active = True
        self._results: list[StretchResult] | None = None
        self.max_times = 4096
        """Times kept for the checkers left behind before the unneeded ones are dropped."""
        self._times: list[float] = []
        """Times of the frames seen since the last checker caught up (``_catch_up``)."""
        self._behind: dict[int, int] = {}
        """Idle checkers left behind: index -> first of their frames in ``_times`` not
        shown to them yet, all out of position (see ``update``)."""

    @classmethod
    def for_catalogue(cls, catalogue: Catalogue, routine: Routine | None = None,
                      stretch: str | None = None,
                      personal_limits: Mapping[str, Sequence[Limit]] | None = None
                      ) -> CatalogueChecker:
        """One stretch (``stretch``), a routine's stretches, or else auto mode (``stretch``
        None or "auto"). Raises ``RoutineError`` for an unknown stretch."""
        if stretch not in (None, "auto"):
            s = catalogue.stretch(stretch)
            return cls([(s, s.hold_s)], "stretch", routine.id if routine else None,
                       personal_limits=personal_limits)
        if routine is not None:
            plan = list(dict.fromkeys((st.stretch, st.hold_s) for st in routine.steps))
            wanted = {(st.stretch.id, side) for st in routine.steps for side in st.sides}
            return cls(plan, "routine", routine.id, wanted, personal_limits)
        return cls([(s, s.hold_s) for s in catalogue.stretches.values()], "auto",
                   personal_limits=personal_limits)

    # -- the pipeline's checker interface ----------------------------------------------------

    def screen(self, angles: Mapping[str, np.ndarray], visibility: np.ndarray) -> Screening:
        """Every stretch judged on N frames at once (``pose.block_checks.judge_blocks``):
        ``angles`` name -> (N,) degrees, ``visibility`` (N, 33). Frame i's row is handed to
        ``update`` with frame i."""
        return Screening(judge_blocks([(c.stretch, c.extra_limits) for c in self.checkers],
                                      angles, visibility))

    def update(self, t_s: float, pose: PoseFrame | None, angles: Mapping[str, float],
               hint: object = None) -> tuple[Position | None, list[Event]]:
        """Each checker follows the frame. With the frame's row of ``screen`` (``hint``), each
        reads its verdict from there instead of judging the frame. An idle checker in a frame
        without a usable pose, or whose verdict cannot move it (``BlockJudgement.moves``), is
        left behind instead (it stays idle, only time moves on for it:
        ``StretchChecker.out_of_position``) and made to catch up, exactly, before it next
        follows a frame or is asked anything."""
        events: list[Event] = []
        behind = self._behind
        if not behind:
            self._times.clear()
        elif len(self._times) > self.max_times:
            self._trim()
        self._times.append(t_s)
        n = len(self._times) - 1
        posed = usable(pose)
        row = hint if isinstance(hint, ScreenedFrame) and posed else None
        for k, checker in enumerate(self.checkers):
            if not posed or (row is not None and not row.moves[k]):
                if k in behind:
                    continue
                if checker.idle:
                    behind[k] = n
                    continue
            elif k in behind:
                self._catch_up(k, n)
            if row is None:
                events.extend(checker.observe(t_s, pose, angles)[1])
            else:
                assert pose is not None
                verdict = row.judgements[k].verdict(row.i, angles, pose.visibility)
                events.extend(checker.update_judged(t_s, verdict, angles, pose.visibility))
        return None, events

    def _catch_up(self, k: int, end: int | None = None) -> None:
        """``out_of_position`` for checker ``k`` over its frames left behind (up to ``end``):
        for an idle checker only its last frame matters, and the frame before it that set the
        frame interval its bounce detectors keep (``StretchChecker.out_of_position``)."""
        start = self._behind.pop(k)
        times = self._times[start:end]
        if not times:
            return
        # The last rise in time decides the frame interval; from the frame before it on, the
        # calls give the same state as all of them.
        first = 0
        for i in range(len(times) - 1, 0, -1):
            if times[i] > times[i - 1]:
                first = i - 1
                break
        for t in times[first:]:
            self.checkers[k].out_of_position(t)

    def _trim(self) -> None:
        """Forget the times no checker left behind needs (a stretch never in reach all
        session would keep every frame's): from the frame before the last rise in time on,
        catching up gives the same state (``_catch_up``)."""
        times = self._times
        rise = next((i for i in range(len(times) - 1, 0, -1) if times[i] > times[i - 1]), 0)
        cut = max(rise - 1, 0)
        if cut:
            del times[:cut]
            for k, start in self._behind.items():
                self._behind[k] = max(start - cut, 0)

    def _catch_up_all(self) -> None:
        for k in list(self._behind):
            self._catch_up(k)

    def control(self, action: str, t_s: float, value: float | None = None) -> list[Event]:
        raise ValueError(f"{action!r}: a recording checked without a coach takes no actions")

    def drop_out(self, t_s: float) -> list[Event]:
        self._catch_up_all()
        return [e for checker in self.checkers for e in checker.drop_out(t_s)]

    def finish(self, t_s: float) -> list[Event]:
        self._catch_up_all()
        return [e for checker in self.checkers for e in checker.finish(t_s)]

    def results(self) -> list[StretchResult]:
        """Per stretch and side; in auto mode only the stretches that explain some hold."""
        if self._results is None:
            self._catch_up_all()
            results = [r for c in self.checkers for r in c.results()]
            if self.mode == "auto":
                results = _settle(results)
            elif self.mode == "routine" and self.sides is not None:
                results = [r for r in results if (r.stretch.id, r.side) in self.sides]
            self._results = results
        return self._results

    def declined(self) -> list[dict[str, object]]:
        """Stretches taken as far as the view lets them be judged, whose deciding criteria it
        cannot judge (``StretchChecker.declined``): in auto mode never claimed, and said so."""
        self._catch_up_all()
        return [d for c in self.checkers for d in c.declined()]

    def report_events(self, events: Sequence[Event]) -> list[Event]:
        """The session's events for the report: in time order; in auto mode only those of the
        stretches kept, near their holds."""
        ordered = sorted(events, key=lambda e: e.t_s)
        if self.mode != "auto":
            return ordered
        keep: dict[tuple[str, str | None], StretchResult] = {
            (r.stretch.id, r.side): r for r in self.results()}

        def relevant(e: Event) -> bool:
            if e.stretch is None:
                return True
            r = keep.get((e.stretch, e.side))
            return r is not None and _near(r.record.holds, e.t_s)

        return [e for e in ordered if relevant(e)]


class Screening:
    """``CatalogueChecker.screen`` of N frames: per stretch, its ``BlockJudgement``; indexed
    by frame, that frame's ``ScreenedFrame``."""

    def __init__(self, judgements: list[BlockJudgement]) -> None:
        self.judgements = judgements
        self._moves = np.stack([j.moves for j in judgements], axis=1).tolist()

    def __len__(self) -> int:
        return len(self._moves)

    def __getitem__(self, i: int) -> ScreenedFrame:
        return ScreenedFrame(self.judgements, i, self._moves[i])


@dataclass(frozen=True)
class ScreenedFrame:
    """Frame ``i`` of a ``Screening``: ``moves[k]`` says whether stretch k's verdict there
    can change an idle checker (``BlockJudgement.moves``)."""

    judgements: list[BlockJudgement]
    i: int
    moves: list[bool]


def _near(holds: Sequence[Hold], t_s: float) -> bool:
    return any(h.start_s - NEAR_HOLD_S <= t_s <= h.end_s + NEAR_HOLD_S for h in holds)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _settle(results: list[StretchResult]) -> list[StretchResult]:
    """Auto mode: keep, for each stretch of time, the stretch that explains it best."""
    claims = [(len(r.stretch.criteria), h.duration_s, n, h)
              for n, r in enumerate(results) for h in r.record.holds]
    claims.sort(key=lambda c: (-c[0], -c[1]))
    kept: list[tuple[int, Hold]] = []
    for _, _, n, h in claims:
        clash = sum(_overlap(h.start_s, h.end_s, k.start_s, k.end_s)
                    for m, k in kept if m != n)
        if clash <= 0.5 * max(h.duration_s, 1e-6):
            kept.append((n, h))
    winners = []
    for n, r in enumerate(results):
        holds = [h for m, h in kept if m == n]
        if not holds:
            continue
        r.record.holds = sorted(holds, key=lambda h: h.start_s)
        r.record.bounces = [b for b in r.record.bounces if _near(holds, b.t_s)]
        r.record.over_range = [o for o in r.record.over_range
                               if _near(holds, float(o["t_s"]))]
        winners.append(r)
    return winners
