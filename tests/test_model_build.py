"""Rebuilding the pose bundles from registry packages gives the released bytes exactly."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pose.model_build import (
    DETECTOR_MEMBER,
    EXPECTED_SHA256,
    LANDMARKS_MEMBER,
    PERSON_DETECTOR_SHA256,
    ModelBuildError,
    build_bundle,
    build_person_detector,
    detector_anchors,
    write_task_zip,
)

REPO = Path(__file__).resolve().parents[1]
SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
PACKAGED_MODELS = REPO / "pose" / "models"

needs_shared = pytest.mark.skipif(
    not SHARED_MODELS.is_dir(),
    reason=f"reference bundles not found: {SHARED_MODELS} (the shared folder beside the repo)",
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bundle_name(variant: str) -> str:
    return f"pose_landmarker_{variant}.task"


@pytest.fixture(scope="module")
def download_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh download cache, shared by both variants so the wheel is fetched only once."""
    return tmp_path_factory.mktemp("model-downloads")


@pytest.mark.network
@needs_shared
@pytest.mark.parametrize("variant", ["full", "lite"])
def test_rebuild_matches_reference(variant: str, tmp_path: Path, download_cache: Path) -> None:
    messages: list[str] = []
    out = build_bundle(variant, tmp_path / bundle_name(variant), cache_dir=download_cache,
                       progress=messages.append)

    assert out == tmp_path / bundle_name(variant)
    assert messages, "progress was never called"
    built = sha256(out)
    assert built == sha256(SHARED_MODELS / bundle_name(variant))
    assert built == EXPECTED_SHA256[variant]
    packaged = PACKAGED_MODELS / bundle_name(variant)
    if (PACKAGED_MODELS / bundle_name("full")).exists():
        assert built == sha256(packaged)


@pytest.mark.network
def test_rebuild_person_detector_matches_the_packaged_one(tmp_path: Path,
                                                          download_cache: Path) -> None:
    messages: list[str] = []
    out = build_person_detector(tmp_path / "person_detector.tflite", cache_dir=download_cache,
                                progress=messages.append)
    assert messages
    assert sha256(out) == PERSON_DETECTOR_SHA256 == sha256(PACKAGED_MODELS / out.name)


def test_the_person_detectors_anchors_are_the_pose_detector_graphs() -> None:
    """2254 anchors (the model's output rows): a 28x28 grid at stride 8, 14x14 at 16, 7x7 at
    32 (three layers sharing it), two anchors a cell per layer, centred in their cells."""
    anchors = np.array(detector_anchors())
    assert anchors.shape == (2254, 2)
    assert len(anchors[:1568]) == 28 * 28 * 2 and len(anchors[1568:1960]) == 14 * 14 * 2
    assert (anchors[0] == anchors[1]).all() and anchors[0] == pytest.approx([0.5 / 28] * 2)
    assert anchors[2] == pytest.approx([1.5 / 28, 0.5 / 28])  # x first along a row
    assert anchors[1568] == pytest.approx([0.5 / 14] * 2)
    assert (anchors[1960:1966] == anchors[1960]).all()  # six at stride 32
    assert anchors[-1] == pytest.approx([6.5 / 7] * 2)


@needs_shared
@pytest.mark.parametrize("variant", ["full", "lite"])
def test_zip_layout_reproduces_reference(variant: str, tmp_path: Path) -> None:
    """Offline: re-zipping the reference's own members gives the reference bytes."""
    reference = SHARED_MODELS / bundle_name(variant)
    with zipfile.ZipFile(reference) as bundle:
        assert bundle.namelist() == [DETECTOR_MEMBER, LANDMARKS_MEMBER]
        members = [(name, bundle.read(name)) for name in bundle.namelist()]

    out = tmp_path / bundle_name(variant)
    write_task_zip(members, out)

    assert out.read_bytes() == reference.read_bytes()
    with zipfile.ZipFile(out) as bundle:
        for info in bundle.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert (info.header_offset + 30 + len(info.filename) + len(info.extra)) % 64 == 0


def test_unknown_variant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelBuildError, match="unknown model 'heavy'"):
        build_bundle("heavy", tmp_path / "x.task", cache_dir=tmp_path, progress=lambda _: None)
