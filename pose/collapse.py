"""Collapsed labels: a left and a right landmark the model puts on one image point.

When a joint leaves the view (a standing foot below the frame) or is hidden, the pose model
sometimes moves its label onto the other side's joint of the same pair: R03 of the real clips,
13-15.8 s, puts the "right ankle" 1-3 px from the held left ankle, at visibility 0.94 while the
true left ankle reads 0.2-0.3. The duplicate then looks like the clearly seen limb, and every
angle measured on it (a knee bent like the other, the side of the stretch) is a guess dressed as
a sighting. This module finds such duplicates and marks them not seen (their visibility lowered
to ``DUPLICATE_VISIBILITY``), so the checks say "I can't see your right ankle" instead.

A pair on one image point is not by itself a duplicate: seen side-on, the far limb lies behind
the near one (on the nine real clips the two wrists of R01 coincide on 58 % of its frames, the
ankles of R02 and R05 on ~30 %), and there the model's far label is its honest placement. So a
label is called a duplicate only on evidence, in order:

1. **Continuity**: within the last ``LOOKBACK_S`` of the same shot the pair was clearly apart,
   and one label (the *arriver*) travelled onto the other while the other stayed put, measured
   relative to the body (mid-hip) so that a moving camera or a person walking does not count.
2. **Out of view**: the arriver's own joint was out of view or hidden (visibility below
   ``SEEN_VISIBILITY``, which the traces and the model give for points outside the frame) within
   ``UNSEEN_LOOKBACK_S`` before: the label had lost its joint and took the nearest look-alike.
   A label that walks over in full view (a far foot brought next to the near one) is kept.
3. **Bone length**: the stayer's bone to its parent joint (knee for an ankle, ...) kept its
   length while the pair closed: the stayer is still its own limb.

The mark lasts while the pair stays within ``RELEASE`` of each other (a separation shorter than
``RELEASE_S`` does not end it). Only past frames are used (live runs it frame by frame), and a
camera cut or a gap in the track starts afresh.

Units: image pixels in, every distance compared in *torso lengths* (mid-shoulder to mid-hip in
the image), so the thresholds hold for any camera distance and resolution. Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pose import landmarks as lm

#: (left, right, left's parent, right's parent) for each pair checked: the limb landmarks that
#: the model can mistake for each other. The parent is the joint the bone-length check uses.
PAIRS: tuple[tuple[int, int, int, int], ...] = (
    (lm.LEFT_ELBOW, lm.RIGHT_ELBOW, lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER),
    (lm.LEFT_WRIST, lm.RIGHT_WRIST, lm.LEFT_ELBOW, lm.RIGHT_ELBOW),
    (lm.LEFT_KNEE, lm.RIGHT_KNEE, lm.LEFT_HIP, lm.RIGHT_HIP),
    (lm.LEFT_ANKLE, lm.RIGHT_ANKLE, lm.LEFT_KNEE, lm.RIGHT_KNEE),
    (lm.LEFT_HEEL, lm.RIGHT_HEEL, lm.LEFT_ANKLE, lm.RIGHT_ANKLE),
    (lm.LEFT_FOOT_INDEX, lm.RIGHT_FOOT_INDEX, lm.LEFT_ANKLE, lm.RIGHT_ANKLE),
)
_PAIRS = np.array(PAIRS, dtype=np.intp)  # (P, 4)

COLLAPSE = 0.10
"""Two labels closer than this (torso lengths, ~5 cm on a 50 cm torso) sit on one point. Two
distinct joints side by side in view are at least a joint's breadth apart: typical adult
breadths are ~7 cm at the ankle, ~10 cm at the knee, ~6 cm at the wrist, i.e. 0.12-0.2 torso
lengths. R03's duplicate ankle sat 0.01-0.07 torso lengths from the true one."""
RELEASE = 0.15
"""A marked duplicate stays marked while the pair is closer than this (torso lengths, about one
joint breadth): hysteresis, so that 1-3 px of jitter around ``COLLAPSE`` does not flicker."""
RELEASE_S = 0.25
"""...and until the pair has been further apart than ``RELEASE`` for longer than this (s): a
label that lost its joint toggles back for a frame or two and returns (R03, 13.60 s), a limb
really moved away stays away."""
APART = 0.25
"""The pair counts as clearly apart (two joint breadths, torso lengths): the reference frame
the continuity evidence looks back to."""
MOVED = 0.20
"""The arriver travelled at least this far (torso lengths, relative to mid-hip) since the pair
was apart: a label jumping, not jitter (the raw model jitters by ~0.02-0.05 torso lengths on a
still person, R03/R05 of the real clips)."""
STAYED = 1.0 / 3.0
"""...while the other label moved at most this fraction of the arriver's travel."""
LOOKBACK_S = 1.0
"""How far back (s) a clearly-apart reference may lie: labels that closed over longer than this
came together as a person moves, and cannot be told apart by continuity."""
UNSEEN_LOOKBACK_S = 1.5
"""How recently (s) the arriver's joint must have been out of view for it to be a duplicate
(R03: the standing ankle was last below the frame 1.2 s before its label jumped)."""
SEEN_VISIBILITY = 0.5
"""Below this a landmark is not seen: ``pose.angles.joint_angles``'s ``min_visibility``."""
DUPLICATE_VISIBILITY = 0.1
"""A duplicate's visibility is lowered to at most this: well below ``SEEN_VISIBILITY``, so
every angle and check treats that landmark as not seen."""
BONE_RATIO = 1.5
"""The stayer's bone to its parent may change length by at most this factor (either way)
between the reference frame and now (foreshortening while the pair closes is far less)..."""
BONE_SLACK = 0.10
"""...or by at most this (torso lengths, a joint's breadth: where the joint centre sits on a
short bone such as heel to ankle is uncertain by that much)."""
CUT_SCALE = 1.3
"""A torso length changing by more than this factor between consecutive frames is a camera
cut (a body cannot turn that fast in 1/25 s): continuity is not looked for across it."""
CUT_JUMP = 0.5
"""...as is mid-hip jumping more than this (torso lengths) between consecutive frames."""
CUT_GAP_S = 0.5
"""...and a gap in the track longer than this (s), as for the smoother
(``pose.smoothing.OneEuroParams.max_gap_s``)."""

