"""The skeleton overlay, drawn into RGB frames with OpenCV (no windows are opened)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from pose import landmarks as lm

RGB = tuple[int, int, int]

#: Overlay colours by form status, chosen to stay distinct for colour-blind users
#: (blue / orange / vermillion / purple rather than a red-green pair).
STATUS_COLOURS: dict[str, RGB] = {
    "in_form": (0, 158, 115),
    "nearly": (240, 170, 0),
    "out_of_form": (213, 94, 0),
    "over_range": (204, 0, 204),
    "unknown": (160, 160, 160),
    "tracking": (0, 114, 178),
}


@dataclass(frozen=True)
class Strokes:
    """What a skeleton is drawn with, in drawing order (``skeleton_strokes``): the bones, then
    the joints' dots."""

    bones: np.ndarray
    """(N, 2, 2) int32: each bone's two end points, pixels (x, y)."""
    bone_colours: list[RGB]
    dots: np.ndarray
    """(M, 2) int32: each dot's centre, pixels (x, y)."""
    dot_colours: list[RGB]


def skeleton_strokes(image_px: np.ndarray, visibility: np.ndarray,
                     colour: RGB = STATUS_COLOURS["tracking"],
                     joint_colours: Mapping[int, RGB] | None = None,
                     min_visibility: float = 0.5) -> Strokes:
    """What the skeleton of ``image_px`` (33, 2) pixels is drawn with: the bones between two
    landmarks at or above ``min_visibility`` in ``colour``, a bone ending in a landmark of
    ``joint_colours`` in that landmark's colour (e.g. the knee a cue is about), drawn over the
    others, and a dot on each visible named joint (``landmarks.PART``), highlighted ones
    last. Landmarks the model only guessed are left out. The one description behind the RGB
    overlay and the live page's yuv420p one (``pose.draw_yuv``)."""
    seen = np.asarray(visibility) >= min_visibility
    pts = np.rint(image_px)
    pts[np.isnan(pts)] = -1  # a guess the model left out (no warning from the cast)
    pts = pts.astype(np.int32)
    ends = _BONE_ENDS[seen[_BONE_FROM] & seen[_BONE_TO]]
    joints = _PART_INDEX[seen[_PART_INDEX]]
    if not joint_colours:
        return Strokes(pts[ends], [colour] * len(ends), pts[joints], [colour] * len(joints))
    special = dict(joint_colours)
    bone_colours = [special.get(b, special.get(a, colour)) for a, b in ends.tolist()]
    dot_colours = [special.get(i, colour) for i in joints.tolist()]
    # The highlighted strokes go on top (a plain bone never hides the joint a cue is about),
    # one colour after another: few runs of a colour, so few drawing calls.
    bones, bone_colours = _highlighted_last(ends, bone_colours, colour)
    dots, dot_colours = _highlighted_last(joints, dot_colours, colour)
    return Strokes(pts[bones], bone_colours, pts[dots], dot_colours)


def _highlighted_last(items: np.ndarray, colours: list[RGB],
                      plain: RGB) -> tuple[np.ndarray, list[RGB]]:
    """``items`` and their ``colours`` reordered: those in ``plain`` first, then each other
    colour in order of first appearance, keeping the order within a colour."""
    rank = {plain: 0}
    for c in colours:
        rank.setdefault(c, len(rank))
    order = sorted(range(len(colours)), key=lambda i: rank[colours[i]])
    return items[order], [colours[i] for i in order]


_BONE_ENDS = np.array(lm.SKELETON, dtype=np.intp)  # (bones, 2) landmark indices
_BONE_FROM, _BONE_TO = _BONE_ENDS.T.copy()  # (bones,) each: the two ends' indices
_PART_INDEX = np.array(sorted(lm.PART), dtype=np.intp)  # the named joints, dotted


def skeleton_thickness(width: int, height: int) -> int:
    """Bone width (px) in a ``width`` x ``height`` frame: in proportion, at least 2 px (a joint's
    dot has a radius 2 px larger)."""
    return max(2, round(min(height, width) / 160))


