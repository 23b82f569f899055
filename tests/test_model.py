"""A wrong or missing model file gives a clear error naming the fix, never a hang."""

import subprocess
import sys

import pytest

from pose import cli, model
from pose.errors import ModelError


@pytest.fixture()
def models_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(model, "MODELS_DIR", tmp_path)
    model.verified_bundle.cache_clear()
    model.verified_person_detector.cache_clear()
    yield tmp_path
    model.verified_bundle.cache_clear()
    model.verified_person_detector.cache_clear()


def test_the_packaged_models_are_the_released_ones():
    model.verified_bundle.cache_clear()
    for variant in model.VARIANTS:
        assert model.sha256_of(model.bundle_path(variant)) == model.SHA256[variant]
    assert (model.sha256_of(model.MODELS_DIR / model.PERSON_DETECTOR)
            == model.PERSON_DETECTOR_SHA256)
    sums = (model.MODELS_DIR / "SHA256SUMS").read_text().split()
    assert dict(zip(sums[1::2], sums[::2], strict=True)) == {
        **{model.bundle_path(v).name: model.SHA256[v] for v in model.VARIANTS},
        model.PERSON_DETECTOR: model.PERSON_DETECTOR_SHA256}


def test_missing_model_names_the_fix(models_dir):
    with pytest.raises(ModelError, match="missing.*stretchcheck models build --variant full`"):
        model.verified_bundle("full")


def test_damaged_model_names_the_fix(models_dir):
    (models_dir / "pose_landmarker_full.task").write_bytes(b"PK\x03\x04 not really a model")
    with pytest.raises(ModelError, match="damaged.*stretchcheck models build"):
        model.verified_bundle("full")


def test_a_missing_or_damaged_person_detector_names_the_fix(models_dir):
    with pytest.raises(ModelError,
                       match="the person detector is missing.*models build --variant detector`"):
        model.verified_person_detector()
    (models_dir / model.PERSON_DETECTOR).write_bytes(b"TFL3 not really a model")
    with pytest.raises(ModelError,
                       match="the person detector is damaged.*models build --variant detector`"):
        model.verified_person_detector()


def test_unknown_model_variant():
    with pytest.raises(ModelError, match="choose one of full, lite"):
        model.bundle_path("heavy")


def test_the_cli_says_it_in_one_line(models_dir, tmp_path, capsys):
    from conftest import sample

    code = cli.main(["analyze", str(sample("tfjs_pose.jpg")), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "pose model full is missing" in err[0] and "models build" in err[0]


def test_the_model_starts_without_mediapipes_drawing_and_audio_modules():
    """They pull in matplotlib and sounddevice (0.4 s and ~60 MB at start-up) for nothing."""
    code = ("import sys, numpy as np\n"
            "from pose.estimator import PoseEstimator\n"
            "with PoseEstimator() as e:\n"
            "    e.process(np.zeros((48, 64, 3), np.uint8), 0.0)\n"
            "print(sorted(m for m in ('matplotlib', 'sounddevice') if m in sys.modules))\n"
            "from mediapipe.tasks.python.vision import drawing_utils\n"
            "print(callable(drawing_utils.draw_landmarks))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["[]", "True"]  # and still there, whole, for whoever uses it
