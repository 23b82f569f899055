"""One-Euro filtering of landmark tracks.

The MediaPipe Tasks API does no smoothing of its own, and raw landmarks jitter by a few pixels
even on a still person. Holds and bounce detection need steady angles, so every landmark
coordinate is filtered here with the One-Euro filter (Casiez, Roussel & Vogel, CHI 2012): a
low-pass whose cut-off rises with speed, so slow drift is smoothed hard and real motion passes
with little lag.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pose.landmarks import PoseFrame


@dataclass(frozen=True)
class OneEuroParams:
    """Filter settings.

    Attributes:
        min_cutoff_hz: cut-off at rest; lower removes more jitter but lags more.
        beta: how fast the cut-off rises with speed (per unit of the signal per second).
        d_cutoff_hz: cut-off of the speed estimate itself.
        max_gap_s: a gap in the track longer than this restarts the filter, so a person who
            walks out and back is not dragged across the frame.
    """

    min_cutoff_hz: float = 1.5
    beta: float = 20.0
    d_cutoff_hz: float = 1.0
    max_gap_s: float = 0.5


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters a stream of same-shaped arrays, element by element, in one vectorised step.

    Non-finite input elements pass through as NaN and restart those elements' filters.
    """

    def __init__(self, params: OneEuroParams = OneEuroParams()) -> None:
        self.params = params
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None
        self._finite = False  # ``_x`` holds no NaN: the step needs no masks

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x: np.ndarray, t_s: float) -> np.ndarray:
        """Filter one sample ``x`` taken at ``t_s`` seconds; returns the smoothed array."""
        x = np.asarray(x, dtype=np.float64)
        x_hat, dx_hat = np.empty_like(x), np.empty_like(x)
        self._step(x, t_s, bool(np.isfinite(x).all()), x_hat, dx_hat, np.empty_like(x))
        return x_hat.copy()

    def run(self, values: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        """Filter a block of samples in order: ``values`` (N, ...) at ``t_s`` (N,) seconds,
        continuing from (and leaving) this filter's state; the same as N calls, element for
        element."""
        out = np.empty(values.shape, dtype=np.float64)
        if not len(out):
            return out
        x = values.astype(np.float64, copy=False)
        finite: list[bool] = np.all(np.isfinite(x.reshape(len(x), -1)), axis=1).tolist()
        # One pair of speed buffers taking turns and one scratch row for the whole block:
        # a step's arithmetic is nine operations on a few hundred numbers, so it is the
        # allocations that would cost.
        speeds = (np.empty_like(x[0]), np.empty_like(x[0]))
        scratch = np.empty_like(x[0])
        for i, t in enumerate(t_s.tolist()):
            self._step(x[i], t, finite[i], out[i], speeds[i % 2], scratch)
        self._x = out[-1].copy()  # the state must not be a row the caller holds
        return out

    def _step(self, x: np.ndarray, t_s: float, finite: bool, x_hat: np.ndarray,
              dx_hat: np.ndarray, scratch: np.ndarray) -> None:
        """One sample ``x`` (``finite``: it holds no NaN) into ``x_hat`` (and the filtered
        speed into ``dx_hat``), which become the state; ``scratch`` is working space. None of
        them may be the state's own arrays."""
        p = self.params
        previous, speed = self._x, self._dx
        if previous is None or speed is None or self._t is None \
                or previous.shape != x.shape or not (0.0 < t_s - self._t <= p.max_gap_s):
            x_hat[...] = x
            dx_hat[...] = 0.0
        else:
            dt = t_s - self._t
            a_d = _alpha(p.d_cutoff_hz, dt)
            # The filter, with r = 2 pi dt (min_cutoff + beta |dx_hat|) and so a = r / (1 + r):
            #   dx_hat = a_d (x - previous) / dt + (1 - a_d) speed
            #   x_hat = a x + (1 - a) previous = x - (x - previous) / (1 + r)
            # nine operations on the whole row, in place: a step is a few hundred numbers, so
            # the calls are what costs (it was seventeen, issue 14).
            diff = x_hat  # x_hat holds x - previous until the last operation
            np.subtract(x, previous, out=diff)
            if not self._finite:  # an element seen again restarts: no speed, x as it is
                diff[~np.isfinite(previous)] = 0.0
            np.multiply(diff, a_d / dt, out=dx_hat)
            np.multiply(speed, 1.0 - a_d, out=scratch)
            dx_hat += scratch
            np.abs(dx_hat, out=scratch)
            scale = 2.0 * np.pi * dt
            scratch *= scale * p.beta
            scratch += 1.0 + scale * p.min_cutoff_hz  # 1 + r
            np.divide(diff, scratch, out=scratch)
            np.subtract(x, scratch, out=x_hat)
            if not finite:
                dx_hat[~np.isfinite(dx_hat)] = 0.0
        self._x, self._dx, self._t, self._finite = x_hat, dx_hat, t_s, finite


def smooth_track(values: np.ndarray, t_s: np.ndarray,
                 params: OneEuroParams = OneEuroParams()) -> np.ndarray:
    """Filter a whole track: ``values`` shaped (N, ...) sampled at ``t_s`` (N,) seconds."""
    filt = OneEuroFilter(params)
    return (np.stack([filt(v, float(t)) for v, t in zip(values, t_s, strict=False)])
            if len(values) else values)


class PoseSmoother:
    """One-Euro smoothing of whole poses: the pipeline's stage between the model and the angles.

    Image landmarks are filtered in frame-height units, so one set of parameters suits every
    resolution; world landmarks in metres. Both go through one filter, side by side: the
    filter works element by element and both restart together (same times, same gaps), so
    this is two filters' arithmetic in half the calls. ``reset`` after a drop-out
    (``pose.clock``): what follows a gap in the source must not be pulled towards what came
    before it.
    """

    def __init__(self, params: OneEuroParams = OneEuroParams()) -> None:
        self.params = params
        self._filter = OneEuroFilter(params)

    def reset(self) -> None:
        self._filter.reset()

    def __call__(self, pose: PoseFrame) -> PoseFrame:
        """The smoothed pose (a new ``PoseFrame``; the input is not modified)."""
        image, world = self.smooth_one(pose.t_s, pose.image, pose.world, pose.size[1])
        return replace(pose, image=image, world=world)

    def smooth_one(self, t_s: float, image: np.ndarray, world: np.ndarray,
                   height: int) -> tuple[np.ndarray, np.ndarray]:
        """One pose's arrays smoothed, as ``__call__`` smooths the pose: ``image`` (33, 2)
        pixels and ``world`` (33, 3) metres at ``t_s`` seconds, in a frame ``height`` pixels
        high (0 taken as 1). Returns new (image, world) arrays."""
        h = height or 1
        both = self._filter(np.concatenate([image / h, world], axis=1), t_s)
        return both[:, :2] * h, both[:, 2:]

    def smooth(self, t_s: np.ndarray, image: np.ndarray, world: np.ndarray,
               height: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A block of N poses at once, as N calls would smooth them: ``t_s`` (N,) seconds,
        ``image`` (N, 33, 2) pixels, ``world`` (N, 33, 3) metres, ``height`` (N,) frame
        heights in pixels (0 taken as 1). Returns the smoothed (image, world)."""
        h = np.where(height > 0, height, 1).astype(np.float64)[:, None, None]
        # Divided in the landmarks' own precision, as one pose divided by an int height is.
        scaled = image / (h.astype(image.dtype) if image.dtype.kind == "f" else h)
        both = self._filter.run(np.concatenate([scaled, world], axis=2), t_s)
        return both[:, :, :2] * h, both[:, :, 2:]
