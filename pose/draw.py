"""The skeleton overlay, drawn into RGB frames with OpenCV (no windows are opened)."""

from __future__ import annotations

from collections.abc import Mapping

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
    single landmarks and the bones ending in them (e.g. the knee a cue is about). Landmarks below
    ``min_visibility`` are left out rather than drawn where the model guessed them. Lines are
    ``thickness`` pixels wide (default: in proportion to the image).
    """
    out = rgb if in_place else np.ascontiguousarray(rgb).copy()
    h, w = out.shape[:2]
    thickness = thickness or max(2, round(min(h, w) / 160))
    seen = np.asarray(visibility) >= min_visibility
    pts = np.round(np.nan_to_num(image_px, nan=-1)).astype(np.int32)
    special = dict(joint_colours or {})
    for a, b in lm.SKELETON:
        if seen[a] and seen[b]:
            c = special.get(b, special.get(a, colour))
            cv2.line(out, tuple(pts[a]), tuple(pts[b]), c, thickness, cv2.LINE_AA)
    for i in np.flatnonzero(seen):
        if i in lm.PART:
            cv2.circle(out, tuple(pts[i]), thickness + 2, special.get(int(i), colour), -1,
                       cv2.LINE_AA)
    return out


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: RGB,
          thickness: int) -> None:
    # A dark outline keeps the text legible on any background.
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 3,
                cv2.LINE_AA)
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
    """Draw the coaching layer in place: title, the one cue in large type, and a hold bar."""
    h, w = rgb.shape[:2]
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["unknown"])
    scale = max(0.5, w / 900)
    thick = max(1, round(scale * 2))
    _text(rgb, title, (12, int(28 * scale + 6)), scale * 0.8, (255, 255, 255), thick)
    chars = max(12, int(w / (22 * scale)))
    y = int(70 * scale + 10)
    for line in _wrap(cue, chars)[:3]:
        _text(rgb, line, (12, y), scale * 1.1, colour, thick + 1)
        y += int(40 * scale)
    if hold_fraction is not None:
        bar_h = max(10, h // 28)
        top = h - bar_h - 12
        cv2.rectangle(rgb, (12, top), (w - 12, top + bar_h), (40, 40, 40), -1)
        filled = int((w - 24) * min(1.0, max(0.0, hold_fraction)))
        cv2.rectangle(rgb, (12, top), (12 + filled, top + bar_h), colour, -1)
        if hold_label:
            _text(rgb, hold_label, (16, top - 8), scale * 0.8, (255, 255, 255), thick)
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
