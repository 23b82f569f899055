"""A frame's time written into its pixels, for a test to read back from the played video.

The browser test compares the phase the video's overlay shows with the phase the panel shows
*for the same processed frame*: the panel carries the frame time of its snapshot, and each
frame the Live page returns carries the same time as a row of black and white blocks along
its bottom-left edge (drawn only when ``STRETCHCHECK_TIMECODE=1``: a person needs no
barcode). Blocks of 12 px survive VP8 and 4:2:0 chroma: a block's centre is read as white when
its luma is over half scale.

Layout (pixels of the returned frame): ``BITS`` blocks of ``BLOCK`` x ``BLOCK`` px from x = 0
at the bottom edge, most significant bit first; the value is the frame time in centiseconds,
modulo 2**BITS (about 2.9 hours).
"""

from __future__ import annotations

import os

import numpy as np

BLOCK = 12
BITS = 20
ENV = "STRETCHCHECK_TIMECODE"


def wanted() -> bool:
    """True when the environment asks for time codes (the browser test's server)."""
    return os.environ.get(ENV) == "1"


def bits(t_s: float) -> np.ndarray:
    """The (BITS,) 0/1 blocks that stand for ``t_s`` (s), most significant first."""
    value = round(t_s * 100) % (1 << BITS)
    return (value >> np.arange(BITS - 1, -1, -1)) & 1


def stamp(rgb: np.ndarray, t_s: float) -> np.ndarray:
    """Write ``t_s`` (s) into ``rgb`` ((H, W, 3) uint8, changed in place); returns ``rgb``.
    (``pose.draw_yuv.stamp_timecode`` writes the same into a yuv420p picture.)"""
    h = rgb.shape[0]
    row = np.repeat(bits(t_s).astype(np.uint8) * 255, BLOCK)  # (BITS * BLOCK,)
    rgb[h - BLOCK:h, :BITS * BLOCK] = row[None, :, None]
    return rgb


def read(rgb: np.ndarray) -> float:
    """The time (s) ``stamp`` wrote into ``rgb`` (the inverse, from the blocks' centres)."""
    h = rgb.shape[0]
    centres = rgb[h - BLOCK // 2, BLOCK // 2:BITS * BLOCK:BLOCK].mean(axis=-1)
    bits = (centres > 127).astype(int)
    return int((bits << np.arange(BITS - 1, -1, -1)).sum()) / 100.0
