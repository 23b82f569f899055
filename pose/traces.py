"""Recorded pose traces: what the model saw, frame by frame, replayed as if it saw it now.

A trace (the ``<id>.npz`` files of ``../shared/realclips``) holds the raw model output of a
video, before smoothing. ``pose_frames`` turns it back into the stream of raw ``PoseFrame``s the
estimator would have produced, with their source timestamps: a source for the one frame loop
(``pose.pipeline.run_poses``; ``pose.sessions.analyse_trace``), which smooths them, measures
the angles and checks them exactly as it does the model's poses from a video or the webcam.

File format (numpy ``.npz``), one row per decoded frame:

- ``t_s`` (N,) float64 seconds, from the container;
- ``found`` (N,) bool, a person was found;
- ``image`` (N, 33, 2) pixels of the displayed frame (NaN when not found);
- ``world`` (N, 33, 3) metres, hip-centred, y down, z away from the camera (NaN when not found);
- ``visibility`` (N, 33) in [0, 1], 0 outside the frame or when not found;
- ``people`` (N,) int, people in view as the estimator counted them (2 means several);
- ``size`` (2,) int, frame width and height in pixels.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose import landmarks as lm
from pose.errors import StretchCheckError
from pose.landmarks import PoseFrame

FIELDS = ("t_s", "found", "image", "world", "visibility", "people", "size")


class TraceError(StretchCheckError):
    """A trace file that cannot be read or does not have the trace format."""


@dataclass(frozen=True)
class PoseTrace:
    """The raw model output of one recording (see the module docstring for the shapes)."""

    clip: str
    t_s: np.ndarray
    found: np.ndarray
    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    people: np.ndarray
    size: tuple[int, int]

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def fps(self) -> float:
        """Nominal frame rate: the median frame interval's inverse (0 for fewer than 2 frames)."""
        steps = np.diff(self.t_s)
        steps = steps[steps > 0]
        return float(1.0 / np.median(steps)) if len(steps) else 0.0


def load_trace(path: str | Path) -> PoseTrace:
    """Read a trace file. Raises ``TraceError`` (one line) for a missing, corrupt or foreign
    file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [f for f in FIELDS if f not in data.files]
            if missing:
                raise TraceError(f"{path}: not a pose trace (no {', '.join(missing)})")
            arrays = {f: np.asarray(data[f]) for f in FIELDS}
    except FileNotFoundError:
        raise TraceError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise TraceError(f"{path}: not a readable pose trace ({exc})") from None
    for name, a in arrays.items():
        if a.dtype.kind not in "biuf":  # bool, integers, floats: complex numbers are no time
            raise TraceError(f"{path}: {name} holds {a.dtype} values, expected numbers")
    t_s = arrays["t_s"]
    n = len(t_s) if t_s.ndim == 1 else -1
    shapes = {"t_s": (n,), "found": (n,), "image": (n, lm.N_LANDMARKS, 2),
              "world": (n, lm.N_LANDMARKS, 3), "visibility": (n, lm.N_LANDMARKS),
              "people": (n,), "size": (2,)}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            expected = str(shape).replace("-1", "N")
            raise TraceError(f"{path}: {name} is shaped {arrays[name].shape}, expected "
                             f"{expected}")
    # The model never gives an infinite coordinate: one is a broken value, not a place.
    image, world = (np.where(np.isfinite(a), a, np.nan).astype(np.float64)
                    for a in (arrays["image"], arrays["world"]))
    return PoseTrace(
        clip=path.stem,
        t_s=t_s.astype(np.float64),
        found=arrays["found"].astype(bool),
        image=image,
        world=world,
        visibility=arrays["visibility"].astype(np.float64),
        people=arrays["people"].astype(np.int64),
        size=(int(arrays["size"][0]), int(arrays["size"][1])),
    )


def pose_frames(trace: PoseTrace) -> Iterator[tuple[float, PoseFrame | None]]:
    """The trace as the estimator's raw output stream: ``(source t_s, PoseFrame or None)`` per
    frame, unsmoothed (the loop smooths, as it smooths the model's output)."""
    width, height = trace.size
    size = (width, height)
    # The rows as views and the scalars as Python numbers, each made in one go.
    for t, found, image, world, visibility, people in zip(
            trace.t_s.tolist(), trace.found.tolist(), list(trace.image), list(trace.world),
            list(trace.visibility), trace.people.tolist(), strict=True):
        if not found:
            yield t, None
            continue
        yield t, PoseFrame(t, image, world, visibility, size, max(1, int(people)))
