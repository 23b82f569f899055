"""Rebuilding the pose bundles from registry packages gives the released bytes exactly."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from pose.model_build import (
    DETECTOR_MEMBER,
    EXPECTED_SHA256,
    LANDMARKS_MEMBER,
    ModelBuildError,
    build_bundle,
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
