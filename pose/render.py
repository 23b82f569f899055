"""Pictures of a session: the one overlay (live, playback, annotated files) and the H.264 writer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import av
import numpy as np

from pose.draw import RGB, STATUS_COLOURS, draw_coaching, draw_skeleton
from pose.events import Event
from pose.landmarks import PoseFrame
from pose.report import Report
from pose.track import Track
from pose.video import read_video


def overlay(rgb: np.ndarray, pose: PoseFrame | None, status: str = "tracking",
            joint_colours: Mapping[int, RGB] | None = None, title: str | None = None,
            cue: str = "", hold_fraction: float | None = None,
            hold_label: str = "", in_place: bool = False) -> np.ndarray:
    """A copy of the (H, W, 3) RGB frame with the skeleton coloured by ``status`` and, with a
    ``title``, the coaching layer (title, the one cue, the hold bar). With ``in_place`` the
    frame itself is drawn on (a contiguous uint8 array the caller owns) and returned."""
    if pose is not None:
        out = draw_skeleton(rgb, pose.image, pose.visibility,
                            colour=STATUS_COLOURS.get(status, STATUS_COLOURS["tracking"]),
                            joint_colours=joint_colours, in_place=in_place)
    else:
        out = rgb if in_place else np.ascontiguousarray(rgb).copy()
    if title is not None:
        draw_coaching(out, title, cue, status, hold_fraction, hold_label)
    return out


class VideoWriter:
    """Encodes RGB frames into an H.264 mp4 (yuv420p, so even dimensions: odd ones are cropped).

    Use as a context manager, or call ``close``.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        self.rate = max(1, round(fps)) if fps else 30
        self._container = av.open(str(self.path), mode="w")
        self._stream: av.VideoStream | None = None

    def write(self, rgb: np.ndarray) -> None:
        if self._stream is None:
            self._stream = self._container.add_stream("libx264", rate=self.rate)
            self._stream.width = max(2, rgb.shape[1] // 2 * 2)
            self._stream.height = max(2, rgb.shape[0] // 2 * 2)
            self._stream.pix_fmt = "yuv420p"
        frame = np.ascontiguousarray(rgb[: self._stream.height, : self._stream.width])
        for packet in self._stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            self._container.mux(packet)

    def close(self) -> None:
        if self._stream is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _messages(events: list[Event], t: np.ndarray) -> list[str]:
    """For each frame, the message of the latest event at most 3 s old (the cue shown)."""
    out = [""] * len(t)
    shown = [e for e in events if e.message and e.kind not in ("pose_found",)]
    j = 0
    current, until = "", -np.inf
    for i, ti in enumerate(t):
        while j < len(shown) and shown[j].t_s <= ti:
            current, until = shown[j].message, shown[j].t_s + 3.0
            j += 1
        out[i] = current if ti <= until else ""
    return out


def render_playback(track: Track, report: Report, out: Path, video: Path | None = None,
                    progress: Callable[[int, int], object] | None = None) -> Path:
    """An mp4 of the session with the skeleton and cues: over the original video when it was
    kept, else over a dark background. Skeleton colour: in form during holds."""
    w, h = track.size
    w, h = max(2, w // 2 * 2), max(2, h // 2 * 2)
    in_hold = np.zeros(len(track), dtype=bool)
    for r in report.results:
        for hold in r.record.holds:
            in_hold |= (track.t_s >= hold.start_s) & (track.t_s <= hold.end_s)
    messages = _messages(report.events, track.t_s)
    frames = iter(read_video(video)) if video is not None and Path(video).is_file() else None
    with VideoWriter(out, track.fps or 30) as writer:
        for i in range(len(track)):
            base = next(frames, None) if frames is not None else None
            rgb = (base.rgb[:h, :w] if base is not None
                   else np.full((h, w, 3), 24, dtype=np.uint8))
            status = "in_form" if in_hold[i] else "tracking"
            writer.write(overlay(rgb, track.frame(i), status, title=f"{track.t_s[i]:6.1f} s",
                                 cue=messages[i], hold_fraction=None))
            if progress is not None:
                progress(i + 1, len(track))
    return out
