"""Which way the camera sees the person, frame by frame: front, three-quarter, side or back.

The view decides how each angle is best measured. Seen from the front or the back, the body's
left-right axis lies in the image plane: tilts to the side (neck, trunk, shoulder line) are
measured in the image, where the 3-D world landmarks under-read them (a neck side bend by about
a third: 10-12 deg where the image shows 14-19). Seen from the side, the left-right axis points
into the image: a tilt to the side moves only in depth, which no measure here judges reliably,
so those angles are unknown (and the cue is to face the camera).

The view comes from the yaw of the body's left-right axis (shoulders and hips) in the world
landmarks: 0 deg when the person's left is at the image's right (facing the camera, or lying
seen from beyond the feet), 180 when it is at the image's left (seen from behind), +-90 side-on.
"""

from __future__ import annotations

import numpy as np

from pose import landmarks as lm

FRONT, THREE_QUARTER, SIDE, BACK, UNKNOWN = "front", "three_quarter", "side", "back", "unknown"
VIEWS = (FRONT, THREE_QUARTER, SIDE, BACK)

FACING_DEG = 30.0
"""Within this of straight on (0 or 180 deg of yaw) the view is front or back."""
SIDE_DEG = 60.0
"""Further than this from straight on the view is side-on; between the two, three-quarter."""


def body_yaw(world: np.ndarray) -> np.ndarray:
    """(N,) yaw in degrees of the body's left-right axis, in (-180, 180]; NaN without landmarks.

    ``world`` is (N, 33, 3) (x right, y down, z away from the camera). 0: the person's left
    points to the image's right; +90: it points away from the camera (the right side is near).
    """
    across = ((world[:, lm.LEFT_SHOULDER] - world[:, lm.RIGHT_SHOULDER])
              + (world[:, lm.LEFT_HIP] - world[:, lm.RIGHT_HIP]))
    return np.degrees(np.arctan2(across[:, 2], across[:, 0]))


def camera_views(world: np.ndarray) -> np.ndarray:
    """(N,) view labels ("front", "three_quarter", "side", "back", or "unknown")."""
    yaw = np.abs(body_yaw(world))
    off = np.minimum(yaw, 180.0 - yaw)  # degrees from straight on (front or back)
    out = np.full(len(world), UNKNOWN, dtype=object)
    known = np.isfinite(yaw)
    with np.errstate(invalid="ignore"):
        out[known & (off <= FACING_DEG) & (yaw <= 90.0)] = FRONT
        out[known & (off <= FACING_DEG) & (yaw > 90.0)] = BACK
        out[known & (off > FACING_DEG) & (off <= SIDE_DEG)] = THREE_QUARTER
        out[known & (off > SIDE_DEG)] = SIDE
    return out


def facing(views: np.ndarray) -> np.ndarray:
    """(N,) True where the camera sees the person from the front or the back."""
    return (views == FRONT) | (views == BACK)
