"""Fault 6: a video file cut short says that it ends early, and where; every other bad video
still gets one line and exit 2 (kept from before)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from seed import ROOT, cli

from pose.video import iso_file_cut_short, read_video

CLIP = ROOT / "sample_videos" / "glute_bridge_side.mp4"


@pytest.fixture(scope="module")
def faststart(tmp_path_factory):
    """The clip with its index ('moov') first, as phones and web exports write it: cut short,
    it still decodes up to the cut."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "scripts/test.sh installs ffmpeg"
    out = tmp_path_factory.mktemp("v") / "fast.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(CLIP), "-c", "copy", "-movflags",
                    "+faststart", str(out)], check=True, timeout=60)
    return out


def test_a_decodable_file_cut_short_says_where_it_ends(tmp_path, faststart):
    data = faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    result = cli("analyze", str(cut), "--out", str(tmp_path / "out"), "--model", "lite")
    assert result.returncode == 0, result.stderr
    warning = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warning) == 1, result.stderr
    assert "ends early" in warning[0] and "frame 41 of 91" in warning[0]
    assert "1.33 s" in warning[0] and "3.03 s declared" in warning[0]
    assert f"ends at byte {len(data) // 2:,}" in warning[0]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["frames"] == 41 and any("ends early" in w for w in report["warnings"])


def test_a_file_cut_before_its_index_is_one_line_naming_the_cut(tmp_path):
    data = CLIP.read_bytes()  # index ('moov') at the end: cut anywhere, nothing decodes
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.8)])
    result = cli("analyze", str(cut), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ends early" in lines[0] and "'mdat' box" in lines[0]
    assert not (tmp_path / "out" / "report.json").exists()


def test_whole_files_are_not_called_short(faststart):
    assert iso_file_cut_short(CLIP) is None and iso_file_cut_short(faststart) is None
    with read_video(CLIP) as video:
        assert len(list(video)) == 91 and video.ended_early is None


@pytest.mark.parametrize("data, message", [
    (b"", "not a video or image"),
    (b"these are not video bytes" * 100, "not a video or image"),
    (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 3000, "ends early"),
    (b"GIF89a" + b"\x00" * 50, "not a video or image"),
])
def test_bad_videos_are_one_line_and_exit_2(tmp_path, data, message):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(data)
    result = cli("analyze", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
