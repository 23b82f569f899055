"""The frame time written into the returned video (the browser test reads it back)."""

from __future__ import annotations

import numpy as np
import pytest

from pose import timecode


@pytest.mark.parametrize("t_s", [0.0, 0.01, 12.34, 97.5, 655.36, 2 ** 20 / 100 - 0.01])
def test_a_stamped_time_reads_back(t_s):
    rgb = np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert timecode.read(timecode.stamp(rgb, t_s)) == pytest.approx(t_s, abs=1e-9)


def test_it_survives_video_compression():
    """As the browser sees it after VP8: blocks blurred and shifted in level (JPEG at quality
    30 and a smoothing filter stand in for the encoder here)."""
    import cv2

    rgb = np.full((480, 640, 3), 90, np.uint8)
    timecode.stamp(rgb, 123.45)
    ok, jpg = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 30])
    assert ok
    seen = cv2.GaussianBlur(cv2.imdecode(jpg, cv2.IMREAD_COLOR), (5, 5), 0)
    assert timecode.read(seen) == pytest.approx(123.45)


def test_only_when_asked(monkeypatch):
    monkeypatch.delenv(timecode.ENV, raising=False)
    assert not timecode.wanted()
    monkeypatch.setenv(timecode.ENV, "1")
    assert timecode.wanted()
