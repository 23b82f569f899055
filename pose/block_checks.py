"""The position checks of a block of frames at once: ``pose.checks.judge_frame`` vectorised.

The batch entries of the one loop (``pose.pipeline``: a trace, an analysed file, a stored
session) know a block of frames' angles before any frame is checked. ``judge_block`` works out,
for one stretch, what ``judge_frame`` (side found frame by frame) and ``evaluate`` (per side)
would say of every frame of the block, in a few numpy operations per stretch and side; the
per-frame state machine (``pose.coach.StretchChecker``) then reads each frame's ``Verdict``
instead of judging the frame itself. A verdict carries what the state machine reads every
frame (side, status, criteria met, whether a limit is passed, whether only the camera view
keeps it unknown); the rest of the ``Position`` (every criterion's reading and cue) is built
by the per-frame ``evaluate`` itself, and only when asked for. ``tests/test_block_checks.py``
proves the verdicts equal to ``judge_frame``'s on real traces, every stretch, every frame.

Pure: numpy only, no state, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pose.angles import REQUIRED_LANDMARKS, SIDE_TILTS
from pose.checks import (
    CLEAR_VISIBILITY,
    IN_FORM,
    NEARLY,
    OUT_OF_FORM,
    OVER_RANGE,
    UNKNOWN,
    CriterionResult,
    OverRange,
    Position,
    criterion_plan,
    evaluate,
)
from pose.stretches import SIDES, Limit, Stretch, resolve

#: Status codes, in ``judge_frame``'s order of preference (best first): the code of a status
#: is its rank, so the side ``judge_frame`` keeps is the one with the smallest (code, -met).
STATUSES = (IN_FORM, OVER_RANGE, NEARLY, UNKNOWN, OUT_OF_FORM)
_IN_FORM, _OVER_RANGE, _NEARLY, _UNKNOWN, _OUT_OF_FORM = range(len(STATUSES))
_STATUS_NAMES = np.array(STATUSES, dtype=object)

MIN_VISIBILITY = 0.5
"""A landmark at least this visible is in view (``pose.checks.unseen_part``'s default)."""


class Verdict:
    """One frame's verdict on one stretch, as ``judge_frame`` gives it, read from a block.

    ``side``, ``status`` and ``met`` are those of ``judge_frame``'s ``Position``; ``over`` says
    whether an over-range limit is passed (``Position.over_range`` not empty) and ``blocked``
    is ``pose.checks.blocked_by_view`` of it. ``position`` (and ``criteria``, ``over_range``,
    ``cue``, ``unseen`` like a ``Position``'s) is built on first use by ``evaluate`` on the
    frame's own angles: the very function the per-frame path calls.
    """

    __slots__ = ("side", "status", "met", "over", "blocked", "_block", "_i", "_frame",
                 "_position")

    def __init__(self, block: BlockJudgement, i: int, k: int, angles: Mapping[str, float],
                 visibility: np.ndarray | None) -> None:
        self.side = block.sides[k]
        self.status = block.status[k][i]
        self.met = block.met[k][i]
        self.over = block.over[k][i]
        self.blocked = block.blocked[k][i]
        self._block, self._i = block, i
        self._frame = (angles, visibility)
        self._position: Position | None = None

    def seen_clearly(self, angle: str) -> bool:
        """``pose.checks.seen_clearly`` of one of the stretch's working angles here."""
        return self._block.clear[angle][self._i]

    def on_side(self, side: str) -> Verdict:
        """This frame's verdict on ``side``: ``evaluate``'s, not ``judge_frame``'s."""
        return Verdict(self._block, self._i, self._block.sides.index(side), *self._frame)

    @property
    def position(self) -> Position:
        if self._position is None:
            angles, visibility = self._frame
            self._position = evaluate(self._block.stretch, self.side, angles, visibility,
                                      self._block.extra_limits)
        return self._position

    @property
    def criteria(self) -> tuple[CriterionResult, ...]:
        return self.position.criteria

    @property
    def over_range(self) -> tuple[OverRange, ...]:
        return self.position.over_range if self.over else ()

    @property
    def cue(self) -> str:
        return self.position.cue

    @property
    def unseen(self) -> tuple[str, ...]:
        return self.position.unseen

    def __eq__(self, other: object) -> bool:
        """Equal to the ``Position`` it stands for (and to a verdict standing for it)."""
        if isinstance(other, Verdict):
            other = other.position
        return self.position == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Verdict({self.side!r}, {self.status!r}, met={self.met})"


@dataclass(frozen=True)
class BlockJudgement:
    """``judge_frame`` and ``evaluate`` of one stretch over a block of N frames.

    ``sides`` are the sides evaluated: ("both",) for a stretch done on both sides at once,
    else ("left", "right"). Per side (outer lists, in ``sides`` order) and frame (inner lists,
    Python objects: the state machine reads them one by one): ``status`` (a status name of
    ``pose.checks``), ``met`` (criteria met), ``over`` (a limit passed), ``blocked`` (unknown
    only because of the camera view). ``pick`` (N,) is the index into ``sides`` of the side
    ``judge_frame`` (side not given) keeps; ``moves`` (N,) bool array says where that verdict
    can change an idle ``StretchChecker`` (elsewhere it is out of form, or unknown with no
    criterion met: ``StretchChecker.out_of_position`` does the same). ``clear`` maps each
    working angle (``Stretch.working_angles`` on either side) to (N,) flags: every landmark
    group it is measured on clearly seen (``pose.checks.seen_clearly``).
    """

    stretch: Stretch
    extra_limits: tuple[Limit, ...]
    sides: tuple[str, ...]
    status: list[list[str]]
    met: list[list[int]]
    over: list[list[bool]]
    blocked: list[list[bool]]
    pick: list[int]
    moves: np.ndarray
    clear: dict[str, list[bool]]

    def verdict(self, i: int, angles: Mapping[str, float], visibility: np.ndarray | None
                ) -> Verdict:
        """Frame ``i``'s verdict (``judge_frame``'s); ``angles`` and ``visibility`` are that
        frame's, for the ``Position`` built on demand."""
        return Verdict(self, i, self.pick[i], angles, visibility)


def judge_block(stretch: Stretch, angles: Mapping[str, np.ndarray], visibility: np.ndarray,
                extra_limits: Sequence[Limit] = ()) -> BlockJudgement:
    """``judge_frame(stretch, angles_i, visibility_i, None, extra_limits)`` for every frame i
    of a block (see ``judge_blocks``)."""
    return judge_blocks([(stretch, extra_limits)], angles, visibility)[0]


def judge_blocks(checks: Sequence[tuple[Stretch, Sequence[Limit]]],
                 angles: Mapping[str, np.ndarray], visibility: np.ndarray
                 ) -> list[BlockJudgement]:
    """``judge_block`` for several (stretch, personal limits) pairs over the same N frames.

    Args:
        angles: angle name -> (N,) values in degrees (NaN where not measured), as
            ``pose.angles.joint_angles`` gives them.
        visibility: (N, 33) landmark visibilities in [0, 1].
    """
    in_view = _Seen(visibility >= MIN_VISIBILITY)
    clear = _Seen(visibility >= CLEAR_VISIBILITY)
    return [_judge_stretch(stretch, tuple(limits), angles, in_view, clear, len(visibility))
            for stretch, limits in checks]


def _judge_stretch(stretch: Stretch, extra_limits: tuple[Limit, ...],
                   angles: Mapping[str, np.ndarray], in_view: _Seen, clear: _Seen, n: int
                   ) -> BlockJudgement:
    sides = ("both",) if stretch.sides == "both" else SIDES
    limits = tuple(stretch.limits) + extra_limits
    per_side = [_evaluate(stretch, s, angles, in_view, limits, n) for s in sides]
    codes = np.stack([p[0] for p in per_side])
    mets = np.stack([p[1] for p in per_side])
    if len(sides) == 1:
        pick = np.zeros(n, dtype=np.intp)
    else:
        candidates = _side_candidates(stretch, angles, clear, n)
        # Of both sides, the left unless the right is strictly better (``min`` keeps the first).
        right_better = (codes[1] < codes[0]) | ((codes[1] == codes[0]) & (mets[1] > mets[0]))
        pick = np.where(candidates == _EITHER, right_better.astype(np.intp), candidates)
    chosen = np.take_along_axis(codes, pick[None], axis=0)[0]
    chosen_met = np.take_along_axis(mets, pick[None], axis=0)[0]
    # Where an idle checker's update only moves time on: out of form, or unknown with nothing
    # seen met (``pose.coach.hold_form``: no hold, no speed, no bounce or range watched).
    inert = (chosen == _OUT_OF_FORM) | ((chosen == _UNKNOWN) & (chosen_met == 0))
    working = dict.fromkeys(resolve(a, s) for a in stretch.working_angles for s in SIDES)
    return BlockJudgement(
        stretch, extra_limits, sides,
        [_STATUS_NAMES[c].tolist() for c in codes], mets.tolist(),
        [p[2].tolist() for p in per_side], [p[3].tolist() for p in per_side],
        pick.tolist(), ~inert, {a: clear[a].tolist() for a in working})


# -- internals ---------------------------------------------------------------------------------

class _Seen:
    """Angle name -> (N,) bool, worked out on first use: every landmark group the angle is
    measured on has a member among ``flags`` (N, 33) (where ``pose.checks.unseen_part`` says
    "body"; ``seen_clearly`` with the clear flags)."""

    def __init__(self, flags: np.ndarray) -> None:
        self.flags = flags
        self._known: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        seen = self._known.get(name)
        if seen is None:
            seen = np.ones(len(self.flags), dtype=bool)
            for group in REQUIRED_LANDMARKS[name]:
                seen &= self.flags[:, group].any(axis=1)
            self._known[name] = seen
        return seen


def _values(angles: Mapping[str, np.ndarray], name: str, n: int) -> np.ndarray:
    v = angles.get(name)
    return np.full(n, np.nan) if v is None else np.asarray(v, dtype=np.float64)


def _over_range(limits: Sequence[Limit], side: str, angles: Mapping[str, np.ndarray],
                n: int) -> dict[str, np.ndarray]:
    """Resolved angle name -> (N,) bool: past one of ``limits`` (``checks._over_range``)."""
    out: dict[str, np.ndarray] = {}
    for limit in limits:
        sides = SIDES if (side == "both" and "{side}" in limit.angle) else (side,)
        for s in sides:
            name = resolve(limit.angle, s)
            v = limit.reading(_values(angles, name, n), s)
            past = np.zeros(n, dtype=bool)
            with np.errstate(invalid="ignore"):
                if limit.high is not None:
                    past |= v > limit.high
                if limit.low is not None:
                    past |= v < limit.low
            out[name] = out[name] | past if name in out else past
    return out


def _evaluate(stretch: Stretch, side: str, angles: Mapping[str, np.ndarray],
              in_view: _Seen, limits: Sequence[Limit], n: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``pose.checks.evaluate`` on ``side`` for N frames: (status codes, criteria met, a limit
    passed, ``blocked_by_view``), each (N,).

    Every angle a criterion reads is one row of a (rows, N) table, judged at once; a criterion
    judged on both sides at once has two rows, of which the worse seen one counts.
    """
    past_limit = _over_range(limits, side, angles, n)
    no = np.zeros(n, dtype=bool)
    rows = [(k, c, name, mirrored) for k, c in enumerate(stretch.criteria)
            for name, mirrored, _, _ in criterion_plan(c, side)]
    values = np.stack([-_values(angles, name, n) if mirrored else _values(angles, name, n)
                       for _, _, name, mirrored in rows])
    lows = np.array([-np.inf if c.low is None else c.low for _, c, _, _ in rows])[:, None]
    highs = np.array([np.inf if c.high is None else c.high for _, c, _, _ in rows])[:, None]
    seen = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        low = seen & (values < lows)
        high = seen & ~low & (values > highs)
        miss = np.where(low, lows - values, np.where(high, values - highs, 0.0))
    past = np.stack([past_limit.get(name, no) for _, _, name, _ in rows])
    view = np.stack([in_view[name] if name in SIDE_TILTS else no for _, _, name, _ in rows])
    if len(rows) > len(stretch.criteria):
        # Both sides at once: the worse seen side (by how far it misses); the first side when
        # neither is seen (``argmax`` keeps the first of equals, as ``max`` does).
        first = np.array([next(i for i, r in enumerate(rows) if r[0] == k)
                          for k in range(len(stretch.criteria))])
        second = np.array([max(i for i, r in enumerate(rows) if r[0] == k)
                           for k in range(len(stretch.criteria))])
        ranked = np.where(seen, miss, -np.inf)
        worse = (ranked[second] > ranked[first])
        seen, low, high, miss, past, view = (np.where(worse, a[second], a[first])
                                             for a in (seen, low, high, miss, past, view))
    nearly = np.array([c.nearly_deg for c in stretch.criteria])[:, None]
    required = np.array([not c.optional for c in stretch.criteria])
    failing = low | high
    close = miss <= nearly
    met_each = seen & ~failing
    met = met_each.sum(axis=0)
    failing_any = failing.any(axis=0)
    close_all = (~failing | close).all(axis=0)
    in_stretch = (~failing | past | close).all(axis=0)
    unknown_any = (~seen).any(axis=0)
    view_only = (seen | view).all(axis=0)
    unknown_required = (~seen[required]).any(axis=0)
    required_met = met_each[required].any(axis=0)
    over = np.zeros(n, dtype=bool)
    for passed in past_limit.values():
        over |= passed
    code = np.where(unknown_required, _UNKNOWN, _IN_FORM)
    code = np.where(failing_any, np.where(close_all & ~unknown_required, _NEARLY, _OUT_OF_FORM),
                    code)
    code = np.where(over & in_stretch, _OVER_RANGE, code)
    blocked = (code == _UNKNOWN) & required_met & unknown_any & view_only
    return code, met, over, blocked


_EITHER = -1
"""``_side_candidates``: both sides are candidates (``SIDES``)."""


def _side_candidates(stretch: Stretch, angles: Mapping[str, np.ndarray], clear: _Seen,
                     n: int) -> np.ndarray:
    """``pose.checks.side_candidates`` for N frames: (N,) 0 (left only), 1 (right only) or
    ``_EITHER``."""
    rule = stretch.side_by
    either = np.full(n, _EITHER, dtype=np.intp)
    if rule is None:
        return either
    if rule.positive is not None:
        v = _values(angles, rule.angle, n)
        with np.errstate(invalid="ignore"):
            decided = np.isfinite(v) & (np.abs(v) >= max(rule.threshold or 0.0, 1e-9))
            positive = SIDES.index(rule.positive)
            return np.where(decided, np.where(v > 0, positive, 1 - positive), either)
    sign = 1.0 if rule.pick == "max" else -1.0
    names = [resolve(rule.angle, s) for s in SIDES]
    left, right = (sign * _values(angles, name, n) for name in names)
    known_l, known_r = np.isfinite(left), np.isfinite(right)
    clear_l, clear_r = clear[names[0]], clear[names[1]]
    both = known_l & known_r
    # A dimly seen limb does not win against a clearly seen one.
    use_l = known_l & ~(both & ~clear_l & clear_r)
    use_r = known_r & ~(both & clear_l & ~clear_r)
    with np.errstate(invalid="ignore"):
        best = np.where(use_l & use_r, np.where(left >= right, 0, 1), np.where(use_l, 0, 1))
        value = np.where(best == 0, left, right)
        decided = use_l | use_r
        if rule.threshold is not None:
            decided &= ~(value < sign * rule.threshold)
    return np.where(decided, best, either)
