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
    """Collects frames (live or while decoding) into a ``Track``.

    Frames are written into preallocated blocks of ``BLOCK`` rows, so a long recording costs
    its landmarks and nothing per frame besides. ``dtype`` is the precision kept until
    ``build`` (which gives float64): float32 halves the memory of poses that are at float32
    precision already (the loop's, ``pose.pipeline.at_stored_precision``), exactly.
    """

    BLOCK = 1024

    def __init__(self, size: tuple[int, int], fps: float, source: str = "",
                 model: str = "full", dtype: type = np.float64) -> None:
        self.size, self.fps, self.source, self.model = size, fps, source, model
        self.dtype = dtype
        self._blocks: list[tuple[np.ndarray, ...]] = []
        self._used = 0  # rows used in the last block
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def _rows(self, n: int) -> tuple[tuple[np.ndarray, ...], int]:
        """The last block and the row to write at, with room for at least one row."""
        if not self._blocks or self._used == len(self._blocks[-1][0]):
            rows = max(self.BLOCK, n)
            self._blocks.append((np.empty(rows), np.full((rows, N, 2), np.nan, self.dtype),
                                 np.full((rows, N, 3), np.nan, self.dtype),
                                 np.zeros((rows, N), self.dtype), np.zeros(rows, np.int64)))
            self._used = 0
        return self._blocks[-1], self._used

    def add(self, t_s: float, frame: PoseFrame | None) -> None:
        (t, image, world, vis, people), i = self._rows(1)
        t[i] = t_s
        if frame is not None:
            image[i], world[i], vis[i], people[i] = (frame.image, frame.world,
                                                     frame.visibility, frame.people)
        self._used += 1
        self._count += 1

    def add_block(self, t_s: np.ndarray, image: np.ndarray, world: np.ndarray,
                  visibility: np.ndarray, people: np.ndarray) -> None:
        """N frames at once: ``t_s`` (N,), ``image`` (N, 33, 2), ``world`` (N, 33, 3),
        ``visibility`` (N, 33), ``people`` (N,) (0: no pose; its landmarks are ignored)."""
        done = 0
        while done < len(t_s):
            block, i = self._rows(len(t_s) - done)
            n = min(len(block[0]) - i, len(t_s) - done)
            src = slice(done, done + n)
            block[0][i:i + n] = t_s[src]
            block[1][i:i + n] = image[src]
            block[2][i:i + n] = world[src]
            block[3][i:i + n] = visibility[src]
            block[4][i:i + n] = people[src]
            absent = np.flatnonzero(people[src] == 0) + i
            block[1][absent], block[2][absent], block[3][absent] = np.nan, np.nan, 0.0
            self._used += n
            self._count += n
            done += n

    def build(self) -> Track:
        parts = [tuple(a[:self._used] if k == len(self._blocks) - 1 else a for a in b)
                 for k, b in enumerate(self._blocks)]

        def joined(j: int, dtype: type) -> np.ndarray:
            if not parts:
                shape = ((0,), (0, N, 2), (0, N, 3), (0, N), (0,))[j]
                return np.zeros(shape, dtype)
            return np.concatenate([p[j] for p in parts]).astype(dtype, copy=False)

        return Track(
            t_s=joined(0, np.float64), image=joined(1, np.float64),
            world=joined(2, np.float64), visibility=joined(3, np.float64),
            people=joined(4, np.int64),
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
