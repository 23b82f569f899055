"""``SpeedGate`` keeps each angle's range over its window as samples come and go (issue 14):
it must read what the range of the window's samples reads, frame by frame, through gaps, time
going back, ties at the window's ends and long monotonic runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose.stillness import SpeedGate


def window_speeds(times: list[float], values: dict[str, list[float]], window_s: float
                  ) -> list[float]:
    """The fastest angle's speed at each frame, by the definition: the range of the samples
    since the angle's last restart (out of view, time going back) that lie in the last
    ``window_s``, over ``window_s``; none over less than half a window."""
    out = []
    for i, t in enumerate(times):
        fastest = 0.0
        for series in values.values():
            if not math.isfinite(series[i]):
                continue
            start = i
            while start > 0 and math.isfinite(series[start - 1]) and \
                    times[start - 1] <= times[start]:
                start -= 1
            kept = [(times[j], series[j]) for j in range(start, i + 1)
                    if times[j] >= t - window_s - 1e-9]
            if len(kept) >= 2 and kept[-1][0] - kept[0][0] >= 0.5 * window_s:
                span = max(v for _, v in kept) - min(v for _, v in kept)
                fastest = max(fastest, span / window_s)
        out.append(fastest)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_the_speed_is_the_range_over_the_window(seed):
    rng = np.random.default_rng(seed)
    n = 600
    times = np.cumsum(rng.choice([1 / 30, 1 / 15, 0.0, 0.2], size=n, p=[0.85, 0.08, 0.04, 0.03]))
    times[n // 2:] -= times[n // 2] - 1.0  # time goes back: a new recording
    values = {
        # jitter rounded so that equal values tie at the window's ends
        "jitter": np.round(rng.normal(90.0, 2.0, n)),
        "deepening": 60.0 + 0.2 * np.arange(n),  # each sample the window's highest
        "rising_falling": 40.0 * np.abs(np.sin(np.arange(n) / 40.0)),
        "unseen_at_times": np.where(rng.random(n) < 0.05, np.nan, rng.normal(10.0, 5.0, n)),
    }
    gate = SpeedGate(values)
    frames = [{k: float(v[i]) for k, v in values.items()} for i in range(n)]
    frames[100] = {}  # nothing measured in one frame
    got = [gate.update(float(t), frame) for t, frame in zip(times, frames, strict=True)]
    series = {k: [f.get(k, math.nan) for f in frames] for k in values}
    assert got == window_speeds(times.tolist(), series, gate.window_s)
    assert max(got) > gate.max_deg_s > min(got)  # both sides of the limit were read


def test_a_reset_forgets_the_window():
    gate = SpeedGate(["a"])
    gate.update(0.0, {"a": 0.0})
    assert gate.update(0.5, {"a": 50.0}) == 100.0 and gate.moving
    gate.reset()
    assert gate.speed == 0.0 and not gate.moving
    assert gate.update(0.6, {"a": 10.0}) == 0.0  # one sample: no speed yet
    assert gate.update(1.1, {"a": 12.0}) == pytest.approx(4.0)
