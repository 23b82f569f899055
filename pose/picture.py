"""A picture of every stretch, drawn from its catalogue definition.

The figure (``pose.figure``) is posed at the stretch's targets, seen from the camera view the
stretch asks for, and drawn with the live overlay's skeleton (``pose.draw``): the limbs being
stretched in the overlay's "in form" colour, the rest of the body in its tracking colour, the
far side of a side view in light grey behind, a head on a neck, and a floor line under the
body (a mat under a body seen lying from above). Pure drawing into numpy arrays (OpenCV), no
windows and no files.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from pose import body
from pose import landmarks as lm
from pose.draw import RGB, STATUS_COLOURS, draw_skeleton
from pose.figure import Figure, floor_contacts, target_pose
from pose.stretches import SIDES, Stretch

BACKGROUND: RGB = (250, 250, 247)
BODY: RGB = STATUS_COLOURS["tracking"]
WORKING: RGB = STATUS_COLOURS["in_form"]
FAR: RGB = (200, 200, 200)
FLOOR: RGB = (120, 120, 120)
MAT: RGB = (222, 228, 236)

#: Positions on the floor, seen from above in a front view (see ``render``).
LOW_POSITIONS = ("supine", "prone", "all_fours")
ELEVATION_DEG = 75.0
FRONT_TURN_DEG = 25.0

_LEG = ("hip", "knee", "ankle", "heel", "foot_index")
_ARM = ("shoulder", "elbow", "wrist", "pinky", "index", "thumb")
_LEG_ANGLES = ("hip_", "knee_", "trunk_thigh", "thigh_inclination", "shank_inclination")
_ARM_ANGLES = ("shoulder_", "elbow_")
_HEAD = ("nose", "left_ear", "right_ear")
#: The hands, wrist to index knuckle: the overlay leaves them out (the model's hand landmarks
#: are its noisiest), but a picture's hands rest on the floor (``pose.figure``'s hand
#: contact is the index knuckle) or hold a knee, and a wrist in the air reads as floating.
_HANDS = ((lm.LEFT_WRIST, lm.INDEX["left_index"]), (lm.RIGHT_WRIST, lm.INDEX["right_index"]))
#: Twin landmarks closer than this (m, in the picture's plane) draw as one: a side view of a
#: body doing the same on both sides shows no far side.
_TWIN_APART_M = 0.03


def working_landmarks(figure: Figure) -> tuple[int, ...]:
    """Landmarks of the limbs the stretch works: the arms or legs its side's criteria name.

    A stretch judged only on axial angles (a neck or trunk side bend) highlights the head for
    the neck and nothing else for the trunk.
    """
    stretch = figure.stretch
    sides = SIDES if figure.side == "both" else (figure.side,)
    templated = [c.angle for c in stretch.criteria if "{side}" in c.angle]
    parts: list[str] = []
    if any(a.startswith(_LEG_ANGLES) for a in templated):
        parts += [f"{s}_{p}" for s in sides for p in _LEG]
    if any(a.startswith(_ARM_ANGLES) for a in templated):
        parts += [f"{s}_{p}" for s in sides for p in _ARM]
    if not templated and any(c.angle.startswith("neck_") for c in stretch.criteria):
        parts += list(_HEAD)
    return tuple(lm.INDEX[p] for p in parts)


def _near_side(view: str) -> np.ndarray:
    """(33,) mask of the landmarks on the camera's side (all of them in a front view)."""
    far = {"side_left": "right_", "side_right": "left_"}.get(view)
    return np.array([far is None or not name.startswith(far) for name in lm.NAMES])


