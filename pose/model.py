"""The packaged pose models: where they are, and proof they are the right bytes.

Both bundles and the people count's person detector ship inside the package (``pose/models/``)
so nothing is fetched at run time. ``stretchcheck models build`` rebuilds them from registry
packages (see ``pose.model_build``).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from pose.errors import ModelError

MODELS_DIR = Path(__file__).resolve().parent / "models"
VARIANTS = ("full", "lite")

#: sha256 of the bundles this package was released with (also in ``models/SHA256SUMS``).
SHA256 = {
    "full": "a052fb5f648d2082c6bd3db6592e837f9b1931fab45390a23d7a8fd6e531a805",
    "lite": "a8f0e0265de9666022b5336ba18dd257b9ff176c152175bdcd5409dbe0e91ee1",
}

#: The bundles' person detector alone, with the metadata MediaPipe's ``ObjectDetector`` needs
#: (``pose.model_build.build_person_detector``): the people count's first look.
PERSON_DETECTOR = "person_detector.tflite"
PERSON_DETECTOR_SHA256 = "81c1ed93744a655807ff52fdfb17a45b773cd949623211f4a15703ac3fb34dba"


def _fix(variant: str) -> str:
    return ("reinstall StretchCheck (pip install -e .) or rebuild it with "
            f"`stretchcheck models build --variant {variant}`")


def bundle_path(variant: str) -> Path:
    if variant not in VARIANTS:
        raise ModelError(f"unknown model {variant!r}: choose one of {', '.join(VARIANTS)}")
    return MODELS_DIR / f"pose_landmarker_{variant}.task"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def verified_bundle(variant: str) -> bytes:
    """The bundle's bytes, after checking they are exactly the released model.

    Raises ``ModelError`` naming the fix when the file is missing or altered.
    """
    return _verified(bundle_path(variant), SHA256[variant], f"pose model {variant}", variant)


@cache
def verified_person_detector() -> bytes:
    """``PERSON_DETECTOR``'s bytes, checked like ``verified_bundle`` (same errors)."""
    return _verified(MODELS_DIR / PERSON_DETECTOR, PERSON_DETECTOR_SHA256,
                     "the person detector", "detector")


def _verified(path: Path, sha256: str, what: str, variant: str) -> bytes:
    if not path.is_file():
        raise ModelError(f"{what} is missing ({path}): {_fix(variant)}")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"{what} is damaged (sha256 differs): {_fix(variant)}")
    return data