def draw_skeleton(
    rgb: np.ndarray,
    image_px: np.ndarray,
    visibility: np.ndarray,
    colour: RGB = STATUS_COLOURS["tracking"],
    joint_colours: Mapping[int, RGB] | None = None,
    min_visibility: float = 0.5,
    thickness: int | None = None,
    in_place: bool = False,
) -> np.ndarray:
    """A copy of ``rgb`` (H, W, 3) with the skeleton of ``image_px`` (33, 2) pixels drawn on it
    (with ``in_place``, ``rgb`` itself, which must then be a contiguous uint8 array).

    Bones between two visible landmarks are drawn in ``colour``; ``joint_colours`` recolours
    single landmarks and the bones ending in them (see ``skeleton_strokes``). Lines are
    ``thickness`` pixels wide (default: ``skeleton_thickness``).
    """
    out = rgb if in_place else np.ascontiguousarray(rgb).copy()
    h, w = out.shape[:2]
    thickness = thickness or skeleton_thickness(w, h)
    strokes = skeleton_strokes(image_px, visibility, colour, joint_colours, min_visibility)
    for (a, b), c in zip(strokes.bones.tolist(), strokes.bone_colours, strict=True):
        cv2.line(out, a, b, c, thickness, cv2.LINE_AA)
    for p, c in zip(strokes.dots.tolist(), strokes.dot_colours, strict=True):
        cv2.circle(out, p, thickness + 2, c, -1, cv2.LINE_AA)
    return out


#: Where the text's dark outline is drawn, in steps of the outline's width around the text.
_AROUND = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy)


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: RGB,
          thickness: int) -> None:
    # A dark outline keeps the text legible on any background: the text itself in black,
    # shifted all around it. Not the text drawn thicker: OpenCV 5 (mediapipe's) strokes text
    # alike from 2 px up (2 and 5 give the same pixels), so that outline hid under the text,
    # and advances it further at 2 px than at 1, so under a 1 px title it drifted off along
    # the line ("Seated hamstring stretch - either side first" read as two texts).
    x, y = org
    width = thickness + 1
    for dx, dy in _AROUND:
        cv2.putText(img, text, (x + dx * width, y + dy * width), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (0, 0, 0), thickness, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)


def _wrap(text: str, width_chars: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width_chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def draw_coaching(rgb: np.ndarray, title: str, cue: str, status: str,
                  hold_fraction: float | None = None, hold_label: str = "") -> np.ndarray:
    """Draw the coaching layer in place: title, the one cue in large type, and a hold bar with
    its label (with a ``hold_fraction``, 0-1). Returns ``rgb``."""
    h, w = rgb.shape[:2]
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["unknown"])
    draw_coaching_text(rgb, title, cue, status)
    if hold_fraction is not None:
        for box, c in hold_bar(w, h, hold_fraction, colour):
            cv2.rectangle(rgb, box[:2], box[2:], c, -1)
        draw_hold_label(rgb, hold_label)
    return rgb


def _scale(width: int) -> tuple[float, int]:
    """Type scale and stroke (px) in a frame ``width`` px wide: large enough to read from a mat
    2-3 m away."""
    scale = max(0.5, width / 900)
    return scale, max(1, round(scale * 2))


def draw_coaching_text(rgb: np.ndarray, title: str, cue: str, status: str) -> np.ndarray:
    """Draw the title (white) and the cue (up to three lines, in the status colour) in place,
    top left. Returns ``rgb``."""
    w = rgb.shape[1]
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["unknown"])
    scale, thick = _scale(w)
    _text(rgb, title, (12, int(28 * scale + 6)), scale * 0.8, (255, 255, 255), thick)
    chars = max(12, int(w / (22 * scale)))
    y = int(70 * scale + 10)
    for line in _wrap(cue, chars)[:3]:
        _text(rgb, line, (12, y), scale * 1.1, colour, thick + 1)
        y += int(40 * scale)
    return rgb


