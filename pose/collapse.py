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
    a stream gives the same marks fed one frame or many at a time. Times in s; ``shot`` counts
    camera cuts and gaps; per pair (P,) or per pair and side (P, 2, left then right).

    Attributes:
        t, hip, scale, shot: the last frame's time, mid-hip (2,) px, torso length px, shot.
        apart_t, apart_shot, apart_sides, apart_bones: the last frame each pair was clearly
            apart (``APART``): time (-inf for never), shot, both labels (P, 2, 2) and both
            bones (P, 2) in torso lengths relative to mid-hip.
        unseen_t, unseen_shot: (P, 2) the last frame each label was not seen.
        near_t, near_shot: the last frame each pair was within ``RELEASE``.
        mark: the marks on the last frame (-1 none, 0 left, 1 right).
    """

    t: float = -np.inf
    hip: np.ndarray = field(default_factory=lambda: np.full(2, np.nan))
    scale: float = np.nan
    shot: int = 0
    apart_t: np.ndarray = field(default_factory=lambda: np.full(_P, -np.inf))
    apart_shot: np.ndarray = field(default_factory=lambda: np.full(_P, -1))
    apart_sides: np.ndarray = field(default_factory=lambda: np.full((_P, 2, 2), np.nan))
    apart_bones: np.ndarray = field(default_factory=lambda: np.full((_P, 2), np.nan))
    unseen_t: np.ndarray = field(default_factory=lambda: np.full((_P, 2), -np.inf))
    unseen_shot: np.ndarray = field(default_factory=lambda: np.full((_P, 2), -1))
    near_t: np.ndarray = field(default_factory=lambda: np.full(_P, -np.inf))
    near_shot: np.ndarray = field(default_factory=lambda: np.full(_P, -1))
    mark: np.ndarray = field(default_factory=lambda: np.full(_P, -1))


def _last_index(flags: np.ndarray) -> np.ndarray:
    """(E, ...) bool -> (E, ...) int: per row, the last row index <= it where ``flags`` is
    True (-1 before any)."""
    idx = np.arange(len(flags)).reshape((-1,) + (1,) * (flags.ndim - 1))
    return np.maximum.accumulate(np.where(flags, idx, -1), axis=0)


def _latest(flags: np.ndarray, carried: np.ndarray, *values: tuple[np.ndarray, np.ndarray]
            ) -> tuple[np.ndarray, ...]:
    """For each row of ``flags`` (N, P[, 2]), the ``values`` at the last row <= it where the
    flag is set, or the carried value (the state's) where none is: each of ``values`` is a
    pair (carried (P[, 2], ...), per row (N, P[, 2], ...)). Also returns, first, whether a
    row (or the state, ``carried``) had one at all."""
    # Row 0 of the tables is the state's; -1: no such frame, ever.
    rows = _last_index(np.concatenate([carried[None], flags]))[1:]  # (N, P[, 2])
    n, k = len(rows), rows[0].size
    at = (np.maximum(rows, 0).reshape(n, k), np.arange(k))
    out = [rows >= 0]
    for before, now in values:
        table = np.concatenate([before[None], now])  # (N + 1, P[, 2], ...)
        out.append(table.reshape((n + 1, k) + table.shape[rows.ndim:])[at].reshape(
            rows.shape + table.shape[rows.ndim:]))
    return tuple(out)


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
    t = np.asarray(t, float)
    hip = image[:, [lm.LEFT_HIP, lm.RIGHT_HIP]].mean(axis=1)  # (N, 2) px
    shoulder = image[:, [lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]].mean(axis=1)
    torso = np.linalg.norm(shoulder - hip, axis=1)  # (N,) px
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(torso > 1e-6, torso, np.nan)
        rel = (image - hip[:, None]) / scale[:, None, None]  # (N, 33, 2) torso lengths
        # Shots: a camera cut or a gap starts afresh (nothing looked back for across it).
        prev_scale = np.concatenate([[st.scale], scale[:-1]])
        prev_hip = np.concatenate([st.hip[None], hip[:-1]])
        ratio = scale / prev_scale
        jump = np.linalg.norm(hip - prev_hip, axis=1) / scale
        cut = ~((ratio <= CUT_SCALE) & (ratio >= 1.0 / CUT_SCALE) & (jump <= CUT_JUMP)
                & (np.diff(t, prepend=st.t) <= CUT_GAP_S))
    shot = st.shot + np.cumsum(cut)  # (N,)
    tt, ss = np.broadcast_to(t[:, None], (n, _P)), np.broadcast_to(shot[:, None], (n, _P))

    left, right, left_parent, right_parent = (_PAIRS[:, k] for k in range(4))
    sides = np.stack([rel[:, left], rel[:, right]], axis=2)  # (N, P, 2 sides, 2)
    bones = np.linalg.norm(sides - np.stack([rel[:, left_parent], rel[:, right_parent]],
                                            axis=2), axis=3)  # (N, P, 2)
    gap = np.linalg.norm(sides[:, :, 0] - sides[:, :, 1], axis=2)  # (N, P)
    unseen = np.stack([visibility[:, left], visibility[:, right]], axis=2) < SEEN_VISIBILITY

    with np.errstate(invalid="ignore"):
        _, ref_t, ref_shot, ref_sides, ref_bones = _latest(
            gap > APART, np.isfinite(st.apart_t), (st.apart_t, tt), (st.apart_shot, ss),
            (st.apart_sides, sides), (st.apart_bones, bones))
        ok_ref = (ref_shot == shot[:, None]) & (t[:, None] - ref_t <= LOOKBACK_S)
        travel = np.nan_to_num(np.linalg.norm(sides - ref_sides, axis=3), nan=-1.0)
        arriver = (travel[..., 1] > travel[..., 0]).astype(np.intp)  # (N, P)
        moved, stayed = _pick(travel, arriver), _pick(travel, 1 - arriver)
        _, out_t, out_shot = _latest(
            unseen, np.isfinite(st.unseen_t),
            (st.unseen_t, np.broadcast_to(t[:, None, None], unseen.shape)),
            (st.unseen_shot, np.broadcast_to(shot[:, None, None], unseen.shape)))
        was_out = (_pick(out_shot, arriver) == shot[:, None]) & (
            t[:, None] - _pick(out_t, arriver) <= UNSEEN_LOOKBACK_S)
        bone = _pick(bones, 1 - arriver)  # the stayer's
        bone_ref = _pick(ref_bones, 1 - arriver)
        bone_kept = ((bone <= BONE_RATIO * bone_ref) & (bone_ref <= BONE_RATIO * bone)) | (
            np.abs(bone - bone_ref) <= BONE_SLACK)
        decided = ((gap < COLLAPSE) & ok_ref & (moved >= MOVED) & (stayed <= STAYED * moved)
                   & was_out & bone_kept)
        _, near_t, near_shot = _latest(gap < RELEASE, np.isfinite(st.near_t),
                                       (st.near_t, tt), (st.near_shot, ss))
        near = (near_shot == shot[:, None]) & (t[:, None] - near_t <= RELEASE_S)

    # A mark holds from its decision while the pair stays near: forward-fill the decisions
    # within runs of near frames, the state's mark standing as a decision before row 0.
    decision = np.where(decided, arriver, -1)
    run = np.cumsum(~near, axis=0)  # a far frame starts a new run
    found, pick, pick_run = _latest(decision >= 0, st.mark >= 0, (st.mark, decision),
                                    (np.zeros(_P, dtype=run.dtype), run))
    marks = np.where(near & found & (pick_run == run), pick, -1)

    after = CollapseState(
        t=float(t[-1]), hip=hip[-1], scale=float(scale[-1]), shot=int(shot[-1]),
        apart_t=ref_t[-1], apart_shot=ref_shot[-1], apart_sides=ref_sides[-1],
        apart_bones=ref_bones[-1],
        unseen_t=out_t[-1], unseen_shot=out_shot[-1], near_t=near_t[-1],
        near_shot=near_shot[-1], mark=marks[-1])
    return marks, after


def mark_duplicates(visibility: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """``visibility`` (N, 33) with each duplicate of ``marks`` (N, P) lowered to at most
    ``DUPLICATE_VISIBILITY``; a new array."""
    out = np.array(visibility, dtype=float, copy=True)
    rows, pairs = np.nonzero(marks >= 0)
    cols = _PAIRS[pairs, marks[rows, pairs]]
    out[rows, cols] = np.minimum(out[rows, cols], DUPLICATE_VISIBILITY)
    return out


class CollapseFilter:
    """The duplicate finder over a stream of raw poses, in the frame loop before smoothing
    (``pose.pipeline.FrameLoop``). Feed frames in time order, one or many at a time: the
    marks are the same either way (``CollapseState`` carries what it looks back for)."""

    def __init__(self) -> None:
        self.state = CollapseState()

    def reset(self) -> None:
        """Forget the past (a drop-out: what follows it is not continuous with before)."""
        self.state = CollapseState()

    def __call__(self, t: np.ndarray, image: np.ndarray, visibility: np.ndarray) -> np.ndarray:
        """The visibility (N, 33) of N raw poses with duplicates marked not seen.

        ``t`` (N,) s, increasing and after every frame fed before; ``image`` (N, 33, 2) px;
        ``visibility`` (N, 33). Frames without a person are not fed.
        """
        marks, self.state = duplicate_sides(t, np.asarray(image, float),
                                            np.asarray(visibility, float), self.state)
        return mark_duplicates(visibility, marks)
