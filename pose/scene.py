"""Whether the picture around the tracked person has changed: the people count's gate.

Counting the people in view runs a second landmarker over the whole picture (17-28 ms a count
at 640x480, as much as the model; ``pose.estimator``). Alone in a still room, which is how a
person stretches at home, every count gives the answer the last one gave. Someone coming into
view changes the picture outside the person already tracked, so a count falls due only when the
picture there has changed since the last count (or when ``MAX_UNCOUNTED_S`` have passed, as a
safety net for what this cannot see).

The picture is compared as a ``GRID`` of cells, each the mean colour of its pixels: the person's
own movement is left out (the cells under the tracked pose's box, and under the box at the last
count, with a margin), and so is the camera's noise (a cell's mean moves by 1-7 levels in the
sample clips' still backgrounds; people walking through a picture move cells by 98-174 levels:
``SCENE_CHANGE``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GRID = (32, 24)
"""Cells (across, down) the picture is compared in: 20 px squares at 640x480, so a person a
sixth of the picture high covers whole cells."""

SCENE_CHANGE = 16
"""Levels (0-255) a cell's mean colour must move, in some channel, for the picture to count as
changed: over twice the most a still background moved between counts in the sample clips (7,
A01, whose person squats; 1-3 in A06), far under what a person walking in does (98-174, the
pedestrians of A07)."""

BOX_MARGIN = 0.15
"""Share of the tracked pose's width and height added on each side of its box, plus a cell:
limbs reach past the landmarks (hands, hair, clothes), and the box is from one frame."""

MAX_UNCOUNTED_S = 10.0
"""Seconds after which people are counted even if nothing seemed to change."""


def signature(rgb: np.ndarray) -> np.ndarray:
    """The mean colour of each ``GRID`` cell of an (H, W, 3) uint8 picture: (rows, columns, 3)
    int16 (area averaging, ``cv2.INTER_AREA``)."""
    return cv2.resize(rgb, GRID, interpolation=cv2.INTER_AREA).astype(np.int16)


def person_cells(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(rows, columns) bool: the ``GRID`` cells under the box of landmarks ``image`` (33, 2)
    pixels in a picture of ``size`` (width, height), widened by ``BOX_MARGIN`` and a cell."""
    cols, rows = GRID
    w, h = size
    found = image[np.isfinite(image).all(axis=1)]
    cells = np.zeros((rows, cols), dtype=bool)
    if not len(found):
        return cells
    (x0, y0), (x1, y1) = found.min(axis=0), found.max(axis=0)
    mx, my = (x1 - x0) * BOX_MARGIN + w / cols, (y1 - y0) * BOX_MARGIN + h / rows
    c0, c1 = int(max(0.0, (x0 - mx) * cols / w)), int(min(cols, np.ceil((x1 + mx) * cols / w)))
    r0, r1 = int(max(0.0, (y0 - my) * rows / h)), int(min(rows, np.ceil((y1 + my) * rows / h)))
    cells[max(r0, 0):max(r1, 0), max(c0, 0):max(c1, 0)] = True
    return cells


@dataclass(frozen=True)
class Scene:
    """The picture at a people count, as the gate compares it: ``cells`` (``signature``), the
    tracked person's cells (``person_cells``) and the count's session time ``t_s`` s."""

    cells: np.ndarray
    person: np.ndarray
    t_s: float

    @classmethod
    def of(cls, rgb: np.ndarray, image: np.ndarray, t_s: float) -> Scene:
        """The scene of an (H, W, 3) RGB picture with the tracked pose's ``image`` (33, 2) px."""
        return cls(signature(rgb), person_cells(image, (rgb.shape[1], rgb.shape[0])), t_s)

    def changed(self, now: Scene) -> bool:
        """Whether ``now`` differs from this scene around the person (in either scene's
        cells): some cell's colour moved by ``SCENE_CHANGE`` or more, or ``MAX_UNCOUNTED_S``
        have passed (or time went back), or the picture's shape changed."""
        if not 0.0 <= now.t_s - self.t_s < MAX_UNCOUNTED_S or now.cells.shape != self.cells.shape:
            return True
        around = ~(self.person | now.person)
        if not around.any():  # the person fills the picture: nothing to compare
            return True
        moved = np.abs(now.cells - self.cells).max(axis=2)
        return bool((moved[around] >= SCENE_CHANGE).any())