def hold_bar_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the hold bar in a ``width`` x ``height`` frame, corners included:
    along the bottom edge."""
    bar_h = max(10, height // 28)
    top = height - bar_h - 12
    return 12, top, width - 12, top + bar_h


def hold_bar(width: int, height: int, fraction: float,
             colour: RGB) -> list[tuple[tuple[int, int, int, int], RGB]]:
    """The hold bar's filled boxes ((x0, y0, x1, y1) corners included, colour), in drawing
    order: the dark track, then the part held (``fraction`` 0-1, clipped) in ``colour``."""
    x0, y0, x1, y1 = hold_bar_box(width, height)
    filled = int((x1 - x0) * min(1.0, max(0.0, fraction)))
    return [((x0, y0, x1, y1), (40, 40, 40)), ((x0, y0, x0 + filled, y1), colour)]


def hold_label_rows(width: int, height: int) -> tuple[int, int]:
    """(y0, y1): the rows the hold's label may cover (``draw_hold_label``), with room to spare."""
    top = hold_bar_box(width, height)[1]
    return max(0, top - 8 - round(45 * _scale(width)[0])), top


def draw_hold_label(rgb: np.ndarray, label: str) -> np.ndarray:
    """Draw the hold's label (the seconds left) in place just above the hold bar."""
    h, w = rgb.shape[:2]
    if label:
        scale, thick = _scale(w)
        _text(rgb, label, (16, hold_bar_box(w, h)[1] - 8), scale * 0.8, (255, 255, 255), thick)
    return rgb


#: Colour and a shape of each routine phase (``pose.phases``), the same in the video and on the
#: page, so a glance tells the phase without reading, and colour is never the only sign
#: (Okabe-Ito colours, distinct for colour-blind eyes; each phase also has its own shape).
PHASE_STYLE: dict[str, tuple[RGB, str, str]] = {
    "position": ((0, 114, 178), "square", "Get into position"),
    "hold": ((0, 158, 115), "circle", "Hold"),
    "cycles": ((204, 121, 167), "diamond", "Move slowly"),
    "release": ((240, 228, 66), "down", "Release"),
    "rest": ((86, 180, 233), "flat", "Rest"),
    "pain": ((213, 94, 0), "octagon", "Stopped"),
    "stopped_today": ((213, 94, 0), "octagon", "Stop for today"),
    "finished": ((230, 159, 0), "star", "Finished"),
    "paused": ((150, 150, 150), "bars", "Paused"),
}


def phase_badge_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the phase badge in a ``width`` x ``height`` frame: top right."""
    size = max(24, height // 7)
    return width - size - 8, 8, width - 8, 8 + size


def draw_phase_badge(rgb: np.ndarray, phase: str) -> np.ndarray:
    """Draw the phase's badge in place (top right): a square of the phase's colour with the
    phase's shape in black on it. Returns ``rgb``."""
    colour, shape, _ = PHASE_STYLE.get(phase, PHASE_STYLE["position"])
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = phase_badge_box(w, h)
    cv2.rectangle(rgb, (x0, y0), (x1, y1), colour, -1)
    cx, cy, r = (x0 + x1) // 2, (y0 + y1) // 2, (x1 - x0) // 4
    ink = (0, 0, 0)
    if shape == "circle":
        cv2.circle(rgb, (cx, cy), r, ink, max(2, r // 3), cv2.LINE_AA)
    elif shape == "square":
        cv2.rectangle(rgb, (cx - r, cy - r), (cx + r, cy + r), ink, max(2, r // 3))
    elif shape == "flat":  # lying flat: resting
        cv2.rectangle(rgb, (cx - r, cy - r // 3), (cx + r, cy + r // 3), ink, -1)
    elif shape == "bars":
        bar = max(2, r // 2)
        cv2.rectangle(rgb, (cx - r, cy - r), (cx - r + bar, cy + r), ink, -1)
        cv2.rectangle(rgb, (cx + r - bar, cy - r), (cx + r, cy + r), ink, -1)
    else:
        k = {"diamond": 4, "octagon": 8, "star": 5, "down": 3}.get(shape, 4)
        start = {"diamond": 0.0, "octagon": np.pi / 8, "star": -np.pi / 2, "down": np.pi / 2}
        a = start.get(shape, 0.0) + np.arange(k) * 2 * np.pi / k
        if shape == "star":
            a = start["star"] + np.arange(5) * 4 * np.pi / 5
        pts = np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1).round().astype(np.int32)
        cv2.fillPoly(rgb, [pts], ink, cv2.LINE_AA)
    return rgb
