"""Decoding video files (and single images) into RGB frames with their container timestamps.

PyAV (FFmpeg) reads whatever FFmpeg decodes: mp4, mov, avi, webm, mkv, gif, and still images.
Timestamps come from the container, so variable-frame-rate phone clips keep their true timing,
and rotation metadata and non-square pixels are applied so frames come out the way a player
shows them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from pose.errors import VideoError


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: ``rgb`` is (height, width, 3) uint8 in displayed orientation.

    ``t_s`` is the container's timestamp in seconds as stored - it may start below zero, jump
    or repeat - or None when the frame has none: ``pose.clock.MediaClock`` makes session time
    of it.
    """

    index: int
    t_s: float | None
    rgb: np.ndarray


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    frames: int
    """Frame count from the container header; an estimate (0 when unknown)."""
    duration_s: float
    rotation: int
    """Clockwise degrees applied to decoded frames to show them upright."""
    pixel_aspect: Fraction = Fraction(1)
    """The stored pixels' width over their height (the container's sample aspect ratio): a
    frame is stretched by it to its displayed size (``width`` x ``height``)."""


def iso_file_cut_short(path: str | Path) -> str | None:
    """Where an mp4/mov (ISO base media) file ends early, or None if its boxes are whole.

    Walks the top-level boxes (``ftyp``, ``mdat``, ``moov``...): a box that runs past the end
    of the file means the file was cut short - a recording that did not finish, or a copy or
    download that stopped part-way. Returns e.g. "ends at byte 656,920 of 1,313,841, inside
    its 'mdat' box (the video data)"; None for other formats and whole files.
    """
    names = {b"mdat": "the video data", b"moov": "the index of the frames"}
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            f.seek(0)
            head = f.read(8)
            if len(head) < 8 or head[4:8] != b"ftyp":
                return None
            offset, seen = 0, set()
            while offset < size:
                f.seek(offset)
                box = f.read(16)
                if len(box) < 8:
                    return f"ends at byte {size:,}, inside a box header"
                length, kind = int.from_bytes(box[:4], "big"), box[4:8]
                if length == 1 and len(box) == 16:
                    length = int.from_bytes(box[8:16], "big")
                elif length == 0:
                    length = size - offset
                if length < 8:
                    return None  # not a box structure we can follow: let FFmpeg judge
                seen.add(kind)
                if offset + length > size:
                    what = names.get(kind, kind.decode("latin-1"))
                    return (f"ends at byte {size:,} of {offset + length:,}, inside its "
                            f"'{kind.decode('latin-1')}' box ({what})")
                offset += length
            if b"moov" not in seen:
                return f"has no index of its frames ('moov' box) in its {size:,} bytes"
    except OSError:
        return None
    return None


def _rotation_of(frame: av.VideoFrame) -> int:
    # PyAV reports the display matrix rotation counter-clockwise; players turn the picture by it.
    return int(round(getattr(frame, "rotation", 0) or 0)) % 360


def main_video_stream(container: av.container.InputContainer
                      ) -> av.video.stream.VideoStream | None:
    """The video stream a player shows: FFmpeg's choice (``av_find_best_stream`` ranks the
    stream marked default first, then moving pictures above a single still, then the larger),
    not merely the first (a file may hold a small proxy or a cover picture before the real
    video). None without one."""
    stream = container.streams.best("video")
    return stream if isinstance(stream, av.video.stream.VideoStream) else None


def _pixel_aspect(stream: av.video.stream.VideoStream) -> Fraction:
    """The stream's sample aspect ratio (1 when unset, unknown or implausible). Anamorphic
    video - HDV's 1440x1080 shown at 1920x1080, DV's 720x480 - stores non-square pixels; read
    as stored, a body comes out squeezed and its angles in the picture are wrong."""
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    return Fraction(sar) if sar and Fraction(1, 4) <= sar <= 4 else Fraction(1)