def _points(figure: Figure) -> tuple[np.ndarray, bool]:
    """(33, 2) landmark positions in metres as the picture sees them (x right, y down), and
    whether it looks down from above (no floor line then)."""
    _, world, _ = body.landmarks(figure.pose, figure.placement, body.Camera(figure.view))
    elevated = figure.view == "front" and figure.stretch.position in LOW_POSITIONS
    if elevated:
        # A camera on the floor sees a body lying along its axis end-on, as a short stack of
        # joints: the picture looks from higher up instead, ELEVATION_DEG down the same line.
        e = np.radians(ELEVATION_DEG)
        world = world @ np.array([[1, 0, 0], [0, np.cos(e), np.sin(e)],
                                  [0, -np.sin(e), np.cos(e)]])
    elif figure.view == "front":
        # Straight on, an arm across the chest or bent behind the head is lost in depth:
        # turn the figure a little, as a photo taken from a step to the side.
        a = np.radians(FRONT_TURN_DEG)
        world = world @ np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0],
                                  [np.sin(a), 0, np.cos(a)]])
    return world[:, :2], elevated


def render(figure: Figure, width: int = 480, height: int = 360) -> np.ndarray:
    """The figure as an RGB image (height, width, 3) uint8.

    Orthographic, from the stretch's camera view (a side view from the working side), scaled
    so the parts the stretch uses (``framed_landmarks``) fill it with a margin; lines scale
    with the picture. The head is a circle on a neck, which the overlay leaves out, so that a
    tilted or bent head shows.
    """
    pts, elevated = _points(figure)
    head_r = 0.6 * body.Dimensions().head_width
    head = pts[[lm.LEFT_EAR, lm.RIGHT_EAR]].mean(axis=0)
    framed = pts[list(framed_landmarks(figure.stretch))]
    lo = np.minimum(framed.min(axis=0), head - head_r)
    hi = np.maximum(framed.max(axis=0), head + head_r)
    margin = 0.1
    scale = min(width * (1 - 2 * margin) / max(hi[0] - lo[0], 0.3),
                height * (1 - 2 * margin) / max(hi[1] - lo[1], 0.3))
    centre = (lo + hi) / 2.0

    def to_px(metres: np.ndarray) -> np.ndarray:
        return (metres - centre) * scale + np.array([width / 2.0, height / 2.0])

    px = to_px(pts)
    thickness = max(3, round(min(width, height) / 70))
    img = np.full((height, width, 3), BACKGROUND, np.uint8)
    index, lift = floor_contacts(figure.stretch, figure.side)
    # The floor under what rests on it (a lying hip's centre sits 10 cm above it), else under
    # the lowest point.
    floor = (pts[index, 1] + lift).mean() if len(index) else pts[:, 1].max()
    if floor <= hi[1] + 0.15 and not elevated:  # the feet are in the picture
        floor_y = int(round(to_px(np.array([0.0, floor]))[1])) + thickness
        cv2.line(img, (0, floor_y), (width - 1, floor_y), FLOOR, max(2, thickness // 2),
                 cv2.LINE_AA)

    if elevated:  # seen from above, the body lies on a mat: it is not standing
        pad = 0.15 * scale
        corners = np.r_[px.min(axis=0) - pad, px.max(axis=0) + pad].round().astype(int)
        cv2.rectangle(img, tuple(corners[:2]), tuple(corners[2:]), MAT, -1, cv2.LINE_AA)
        cv2.rectangle(img, tuple(corners[:2]), tuple(corners[2:]), FLOOR,
                      max(1, thickness // 3), cv2.LINE_AA)
    near = _near_side(figure.view)
    working = {i: WORKING for i in working_landmarks(figure) if near[i]}

    def hands(is_near: bool) -> None:
        for wrist, knuckle in _HANDS:
            if bool(near[wrist]) is is_near:
                colour = working.get(wrist, BODY) if is_near else FAR
                cv2.line(img, tuple(int(v) for v in np.round(px[wrist])),
                         tuple(int(v) for v in np.round(px[knuckle])), colour, thickness,
                         cv2.LINE_AA)

    if not near.all():  # the far side first, behind
        img = draw_skeleton(img, px, np.ones(lm.N_LANDMARKS), FAR, thickness=thickness)
        hands(is_near=False)
    img = draw_skeleton(img, px, near.astype(float), BODY, joint_colours=working,
                        thickness=thickness)
    hands(is_near=True)
    head_px = tuple(int(v) for v in np.round(to_px(head)))
    neck_px = tuple(int(v) for v in np.round(px[[lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER]]
                                             .mean(axis=0)))
    colour = WORKING if lm.NOSE in working else BODY
    radius = max(4, int(round(head_r * scale)))
    cv2.line(img, neck_px, head_px, colour, thickness, cv2.LINE_AA)
    cv2.circle(img, head_px, radius, BACKGROUND, -1, cv2.LINE_AA)
    cv2.circle(img, head_px, radius, colour, thickness, cv2.LINE_AA)
    return img


def framed_landmarks(stretch: Stretch) -> tuple[int, ...]:
    """The landmarks a picture frames: the whole body, unless no criterion involves the legs
    (from the hips up) or even the trunk (head, shoulders and arms), as the camera advice of
    such stretches frames them."""
    angles = [c.angle for c in stretch.criteria]
    legs = ("hip_", "knee_", "thigh_", "trunk_thigh", "knee_drop")
    if any(a.startswith(legs) for a in angles):
        return tuple(range(lm.N_LANDMARKS))
    trunk = any(a.startswith(("trunk_", "chest_up")) for a in angles)
    return tuple(i for i, name in enumerate(lm.NAMES)
                 if not name.endswith(_LEG) or (trunk and name.endswith("_hip")))


@cache
def stretch_picture(stretch: Stretch, side: str | None = None, width: int = 480,
                    height: int = 360) -> np.ndarray:
    """The picture of ``stretch`` at its targets on ``side`` (default: left, or both).

    Cached: a stretch's picture never changes while the catalogue does not. The array is
    shared, so callers must not draw on it.
    """
    img = render(target_pose(stretch, side), width, height)
    img.setflags(write=False)
    return img


def picture_side(side: str | None) -> str | None:
    """The side a stretch's picture is drawn for: None (the default side) for no side, "" or
    "both"."""
    return None if side in (None, "", "both") else side


def picture_caption(stretch: Stretch, side: str | None = None) -> str:
    """The words under a stretch's picture: its name, the side, and what the green shows."""
    side = picture_side(side)
    return (stretch.name + ("" if side is None else f", {side} side")
            + ": green is what the coach checks")


def far_side_shows(figure: Figure) -> bool:
    """Whether a side view's far limbs show apart from the near ones (``render`` draws them
    in light grey behind): not when both sides do the same, as in cat-cow."""
    if _near_side(figure.view).all():
        return False
    pts, _ = _points(figure)
    left = [lm.INDEX[n] for n in lm.NAMES if n.startswith("left_")]
    right = [lm.INDEX[n.replace("left_", "right_", 1)] for n in lm.NAMES
             if n.startswith("left_")]
    return bool(np.linalg.norm(pts[left] - pts[right], axis=1).max() > _TWIN_APART_M)


def picture_legend(stretch: Stretch) -> str:
    """The words under a stretch's picture in the catalogue: the side it shows and what each
    colour means (``render``'s colours; grey only where the far side shows)."""
    words = []
    if stretch.sides != "both":
        words.append("Drawn stretching the left side; each side is done in turn.")
    words.append("Green: the limbs the coach checks. Blue: the rest of the body.")
    if far_side_shows(target_pose(stretch)):
        words.append("Light grey: the side further from the camera.")
    return " ".join(words)


@cache
def stretch_picture_uri(stretch: Stretch, side: str | None = None) -> str:
    """``stretch_picture`` as a ``data:image/png;base64,...`` URI, for HTML (the Live panel).
    Cached like the picture."""
    import base64

    ok, png = cv2.imencode(".png", cv2.cvtColor(stretch_picture(stretch, side), cv2.COLOR_RGB2BGR))
    if not ok:  # OpenCV encodes any 8-bit RGB array; this would be a broken build
        raise RuntimeError("OpenCV could not encode a stretch picture as PNG")
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")