_P = len(PAIRS)


@dataclass(frozen=True)
class CollapseState:
    """What the finder remembers of the frames before (everything it looks back for), so that
    a stream gives the same marks fed one frame or many at a time. Times in s; a *shot* counts
    camera cuts and gaps.

    Attributes:
        t, hip, scale, shot: the last frame's time, mid-hip (2,) px, torso length px, shot.
        apart: (P, 8) per pair, the last frame the pair was clearly apart (``APART``): its
            time (-inf for never), shot, both labels (left x, y, right x, y) and both bones
            (left, right), in torso lengths relative to mid-hip.
        unseen: (P, 2 sides, 2) the last frame each label was not seen: time, shot.
        near: (P, 2) the last frame each pair was within ``RELEASE``: time, shot.
        mark: (P,) the marks on the last frame (-1 none, 0 left, 1 right).
    """

    t: float = -np.inf
    hip: np.ndarray = field(default_factory=lambda: np.full(2, np.nan))
    scale: float = np.nan
    shot: int = 0
    apart: np.ndarray = field(default_factory=lambda: _never((_P, 8)))
    unseen: np.ndarray = field(default_factory=lambda: _never((_P, 2, 2)))
    near: np.ndarray = field(default_factory=lambda: _never((_P, 2)))
    mark: np.ndarray = field(default_factory=lambda: np.full(_P, -1))


def _never(shape: tuple[int, ...]) -> np.ndarray:
    """A 'last frame' table of no frame: time -inf, shot -1, NaN values."""
    out = np.full(shape, np.nan)
    out[..., 0], out[..., 1] = -np.inf, -1.0
    return out


def _last_index(flags: np.ndarray) -> np.ndarray:
    """(E, ...) bool -> (E, ...) int: per row, the last row index <= it where ``flags`` is
    True (-1 before any)."""
    idx = np.arange(len(flags)).reshape((-1,) + (1,) * (flags.ndim - 1))
    return np.maximum.accumulate(np.where(flags, idx, -1), axis=0)


