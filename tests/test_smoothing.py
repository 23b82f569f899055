"""One-Euro smoothing: the block entries the batch loop uses equal the per-sample filter,
element for element, through gaps, restarts and unseen (NaN) landmarks."""

from __future__ import annotations

import numpy as np

from pose.landmarks import PoseFrame
from pose.smoothing import OneEuroFilter, OneEuroParams, PoseSmoother


def noisy_stream(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(t (n,), values (n, 33, 5)): a drifting, jittering signal at 30 fps with a 2 s gap,
    a repeated timestamp, and landmarks that go unseen (NaN) for a while."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 30.0
    t[120:] += 2.0  # a gap longer than max_gap_s: the filter restarts
    t[60] = t[59]   # no time passed: restarts too
    values = np.cumsum(rng.normal(0.0, 0.01, (n, 33, 5)), axis=0) + rng.normal(0, 0.003,
                                                                               (n, 33, 5))
    values[80:95, 4] = np.nan
    values[140, :, 2] = np.nan
    return t, values


def test_a_block_is_filtered_as_sample_by_sample():
    t, values = noisy_stream()
    one, block = OneEuroFilter(), OneEuroFilter()
    expected = np.stack([one(v, float(s)) for v, s in zip(values, t, strict=True)])
    got = np.concatenate([block.run(values[:70], t[:70]), block.run(values[70:], t[70:])])
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(got[85, 4]).all() and np.isfinite(got[100]).all()
    assert not np.array_equal(got[30], values[30])  # it does smooth


def test_the_filter_is_the_one_euro_step_written_out():
    """The filter equals the masked One-Euro step written out in full (Casiez et al.'s
    arithmetic), to the rounding of float64: the filter's own is the same algebra in fewer
    operations, and its shortcut for a state without NaN skips masks that change nothing."""
    p = OneEuroParams()
    t, values = noisy_stream(seed=3)
    fast = OneEuroFilter(p)
    out_fast = np.stack([fast(v, float(s)) for v, s in zip(values, t, strict=True)])
    x_prev, dx_prev, got = values[0].copy(), np.zeros_like(values[0]), [values[0].copy()]
    for i in range(1, len(t)):
        dt = t[i] - t[i - 1]
        if not 0.0 < dt <= p.max_gap_s:
            x_prev, dx_prev = values[i].copy(), np.zeros_like(values[i])
            got.append(values[i].copy())
            continue
        fresh = ~np.isfinite(x_prev)
        dx = np.where(fresh, 0.0, (values[i] - x_prev) / dt)
        a_d = 1.0 / (1.0 + (1.0 / (2.0 * np.pi * p.d_cutoff_hz)) / dt)
        dx_hat = a_d * dx + (1.0 - a_d) * dx_prev
        a = 1.0 / (1.0 + (1.0 / (2.0 * np.pi * (p.min_cutoff_hz + p.beta * np.abs(dx_hat))))
                   / dt)
        x_prev = np.where(fresh, values[i], a * values[i] + (1.0 - a) * x_prev)
        dx_prev = np.where(np.isfinite(dx_hat), dx_hat, 0.0)
        got.append(x_prev.copy())
    want = np.stack(got)
    assert np.array_equal(np.isnan(want), np.isnan(out_fast))
    np.testing.assert_allclose(out_fast, want, rtol=1e-12, atol=1e-15)


def test_poses_in_a_block_are_smoothed_as_one_by_one():
    """``PoseSmoother.smooth`` (the batch loop's) equals ``PoseSmoother`` pose by pose, and
    image and world filtered side by side equal two filters of their own (image in frame
    heights)."""
    t, values = noisy_stream()
    image, world = values[:, :, :2] * 720.0, values[:, :, 2:]
    vis = np.ones((len(t), 33))
    poses = [PoseFrame(float(s), image[i], world[i], vis[i], (1280, 720))
             for i, s in enumerate(t)]
    smoother = PoseSmoother()
    one = [smoother(p) for p in poses]
    fi, fw = OneEuroFilter(), OneEuroFilter()
    for i, p in enumerate(poses):
        assert np.array_equal(one[i].image, fi(p.image / 720, p.t_s) * 720, equal_nan=True)
        assert np.array_equal(one[i].world, fw(p.world, p.t_s), equal_nan=True)
    block = PoseSmoother()
    got_image, got_world = block.smooth(t, image, world, np.full(len(t), 720))
    assert np.array_equal(got_image, np.stack([p.image for p in one]), equal_nan=True)
    assert np.array_equal(got_world, np.stack([p.world for p in one]), equal_nan=True)