def displayed_size(width: int, height: int, pixel_aspect: Fraction) -> tuple[int, int]:
    """(width, height) in square pixels of a picture stored as ``width`` x ``height`` pixels of
    aspect ``pixel_aspect``: the longer side grows, as players show it (no detail is lost)."""
    if pixel_aspect > 1:
        return max(1, round(width * pixel_aspect)), height
    if pixel_aspect < 1:
        return width, max(1, round(height / pixel_aspect))
    return width, height


def _rgb(frame: av.VideoFrame, pixel_aspect: Fraction) -> np.ndarray:
    """The frame as (H, W, 3) uint8 RGB at its displayed size (FFmpeg's scaler converts and
    stretches in one pass) and upright."""
    if pixel_aspect == 1:
        rgb = frame.to_ndarray(format="rgb24")
    else:
        w, h = displayed_size(frame.width, frame.height, pixel_aspect)
        rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
    return _upright(rgb, _rotation_of(frame))


def _upright(rgb: np.ndarray, rotation_ccw: int) -> np.ndarray:
    k = rotation_ccw // 90
    return np.ascontiguousarray(np.rot90(rgb, k=k)) if k else rgb


class VideoReader:
    """Iterates over a file's frames. Use as a context manager so the file is closed."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if not Path(self.path).is_file():
            raise VideoError(f"{self.path}: no such file")
        try:
            self._container = av.open(self.path)
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            cut = iso_file_cut_short(self.path)
            if cut:
                raise VideoError(f"{self.path}: the file ends early and cannot be read: it "
                                 f"{cut}; was the recording stopped, or the copy cut short?"
                                 ) from None
            reason = getattr(exc, "strerror", None) or str(exc)
            raise VideoError(f"{self.path}: not a video or image FFmpeg can read ({reason})"
                             ) from None
        self.ended_early: str | None = None
        """Set after iterating when the frames stopped before the container said they would."""
        stream = main_video_stream(self._container)
        if stream is None:
            self._container.close()
            raise VideoError(f"{self.path}: the file has no video stream")
        self._stream = stream
        self._stream.thread_type = "AUTO"
        self._pixel_aspect = _pixel_aspect(self._stream)
        self._first: av.VideoFrame | None = None
        self._frames = self._decode()
        try:
            self._first = next(self._frames)
        except StopIteration:
            self.close()
            raise VideoError(f"{self.path}: the video has no frames") from None
        self.info = self._describe(self._first)
        self.start_s: float | None = (float(self._first.time) if self._first.time is not None
                                      else None)
        """The first frame's timestamp in seconds (None when it has none)."""

    def _describe(self, first: av.VideoFrame) -> VideoInfo:
        s = self._stream
        rate = s.average_rate or s.guessed_rate or s.base_rate
        fps = float(rate) if rate else 0.0
        duration = 0.0
        if s.duration is not None and s.time_base is not None:
            duration = float(s.duration * s.time_base)
        elif self._container.duration:
            duration = self._container.duration / av.time_base
        frames = s.frames
        if duration and fps:
            # The container counts the frames it stores; an edit list (a trim made without
            # re-encoding, a negative start) hides some of them, and the declared duration
            # is what plays: taken alone, the count made every trimmed file "end early".
            playing = int(round(duration * fps))
            frames = min(frames, playing) if frames else playing
        rotation = _rotation_of(first)
        w, h = displayed_size(first.width, first.height, self._pixel_aspect)
        if rotation in (90, 270):
            w, h = h, w
        return VideoInfo(self.path, w, h, fps, frames, duration, (360 - rotation) % 360,
                         self._pixel_aspect)

    def seek(self, t_s: float) -> None:
        """Go to the key frame at or before timestamp ``t_s`` seconds: iterating then starts
        there, with frame indices counted from it. Frames before ``t_s`` may come first (the
        decoder needs the key frame); their timestamps say so.

        Raises ``VideoError`` when the file cannot seek.
        """
        s = self._stream
        if s.time_base is None:
            raise VideoError(f"{self.path}: the video has no time base to seek in")
        try:
            self._container.seek(int(t_s / s.time_base), stream=s, backward=True)
        except (av.error.FFmpegError, ValueError) as exc:
            raise VideoError(f"{self.path}: cannot seek to {t_s:.2f} s ({exc})") from None
        self._first = None
        self._frames = self._decode()

    def _decode(self) -> Iterator[av.VideoFrame]:
        try:
            yield from self._container.decode(self._stream)
        except av.error.FFmpegError as exc:
            if iso_file_cut_short(self.path):
                # A file cut short, not damaged: its frames simply stop (``ended_early``
                # says where). A decoder on one thread meets the cut packet as an error
                # where one on several drops it, and the thread count follows the cores
                # the reading thread may use (``pose.extraction.own_core``).
                return
            reason = getattr(exc, "strerror", None) or str(exc)
            raise VideoError(f"{self.path}: the video is damaged and stops here ({reason})"
                             ) from None

    def __iter__(self) -> Iterator[VideoFrame]:
        index = 0
        latest_t: float | None = None  # the latest timestamp seen, to say where frames stop
        frames = self._frames
        if self._first is not None:
            first, self._first = self._first, None
            frames = _chain(first, frames)
        for frame in frames:
            t = float(frame.time) if frame.time is not None else None
            if t is not None and (latest_t is None or t > latest_t):
                latest_t = t
            yield VideoFrame(index, t, _rgb(frame, self._pixel_aspect))
            index += 1
        self.ended_early = self.ended_early_after(index, latest_t)

    def ended_early_after(self, decoded: int, latest_t: float | None) -> str | None:
        """Compare what was decoded with what the container declared (more than a frame and
        2 % short counts as ending early), and say where the frames stop (the latest timestamp,
        or the frame count at the declared rate when the frames have none)."""
        info = self.info
        short_frames = info.frames - decoded
        if info.frames <= 1 or short_frames <= max(1, 0.02 * info.frames):
            return None
        stop_s = latest_t if latest_t is not None else decoded / (info.fps or 30.0)
        cut = iso_file_cut_short(self.path)
        where = f"; it {cut}" if cut else ""
        return (f"{self.path}: the file ends early: the frames stop at {max(stop_s, 0.0):.2f} s "
                f"(frame {decoded} of {info.frames}, {info.duration_s:.2f} s declared){where}; "
                "only the part before is analysed")

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chain(first: av.VideoFrame, rest: Iterator[av.VideoFrame]) -> Iterator[av.VideoFrame]:
    yield first
    yield from rest


#: Seconds a packet's timestamp may lie below the latest before it in decoding order: the
#: decoder's reordering (B-frames come before the frames they refer to; a few frames deep).
REORDER_S = 0.5


def timestamps_rise(path: str | Path) -> bool:
    """Whether every packet of the video stream has a timestamp and none goes back by more
    than ``REORDER_S`` (a restart, a file joined from pieces): only then can the file be cut
    and sought by time. Reads the packets without decoding them (A06, 18 s: ~35 ms).
    False when the file cannot be read (reading it will say why)."""
    try:
        with av.open(str(path)) as container:
            stream = main_video_stream(container)
            if stream is None:
                return False
            base = stream.time_base
            if base is None:
                return False
            latest = None
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream flush
                if packet.pts is None:
                    return False
                t = float(packet.pts * base)
                if latest is not None and t < latest - REORDER_S:
                    return False
                latest = t if latest is None else max(latest, t)
    except (av.error.FFmpegError, IndexError, ValueError, UnicodeDecodeError):
        return False
    return True


def read_video(path: str | Path) -> VideoReader:
    """Open ``path`` for reading; raises ``VideoError`` with a one-line reason if it cannot."""
    return VideoReader(path)
