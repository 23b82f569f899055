"""Running the pose model over a video file: the ``Track``, and the annotated copy if asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from pose.draw import draw_skeleton
from pose.estimator import PoseEstimator, PoseFrame
from pose.smoothing import OneEuroParams
from pose.track import Track, TrackBuilder
from pose.errors import VideoError
from pose.video import VideoFrame, read_video

#: Called after each frame with (frames done, frames expected or 0 when unknown).
Progress = Callable[[int, int], None]


@dataclass
class AnnotatedWriter:
    """Encodes frames with their skeleton into an H.264 mp4."""

    path: Path
    fps: float

    def __post_init__(self) -> None:
        self._container = av.open(str(self.path), mode="w")
        self._stream = None

    def write(self, frame: VideoFrame, pose: PoseFrame | None) -> None:
        rgb = frame.rgb
        if pose is not None:
            rgb = draw_skeleton(rgb, pose.image, pose.visibility)
        if self._stream is None:
            rate = max(1, round(self.fps)) if self.fps else 30
            self._stream = self._container.add_stream("libx264", rate=rate)
            # H.264 in yuv420p needs even dimensions.
            self._stream.width = rgb.shape[1] // 2 * 2
            self._stream.height = rgb.shape[0] // 2 * 2
            self._stream.pix_fmt = "yuv420p"
        rgb = np.ascontiguousarray(rgb[: self._stream.height, : self._stream.width])
        for packet in self._stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            self._container.mux(packet)

    def close(self) -> None:
        if self._stream is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()


def track_video(
    path: str | Path,
    model: str = "full",
    smoothing: OneEuroParams | None = OneEuroParams(),
    annotate_to: Path | None = None,
    progress: Progress | None = None,
    estimator: PoseEstimator | None = None,
) -> Track:
    """Decode ``path`` and run the pose model on every frame.

    Raises ``VideoError`` for unreadable files; a file damaged part-way keeps the frames read
    before the damage and raises only if nothing could be read.
    """
    with read_video(path) as reader:
        info = reader.info
        builder = TrackBuilder((info.width, info.height), info.fps, str(path), model)
        writer = AnnotatedWriter(annotate_to, info.fps) if annotate_to else None
        own = estimator is None
        est = estimator or PoseEstimator(model, smoothing=smoothing)
        damage = None
        try:
            for frame in reader:
                pose = est.process(frame.rgb, frame.t_s)
                builder.add(frame.t_s, pose)
                if writer is not None:
                    writer.write(frame, pose)
                if progress is not None:
                    progress(frame.index + 1, info.frames)
        except VideoError as exc:
            if builder.count == 0:
                raise
            damage = str(exc)  # keep what was read before the damage
        else:
            damage = reader.ended_early  # a file cut short decodes "cleanly" to its end
        finally:
            if own:
                est.close()
            if writer is not None:
                writer.close()
    track = builder.build()
    if damage:
        track.warnings.append(damage)
    return track
