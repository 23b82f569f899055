"""The one pipeline: frames -> pose -> joint angles -> checks -> events.

A webcam, a video file and a stored session are three sources for it: the first two enter
through ``step`` (an RGB frame), a stored session through ``step_pose`` (landmarks already
estimated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from pose.angles import joint_angles
from pose.estimator import PoseEstimator, PoseFrame


class Checker(Protocol):
    """What the form checks offer the pipeline (see ``pose.coach.Coach``)."""

    def update(self, t_s: float, pose: PoseFrame | None,
               angles: dict[str, float]) -> tuple[Any, list[Any]]: ...


@dataclass
class FrameResult:
    """Everything the pipeline knows after one frame."""

    t_s: float
    pose: PoseFrame | None
    angles: dict[str, float]
    feedback: Any = None
    events: list[Any] = field(default_factory=list)


class Pipeline:
    def __init__(self, estimator: PoseEstimator | None = None,
                 checker: Checker | None = None) -> None:
        self.estimator = estimator
        self.checker = checker

    def step(self, rgb: np.ndarray, t_s: float) -> FrameResult:
        """Run one (H, W, 3) RGB frame taken at ``t_s`` seconds through the whole pipeline."""
        if self.estimator is None:
            raise RuntimeError("this pipeline has no pose estimator: use step_pose")
        return self.step_pose(self.estimator.process(rgb, t_s), t_s)

    def step_pose(self, pose: PoseFrame | None, t_s: float) -> FrameResult:
        """Continue from an estimated (or stored) pose."""
        if pose is None:
            angles: dict[str, float] = {}
        else:
            batch = joint_angles(pose.image, pose.world, pose.visibility)
            angles = {name: float(v[0]) for name, v in batch.items()}
        result = FrameResult(t_s, pose, angles)
        if self.checker is not None:
            result.feedback, result.events = self.checker.update(t_s, pose, angles)
        return result
