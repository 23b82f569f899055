"""Shared fixtures: the sample clips, analysed once per test run."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "samples"


def sample(name: str) -> Path:
    """A clip from ../shared/samples; the test is skipped if the shared folder is absent."""
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared samples sit beside the repository)")
    return path


@cache
def _track(name: str):
    from pose.sessions import track_video

    return track_video(SAMPLES / name)


@pytest.fixture(scope="session")
def track_of():
    """``track_of("A03_...mp4")``: the clip's Track from the real pose model, computed once."""

    def get(name: str):
        sample(name)
        return _track(name)

    return get
