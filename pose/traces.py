"""Recorded pose traces: what the model saw, frame by frame, replayed as if it saw it now.

A trace (the ``<id>.npz`` files of ``../shared/realclips``) holds the raw model output of a
video, before smoothing. ``pose_frames`` turns it back into the stream of ``PoseFrame``s the
estimator would have produced, smoothing included, so everything after the model (angles,
checks, holds, sides, bounce) runs exactly as it does on the video.

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
from pose.estimator import PoseFrame
from pose.smoothing import OneEuroFilter, OneEuroParams
from pose.track import Track

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
    """Read a trace file. Raises ``TraceError`` (one line) for a missing, corrupt or foreign file."""
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
    n = len(arrays["t_s"])
    shapes = {"found": (n,), "image": (n, lm.N_LANDMARKS, 2), "world": (n, lm.N_LANDMARKS, 3),
              "visibility": (n, lm.N_LANDMARKS), "people": (n,), "size": (2,)}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise TraceError(f"{path}: {name} is shaped {arrays[name].shape}, expected {shape}")
    return PoseTrace(
        clip=path.stem,
        t_s=arrays["t_s"].astype(np.float64),
        found=arrays["found"].astype(bool),
        image=arrays["image"].astype(np.float64),
        world=arrays["world"].astype(np.float64),
        visibility=arrays["visibility"].astype(np.float64),
        people=arrays["people"].astype(np.int64),
        size=(int(arrays["size"][0]), int(arrays["size"][1])),
    )


def pose_frames(trace: PoseTrace, smoothing: OneEuroParams | None = OneEuroParams()
                ) -> Iterator[tuple[float, PoseFrame | None]]:
    """The trace as the estimator's output stream: ``(t_s, PoseFrame or None)`` per frame.

    Smoothing is done as ``PoseEstimator.process`` does it: one One-Euro filter on the image
    landmarks in frame-height units and one on the world landmarks, fed only the frames in which
    a person was found (a gap longer than the filter's ``max_gap_s`` restarts it).
    """
    width, height = trace.size
    smooth_image = OneEuroFilter(smoothing) if smoothing else None
    smooth_world = OneEuroFilter(smoothing) if smoothing else None
    for i in range(len(trace)):
        t = float(trace.t_s[i])
        if not trace.found[i]:
            yield t, None
            continue
        image, world = trace.image[i], trace.world[i]
        if smooth_image is not None and smooth_world is not None:
            image = smooth_image(image / height, t) * height
            world = smooth_world(world, t)
        yield t, PoseFrame(t, image, world, trace.visibility[i], (width, height),
                           max(1, int(trace.people[i])))


def trace_track(trace: PoseTrace, smoothing: OneEuroParams | None = OneEuroParams(),
                source: str | None = None) -> Track:
    """The ``Track`` that analysing the trace's video would give (smoothed like the estimator)."""
    times, frames = [], []
    for t, frame in pose_frames(trace, smoothing):
        times.append(t)
        frames.append(frame)
    return Track.from_frames(times, frames, trace.size, trace.fps,
                             source=source if source is not None else trace.clip)
