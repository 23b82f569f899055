"""Ankles at the frame's edge: where the frame cuts a foot, its ankle is the model's guess.

When a standing foot leaves the picture at the bottom (a close-up, a camera tilting up), the pose
model keeps its ankle label inside the frame at full visibility and moves it about: R03 of the
real clips, 11.2-13 s, the man's standing ankle jumps 30-80 px up and back between consecutive
frames (at 0.98-0.99 visibility) while his knee moves 2-3 px, and the smoothed leg reads a knee
bent 40-76 degrees that is straight. The checks then see a standing knee "not straight" and end
a hold that goes on. The heel is the tell: it sits a few centimetres from the ankle, so a heel
outside the frame means the ankle is at the edge, and on R03 the heel is out on and off all
through those frames while the model's ankle stays inside.

So an ankle counts as not seen (its visibility lowered to ``CUT_VISIBILITY``) while its heel is
outside the frame, and for ``HEEL_OUT_HOLD_S`` after the heel was last out (it flickers in and
out at the edge). The checks then say "I can't see your right ankle", and a hold in progress goes
on in partial view (``pose.hold``) as long as what is seen stays in position. A toe tip crossing
the edge is not enough: R01's pulled-in foot pokes 1-4 px above the top edge while its ankle,
46 px inside, is read steadily, and that hold must not lose its knee.

Only past frames are used, so a stream gives the same marks fed one frame or many at a time.
Pure numpy, no I/O.
"""

from __future__ import annotations

import numpy as np

from pose import landmarks as lm

#: (ankle, heel) of each leg, left then right.
FEET = np.array([(lm.LEFT_ANKLE, lm.LEFT_HEEL), (lm.RIGHT_ANKLE, lm.RIGHT_HEEL)], dtype=np.intp)

HEEL_OUT_HOLD_S = 0.5
"""How long (s) after its heel was last outside the frame an ankle stays not seen. On R03 the
heel reappears for 0.1-0.3 s at a time while the ankle label keeps jumping; 0.5-1.0 s give the
same scores on the nine real clips."""
CUT_VISIBILITY = 0.1
"""An ankle at the edge gets at most this visibility: well below the 0.5 every angle and check
needs (``pose.angles.joint_angles``'s ``min_visibility``), as ``pose.collapse`` marks its
duplicates."""


class CutFootFilter:
    """Marks the ankles of feet cut by the frame's edge as not seen, over a stream of raw poses
    in time order (``pose.pipeline.FrameLoop``, before smoothing). Feed frames one or many at a
    time: the marks are the same either way."""

    def __init__(self, hold_s: float = HEEL_OUT_HOLD_S) -> None:
        self.hold_s = hold_s
        self.heel_out_at = np.full(len(FEET), -np.inf)
        """(2,) s: when each heel (left, right) was last outside the frame."""

    def reset(self) -> None:
        """Forget the past (a drop-out: what follows it is not continuous with before)."""
        self.heel_out_at = np.full(len(FEET), -np.inf)

    def __call__(self, t: np.ndarray, image: np.ndarray, visibility: np.ndarray,
                 size: np.ndarray | tuple[int, int]) -> np.ndarray:
        """The visibility (N, 33) of N raw poses with ankles at the edge marked not seen.

        ``t`` (N,) s, in time order after every frame fed before; ``image`` (N, 33, 2) px;
        ``visibility`` (N, 33); ``size`` the frames' (width, height) px, (2,) or (N, 2).
        Frames without a person are not fed. Returns a new array; ``visibility`` is untouched.
        """
        if len(t) == 1:
            return self._one_frame(float(t[0]), image[0], visibility[0],
                                   np.asarray(size, dtype=float).reshape(-1)[-2:])[None]
        t = np.asarray(t, dtype=float)
        heels = np.asarray(image, dtype=float)[:, FEET[:, 1]]  # (N, 2, 2)
        wh = np.broadcast_to(np.asarray(size, dtype=float).reshape(-1, 1, 2), heels.shape)
        # NaN (no position) compares False: not out.
        out = ((heels < 0) | (heels >= wh)).any(axis=2)  # (N, 2)
        last = np.maximum.accumulate(np.where(out, t[:, None], -np.inf), axis=0)
        last = np.maximum(last, self.heel_out_at)
        if len(t):
            self.heel_out_at = last[-1].copy()
        cut = t[:, None] - last <= self.hold_s  # (N, 2)
        vis = np.array(visibility, dtype=float)
        ankles = vis[:, FEET[:, 0]]
        vis[:, FEET[:, 0]] = np.where(cut, np.minimum(ankles, CUT_VISIBILITY), ankles)
        return vis

    def _one_frame(self, t: float, image: np.ndarray, visibility: np.ndarray,
                   size: np.ndarray) -> np.ndarray:
        """``__call__`` for a single frame (live feeds one at a time): ``image`` (33, 2) px,
        ``visibility`` (33,), ``size`` (2,) px; the (33,) visibility. The same comparisons on
        the same numbers as the block path, as plain floats: a dozen numpy calls fewer a frame
        (issue 14)."""
        width, height = size.tolist()
        last = self.heel_out_at.tolist()
        for side, (x, y) in enumerate(image[FEET[:, 1]].tolist()):
            if x < 0 or y < 0 or x >= width or y >= height:  # NaN compares False: not out
                last[side] = max(t, last[side])
        self.heel_out_at = np.array(last)
        vis = np.array(visibility, dtype=float)
        for side, ankle in enumerate(FEET[:, 0].tolist()):
            if t - last[side] <= self.hold_s:
                vis[ankle] = np.minimum(vis[ankle], CUT_VISIBILITY)
        return vis