def _latest(flags: np.ndarray, before: np.ndarray, now: np.ndarray) -> np.ndarray:
    """Per row of ``flags`` (N, ...), the row of ``now`` (N, ..., K) at the last frame <= it
    where the flag is set, or ``before`` (..., K) (the state's) where none is in ``now``."""
    table = np.concatenate([before[None], now])  # row 0: the state's
    rows = _last_index(np.concatenate([np.ones((1,) + flags.shape[1:], bool), flags]))[1:]
    return np.take_along_axis(table, rows[..., None], axis=0)


def _length(v: np.ndarray) -> np.ndarray:
    """Lengths of 2-vectors (..., 2): (...)."""
    return np.hypot(v[..., 0], v[..., 1])


def _pick(a: np.ndarray, side: np.ndarray) -> np.ndarray:
    """``a`` (N, P, 2) at ``side`` (N, P) of 0 (left) or 1 (right): (N, P)."""
    return np.where(side == 0, a[..., 0], a[..., 1])


def duplicate_sides(t: np.ndarray, image: np.ndarray, visibility: np.ndarray,
                    state: CollapseState | None = None) -> tuple[np.ndarray, CollapseState]:
    """Which label of each pair is a duplicate, frame by frame (see the module docstring).

    Args:
        t: (N,) frame times in s, increasing, after ``state.t``; poses only (frames without a
            person are left out).
        image: (N, 33, 2) raw image landmarks in pixels.
        visibility: (N, 33) raw visibility in [0, 1].
        state: what the frames before left (None: nothing before).

    Returns:
        ``marks`` (N, P) int: -1 no duplicate, 0 the left label, 1 the right label, for the
        pairs of ``PAIRS`` (row i depends only on rows <= i and the state: causal); and the
        state after the last row.
    """
    st = state or CollapseState()
    n = len(t)
    if n == 0:
        return np.zeros((0, _P), dtype=np.intp), st
    if n == 1:
        return _one_frame(float(t[0]), image[0], visibility[0], st)
    t = np.asarray(t, float)
    hip = image[:, [lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=1)  # (N, 2) px
    shoulder = image[:, [lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].mean(axis=1)
    torso = _length(shoulder - hip)  # (N,) px
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(torso > 1e-6, torso, np.nan)
        rel = (image - hip[:, None]) / scale[:, None, None]  # (N, 33, 2) torso lengths
        # Shots: a camera cut or a gap starts afresh (nothing looked back for across it).
        ratio = scale / np.concatenate([[st.scale], scale[:-1]])
        jump = _length(hip - np.concatenate([st.hip[None], hip[:-1]])) / scale
        cut = ~((ratio <= CUT_SCALE) & (ratio >= 1.0 / CUT_SCALE) & (jump <= CUT_JUMP)
                & (np.diff(t, prepend=st.t) <= CUT_GAP_S))
        shot = st.shot + np.cumsum(cut)  # (N,)
        when = np.stack([t, shot], axis=1)[:, None]  # (N, 1, 2): time, shot

        ends = rel[:, _PAIRS]  # (N, P, 4, 2): left, right, left's parent, right's parent
        sides = ends[:, :, :2]  # (N, P, 2 sides, 2)
        bones = _length(sides - ends[:, :, 2:])  # (N, P, 2)
        gap = _length(sides[:, :, 0] - sides[:, :, 1])  # (N, P)
        unseen = visibility[:, _PAIRS[:, :2]] < SEEN_VISIBILITY  # (N, P, 2)

        apart = _latest(gap > APART, st.apart, np.concatenate(
            [np.broadcast_to(when, (n, _P, 2)), sides.reshape(n, _P, 4), bones], axis=2))
        ref_sides, ref_bones = apart[..., 2:6].reshape(n, _P, 2, 2), apart[..., 6:]
        ok_ref = (apart[..., 1] == shot[:, None]) & (t[:, None] - apart[..., 0] <= LOOKBACK_S)
        travel = np.nan_to_num(_length(sides - ref_sides), nan=-1.0)
        arriver = (travel[..., 1] > travel[..., 0]).astype(np.intp)  # (N, P)
        moved, stayed = _pick(travel, arriver), _pick(travel, 1 - arriver)
        out = _latest(unseen, st.unseen, np.broadcast_to(when[:, None], (n, _P, 2, 2)))
        was_out = (_pick(out[..., 1], arriver) == shot[:, None]) & (
            t[:, None] - _pick(out[..., 0], arriver) <= UNSEEN_LOOKBACK_S)
        bone, bone_ref = _pick(bones, 1 - arriver), _pick(ref_bones, 1 - arriver)  # stayer's
        bone_kept = ((bone <= BONE_RATIO * bone_ref) & (bone_ref <= BONE_RATIO * bone)) | (
            np.abs(bone - bone_ref) <= BONE_SLACK)
        decided = ((gap < COLLAPSE) & ok_ref & (moved >= MOVED) & (stayed <= STAYED * moved)
                   & was_out & bone_kept)
        near_at = _latest(gap < RELEASE, st.near, np.broadcast_to(when, (n, _P, 2)))
        near = (near_at[..., 1] == shot[:, None]) & (t[:, None] - near_at[..., 0] <= RELEASE_S)

    # A mark holds from its decision while the pair stays near: forward-fill the decisions
    # within runs of near frames, the state's mark standing as a decision before row 0.
    run = np.cumsum(~near, axis=0)  # a far frame starts a new run
    decision = np.stack([np.where(decided, arriver, -1), run], axis=2)  # (N, P, 2)
    carried = np.stack([st.mark, np.where(st.mark >= 0, 0, -1)], axis=1)  # run 0 or none
    last = _latest(decision[..., 0] >= 0, carried, decision)
    marks = np.where(near & (last[..., 1] == run), last[..., 0], -1)

    after = CollapseState(float(t[-1]), hip[-1], float(scale[-1]), int(shot[-1]), apart[-1],
                          out[-1], near_at[-1], marks[-1])
    return marks, after


_HIPS = [lm.LEFT_HIP, lm.RIGHT_HIP]
_SHOULDERS = [lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]
_SIDES = _PAIRS[:, :2]  # (P, 2): each pair's left and right landmark


def _one_frame(t: float, image: np.ndarray, visibility: np.ndarray, st: CollapseState
               ) -> tuple[np.ndarray, CollapseState]:
    """``duplicate_sides`` of a single frame (live feeds one at a time): ``image`` (33, 2) px,
    ``visibility`` (33,); marks (1, P) and the state after it.

    The same arithmetic on the same numbers as the block path (each value is the block's row
    0), without its machinery for looking back over N rows (the running "last frame where"
    tables become one ``np.where`` against the state), and with the evidence for a new mark
    worked out only when a pair sits on one point (``COLLAPSE``): otherwise no mark is
    decided and only the state moves on. ``tests/test_collapse.py`` proves it equal to the
    block path, marks and state, on every real clip. One frame costs a few dozen numpy
    calls instead of a hundred and fifty (issue 14)."""
    # ``mean``'s arithmetic (the sum, then over 2) without its Python wrapper.
    hip = np.add.reduce(image[_HIPS], axis=0) / 2  # (2,) px
    shoulder = np.add.reduce(image[_SHOULDERS], axis=0) / 2
    torso = float(_length(shoulder - hip))
    scale = torso if torso > 1e-6 else np.nan
    # As plain floats: the same IEEE operations as numpy's, and a NaN compares False alike.
    ratio = scale / st.scale
    jump = float(_length(hip - st.hip)) / scale
    cut = not (ratio <= CUT_SCALE and ratio >= 1.0 / CUT_SCALE and jump <= CUT_JUMP
               and t - st.t <= CUT_GAP_S)
    shot = st.shot + int(cut)
    when = np.array([t, float(shot)])  # (2,): time, shot

    ends = (image[_PAIRS] - hip) / scale  # (P, 4, 2) torso lengths, relative to mid-hip
    sides = ends[:, :2]  # (P, 2 sides, 2)
    bones = _length(sides - ends[:, 2:])  # (P, 2)
    gap = _length(sides[:, 0] - sides[:, 1])  # (P,)
    row = np.empty((_P, 8))
    row[:, :2], row[:, 2:6], row[:, 6:] = when, sides.reshape(_P, 4), bones
    apart = np.where((gap > APART)[:, None], row, st.apart)  # (P, 8)
    unseen = (visibility[_SIDES] < SEEN_VISIBILITY)[..., None]  # (P, 2, 1)
    out = np.where(unseen, when, st.unseen)  # (P, 2, 2)
    near_at = np.where((gap < RELEASE)[:, None], when, st.near)  # (P, 2)
    near = (near_at[:, 1] == shot) & (t - near_at[:, 0] <= RELEASE_S)

    # Without a new decision, a mark lasts while its pair stays near.
    marks = np.where(near, st.mark, -1)
    if (gap < COLLAPSE).any():
        with np.errstate(invalid="ignore"):
            decided, arriver = _decided(t, shot, sides, bones, gap, apart, out)
        marks = np.where(decided, arriver, marks)
    after = CollapseState(t, hip, scale, shot, apart, out, near_at, marks)
    return marks[None], after


def _decided(t: float, shot: int, sides: np.ndarray, bones: np.ndarray, gap: np.ndarray,
             apart: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For one frame (``_one_frame``): which pairs get a new mark, (P,) bool, and on which
    label (the arriver), (P,) 0 left or 1 right; from the frame's ``sides`` (P, 2, 2) and
    ``bones`` (P, 2) and the updated tables ``apart`` (P, 8) and ``out`` (P, 2, 2)."""
    ref_sides, ref_bones = apart[:, 2:6].reshape(_P, 2, 2), apart[:, 6:]
    ok_ref = (apart[:, 1] == shot) & (t - apart[:, 0] <= LOOKBACK_S)
    travel = np.nan_to_num(_length(sides - ref_sides), nan=-1.0)  # (P, 2)
    arriver = (travel[:, 1] > travel[:, 0]).astype(np.intp)
    moved, stayed = _pick(travel, arriver), _pick(travel, 1 - arriver)
    was_out = (_pick(out[..., 1], arriver) == shot) & (
        t - _pick(out[..., 0], arriver) <= UNSEEN_LOOKBACK_S)
    bone, bone_ref = _pick(bones, 1 - arriver), _pick(ref_bones, 1 - arriver)  # stayer's
    bone_kept = ((bone <= BONE_RATIO * bone_ref) & (bone_ref <= BONE_RATIO * bone)) | (
        np.abs(bone - bone_ref) <= BONE_SLACK)
    decided = ((gap < COLLAPSE) & ok_ref & (moved >= MOVED) & (stayed <= STAYED * moved)
               & was_out & bone_kept)
    return decided, arriver


def mark_duplicates(visibility: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """``visibility`` (N, 33) with each duplicate of ``marks`` (N, P) lowered to at most
    ``DUPLICATE_VISIBILITY``; a new array."""
    out = np.array(visibility, dtype=float, copy=True)
    if not (marks >= 0).any():  # nearly every frame
        return out
    rows, pairs = np.nonzero(marks >= 0)
    cols = _PAIRS[pairs, marks[rows, pairs]]
    out[rows, cols] = np.minimum(out[rows, cols], DUPLICATE_VISIBILITY)
    return out


#: Frames that cannot be marked (``CollapseFilter``) wait, up to this many, to be worked into
#: the state in one block: ~8.5 s at 30 fps, one block path of ~150 numpy calls where each frame
#: alone would make a few dozen.
WAIT_MAX = 256
#: A frame cannot be marked where each pair is further apart than ``COLLAPSE`` by this factor,
#: measured the quick way (``CollapseFilter._cannot_mark``): room for that way's rounding,
#: parts in 1e15 of a torso length, against the exact test's.
QUICK_MARGIN = 1.01
#: Up to this many waiting frames are worked into the state one by one (``_one_frame``): the
#: block path's fixed cost is that of about 4-8 single frames (side views, where pairs often
#: lie near each other, wait a few frames at a time).
ONE_BY_ONE = 8
#: After a frame found a pair near one point, this many frames go the exact way without the
#: quick look first: seen side-on, limbs overlap for seconds at a time (R01: a pair near on
#: 97 % of frames), and the look would only add its cost.
RECHECK_AFTER = 15
_QUICK_POINTS = np.array([lm.LEFT_HIP, lm.RIGHT_HIP, lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER,
                          *_SIDES[:, 0], *_SIDES[:, 1]])


class CollapseFilter:
    """The duplicate finder over a stream of raw poses, in the frame loop before smoothing
    (``pose.pipeline.FrameLoop``). Feed frames in time order, one or many at a time: the
    marks are the same either way (``CollapseState`` carries what it looks back for).

    Fed one frame at a time (live), a frame with nothing marked before it and every pair
    clearly apart cannot be marked (a mark is decided only on a pair within ``COLLAPSE`` and
    kept only from the frame before): it only moves the state on, so it waits, and the
    waiting frames are worked into the state at once when a frame needs the state or
    ``WAIT_MAX`` have waited. The same marks and state (``tests/test_collapse.py``, every real
    clip), with a few float operations for such a frame instead of a few dozen numpy calls.
    Seen from the front most frames wait (R06-R08: 88-100 %), side-on fewer (R01: 3 %, R03:
    62 %, where limbs overlap); the filter's CPU a frame went 27 -> 8 us on R07 and R08, 42 ->
    31 on R03, and stayed within 2 us elsewhere (warm, the nine real clips, 2026-12-03; in a
    live session, after the model's frame, 93-118 -> 30-37 us on A06; issue 14)."""

    def __init__(self) -> None:
        self._state = CollapseState()
        self._marked = False  # whether the last frame worked through had a mark
        self._unchecked = 0  # frames still to go through the exact path without a quick look
        self._waiting: list[tuple[float, np.ndarray, np.ndarray]] = []

    @property
    def state(self) -> CollapseState:
        """What the frames fed so far leave (``CollapseState``)."""
        self._catch_up()
        return self._state

    def reset(self) -> None:
        """Forget the past (a drop-out: what follows it is not continuous with before)."""
        self._state, self._marked, self._unchecked = CollapseState(), False, 0
        self._waiting.clear()

    def __call__(self, t: np.ndarray, image: np.ndarray, visibility: np.ndarray) -> np.ndarray:
        """The visibility (N, 33) of N raw poses with duplicates marked not seen.

        ``t`` (N,) s, increasing and after every frame fed before; ``image`` (N, 33, 2) px;
        ``visibility`` (N, 33). Frames without a person are not fed. The arrays may be kept
        until a later call: the caller does not change them.
        """
        if len(t) == 1 and not self._marked:
            if self._unchecked:  # a pair lay near lately: it most likely still does
                self._unchecked -= 1
            elif self._cannot_mark(image[0]):
                self._waiting.append((float(t[0]), image[0], visibility[0]))
                if len(self._waiting) >= WAIT_MAX:
                    self._catch_up()
                return np.array(visibility, dtype=float, copy=True)
            else:
                self._unchecked = RECHECK_AFTER
        self._catch_up()
        marks, self._state = duplicate_sides(t, np.asarray(image, float),
                                             np.asarray(visibility, float), self._state)
        self._marked = bool((self._state.mark >= 0).any())
        return mark_duplicates(visibility, marks)

    def _catch_up(self) -> None:
        """Work the waiting frames into the state (they hold no mark: see the class)."""
        if not self._waiting:
            return
        waiting, self._waiting = self._waiting, []
        if len(waiting) > ONE_BY_ONE:
            t, image, visibility = zip(*waiting, strict=True)
            _, self._state = duplicate_sides(np.array(t), np.asarray(image, float),
                                             np.asarray(visibility, float), self._state)
            return
        for t_s, one_image, one_visibility in waiting:
            _, self._state = _one_frame(t_s, np.asarray(one_image, float),
                                        np.asarray(one_visibility, float), self._state)

    @staticmethod
    def _cannot_mark(image: np.ndarray) -> bool:
        """Whether every pair of ``image`` (33, 2) px lies further apart than ``COLLAPSE``
        torso lengths, with ``QUICK_MARGIN`` to spare: the pair's own distance over the torso
        (in floats), where ``duplicate_sides`` measures each label from mid-hip first. False
        where anything is not a number."""
        (hx, hy), (hx1, hy1), (sx, sy), (sx1, sy1), *sides = image[_QUICK_POINTS].tolist()
        torso = math.hypot((sx + sx1) / 2 - (hx + hx1) / 2, (sy + sy1) / 2 - (hy + hy1) / 2)
        apart = COLLAPSE * QUICK_MARGIN * torso
        return torso > 1e-6 and all(
            math.hypot(lx - rx, ly - ry) > apart
            for (lx, ly), (rx, ry) in zip(sides[:_P], sides[_P:], strict=True))
