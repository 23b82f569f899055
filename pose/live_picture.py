"""The live page's picture: what it shows over the mirrored camera picture (``Scene``), drawn on
RGB (``render``: ``LiveSession.process``) or straight on the camera's yuv420p planes
(``render_yuv``: the page's frames, handed to the encoder in its own format)."""

from __future__ import annotations

from dataclasses import dataclass

import av
import cv2
import numpy as np

from pose import draw_yuv, timecode
from pose.draw import (
    RGB,
    STATUS_COLOURS,
    draw_coaching,
    draw_coaching_text,
    draw_hold_label,
    draw_phase_badge,
    hold_bar,
    hold_label_rows,
    skeleton_strokes,
    skeleton_thickness,
)
from pose.draw_yuv import Planes, Stickers
from pose.landmarks import PoseFrame
from pose.render import overlay


@dataclass(frozen=True)
class Scene:
    """What one live picture shows over the mirrored camera picture (``LiveSession._scene``),
    drawn on RGB (``_render``) or on the camera's yuv420p planes (``_render_yuv``) alike."""

    pose: PoseFrame | None
    status: str
    """Form status: the skeleton's colour (``pose.draw.STATUS_COLOURS``)."""
    highlight: dict[int, RGB]
    """Landmark index -> colour of the joints a cue is about."""
    title: str
    cue: str
    text_status: str
    """Status that colours the cue and the hold bar."""
    hold_fraction: float | None
    """Share of the hold done, 0-1; None: no hold bar."""
    hold_label: str
    badge: str
    """Phase shown by the badge (``pose.draw.PHASE_STYLE``)."""
    t_s: float | None
    """Frame time (s) written as a time code, or None (``pose.timecode``)."""



def render(rgb: np.ndarray, scene: Scene, in_place: bool = False) -> np.ndarray:
    """The (H, W, 3) uint8 RGB camera picture with ``scene``: the skeleton on the picture,
    shown as a mirror (the person's left on the left of the screen), then the coaching text,
    the hold bar and the phase badge, not mirrored. A new array; with ``in_place`` the
    skeleton is drawn into ``rgb`` itself (a contiguous array the caller owns)."""
    out = cv2.flip(overlay(rgb, scene.pose, scene.status, scene.highlight, in_place=in_place), 1)
    draw_coaching(out, scene.title, scene.cue, scene.text_status, scene.hold_fraction,
                  scene.hold_label)
    out = draw_phase_badge(out, scene.badge)
    return timecode.stamp(out, scene.t_s) if scene.t_s is not None else out


def render_yuv(i420: np.ndarray, scene: Scene, stickers: Stickers) -> av.VideoFrame:
    """``render`` on a yuv420p picture, ``i420`` ((H * 3 / 2, W) uint8, H and W even, C
    contiguous): the same picture, as the ``av.VideoFrame`` (yuv420p) handed to the encoder,
    with no RGB picture made and converted back. The text, the hold's label and the badge come
    from ``stickers``, made again only when their words change (``pose.draw_yuv``: at
    640x480, 0.05 ms a frame where drawing them took 0.25 ms).

    The picture is drawn and mirrored in ``i420`` itself, and the frame returned is a view of
    it (``av.VideoFrame.from_numpy_buffer``, which keeps it alive): the caller hands over a
    buffer of its own and never writes to it again. Against a new frame mirrored into, the
    callback read 0.1-0.2 ms less a 640x480 frame in three alternated pairs, then moved within
    the host's noise in four later ones (A06, 2026-12-03; issue 14)."""
    planes = Planes.of(i420)
    w, h = planes.size
    if scene.pose is not None:
        colour = STATUS_COLOURS.get(scene.status, STATUS_COLOURS["tracking"])
        strokes = skeleton_strokes(scene.pose.image, scene.pose.visibility, colour,
                                   scene.highlight)
        draw_yuv.draw_skeleton(planes, strokes, skeleton_thickness(w, h))
    planes.mirror()
    if scene.hold_fraction is not None:
        colour = STATUS_COLOURS.get(scene.text_status, STATUS_COLOURS["unknown"])
        for box, c in hold_bar(w, h, scene.hold_fraction, colour):
            draw_yuv.fill_box(planes, box, c)
        stickers.get("label", scene.hold_label,
                     lambda rgb: draw_hold_label(rgb, scene.hold_label), w, h,
                     hold_label_rows(w, h)).paint(planes)
    stickers.get("text", (scene.title, scene.cue, scene.text_status),
                 lambda rgb: draw_coaching_text(rgb, scene.title, scene.cue, scene.text_status),
                 w, h).paint(planes)
    stickers.get("badge", scene.badge, lambda rgb: draw_phase_badge(rgb, scene.badge),
                 w, h).paint(planes)
    if scene.t_s is not None:
        draw_yuv.stamp_timecode(planes, scene.t_s)
    return av.VideoFrame.from_numpy_buffer(i420, format="yuv420p")
