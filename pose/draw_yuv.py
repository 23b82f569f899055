"""The live overlay drawn straight on the camera's yuv420p (I420) planes.

The browser's frames arrive as yuv420p and the encoder takes yuv420p back: drawing on an RGB
copy meant converting the whole picture back to I420 every frame (0.25 ms at 640x480, as much as
all the drawing). Here the picture stays in I420: the skeleton is drawn on the planes (lines
anti-aliased on the full-size luma plane, plain on the half-size chroma planes), and the layers
that change only when their words do (the coaching text, the phase badge) are drawn once with
the RGB functions of ``pose.draw`` and kept as a ``Sticker``: how each pixel they touch is
blended, converted to I420, laid on each frame with a few array operations.

An I420 buffer is the (H * 3 / 2, W) uint8 array OpenCV and PyAV use: H rows of luma (Y), then
the U and the V plane of (H / 2, W / 2) each, one after the other. Colours go through OpenCV's
own RGB -> I420 conversion (BT.601), the one the RGB path used.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import av
import cv2
import numpy as np

from pose import timecode
from pose.draw import RGB, Strokes

YUV = tuple[int, int, int]


@dataclass(frozen=True)
class Planes:
    """The three planes of one I420 picture: ``y`` (H, W), ``u`` and ``v`` (H / 2, W / 2), each
    a contiguous uint8 array (views of one buffer), so OpenCV draws into them in place."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @classmethod
    def of(cls, buffer: np.ndarray) -> Planes:
        """The planes of ``buffer``, a contiguous (H * 3 / 2, W) uint8 I420 array with H and W
        even. Raises ``ValueError`` on another shape."""
        rows, w = buffer.shape
        h = rows * 2 // 3
        if buffer.dtype != np.uint8 or rows * 2 != h * 3 or h % 2 or w % 2 \
                or not buffer.flags.c_contiguous:
            raise ValueError(f"not an I420 buffer of even size: {buffer.shape} {buffer.dtype}")
        flat, n = buffer.reshape(-1), h * w // 4  # chroma may share a row of the buffer
        return cls(buffer[:h], flat[4 * n:5 * n].reshape(h // 2, w // 2),
                   flat[5 * n:].reshape(h // 2, w // 2))

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the picture, pixels."""
        return self.y.shape[1], self.y.shape[0]

    def mirror(self) -> None:
        """Flip the picture left-right, in place."""
        for plane in (self.y, self.u, self.v):
            cv2.flip(plane, 1, dst=plane)


def is_i420(frame: av.VideoFrame) -> bool:
    """Whether ``frame`` is yuv420p of even width and height: a picture 4:2:0 holds whole, as
    an I420 array or its three planes (the browser's frames are)."""
    return frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0


def frame_planes(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The Y, U and V planes of a yuv420p ``frame`` of even size as flat uint8 views of its own
    memory, (H * W,), (H * W / 4,) and (H * W / 4,); None for another format, an odd size, or
    rows padded past the width (a line size over it: PyAV pads some widths, 642 or 200 px;
    the browser's 640x480 frames are not)."""
    if not is_i420(frame):
        return None
    w, h = frame.width, frame.height
    planes = frame.planes  # made anew at each reading
    widths = (w, w // 2, w // 2)
    if any(plane.line_size != width for plane, width in zip(planes, widths, strict=True)):
        return None
    y, u, v = (np.frombuffer(memoryview(plane), np.uint8, width * height)
               for plane, width, height in zip(planes, widths, (h, h // 2, h // 2), strict=True))
    return y, u, v


@functools.lru_cache(maxsize=64)
def yuv(colour: RGB) -> YUV:
    """(Y, U, V) of an RGB colour, by OpenCV's own RGB -> I420 conversion."""
    i420 = cv2.cvtColor(np.full((2, 2, 3), colour, np.uint8), cv2.COLOR_RGB2YUV_I420)
    return int(i420[0, 0]), int(i420[2, 0]), int(i420[2, 1])


def draw_skeleton(planes: Planes, strokes: Strokes, thickness: int) -> None:
    """Draw ``pose.draw.skeleton_strokes`` on ``planes`` as ``pose.draw.draw_skeleton`` draws
    it on RGB: bones ``thickness`` px wide, then dots of radius ``thickness + 2`` px,
    anti-aliased on the luma plane. The chroma planes get the same shapes at half size, placed
    at the chroma samples' centres (luma x at chroma (x - 0.5) / 2: OpenCV's fixed-point
    ``shift`` of 2 bits), without anti-aliasing (4:2:0 blurs colour edges anyway). Bones in a
    run of one colour go in one call: the calls, not the pixels, are most of the cost. (Dots
    drawn as bones of no length took fewer calls but left jagged colour around them.)"""
    half = max(1, round((thickness + 1) / 2))
    for lines, colour in _runs(strokes.bones, strokes.bone_colours):
        y, u, v = yuv(colour)
        cv2.polylines(planes.y, list(lines), False, y, thickness, cv2.LINE_AA)
        chroma = list(lines * 2 - 1)
        cv2.polylines(planes.u, chroma, False, u, half, cv2.LINE_8, 2)
        cv2.polylines(planes.v, chroma, False, v, half, cv2.LINE_8, 2)
    r = thickness + 2
    for (x, y0), colour in zip(strokes.dots.tolist(), strokes.dot_colours, strict=True):
        y, u, v = yuv(colour)
        cv2.circle(planes.y, (x, y0), r, y, -1, cv2.LINE_AA)
        centre = (2 * x - 1, 2 * y0 - 1)
        cv2.circle(planes.u, centre, 2 * r, u, -1, cv2.LINE_8, 2)
        cv2.circle(planes.v, centre, 2 * r, v, -1, cv2.LINE_8, 2)


def _runs(items: np.ndarray, colours: list[RGB]) -> Iterator[tuple[np.ndarray, RGB]]:
    """(slice of ``items``, colour) for each run of one colour in ``colours``, in order."""
    start = 0
    for colour, run in itertools.groupby(colours):
        n = sum(1 for _ in run)
        yield items[start:start + n], colour
        start += n


def fill_box(planes: Planes, box: tuple[int, int, int, int], colour: RGB) -> None:
    """Fill the box (x0, y0, x1, y1), corners included, as ``cv2.rectangle`` fills it on RGB;
    on the chroma planes, the half-size pixels whose centre falls inside."""
    x0, y0, x1, y1 = box
    if x1 < x0 or y1 < y0:
        return
    y, u, v = yuv(colour)
    planes.y[y0:y1 + 1, x0:x1 + 1] = y
    cx0, cy0, cx1, cy1 = x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2
    planes.u[cy0:cy1, cx0:cx1] = u
    planes.v[cy0:cy1, cx0:cx1] = v


@dataclass(frozen=True)
class _Blend:
    """A sticker's part on one plane: over the box at ``origin`` (x, y) of ``keep``'s shape,
    out = picture * ``keep`` / 255 + ``ink``, with OpenCV's saturating, rounding arithmetic
    (a few vector passes over the box: faster than picking out the pixels touched)."""

    origin: tuple[int, int]
    keep: np.ndarray  # (h, w) uint8, 0-255: how much of the picture stays (255: untouched)
    ink: np.ndarray  # (h, w) uint8: the drawing's own part

    @classmethod
    def of(cls, keep: np.ndarray, ink: np.ndarray, origin: tuple[int, int]) -> _Blend:
        """From ``keep`` (0-1) and ``ink`` (plane levels), (h, w) float crops of a plane whose
        top left corner is ``origin`` (x, y)."""
        return cls(origin, np.round(keep * 255).clip(0, 255).astype(np.uint8),
                   np.round(ink).clip(0, 255).astype(np.uint8))

    def paint(self, plane: np.ndarray) -> None:
        (x, y), (h, w) = self.origin, self.keep.shape
        box = plane[y:y + h, x:x + w]
        cv2.multiply(box, self.keep, dst=box, scale=1 / 255)
        cv2.add(box, self.ink, dst=box)


@dataclass(frozen=True)
class Sticker:
    """An RGB drawing kept as a blend over any I420 picture of its size, laid on each frame
    with a few vector operations (``paint``) instead of being drawn again.

    OpenCV's anti-aliased drawing blends each pixel linearly with what is under it, so a
    drawing on black and one on white give each pixel's coverage and ink; the RGB -> I420
    conversion is linear too, so the blend holds plane by plane, and the luma comes out as the
    RGB path's up to rounding. Chroma is blended at half size with the coverage averaged over
    each 2x2 block. Build with ``of``."""

    parts: tuple[_Blend, _Blend, _Blend]  # Y, U, V

    @classmethod
    def of(cls, draw: Callable[[np.ndarray], object], width: int, height: int,
           rows: tuple[int, int] | None = None) -> Sticker:
        """The sticker of ``draw``, a function that draws in place on an (H, W, 3) uint8 RGB
        frame of ``width`` x ``height`` (even) pixels, whatever is under it. With ``rows``
        (y0, y1), only those rows are looked at (a drawing known to stay inside them: less
        work when a label changes every second)."""
        y_lo, y_hi = rows if rows is not None else (0, height)
        y_lo, y_hi = max(0, y_lo) // 2 * 2, min(height, (y_hi + 1) // 2 * 2)  # chroma rows whole
        renders = []
        for level in (0, 255):
            rgb = np.empty((height, width, 3), np.uint8)
            rgb[y_lo:y_hi] = level
            draw(rgb)
            renders.append(rgb[y_lo:y_hi])
        on_black, on_white = renders
        height = y_hi - y_lo
        # Only the box the drawing touched is worked on (whole rows first: numpy reduces
        # contiguous rows fast, and the frame's pixels over its 3 channels slowly).
        ink_b, ink_w = on_black != 0, on_white != 255
        ys = np.flatnonzero((ink_b.reshape(height, -1) | ink_w.reshape(height, -1)).any(1))
        if not ys.size:
            ys = np.array([0])
        band = slice(ys[0], ys[-1] + 1)
        xs = np.flatnonzero((ink_b[band] | ink_w[band]).any(axis=0).any(axis=1))
        if not xs.size:
            xs = np.array([0])
        y0, x0 = ys[0] // 2 * 2, xs[0] // 2 * 2
        y1, x1 = (ys[-1] + 2) // 2 * 2, (xs[-1] + 2) // 2 * 2
        black_rgb = on_black[y0:y1, x0:x1]
        white_rgb = on_white[y0:y1, x0:x1]
        y0 += y_lo
        h, w = black_rgb.shape[:2]
        keep = (white_rgb.astype(np.float32) - black_rgb).mean(axis=2) / 255.0
        keep_uv = cv2.resize(keep, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        planes = Planes.of(cv2.cvtColor(black_rgb, cv2.COLOR_RGB2YUV_I420))
        black = yuv((0, 0, 0))
        # What black under the drawing gave, less black's own share, is the drawing's ink.
        parts = (
            _Blend.of(keep, planes.y - keep * black[0], (x0, y0)),
            _Blend.of(keep_uv, planes.u - keep_uv * black[1], (x0 // 2, y0 // 2)),
            _Blend.of(keep_uv, planes.v - keep_uv * black[2], (x0 // 2, y0 // 2)),
        )
        return cls(parts)

    def paint(self, planes: Planes) -> None:
        """Lay the sticker on ``planes`` in place."""
        for part, plane in zip(self.parts, (planes.y, planes.u, planes.v), strict=True):
            part.paint(plane)


def stamp_timecode(planes: Planes, t_s: float) -> None:
    """Write ``t_s`` (s) into the picture as ``pose.timecode.stamp`` writes it into RGB: black
    and white blocks along the bottom left edge (whole chroma pixels: the blocks are even)."""
    bits = timecode.bits(t_s)
    h = planes.y.shape[0]
    for plane, black, white, scale in zip((planes.y, planes.u, planes.v), yuv((0, 0, 0)),
                                          yuv((255, 255, 255)), (1, 2, 2), strict=True):
        block = timecode.BLOCK // scale
        row = np.repeat(np.where(bits == 1, white, black).astype(np.uint8), block)
        plane[h // scale - block:h // scale, :row.size] = row


class Stickers:
    """The latest sticker of each named layer (the coaching text, the hold label, the phase
    badge), made again only when what it shows changes."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[object, Sticker]] = {}

    def get(self, layer: str, key: object, draw: Callable[[np.ndarray], object], width: int,
            height: int, rows: tuple[int, int] | None = None) -> Sticker:
        """The sticker of ``layer`` showing ``key`` (anything comparable that decides the
        drawing, with the size): the kept one, or ``Sticker.of(draw, width, height, rows)``."""
        key = (key, width, height)
        kept = self._latest.get(layer)
        if kept is None or kept[0] != key:
            kept = (key, Sticker.of(draw, width, height, rows))
            self._latest[layer] = kept
        return kept[1]
