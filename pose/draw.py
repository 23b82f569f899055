"""The skeleton overlay, drawn into RGB frames with OpenCV (no windows are opened)."""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from pose import landmarks as lm

RGB = tuple[int, int, int]

#: Overlay colours by form status, chosen to stay distinct for colour-blind users
#: (blue / orange / vermillion / purple rather than a red-green pair).
STATUS_COLOURS: dict[str, RGB] = {
    "in_form": (0, 158, 115),
    "nearly": (240, 170, 0),
    "out_of_form": (213, 94, 0),
    "over_range": (204, 0, 204),
    "unknown": (160, 160, 160),
    "tracking": (0, 114, 178),
}


def draw_skeleton(
    rgb: np.ndarray,
    image_px: np.ndarray,
    visibility: np.ndarray,
    colour: RGB = STATUS_COLOURS["tracking"],
    joint_colours: Mapping[int, RGB] | None = None,
    min_visibility: float = 0.5,
) -> np.ndarray:
    """A copy of ``rgb`` (H, W, 3) with the skeleton of ``image_px`` (33, 2) pixels drawn on it.

    Bones between two visible landmarks are drawn in ``colour``; ``joint_colours`` recolours
    single landmarks and the bones ending in them (e.g. the knee a cue is about). Landmarks below
    ``min_visibility`` are left out rather than drawn where the model guessed them.
    """
    out = np.ascontiguousarray(rgb).copy()
    h, w = out.shape[:2]
    thickness = max(2, round(min(h, w) / 160))
    seen = np.asarray(visibility) >= min_visibility
    pts = np.round(np.nan_to_num(image_px, nan=-1)).astype(np.int32)
    special = dict(joint_colours or {})
    for a, b in lm.SKELETON:
        if seen[a] and seen[b]:
            c = special.get(b, special.get(a, colour))
            cv2.line(out, tuple(pts[a]), tuple(pts[b]), c, thickness, cv2.LINE_AA)
    for i in np.flatnonzero(seen):
        if i in lm.PART:
            cv2.circle(out, tuple(pts[i]), thickness + 2, special.get(int(i), colour), -1,
                       cv2.LINE_AA)
    return out
