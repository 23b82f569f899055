"""The packaged pose models: where they are, and proof they are the right bytes.

Both bundles ship inside the package (``pose/models/``) so nothing is fetched at run time.
``stretchcheck models build`` rebuilds them from registry packages (see ``pose.model_build``).
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

_FIX = "reinstall StretchCheck (pip install -e .) or rebuild it with `stretchcheck models build`"


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
    path = bundle_path(variant)
    if not path.is_file():
        raise ModelError(f"pose model {variant} is missing ({path}): {_FIX}")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256[variant]:
        raise ModelError(f"pose model {variant} is damaged (sha256 differs): {_FIX}")
    return data
