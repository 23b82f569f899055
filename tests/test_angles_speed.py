"""The angle primitives that skip numpy's argument handling (``pose.angles._norm``, ``_cross``,
``_unit``: issue 14, one live frame at a time) give numpy's own numbers to the bit, and the
whole of ``joint_angles`` with them equals ``joint_angles`` with numpy's functions on every
frame of the real clips, in batches and one frame at a time."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from pose import angles
from pose.pipeline import at_stored_precision, frame_angles
from pose.traces import load_trace, pose_frames

REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "realclips"


def numpy_unit(v: np.ndarray) -> np.ndarray:
    """``_unit`` as it was written with ``np.linalg.norm`` (before issue 14's second part)."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 1e-9, v / norm, np.nan)


def numpy_norm(v: np.ndarray) -> np.ndarray:
    return np.linalg.norm(v, axis=-1)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.ascontiguousarray(a).tobytes() \
        == np.ascontiguousarray(b).tobytes()


def vectors(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Awkward vectors: a wide range of lengths, zeros, tiny ones, NaNs."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=shape) * 10.0 ** rng.uniform(-12, 3, size=shape[:-1] + (1,))
    flat = v.reshape(-1, shape[-1])
    flat[::7] = 0.0
    flat[1::11] = 1e-10
    flat[2::13, 0] = np.nan
    return v


@pytest.mark.parametrize("shape", [(1, 3), (500, 3), (500, 2), (40, 2, 3), (1, 2, 3)])
def test_norm_and_unit_are_numpys_to_the_bit(shape):
    v = vectors(shape)
    for given in (v, v[::2], np.asfortranarray(v)):  # strided and Fortran-ordered too
        assert same_bits(angles._norm(given), numpy_norm(given))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # zero and NaN lengths warn no more than before
            got = angles._unit(given)
        assert same_bits(got, numpy_unit(given))


@pytest.mark.parametrize("shape", [(1, 3), (500, 3), (40, 2, 3)])
def test_cross_is_numpys_to_the_bit_and_in_its_order(shape):
    a, b, c = vectors(shape, 1), vectors(shape, 2), vectors(shape, 3)
    got, want = angles._cross(a, b), np.cross(a, b)
    assert same_bits(got, want)
    # A product laid out otherwise than np.cross's is summed in another order by einsum: the
    # layout is part of "the same numbers".
    assert got.flags.c_contiguous
    assert same_bits(angles._dot(got, c), angles._dot(want, c))
    assert same_bits(angles._cross(a, b[:1]), np.cross(a, b[:1]))  # broadcast


def clip_poses(name: str, every: int = 1):
    trace = load_trace(REALCLIPS / f"{name}.npz")
    return [at_stored_precision(p) for _, p in pose_frames(trace) if p is not None][::every]


def all_angles(poses) -> tuple[dict[str, np.ndarray], ...]:
    image = np.stack([p.image for p in poses])
    world = np.stack([p.world for p in poses])
    vis = np.stack([p.visibility for p in poses])
    one = [frame_angles(p) for p in poses[::9]]
    return (angles.joint_angles(image, world, vis), angles.joint_angles(image, None, vis),
            {k: np.concatenate([o[k] for o in one]) for k in one[0]})


@pytest.mark.skipif(not REALCLIPS.is_dir(), reason="needs ../shared/realclips")
@pytest.mark.parametrize("clip", ["R02_supine_twist_three_shots",
                                  "R03_standing_quad_four_shots",
                                  "R06_shoulder_neck_triceps_front"])
def test_joint_angles_equal_numpys_on_real_clips(clip, monkeypatch):
    # R03 restores shortened knees, R06 measures tilts on the image, R02 lies on the floor:
    # every branch of joint_angles, in batches, image-only and one frame at a time.
    poses = clip_poses(clip)
    fast = all_angles(poses)
    monkeypatch.setattr(angles, "_norm", numpy_norm)
    monkeypatch.setattr(angles, "_cross", np.cross)
    monkeypatch.setattr(angles, "_unit", numpy_unit)
    slow = all_angles(poses)
    for got, want in zip(fast, slow, strict=True):
        assert got.keys() == want.keys()
        for name in want:
            assert same_bits(got[name], want[name]), name


@pytest.mark.skipif(not REALCLIPS.is_dir(), reason="needs ../shared/realclips")
def test_lazy_angles_read_in_any_order_equal_joint_angles():
    poses = clip_poses("R03_standing_quad_four_shots", every=5)
    image = np.stack([p.image for p in poses])
    world = np.stack([p.world for p in poses])
    vis = np.stack([p.visibility for p in poses])
    whole = angles.joint_angles(image, world, vis)
    names = list(angles.ANGLE_NAMES)
    np.random.default_rng(0).shuffle(names)
    lazy = angles.LazyAngles(image, world, vis)
    for name in names:
        assert same_bits(lazy[name], whole[name]), name
    for i in (0, len(poses) // 2):
        one = angles.FrameAngles(angles.LazyAngles(image[i], world[i], vis[i]))
        for name in names[:12]:
            assert np.float64(one[name]).tobytes() == whole[name][i].tobytes(), name
        assert one.get("no_such_angle") is None and len(one) == len(angles.ANGLE_NAMES)
    with pytest.raises(KeyError):
        lazy["no_such_angle"]


def test_what_a_frame_does_not_read_is_not_worked_out(monkeypatch):
    """The checks of a hold read the big joints and the stretch's own angles: the side tilts
    (the view, the image tilts) are worked out only when one of them is read, and once."""
    calls = []
    real = angles._tilts_by_view
    monkeypatch.setattr(angles, "_tilts_by_view", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(3)
    world = rng.normal(size=(33, 3))
    frame = angles.FrameAngles(angles.LazyAngles(world[:, :2] * 100, world, np.ones(33)))
    for name in ("trunk_inclination", "hip_flexion_left", "knee_flexion_right",
                 "shoulder_abduction_left", "chest_up", "thigh_inclination_left"):
        assert np.isfinite(frame[name])
    assert calls == []
    frame["shoulder_tilt"], frame["neck_lateral_tilt"], frame["trunk_lateral_tilt"]
    assert calls == [1]


@pytest.mark.skipif(not REALCLIPS.is_dir(), reason="needs ../shared/realclips")
@pytest.mark.parametrize("clip", sorted(p.stem for p in REALCLIPS.glob("*.npz")))
def test_one_frame_equals_the_block_on_every_real_clip(clip):
    """Live works one frame at a time through paths of its own (a measure kept or NaN
    without ``np.where``, the knee's bends only where a fit is clear): every measure of
    every frame equals the block's to the bit, NaN where the block has NaN."""
    poses = clip_poses(clip, every=2)
    image = np.stack([p.image for p in poses])
    world = np.stack([p.world for p in poses])
    vis = np.stack([p.visibility for p in poses])
    whole = angles.joint_angles(image, world, vis)
    for i, pose in enumerate(poses):
        one = frame_angles(pose)
        floats = angles.FrameAngles(frame_angles(pose))  # read as the checks read: floats
        for name in angles.ANGLE_NAMES:
            assert one[name].tobytes() == whole[name][i:i + 1].tobytes(), (i, name)
            assert type(floats[name]) is float, name
            assert np.float64(floats[name]).tobytes() == whole[name][i].tobytes(), (i, name)


@pytest.mark.parametrize("min_visibility", [0.3, 0.5, 0.9])
def test_a_blocks_visible_mask_is_the_matrix_products(min_visibility):
    """``_visible_mask`` gathers for a block what it multiplies out for a few frames: the same
    mask, landmarks just at the threshold included, for every measure's groups."""
    rng = np.random.default_rng(7)
    vis = rng.random((600, 33))
    vis[rng.random(vis.shape) < 0.3] = 0.0
    vis[rng.random(vis.shape) < 0.1] = min_visibility
    block = angles._visible_mask(vis, min_visibility)
    assert len(vis) > angles._FEW_FRAMES and block.shape == (len(angles.ANGLE_NAMES), len(vis))
    few = np.concatenate([angles._visible_mask(vis[i:i + angles._FEW_FRAMES], min_visibility)
                          for i in range(0, len(vis), angles._FEW_FRAMES)], axis=1)
    assert np.array_equal(block, few)
    assert block.any() and not block.all()
