"""Whether the picture around the tracked person has changed: the live people count's gate.

Counting the people in view runs a second landmarker over the whole picture (17-28 ms a count
at 640x480, as much as the model; ``pose.estimator``). Alone in a still room, which is how a
person stretches at home, every count gives the answer the last one gave. Someone coming into
view changes the picture outside the person already tracked, so once a few counts in a row
have found one person in an unchanged picture (``CONFIRM_COUNTS``: the counter misses a person
now and then), a count falls due only when the picture there changes again, or every
``MAX_UNCOUNTED_S`` all the same (``CountGate``).

The picture is compared as a ``GRID`` of cells, each the mean colour of its pixels. The
person's own movement is left out (the cells under the tracked pose's box, and under the box at
the reference picture, with a margin); so is the camera's noise, which a cell's mean averages
away. A change is measured against the brighter of the two readings (``SCENE_CHANGE_SHARE``),
so that a visitor in a dim room counts as much as one in daylight.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GRID = (32, 24)
"""Cells (across, down) the picture is compared in: 20 px squares at 640x480, so a person a
sixth of the picture high covers whole cells."""

SCENE_CHANGE_SHARE = 0.12
"""Share of a cell's level (0-255, the brighter of the two readings, in the channel that moved
most) by which its mean colour must move for the picture to count as changed, and at least
``SCENE_CHANGE_MIN`` levels. Against the reference picture up to ``MAX_UNCOUNTED_S`` old, the
still backgrounds of the sample clips moved cells by at most 10 levels (A01, whose person
squats; 1-3 in A06); people walking through a picture, by 98-174 (A07's pedestrians), and
still 12-16 with the picture at 0.15 of its brightness (a room lit by a screen), where a fixed
threshold of 16 missed them."""

SCENE_CHANGE_MIN = 6
"""Levels a cell must move at the least (dark cells: the camera's noise, averaged over a cell,
stays under it)."""

BOX_MARGIN = 0.15
"""Share of the tracked pose's width and height added on each side of its box, plus a cell:
limbs reach past the landmarks (hands, hair, clothes), and the box is from one frame."""

MIN_AROUND = 0.25
"""Share of the cells that must lie outside the person's boxes for the picture around them to
say anything: a person close to the camera leaves a strip at the edges where a visitor could
stand unseen behind them, so the count is always run then."""

CONFIRM_COUNTS = 5
"""Counts in a row that must find one person (or none) in an unchanged picture before counts
are left out: the counter misses a person standing in view now and then (a visitor pasted
still into A06 was missed in 7 counts in a row), and a missed visitor's picture must not
become the still room the gate compares with."""

MAX_UNCOUNTED_S = 4.0
"""Seconds after which people are counted even if nothing seemed to change: a visitor the
gate cannot see is still counted half as often as without the gate (every 2 s alone)."""


def signature(rgb: np.ndarray) -> np.ndarray:
    """The mean colour of each ``GRID`` cell of an (H, W, 3) uint8 picture: (rows, columns, 3)
    int16 (area averaging, ``cv2.INTER_AREA``)."""
    return cv2.resize(rgb, GRID, interpolation=cv2.INTER_AREA).astype(np.int16)


def person_cells(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(rows, columns) bool: the ``GRID`` cells under the box of landmarks ``image`` (33, 2)
    pixels in a picture of ``size`` (width, height), clipped to the picture, then widened by
    ``BOX_MARGIN`` and a cell."""
    cols, rows = GRID
    w, h = size
    found = image[np.isfinite(image).all(axis=1)]
    cells = np.zeros((rows, cols), dtype=bool)
    if not len(found):
        return cells
    found = np.clip(found, 0.0, (w, h))  # a guessed limb far outside must not widen the margin
    (x0, y0), (x1, y1) = found.min(axis=0), found.max(axis=0)
    mx, my = (x1 - x0) * BOX_MARGIN + w / cols, (y1 - y0) * BOX_MARGIN + h / rows
    c0, c1 = int(max(0.0, (x0 - mx) * cols / w)), int(min(cols, np.ceil((x1 + mx) * cols / w)))
    r0, r1 = int(max(0.0, (y0 - my) * rows / h)), int(min(rows, np.ceil((y1 + my) * rows / h)))
    cells[r0:r1, c0:c1] = True
    return cells


@dataclass(frozen=True)
class Scene:
    """A picture as the gate compares it: ``cells`` (``signature``), the tracked person's
    cells (``person_cells``), the picture's ``shape`` (height, width) and its session time
    ``t_s`` s."""

    cells: np.ndarray
    person: np.ndarray
    shape: tuple[int, int]
    t_s: float

    @classmethod
    def of(cls, rgb: np.ndarray, image: np.ndarray, t_s: float) -> Scene:
        """The scene of an (H, W, 3) RGB picture with the tracked pose's ``image`` (33, 2) px."""
        h, w = rgb.shape[:2]
        return cls(signature(rgb), person_cells(image, (w, h)), (h, w), t_s)

    def changed(self, now: Scene) -> bool:
        """Whether ``now`` differs from this scene around the person (outside either scene's
        person cells): some cell's colour moved by ``SCENE_CHANGE_SHARE`` of its level (at
        least ``SCENE_CHANGE_MIN``); also when the picture's size changed or too little of it
        lies around the person to tell (``MIN_AROUND``)."""
        if now.shape != self.shape:
            return True
        around = ~(self.person | now.person)
        if around.mean() < MIN_AROUND:
            return True
        moved = np.abs(now.cells - self.cells)
        level = np.maximum(now.cells, self.cells)
        limit = np.maximum(SCENE_CHANGE_SHARE * level, SCENE_CHANGE_MIN)
        return bool((moved >= limit).any(axis=2)[around].any())


class CountGate:
    """Which people counts that fall due are run (``wanted``), from the scenes they fall due
    on and what the counts found (``counted``): every count while the last one saw several
    people, after any change around the person, until ``CONFIRM_COUNTS`` counts in a row have
    found one person in an unchanged picture, and every ``MAX_UNCOUNTED_S``."""

    def __init__(self) -> None:
        self._reference: Scene | None = None  # the picture the confirming counts were run on
        self._confirmed = 0  # counts in a row that found one person (or none) on it
        self._counted_at: float | None = None  # session time of the last count run
        self.skipped = 0
        """Counts that fell due and were left out."""

    def wanted(self, scene: Scene, crowd: bool) -> bool:
        """Whether to run the count that fell due on ``scene``; ``crowd``: the last count saw
        several people. A count run must be reported with ``counted``."""
        reference, last = self._reference, self._counted_at
        if (crowd or reference is None or last is None or reference.changed(scene)
                or not 0.0 <= scene.t_s - last < MAX_UNCOUNTED_S):
            if reference is None or reference.changed(scene):
                self._reference, self._confirmed = scene, 0
            self._counted_at = scene.t_s
            return True
        if self._confirmed < CONFIRM_COUNTS:
            self._counted_at = scene.t_s
            return True
        self.skipped += 1
        return False

    def counted(self, found: int) -> None:
        """What the count last wanted found: people in view."""
        self._confirmed = self._confirmed + 1 if found <= 1 else 0
