"""A person following a routine in front of the live coach, posed from the stretches' figures.

``run_script`` drives a real ``LiveSession`` (checks, hold timing, recorder, store) frame by
frame. In place of the camera and the model, ``Actor`` hands the pipeline the landmarks of the
body posed at the current stretch's targets (``pose.figure``), or of a person standing at ease
between stretches: the coach sees exactly what a person doing the stretch as defined shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose import body
from pose.figure import target_pose
from pose.landmarks import PoseFrame
from pose.live import LiveSession

SIZE = (640, 480)


@dataclass(frozen=True)
class Act:
    """Do ``stretch`` on ``side`` for ``seconds`` (0: not at all), then ``then``: None (rest
    until the coach moves on), "skip" or "pain". ``bounce_s`` seconds of 2 Hz, +-8 deg bouncing
    on the stretch's first working angle end the hold."""

    stretch: str
    side: str
    seconds: float
    then: str | None = None
    bounce_s: float = 0.0


class Actor:
    """Stands in for the pose estimator: returns whatever pose it is told to show."""

    def __init__(self) -> None:
        self.frame: PoseFrame | None = None

    def show(self, pose: body.Pose, placement: body.Placement, view: str) -> None:
        image, world, vis = body.landmarks(pose, placement, body.Camera(view))
        self.frame = PoseFrame(0.0, image, world, vis, SIZE)

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
        return None if self.frame is None else dataclasses.replace(self.frame, t_s=t_s)

    def close(self) -> None:
        pass


def _at_ease(actor: Actor) -> None:
    actor.show(body.Pose(), body.STANDING, "front")


def run_script(session: LiveSession, actor: Actor, script: Sequence[Act], fps: float = 10.0,
               t0: float = 0.0) -> float:
    """Play ``script`` through ``session``; returns the time of the last frame."""
    blank = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    dt = 1.0 / fps
    t = t0

    def frames(seconds: float) -> None:
        nonlocal t
        for _ in range(max(1, int(round(seconds * fps)))):
            session.process(blank, t)
            t += dt

    for act in script:
        coach = session.coach
        assert (coach.step.stretch.id, coach.side) == (act.stretch, act.side), (
            f"the coach is at {coach.step.stretch.id} ({coach.side}), the script at "
            f"{act.stretch} ({act.side})")
        figure = target_pose(coach.step.stretch, act.side)
        if act.seconds:
            actor.show(figure.pose, figure.placement, figure.view)
            frames(act.seconds)
        if act.bounce_s:
            base = figure.pose
            field = next((c.angle.replace("{side}", act.side) for c in figure.stretch.criteria
                          if "{side}" in c.angle
                          and c.angle.replace("{side}", act.side) in body.POSE_FIELDS), None)
            for _ in range(int(round(act.bounce_s * fps))):
                if field:
                    value = getattr(base, field) + 8.0 * np.sin(2 * np.pi * 2.0 * (t - t0))
                    actor.show(dataclasses.replace(base, **{field: float(value)}),
                               figure.placement, figure.view)
                frames(dt)
        _at_ease(actor)
        if act.then:
            session.request(act.then)
        before = (coach.position, coach.finished)
        for _ in range(int(20 * fps)):  # the routine player moves on after release and rest
            frames(dt)
            if coach.finished or ((coach.position, coach.finished) != before
                                  and session.player.phase not in ("release", "rest")):
                break
    return t
