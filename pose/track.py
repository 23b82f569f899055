"""A ``Track``: the landmarks of a whole recording, frame by frame.

It is what analysis produces from a video, what the store keeps of a session, and what replay
re-checks: the pose model runs once, everything after it works on this.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from pose import landmarks as lm
from pose.angles import ANGLE_NAMES, joint_angles
from pose.landmarks import PoseFrame

N = lm.N_LANDMARKS


@dataclass
class Track:
    """Landmarks of N frames. Frames without a pose hold NaN landmarks and zero visibility.

    Attributes:
        t_s: (N,) timestamps in seconds.
        image: (N, 33, 2) pixels.
        world: (N, 33, 3) metres.
        visibility: (N, 33) in [0, 1].
        people: (N,) number of people the model found (0 = no pose).
        size: (width, height) of the frames in pixels.
        fps: nominal frame rate of the source.
    """

    t_s: np.ndarray
    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    people: np.ndarray
    size: tuple[int, int]
    fps: float
    source: str = ""
    model: str = "full"
    warnings: list[str] = field(default_factory=list)
    _angles: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def has_pose(self) -> np.ndarray:
        return self.people > 0

    @property
    def duration_s(self) -> float:
        if not len(self):
            return 0.0
        step = 1.0 / self.fps if self.fps else 0.0
        return float(self.t_s[-1] - self.t_s[0] + step)

    def angles(self) -> dict[str, np.ndarray]:
        """All named angles for every frame, computed once, vectorised over frames."""
        if self._angles is None:
            self._angles = joint_angles(self.image, self.world, self.visibility)
        return self._angles

    def frame(self, i: int) -> PoseFrame | None:
        if not self.people[i]:
            return None
        return PoseFrame(float(self.t_s[i]), self.image[i], self.world[i], self.visibility[i],
                         self.size, int(self.people[i]))

    @classmethod
    def from_frames(cls, times: Iterable[float], frames: Iterable[PoseFrame | None],
                    size: tuple[int, int], fps: float, source: str = "",
                    model: str = "full") -> Track:
        builder = TrackBuilder(size, fps, source, model)
        for t, f in zip(times, frames, strict=False):
            builder.add(t, f)
        return builder.build()


class TrackBuilder:
    """Collects frames one at a time (live or while decoding) into a ``Track``.

    The landmarks wait in blocks of ``BLOCK`` frames, (BLOCK, 33, 6) arrays of ``dtype``
    (image x, y in pixels; world x, y, z in metres; visibility), rather than three arrays a
    frame: with float32 a long live session keeps ~0.8 KB a frame instead of ~1.9 KB (issue 14:
    a 10-minute session grew 2.3 KB a frame). float32 is lossless for poses already at the
    store's precision (``pose.pipeline.at_stored_precision``); ``build`` gives float64.
    """

    BLOCK = 1024

    def __init__(self, size: tuple[int, int], fps: float, source: str = "",
                 model: str = "full", dtype: type = np.float64) -> None:
        self.size, self.fps, self.source, self.model = size, fps, source, model
        self._dtype = np.dtype(dtype)
        self._t: list[float] = []
        self._people: list[int] = []
        self._blocks: list[np.ndarray] = []

    @property
    def count(self) -> int:
        return len(self._t)

    def add(self, t_s: float, frame: PoseFrame | None) -> None:
        i = len(self._t) % self.BLOCK
        if i == 0:
            self._blocks.append(np.empty((self.BLOCK, N, 6), self._dtype))
        row = self._blocks[-1][i]
        if frame is None:
            row[:, :5] = np.nan
            row[:, 5] = 0.0
        else:
            row[:, :2] = frame.image
            row[:, 2:5] = frame.world
            row[:, 5] = frame.visibility
        self._t.append(t_s)
        self._people.append(0 if frame is None else frame.people)

    def add_block(self, t_s: np.ndarray, image: np.ndarray, world: np.ndarray,
                  visibility: np.ndarray, people: np.ndarray) -> None:
        """N frames at once (the loop's batch entry): ``t_s`` (N,), ``image`` (N, 33, 2),
        ``world`` (N, 33, 3), ``visibility`` (N, 33), ``people`` (N,) (0: no pose; its
        landmarks are ignored)."""
        n = len(t_s)
        rows = np.empty((n, N, 6), self._dtype)
        rows[:, :, :2], rows[:, :, 2:5], rows[:, :, 5] = image, world, visibility
        absent = np.asarray(people) == 0
        rows[absent, :, :5], rows[absent, :, 5] = np.nan, 0.0
        done = 0
        while done < n:
            i = len(self._t) % self.BLOCK
            if i == 0:
                self._blocks.append(np.empty((self.BLOCK, N, 6), self._dtype))
            k = min(self.BLOCK - i, n - done)
            self._blocks[-1][i:i + k] = rows[done:done + k]
            self._t.extend(np.asarray(t_s[done:done + k], dtype=np.float64).tolist())
            self._people.extend(int(p) for p in people[done:done + k])
            done += k

    def build(self) -> Track:
        n = len(self._t)
        rows = (np.concatenate(self._blocks)[:n] if self._blocks
                else np.empty((0, N, 6), self._dtype)).astype(np.float64)
        return Track(
            t_s=np.asarray(self._t, dtype=np.float64),
            image=np.ascontiguousarray(rows[:, :, :2]),
            world=np.ascontiguousarray(rows[:, :, 2:5]),
            visibility=np.ascontiguousarray(rows[:, :, 5]),
            people=np.asarray(self._people, dtype=np.int64),
            size=self.size, fps=self.fps, source=self.source, model=self.model,
        )


def frames_csv_header() -> list[str]:
    return (["frame", "t_s", "pose"] + [f"x{i}" for i in range(N)] + [f"y{i}" for i in range(N)]
            + [f"v{i}" for i in range(N)] + list(ANGLE_NAMES))


def write_frames_csv(track: Track, path: Path) -> None:
    """One row per frame: landmarks in pixels, visibility, then every named angle in degrees.

    Unknown values (no pose, hidden joint) are left empty.
    """
    with open(path, "w", newline="") as f:
        _write_frames(track, f)


def frames_csv_text(track: Track) -> str:
    """The same table as ``write_frames_csv``, as text (for a download)."""
    buf = io.StringIO()
    _write_frames(track, buf)
    return buf.getvalue()


def _write_frames(track: Track, f: TextIO) -> None:
    angles = track.angles()
    table = np.column_stack(
        [np.arange(len(track)), track.t_s, track.has_pose.astype(int),
         track.image[:, :, 0], track.image[:, :, 1], track.visibility]
        + [angles[name] for name in ANGLE_NAMES]
    ) if len(track) else np.zeros((0, len(frames_csv_header())))
    writer = csv.writer(f)
    writer.writerow(frames_csv_header())
    # Python floats: formatting them is the same text, without numpy's per-scalar cost.
    writer.writerows(_format_row(row) for row in table.tolist())


def _format_row(row: list[float]) -> list[str]:
    head = [str(int(row[0])), f"{row[1]:.4f}", str(int(row[2]))]
    return head + ["" if not math.isfinite(v) else f"{v:.3f}" for v in row[3:]]
