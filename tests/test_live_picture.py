"""The live picture drawn on the camera's yuv420p planes is the picture drawn on RGB.

``render`` (RGB, then OpenCV's conversion to the encoder's yuv420p: the page's path until issue
14) against ``render_yuv`` (straight on the planes, text and badge kept as stickers), on
synthetic camera pictures with the synthetic body's skeleton, for scenes with every layer.
"""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest
from body import Pose, landmarks

from pose import landmarks as lm
from pose import timecode
from pose.draw import STATUS_COLOURS, draw_coaching_text, draw_hold_label
from pose.draw_yuv import Planes, Sticker, Stickers
from pose.landmarks import PoseFrame
from pose.live_picture import Scene, render, render_yuv


def camera(w: int, h: int, seed: int = 0) -> np.ndarray:
    """A camera-like (h, w, 3) RGB picture: colour gradients under smooth noise."""
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.linspace(0, 1, w), np.linspace(0, 1, h))
    rgb = np.stack([200 * x + 30, 180 * y + 40, 120 * (1 - x * y) + 60], -1)
    rgb += cv2.GaussianBlur(rng.normal(0, 25, (h, w, 3)), (0, 0), 3)
    return rgb.clip(0, 255).astype(np.uint8)


def body(w: int, h: int) -> PoseFrame:
    image, world, vis = landmarks(Pose.symmetric(hip_flexion=40.0, knee_flexion=60.0))
    image = image * min(w / 640, h / 480)  # the synthetic camera is 640x480
    return PoseFrame(0.0, image, world, vis, (w, h))


HIGHLIGHT = {lm.LEFT_KNEE: STATUS_COLOURS["out_of_form"],
             lm.LEFT_HIP: STATUS_COLOURS["over_range"]}
SCENES = {
    "hold": dict(status="nearly", highlight=HIGHLIGHT, title="Knee to chest, left  (2/7)",
                 cue="Bring your left knee a little closer to your chest, slowly",
                 text_status="nearly", hold_fraction=0.4, hold_label="23 s", badge="hold",
                 t_s=123.45),
    "in form": dict(status="in_form", highlight={}, title="Hamstring, right  (3/7)",
                    cue="Good: keep breathing", text_status="in_form", hold_fraction=1.0,
                    hold_label="0 s", badge="hold", t_s=None),
    "paused, nobody": dict(status="unknown", highlight={}, title="Quad stretch  (4/7)",
                           cue="Paused", text_status="unknown", hold_fraction=None,
                           hold_label="", badge="paused", t_s=None),
}


