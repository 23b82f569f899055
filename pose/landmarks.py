"""The 33 BlazePose landmarks: indices, names, the skeleton drawn over them, and ``PoseFrame``
(one person's landmarks in one frame, whatever produced them: the model, the store or a trace).

"Left" and "right" are always the person's own sides, as MediaPipe reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

N_LANDMARKS = 33

NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}

NOSE = 0
LEFT_EAR, RIGHT_EAR = 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX = 31, 32

#: Body-part name used in cues ("I can't see your left knee") for each landmark.
PART: dict[int, str] = {
    NOSE: "face", LEFT_EAR: "head", RIGHT_EAR: "head",
    LEFT_SHOULDER: "left shoulder", RIGHT_SHOULDER: "right shoulder",
    LEFT_ELBOW: "left elbow", RIGHT_ELBOW: "right elbow",
    LEFT_WRIST: "left hand", RIGHT_WRIST: "right hand",
    LEFT_HIP: "left hip", RIGHT_HIP: "right hip",
    LEFT_KNEE: "left knee", RIGHT_KNEE: "right knee",
    LEFT_ANKLE: "left ankle", RIGHT_ANKLE: "right ankle",
    LEFT_HEEL: "left heel", RIGHT_HEEL: "right heel",
    LEFT_FOOT_INDEX: "left foot", RIGHT_FOOT_INDEX: "right foot",
}

#: Bones of the overlay, as (from, to) landmark index pairs.
SKELETON: tuple[tuple[int, int], ...] = (
    (LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_HIP, RIGHT_HIP),
    (LEFT_SHOULDER, LEFT_HIP), (RIGHT_SHOULDER, RIGHT_HIP),
    (LEFT_SHOULDER, LEFT_ELBOW), (LEFT_ELBOW, LEFT_WRIST),
    (RIGHT_SHOULDER, RIGHT_ELBOW), (RIGHT_ELBOW, RIGHT_WRIST),
    (LEFT_HIP, LEFT_KNEE), (LEFT_KNEE, LEFT_ANKLE), (LEFT_ANKLE, LEFT_HEEL),
    (LEFT_HEEL, LEFT_FOOT_INDEX), (LEFT_ANKLE, LEFT_FOOT_INDEX),
    (RIGHT_HIP, RIGHT_KNEE), (RIGHT_KNEE, RIGHT_ANKLE), (RIGHT_ANKLE, RIGHT_HEEL),
    (RIGHT_HEEL, RIGHT_FOOT_INDEX), (RIGHT_ANKLE, RIGHT_FOOT_INDEX),
    (NOSE, LEFT_EAR), (NOSE, RIGHT_EAR),
)


@dataclass(frozen=True)
class PoseFrame:
    """One person's pose in one frame.

    Attributes:
        t_s: timestamp in seconds (the frame's own, from the container or the camera).
        image: (33, 2) landmark positions in pixels of the displayed frame.
        world: (33, 3) landmark positions in metres, origin at mid-hip, x right, y down,
            z away from the camera.
        visibility: (33,) in [0, 1]; landmarks outside the frame count as not visible.
        size: (width, height) of the frame in pixels.
        people: how many people are in view (counted once a second; only one is tracked).
    """

    t_s: float
    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    size: tuple[int, int]
    people: int = 1

    @cached_property
    def span(self) -> float:
        """How much of the picture the seen landmarks (visibility 0.5 or more) span: the
        larger of their extent across and down, as a share of the frame's width and height;
        NaN (unknown) with fewer than ``SPAN_MIN_SEEN`` seen, too little of a body to size it.
        Worked out once a frame (every stretch's check asks); a block of frames has it from
        ``spans``, the same numbers at once. Here, ``spans``'s arithmetic on the seen
        landmarks alone: half its numpy calls, which are what one frame's span costs."""
        seen = self.visibility >= 0.5
        if np.count_nonzero(seen) < SPAN_MIN_SEEN:
            return float("nan")
        seen_px = self.image[seen]
        share = (seen_px.max(axis=0) - seen_px.min(axis=0)) / np.maximum(self.size, 1)
        return float(share.max())


def stack_rows(rows: list[np.ndarray]) -> np.ndarray:
    """``np.stack(rows)`` for N arrays of one shape (a frame's landmarks, one per pose):
    (N, *shape). One concatenation instead of ``np.stack``'s per-array checks, which cost
    4 times the copy on a recording's frames (1 us a frame, issue 14). Raises ``ValueError``
    when the shapes differ or there are none."""
    if not rows:
        raise ValueError("no rows to stack")
    return np.concatenate(rows).reshape(len(rows), *rows[0].shape)


def extents(image: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """How far the seen landmarks (visibility 0.5 or more) of N frames reach across and down:
    ``image`` (N, 33, 2) pixels, ``visibility`` (N, 33). Returns (N, 2) pixels (NaN with
    nothing seen)."""
    seen = (visibility >= 0.5)[:, None, :]
    # Each frame's x and then y in a row of their own: numpy reduces a contiguous last axis
    # 3-6 times faster than the landmarks' axis with x and y interleaved (issue 14).
    across_down = np.ascontiguousarray(image.transpose(0, 2, 1))  # (N, 2, 33)
    hi = np.where(seen, across_down, -np.inf).max(axis=2)
    lo = np.where(seen, across_down, np.inf).min(axis=2)
    with np.errstate(invalid="ignore"):  # nothing seen: inf - inf
        reach: np.ndarray = hi - lo
    return reach


def spans(image: np.ndarray, visibility: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``PoseFrame.span`` of N frames: ``image`` (N, 33, 2) pixels, ``visibility`` (N, 33),
    ``size`` (N, 2) width and height in pixels. Returns (N,) shares of the picture."""
    with np.errstate(invalid="ignore"):  # nothing seen: NaN below anyway
        share = extents(image, visibility) / np.maximum(size, 1)
    seen = (visibility >= 0.5).sum(axis=1)
    return np.where(seen >= SPAN_MIN_SEEN, share.max(axis=1), np.nan)


def with_span(pose: PoseFrame, span: float) -> PoseFrame:
    """``pose`` with its ``span`` given, as worked out for a block of frames at once
    (``spans``): per frame it cost as much as the rest of a replayed frame's checks."""
    pose.__dict__["span"] = span  # the cached property's own slot
    return pose


@dataclass(frozen=True)
class Fit:
    """A picture of size ``frame`` (width, height) shown in a frame of size ``into``, scaled
    alike both ways to fit and centred: pixels map by ``x * scale + offset``. The same aspect
    (``same_aspect``) is an exact rescaling, edges on edges; another is letterboxed, which
    keeps angles in the picture but moves its edges and shrinks its shares. The live session
    places a camera's poses in its first frame's size when the resolution changes with the
    same aspect (``pose.live.LiveSession``)."""

    frame: tuple[int, int]
    into: tuple[int, int]

    @property
    def scale(self) -> float:
        return min(self.into[0] / self.frame[0], self.into[1] / self.frame[1])

    @property
    def same_aspect(self) -> bool:
        """Whether the two sizes have one aspect, to a pixel: the fit is then exact, edges on
        edges (a letterbox moves the picture's edges and shrinks its shares)."""
        w, h = self.frame
        return abs(w * self.scale - self.into[0]) <= 1 and abs(h * self.scale - self.into[1]) <= 1

    @property
    def offset(self) -> np.ndarray:
        """(2,) pixels."""
        return (np.array(self.into, float) - self.scale * np.array(self.frame, float)) / 2.0

    def placed(self, pose: PoseFrame) -> PoseFrame:
        """``pose``, in pixels of a ``frame``-sized picture, in pixels of ``into``."""
        if self.frame == self.into:
            return pose
        return replace(pose, image=pose.image * self.scale + self.offset, size=self.into)

    def shown(self, pose: PoseFrame) -> PoseFrame:
        """``placed`` undone: ``pose``, in pixels of ``into``, in pixels of the picture."""
        if self.frame == self.into:
            return pose
        return replace(pose, image=(pose.image - self.offset) / self.scale, size=self.frame)


SPAN_MIN_SEEN = 5
"""Landmarks that must be seen for ``PoseFrame.span`` to size a body: fewer (a hand or a
face at the frame's edge) say nothing of how far away the person is."""
