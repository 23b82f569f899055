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
    over_range,
)
from pose.stretches import SIDES, Criterion, Limit, Stretch, resolve

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
    is ``pose.checks.blocked_by_view`` of it. ``position`` (and ``criteria``, ``cue``,
    ``unseen`` like a ``Position``'s) is built on first use by ``evaluate`` on the frame's own
    angles: the very function the per-frame path calls. ``over_range``, read on every frame a
    limit is passed, is worked out alone by ``pose.checks.over_range``, which ``evaluate``
    calls for it.
    """

    __slots__ = ("side", "status", "met", "over", "blocked", "_block", "_i", "_frame",
                 "_position", "_over_range")

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
        self._over_range: tuple[OverRange, ...] | None = None

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
        # Read every frame a limit is passed: worked out alone, not with the whole position.
        if not self.over:
            return ()
        if self._over_range is None:
            self._over_range = self._position.over_range if self._position is not None \
                else over_range(self._block.stretch, self.side, self._frame[0],
                                self._block.extra_limits)
        return self._over_range

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
    """``judge_block`` for several (stretch, personal limits) pairs over the same N frames,
    all at once: every criterion of every stretch on every side it is judged on is one row
    of one table, so the numpy calls do not grow with the catalogue.

    Args:
        angles: angle name -> (N,) values in degrees (NaN where not measured), as
            ``pose.angles.joint_angles`` gives them.
        visibility: (N, 33) landmark visibilities in [0, 1].
    """
    n = len(visibility)
    pairs = [(stretch, tuple(limits)) for stretch, limits in checks]
    in_view = _Seen(visibility >= MIN_VISIBILITY)
    clear = _Seen(visibility >= CLEAR_VISIBILITY)
    placed = _Seen(visibility > 0.0)  # inside the picture, seen or not (``checks.covered``)
    sides_of = [("both",) if s.sides == "both" else SIDES for s, _ in pairs]
    groups = [(k, side) for k, sides in enumerate(sides_of) for side in sides]
    code, met, over, blocked = _evaluate(pairs, groups, angles, in_view, placed, n)
    # judge_frame's side: per stretch, the index into its sides (its groups, in order).
    first = np.cumsum([0] + [len(sides) for sides in sides_of])[:-1]
    second = first + np.array([len(sides) - 1 for sides in sides_of], dtype=np.intp)
    candidates = _side_candidates([s for s, _ in pairs], angles, clear, n)
    code_0, code_1, met_0, met_1 = code[first], code[second], met[first], met[second]
    # Of both sides, the left unless the right is strictly better (``min`` keeps the first).
    right_better = (code_1 < code_0) | ((code_1 == code_0) & (met_1 > met_0))
    pick = np.where(candidates == _EITHER, right_better, candidates).astype(np.intp)
    chosen, chosen_met = np.where(pick == 0, code_0, code_1), np.where(pick == 0, met_0, met_1)
    # Where an idle checker's update only moves time on: out of form, or unknown with nothing
    # seen met (``pose.coach.hold_form``: no hold, no speed, no bounce or range watched).
    moves = ~((chosen == _OUT_OF_FORM) | ((chosen == _UNKNOWN) & (chosen_met == 0)))
    working = [list(dict.fromkeys(resolve(a, s) for a in stretch.working_angles
                                  for s in SIDES)) for stretch, _ in pairs]
    names = list(dict.fromkeys(a for w in working for a in w))
    clear_rows = dict(zip(names, np.stack([clear[a] for a in names]).tolist()
                          if names else [], strict=True))
    status_l, met_l = _STATUS_NAMES[code].tolist(), met.tolist()
    over_l, blocked_l, pick_l = over.tolist(), blocked.tolist(), pick.tolist()
    out = []
    for k, (stretch, limits) in enumerate(pairs):
        g = range(first[k], second[k] + 1)
        out.append(BlockJudgement(
            stretch, limits, sides_of[k], [status_l[i] for i in g], [met_l[i] for i in g],
            [over_l[i] for i in g], [blocked_l[i] for i in g], pick_l[k], moves[k],
            {a: clear_rows[a] for a in working[k]}))
    return out


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


def _per_segment(ufunc: np.ufunc, x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """``ufunc`` reduced over each segment [bounds[i], bounds[i + 1]) of the rows of ``x``
    (rows, N): (segments, N); an empty segment gives 0 (False)."""
    dtype = np.int64 if ufunc is np.add else bool
    out = np.zeros((len(bounds) - 1,) + x.shape[1:], dtype=dtype)
    # A reduction per segment: ``reduceat`` over the rows ran 2-3 times slower on a
    # recording's frames (it does not take the rows' fast path), and a stretch has a few.
    edges = bounds.tolist()
    for i, (start, end) in enumerate(zip(edges, edges[1:], strict=False)):
        if start < end:
            out[i] = ufunc.reduce(x[start:end], axis=0, dtype=dtype)
    return out


def _evaluate(checks: Sequence[tuple[Stretch, tuple[Limit, ...]]],
              groups: Sequence[tuple[int, str]], angles: Mapping[str, np.ndarray],
              in_view: _Seen, placed: _Seen, n: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``pose.checks.evaluate`` for each group (check index, side) on N frames: (status codes,
    criteria met, a limit passed, ``blocked_by_view``), each (groups, N).

    Every angle a criterion reads is one row of a (rows, N) table; a criterion judged on both
    sides at once has two rows, of which the worse seen one counts. Each group's criteria
    (and its limits' rows) are consecutive, and reduced per group by running sums.
    """
    no = np.zeros(n, dtype=bool)
    rows: list[tuple[int, str, bool]] = []  # (criterion, angle, mirrored)
    criteria: list[Criterion] = []
    pair: list[tuple[int, int]] = []  # each criterion's first and last row
    limit_rows: list[tuple[str, bool, Limit]] = []
    c_start, l_start = [], []
    passed_at: list[dict[str, list[int]]] = []
    for k, side in groups:
        stretch, extra = checks[k]
        c_start.append(len(criteria))
        l_start.append(len(limit_rows))
        for c in stretch.criteria:
            first = len(rows)
            rows += [(len(criteria), name, mirrored)
                     for name, mirrored, _, _ in criterion_plan(c, side)]
            pair.append((first, len(rows) - 1))
            criteria.append(c)
        at: dict[str, list[int]] = {}
        for limit in tuple(stretch.limits) + extra:
            for s in SIDES if (side == "both" and "{side}" in limit.angle) else (side,):
                name = resolve(limit.angle, s)
                at.setdefault(name, []).append(len(limit_rows))
                limit_rows.append((name, limit.mirrored(s), limit))
        passed_at.append(at)
    c_bounds = np.array(c_start + [len(criteria)])
    l_bounds = np.array(l_start + [len(limit_rows)])

    nan = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        # The limits: past one, on each limit's own reading of its angle.
        values = _table([(name, mirrored) for name, mirrored, _ in limit_rows], angles, nan, n)
        lows = np.array([[-np.inf if x.low is None else x.low] for _, _, x in limit_rows])
        highs = np.array([[np.inf if x.high is None else x.high] for _, _, x in limit_rows])
        passed = (values > highs) | (values < lows) if limit_rows else np.zeros((0, n), bool)
        over = _per_segment(np.logical_or, passed, l_bounds)

        # The criteria, each angle read as its criterion reads it.
        values = _table([(name, mirrored) for _, name, mirrored in rows], angles, nan, n)
        c_of = [c for c, _, _ in rows]
        lows = np.array([[-np.inf if criteria[c].low is None else criteria[c].low]
                         for c in c_of])
        highs = np.array([[np.inf if criteria[c].high is None else criteria[c].high]
                          for c in c_of])
        seen = np.isfinite(values)
        # Whether each row counts as required (``pose.checks.skipped``): not an optional
        # criterion, nor a ``when_covered`` one unseen while its part is in the picture.
        required = np.stack([
            np.full(n, not criteria[c].optional)
            & ~(placed[name] & ~seen[r] if criteria[c].when_covered else no)
            for r, (c, name, _) in enumerate(rows)]) if rows else np.zeros((0, n), dtype=bool)
        low = seen & (values < lows)
        high = seen & ~low & (values > highs)
        miss = np.where(low, lows - values, np.where(high, values - highs, 0.0))
    group_of = np.repeat(np.arange(len(groups)), np.diff(c_bounds))
    past_rows = []
    for index, name, _ in rows:
        hits = passed_at[group_of[index]].get(name, ())
        past_rows.append(np.logical_or.reduce(passed[list(hits)]) if hits else no)
    past = np.stack(past_rows) if rows else np.zeros((0, n), dtype=bool)
    view = np.stack([in_view[name] if name in SIDE_TILTS else no for _, name, _ in rows]) \
        if rows else np.zeros((0, n), dtype=bool)
    firsts, lasts = (np.array(x, dtype=np.intp) for x in zip(*pair, strict=True)) \
        if pair else (np.zeros(0, np.intp), np.zeros(0, np.intp))
    if len(rows) > len(criteria):
        # Both sides at once: the worse seen side (by how far it misses); the first side when
        # neither is seen (``argmax`` keeps the first of equals, as ``max`` does).
        ranked = np.where(seen, miss, -np.inf)
        worse = ranked[lasts] > ranked[firsts]
        seen, low, high, miss, past, view, required = (
            np.where(worse, a[lasts], a[firsts])
            for a in (seen, low, high, miss, past, view, required))
    nearly = np.array([[c.nearly_deg] for c in criteria]).reshape(-1, 1)
    failing = low | high
    close = miss <= nearly
    met_each = seen & ~failing
    met = _per_segment(np.add, met_each, c_bounds)

    def anywhere(x: np.ndarray) -> np.ndarray:
        return _per_segment(np.logical_or, x, c_bounds)

    failing_any, unknown_any = anywhere(failing), anywhere(~seen)
    close_all = ~anywhere(failing & ~close)
    in_stretch = ~anywhere(failing & ~(past | close))
    view_only = ~anywhere(~(seen | view))
    unknown_required = anywhere(~seen & required)
    required_met = anywhere(met_each & required)
    code = np.where(unknown_required, _UNKNOWN, _IN_FORM)
    code = np.where(failing_any, np.where(close_all & ~unknown_required, _NEARLY, _OUT_OF_FORM),
                    code)
    code = np.where(over & in_stretch, _OVER_RANGE, code)
    blocked = (code == _UNKNOWN) & required_met & unknown_any & view_only
    return code, met, over, blocked


def _table(rows: Sequence[tuple[str, bool]], angles: Mapping[str, np.ndarray],
           nan: np.ndarray, n: int) -> np.ndarray:
    """(rows, N): each row's angle, negated where the row reads it mirrored (``-1.0 *`` is
    exact: the per-frame judge's ``-v``)."""
    if not rows:
        return np.zeros((0, n))
    values = np.stack([angles.get(name, nan) for name, _ in rows]).astype(np.float64)
    return values * np.array([[-1.0 if mirrored else 1.0] for _, mirrored in rows])


_EITHER = -1
"""``_side_candidates``: both sides are candidates (``SIDES``)."""


def _side_candidates(stretches: Sequence[Stretch], angles: Mapping[str, np.ndarray],
                     clear: _Seen, n: int) -> np.ndarray:
    """``pose.checks.side_candidates`` for each stretch on N frames: (stretches, N) 0 (left
    only), 1 (right only) or ``_EITHER`` (also for a stretch done on both sides at once)."""
    out = np.full((len(stretches), n), _EITHER, dtype=np.intp)
    nan = np.full(n, np.nan)
    rules = [(k, s.side_by) for k, s in enumerate(stretches)
             if s.sides != "both" and s.side_by is not None]
    signed = [(k, r) for k, r in rules if r.positive is not None]
    if signed:
        v = np.stack([angles.get(r.angle, nan) for _, r in signed])
        threshold = np.array([[max(r.threshold or 0.0, 1e-9)] for _, r in signed])
        positive = np.array([[SIDES.index(str(r.positive))] for _, r in signed])
        with np.errstate(invalid="ignore"):
            decided = np.isfinite(v) & (np.abs(v) >= threshold)
            out[[k for k, _ in signed]] = np.where(
                decided, np.where(v > 0, positive, 1 - positive), _EITHER)
    picked = [(k, r) for k, r in rules if r.positive is None]
    if picked:
        names = [[resolve(r.angle, s) for s in SIDES] for _, r in picked]
        sign = np.array([[1.0 if r.pick == "max" else -1.0] for _, r in picked])
        left = sign * np.stack([angles.get(a, nan) for a, _ in names])
        right = sign * np.stack([angles.get(b, nan) for _, b in names])
        clear_l = np.stack([clear[a] for a, _ in names])
        clear_r = np.stack([clear[b] for _, b in names])
        # known[best] < sign * threshold: no side doing it yet (no threshold: never).
        floor = np.array([[-np.inf if r.threshold is None else (1.0 if r.pick == "max" else
                                                                 -1.0) * r.threshold]
                          for _, r in picked])
        known_l, known_r = np.isfinite(left), np.isfinite(right)
        both = known_l & known_r
        # A dimly seen limb does not win against a clearly seen one.
        use_l = known_l & ~(both & ~clear_l & clear_r)
        use_r = known_r & ~(both & clear_l & ~clear_r)
        with np.errstate(invalid="ignore"):
            best = np.where(use_l & use_r, np.where(left >= right, 0, 1), np.where(use_l, 0, 1))
            value = np.where(best == 0, left, right)
            decided = (use_l | use_r) & ~(value < floor)
        out[[k for k, _ in picked]] = np.where(decided, best, _EITHER)
    return out