def both(name: str, w: int = 640, h: int = 480) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(OpenCV's I420 of the RGB render, ours, the camera's I420): (h * 3 / 2, w) uint8."""
    pose = body(w, h) if name != "paused, nobody" else None
    scene = Scene(pose=pose, **SCENES[name])
    i420 = cv2.cvtColor(camera(w, h), cv2.COLOR_RGB2YUV_I420)
    old = cv2.cvtColor(render(cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420), scene),
                       cv2.COLOR_RGB2YUV_I420)
    frame = render_yuv(i420.copy(), scene, Stickers())
    assert frame.format.name == "yuv420p" and (frame.width, frame.height) == (w, h)
    return old, frame.to_ndarray(), i420


def chroma(i420: np.ndarray) -> np.ndarray:
    """(2, h / 2, w / 2) int: the U and V planes."""
    planes = Planes.of(np.ascontiguousarray(i420))
    return np.stack([planes.u, planes.v]).astype(int)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


@pytest.mark.parametrize("name", SCENES)
@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (1920, 1080), (642, 480)])
def test_the_picture_on_the_planes_is_the_rgb_picture(name, size):
    w, h = size  # 642: the frame's rows are padded; drawn in place and copied over
    old, new, i420 = both(name, w, h)
    y_old, y_new = old[:h].astype(int), new[:h].astype(int)
    # Brightness, where a person 2-3 m away reads the text and sees the skeleton: the same up
    # to rounding everywhere (the text's blend is worked out once, in integers; the bones are
    # drawn as polylines).
    assert np.abs(y_new - y_old).max() <= 4
    assert np.abs(y_new - y_old).mean() < 0.05
    assert psnr(y_new, y_old) > 50
    # The text's box (title and cue, top left) and the badge exactly but for rounding.
    text = (slice(0, h // 4), slice(0, w // 2))
    assert np.abs(y_new[text] - y_old[text]).max() <= 2
    # Colour, at half size in 4:2:0: OpenCV takes each 2x2 block's colour from its top left
    # pixel, our text and badge average it over the block, so sharp edges differ; over the
    # picture, as close to what the encoder itself makes of the RGB overlay as OpenCV was.
    old_rgb = render(cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420),
                     Scene(pose=body(w, h) if name != "paused, nobody" else None,
                           **SCENES[name]))
    encoder = av.VideoFrame.from_ndarray(old_rgb[:, :w // 2 * 2], format="rgb24").reformat(
        format="yuv420p").to_ndarray()
    ours, opencv, theirs = chroma(new), chroma(old), chroma(encoder)
    assert np.abs(ours - theirs).mean() <= np.abs(opencv - theirs).mean() + 0.2
    assert np.abs(ours - opencv).mean() < 1.5
    # As the person sees it (back to RGB): the same picture.
    shown_old, shown_new = (cv2.cvtColor(x, cv2.COLOR_YUV2RGB_I420) for x in (old, new))
    assert psnr(shown_new, shown_old) > 28
    # And not the camera picture: something was drawn.
    assert np.abs(new.astype(int) - i420).max() > 100


def test_the_time_code_reads_back_from_the_planes():
    old, new, _ = both("hold")
    for i420 in (old, new):
        assert timecode.read(cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)) == pytest.approx(123.45)
    h = 480
    block = (slice(h - timecode.BLOCK, h), slice(0, timecode.BITS * timecode.BLOCK))
    assert np.array_equal(new[block], old[block])  # the very blocks


def test_a_sticker_blends_as_opencv_draws():
    """Over any picture, a sticker's luma is the RGB drawing's, but for rounding."""
    rgb = camera(640, 480, seed=3)
    drawn = draw_hold_label(rgb.copy(), "37 s")
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    Sticker.of(lambda x: draw_hold_label(x, "37 s"), 640, 480).paint(Planes.of(i420))
    expected = cv2.cvtColor(drawn, cv2.COLOR_RGB2YUV_I420)
    assert np.abs(i420[:480].astype(int) - expected[:480]).max() <= 2
    assert np.abs(i420[:480].astype(int) - cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)[:480]
                  ).max() > 100  # drawn


def test_stickers_are_made_again_only_when_their_words_change():
    stickers = Stickers()
    made = []

    def draw(label):
        def run(rgb):
            made.append(label)
            draw_hold_label(rgb, label)
        return run

    first = stickers.get("label", "23 s", draw("23 s"), 640, 480)
    assert stickers.get("label", "23 s", draw("23 s"), 640, 480) is first
    second = stickers.get("label", "22 s", draw("22 s"), 640, 480)
    assert second is not first
    assert stickers.get("label", "22 s", draw("22 s"), 1280, 720) is not second  # a new size
    assert made == ["23 s"] * 2 + ["22 s"] * 2 + ["22 s"] * 2  # two renders a sticker


def test_planes_of_an_odd_buffer_are_refused():
    with pytest.raises(ValueError, match="I420"):
        Planes.of(np.zeros((481 * 3 // 2, 640), np.uint8))


@pytest.mark.parametrize("width", [640, 1280])
def test_the_overlay_text_is_outlined_and_the_outline_keeps_to_it(width):
    """On a bright picture the text needs its dark outline: drawn thicker, it hid under the
    text (OpenCV 5 strokes text alike from 2 px up) or, under the 1 px title, drifted off it
    along the line (15 px by the end of a long title: two texts on top of each other)."""
    title = "Seated hamstring stretch - either side first  (3/5)"
    rgb = np.full((width * 3 // 4, width, 3), 235, np.uint8)
    draw_coaching_text(rgb, title, "Sit with your legs straight out in front", "nearly")
    band = rgb[: width // 8]
    dark = (band.max(axis=2) < 60).any(axis=0)
    white = (band.min(axis=2) > 250).any(axis=0)  # the title's own ink
    cue = (np.abs(band.astype(int) - STATUS_COLOURS["nearly"]).sum(axis=2) < 30).any(axis=0)
    assert dark.sum() > 0 and white.sum() > 0 and cue.sum() > 0
    # The outline ends where the title (or the longer cue) ends, give or take its width.
    last_ink = max(np.flatnonzero(white)[-1], np.flatnonzero(cue)[-1])
    assert abs(int(np.flatnonzero(dark)[-1]) - int(last_ink)) <= 4 * width // 640


def test_the_frame_handed_over_is_the_buffer_drawn_on():
    """``render_yuv`` mirrors the picture in place and hands that very buffer to the encoder
    (no new frame, no copy), and the frame keeps it alive."""
    i420 = cv2.cvtColor(camera(640, 480), cv2.COLOR_RGB2YUV_I420)
    frame = render_yuv(i420, Scene(pose=body(640, 480), **SCENES["hold"]), Stickers())
    assert frame.planes[0].buffer_ptr == i420.ctypes.data
    drawn = i420.copy()
    del i420
    assert np.array_equal(frame.to_ndarray(), drawn)
