"""The ideal pose of every catalogue stretch, and poses that miss it in known ways.

Each stretch has a builder, ``BUILDERS[stretch_id](side, **params)``, returning a ``Scene``: the
test body's ``Pose``, its ``Placement`` and the ``Camera`` the catalogue asks for (``view``).
With no params it is the ideal pose, done as the stretch's instructions say; params move one
thing at a time (a joint, the trunk's pitch) and may be (N,) arrays, for ``body.sequence``. A
param whose default is None follows the others (a fold's hip keeps the legs flat); None or
NaN entries in an array mean the same.

``side`` is the side being stretched, "left" or "right" ("both" for stretches done on both
sides at once). Axial angles follow the body's signs: ``trunk_lateral_tilt``,
``neck_lateral_tilt`` and ``knee_drop`` are + towards the person's left, so a side bend, a
neck tilt or a knee drop *away from* the stretched side is + for the right side and - for the
left (``away(side)``).

Cameras: a side view sees the stretched side (``side_left`` for the left side, and for
"both"); front views are ``front`` (for lying stretches: beyond the feet, looking along the
body), 3.5 m away for the whole body, 2 m away for the upper-body stretches (head to hips).

Besides the builders, this module lists for each stretch:

* ``VIOLATIONS``: poses that each miss *only* one criterion (at least one per criterion), with
  the miss expected (so whether it is "nearly" or "out of form"). Some bounds can only be
  missed a little on their own: past 10-15 deg another criterion (or a limit) goes too;
* ``OVER``: one pose past each safe limit, the other criteria still met;
* ``HIDE``: a landmark of the working side to hide (the cue must name its body part);
* ``DEPTH``: the stretch's depth parameter (what deepens it), the angle it moves, a centre
  for a +-8 deg bounce, a slow-deepening ramp inside the range, and the value that is clearly
  out of position (for entering and leaving).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from body import STANDING, Camera, Placement, Pose, both_sides

STRETCH_IDS = (
    "cat_cow", "childs_pose", "knee_to_chest", "supine_twist", "supine_hamstring",
    "glute_bridge", "cobra", "seated_forward_fold", "seated_hamstring", "hip_flexor_lunge",
    "standing_quad", "standing_forward_fold", "standing_side_bend", "overhead_triceps",
    "cross_body_shoulder", "neck_side_bend",
)

#: Stretches done on both sides at once ("both"); the others alternate.
BOTH = ("cat_cow", "childs_pose", "glute_bridge", "cobra", "seated_forward_fold",
        "standing_forward_fold")


@dataclass(frozen=True)
class Scene:
    pose: Pose
    placement: Placement
    camera: Camera


def sides_of(stretch_id: str) -> tuple[str, ...]:
    return ("both",) if stretch_id in BOTH else ("left", "right")


def other(side: str) -> str:
    return {"left": "right", "right": "left", "both": "both"}[side]


def away(side: str) -> float:
    """+1 when "away from the stretched side" is the person's left (the right side)."""
    return 1.0 if side == "right" else -1.0


def limbs(side: str, **angles: Any) -> dict[str, Any]:
    """Pose fields from names ending in ``_side`` (the stretched limb) or ``_other``.

    For side "both", ``_side`` sets both limbs. Other names pass through (``Pose.symmetric``
    style side-less names allowed).
    """
    plain: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for name, value in angles.items():
        if name.endswith("_side"):
            base = name.removesuffix("_side")
            if side == "both":
                out.update({f"{base}_left": value, f"{base}_right": value})
            else:
                out[f"{base}_{side}"] = value
        elif name.endswith("_other"):
            if side == "both":
                raise ValueError(f"{name}: no other side when both are stretched")
            out[f"{name.removesuffix('_other')}_{other(side)}"] = value
        else:
            plain[name] = value
    return {**both_sides(plain), **out}


def side_camera(side: str) -> Camera:
    return Camera("side_right" if side == "right" else "side_left")


FRONT = Camera("front")
#: Upper-body stretches: a camera 2 m away at chest height, head to hips in view (the trunk's
#: angles need a hip).
UPPER_BODY = Camera("front", distance=2.0, target=(0.0, -0.35, 0.0))


def mirror(scene: Scene) -> Scene:
    """The same scene with the person's left and right swapped (a mirror image).

    Limb fields swap sides; the signed axial angles change sign; a side camera moves to the
    other side.
    """
    p = scene.pose
    swapped = {}
    for f in dataclasses.fields(Pose):
        name = f.name
        if name.endswith("_left"):
            swapped[name] = getattr(p, name.removesuffix("_left") + "_right")
        elif name.endswith("_right"):
            swapped[name] = getattr(p, name.removesuffix("_right") + "_left")
        elif name in ("trunk_lateral_tilt", "neck_lateral_tilt", "knee_drop"):
            swapped[name] = -np.asarray(getattr(p, name))
        else:
            swapped[name] = getattr(p, name)
    view = {"side_left": "side_right", "side_right": "side_left"}.get(scene.camera.view,
                                                                       scene.camera.view)
    return Scene(Pose(**swapped), scene.placement, dataclasses.replace(scene.camera, view=view))


def _or(value: Any, derived: Any) -> Any:
    """``value``, or ``derived`` where it is None or NaN (a param left to follow the others)."""
    if value is None:
        return derived
    value = np.asarray(value, float)
    return np.where(np.isnan(value), derived, value)


# --------------------------------------------------------------------------------------------
# The builders. Trunk pitch: 0 upright, +90 chest down, -90 on the back. For a leg in the
# sagittal plane, its thigh points (hip_flexion - pitch) degrees forward of straight down, so
# thigh_inclination = |hip_flexion - pitch|.
# --------------------------------------------------------------------------------------------

def cat_cow(side: str = "both", *, neck: Any = 0.0, pitch: Any = 90.0, hip: Any = 90.0,
            knee: Any = 90.0, shoulder: Any = 90.0, roll: Any = 0.0) -> Scene:
    """On hands and knees: trunk level, thighs and arms plumb, head in line (cycles: neck).

    ``roll`` turns the whole body about its long axis (onto one side); the hips follow with
    abduction so that the thighs stay plumb.
    """
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        shoulder_flexion_side=shoulder, neck_flexion=neck,
                        trunk_lateral_tilt=roll, hip_abduction_left=roll,
                        hip_abduction_right=-np.asarray(roll)))
    return Scene(pose, Placement(pitch), side_camera(side))


def childs_pose(side: str = "both", *, pitch: Any = 100.0, hip: Any = 150.0,
                knee: Any = 140.0, roll: Any = 0.0) -> Scene:
    """Kneeling, sitting back towards the heels, chest folded onto the thighs, arms forward.

    Trunk 10 deg past horizontal (head low), thighs 50 deg forward of plumb, shins flat.
    """
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        shoulder_flexion_side=170.0, neck_flexion=20.0,
                        trunk_lateral_tilt=roll, hip_abduction_left=roll,
                        hip_abduction_right=-np.asarray(roll)))
    return Scene(pose, Placement(pitch), side_camera(side))


def knee_to_chest(side: str = "left", *, hip: Any = 120.0, knee: Any = 110.0,
                  other_hip: Any = 45.0, other_knee: Any = 90.0, pitch: Any = -90.0,
                  roll: Any = 0.0) -> Scene:
    """On the back, one knee hugged (hip 120, knee 110), the other foot flat on the floor."""
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        hip_flexion_other=other_hip, knee_flexion_other=other_knee,
                        shoulder_flexion_side=40.0, elbow_flexion_side=90.0,
                        shoulder_flexion_other=40.0, elbow_flexion_other=90.0,
                        trunk_lateral_tilt=roll))
    return Scene(pose, Placement(pitch), side_camera(side))


def supine_twist(side: str = "left", *, drop: Any = 45.0, hip: Any = 70.0, knee: Any = 90.0,
                 side_knee: Any = None, pitch: Any = -90.0, roll: Any = 0.0) -> Scene:
    """On the back, knees bent together, dropped ``drop`` deg away from the stretched side.

    Arms out to the sides; seen from beyond the feet. ``hip`` is the flexion before the drop
    (the measured hip flexion is then atan(tan(hip) cos(drop))).
    """
    pose = Pose(**limbs(side, hip_flexion=hip, knee_flexion=knee, shoulder_abduction=90.0,
                        knee_drop=away(side) * np.asarray(drop), trunk_lateral_tilt=roll,
                        **({} if side_knee is None else {"knee_flexion_side": side_knee})))
    return Scene(pose, Placement(pitch), FRONT)


def supine_hamstring(side: str = "left", *, hip: Any = 95.0, knee: Any = 10.0,
                     other_hip: Any = 40.0, other_knee: Any = 80.0, pitch: Any = -90.0,
                     roll: Any = 0.0) -> Scene:
    """On the back, the stretched leg raised nearly straight (hip 95, knee 10), other foot flat;
    hands behind the thigh."""
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        hip_flexion_other=other_hip, knee_flexion_other=other_knee,
                        shoulder_flexion=60.0, elbow_flexion=40.0, trunk_lateral_tilt=roll))
    return Scene(pose, Placement(pitch), side_camera(side))


def glute_bridge(side: str = "both", *, lift: Any = 35.0, hip: Any = 0.0,
                 knee: Any = 120.0) -> Scene:
    """On the back, hips lifted ``lift`` deg: shoulders on the floor, knees-hips-shoulders in a
    line (hip 0), shins near plumb, arms along the floor."""
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        shoulder_flexion=20.0))
    return Scene(pose, Placement(-(90.0 + np.asarray(lift))), side_camera(side))


def cobra(side: str = "both", *, lift: Any = 35.0, hip: Any = None, pitch: Any = None,
          roll: Any = 0.0) -> Scene:
    """Face down, chest lifted ``lift`` deg off the floor, legs long on the floor.

    By default the trunk pitch is 90 - lift and the hip extension -lift, so the thighs stay
    flat (thigh inclination 90); ``hip``/``pitch`` override either.
    """
    lift = np.asarray(lift, float)
    hip, pitch = _or(hip, -lift), _or(pitch, 90.0 - lift)
    pose = Pose(**limbs(side, hip_flexion_side=hip, shoulder_flexion=35.0, elbow_flexion=25.0,
                        neck_flexion=-10.0, trunk_lateral_tilt=roll))
    return Scene(pose, Placement(pitch), side_camera(side))


def seated_forward_fold(side: str = "both", *, fold: Any = 40.0, hip: Any = None,
                        knee: Any = 10.0) -> Scene:
    """Sitting on the floor, legs long (knees soft, 10), folded ``fold`` deg forward from
    upright; by default hip = 90 + fold so the legs stay flat."""
    hip = _or(hip, 90.0 + np.asarray(fold, float))
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        shoulder_flexion=100.0, neck_flexion=15.0))
    return Scene(pose, Placement(fold), side_camera(side))


def seated_hamstring(side: str = "left", *, fold: Any = 40.0, hip: Any = None,
                     knee: Any = 5.0, other_knee: Any = 120.0) -> Scene:
    """Sitting on the floor, the stretched leg straight, the other bent with its foot against
    the inside of the straight thigh (thigh turned 50 deg out); folded forward over the
    straight leg. Camera on the straight leg's side."""
    hip = _or(hip, 90.0 + np.asarray(fold, float))
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        hip_flexion_other=np.asarray(hip) - 10.0, hip_abduction_other=50.0,
                        knee_flexion_other=other_knee, shoulder_flexion=100.0,
                        neck_flexion=15.0))
    return Scene(pose, Placement(fold), side_camera(side))


def hip_flexor_lunge(side: str = "left", *, hip: Any = -15.0, knee: Any = 90.0,
                     front_hip: Any = 90.0, front_knee: Any = 90.0, pitch: Any = 0.0) -> Scene:
    """Kneeling on the stretched side's knee (shin flat behind), the other foot flat in front
    (hip and knee at right angles), trunk upright, hips shifted forward (hip -15)."""
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        hip_flexion_other=front_hip, knee_flexion_other=front_knee,
                        shoulder_flexion=10.0))
    return Scene(pose, Placement(pitch), side_camera(side))


def standing_quad(side: str = "left", *, knee: Any = 135.0, hip: Any = -5.0,
                  other_knee: Any = 5.0, other_hip: Any = 0.0, pitch: Any = 0.0) -> Scene:
    """Standing on the other leg (knee soft), the stretched knee bent, heel to the buttock,
    knees together; the hand on that side holds the ankle, the other rests on a chair."""
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        hip_flexion_other=other_hip, knee_flexion_other=other_knee,
                        shoulder_flexion_side=-30.0, elbow_flexion_side=60.0,
                        shoulder_abduction_other=30.0))
    return Scene(pose, Placement(pitch), side_camera(side))


def standing_forward_fold(side: str = "both", *, fold: Any = 100.0, hip: Any = None,
                          knee: Any = 10.0) -> Scene:
    """Standing, knees soft, hanging forward from the hips ``fold`` deg; by default hip = fold
    so the legs stay plumb. Arms hang towards the floor."""
    hip = _or(hip, np.asarray(fold, float))
    pose = Pose(**limbs(side, hip_flexion_side=hip, knee_flexion_side=knee,
                        shoulder_flexion=np.asarray(fold, float), neck_flexion=10.0))
    return Scene(pose, Placement(fold), side_camera(side))


def standing_side_bend(side: str = "left", *, tilt: Any = 25.0, arm: Any = 160.0,
                       knee: Any = 5.0, other_knee: Any = 5.0) -> Scene:
    """Standing, the stretched side's arm overhead (abduction 160), leaning ``tilt`` deg to the
    other side with the feet planted (the hips abduct to keep the legs plumb)."""
    t = away(side) * np.asarray(tilt, float)
    pose = Pose(**limbs(side, knee_flexion_side=knee, knee_flexion_other=other_knee,
                        shoulder_abduction_side=arm, elbow_flexion_side=20.0,
                        shoulder_abduction_other=15.0, trunk_lateral_tilt=t,
                        hip_abduction_left=t, hip_abduction_right=-t))
    return Scene(pose, STANDING, FRONT)


def overhead_triceps(side: str = "left", *, shoulder: Any = 160.0, elbow: Any = 130.0,
                     pitch: Any = 0.0) -> Scene:
    """Standing tall, the stretched arm's elbow pointing up (flexion 160), bent 130 so the hand
    reaches down the back; the other hand across the chest, up to the raised elbow."""
    pose = Pose(**limbs(side, shoulder_flexion_side=shoulder, elbow_flexion_side=elbow,
                        shoulder_flexion_other=95.0, shoulder_horizontal_adduction_other=40.0,
                        elbow_flexion_other=110.0))
    return Scene(pose, Placement(pitch), UPPER_BODY)


def cross_body_shoulder(side: str = "left", *, across: Any = 45.0, shoulder: Any = 90.0,
                        elbow: Any = 10.0, pitch: Any = 0.0) -> Scene:
    """Standing tall, the stretched arm straight at shoulder height, ``across`` deg across the
    chest; the other hand holds it above the elbow (upper arm forward-down, elbow bent)."""
    pose = Pose(**limbs(side, shoulder_flexion_side=shoulder,
                        shoulder_horizontal_adduction_side=across, elbow_flexion_side=elbow,
                        shoulder_flexion_other=40.0, shoulder_horizontal_adduction_other=0.0,
                        elbow_flexion_other=100.0))
    return Scene(pose, Placement(pitch), UPPER_BODY)


def neck_side_bend(side: str = "left", *, tilt: Any = 25.0, trunk: Any = 0.0,
                   pitch: Any = 0.0, flexion: Any = 0.0) -> Scene:
    """Sitting tall (on a chair: hips and knees at right angles), head tilted ``tilt`` deg
    towards the other shoulder; ``trunk`` tilts the whole body (shoulders not level), ``pitch``
    leans it forward, ``flexion`` bends the neck forward."""
    pose = Pose(**limbs(side, hip_flexion=90.0, knee_flexion=90.0,
                        neck_lateral_tilt=away(side) * np.asarray(tilt, float),
                        neck_flexion=flexion, trunk_lateral_tilt=trunk))
    return Scene(pose, Placement(pitch), UPPER_BODY)


BUILDERS: dict[str, Callable[..., Scene]] = {
    "cat_cow": cat_cow, "childs_pose": childs_pose, "knee_to_chest": knee_to_chest,
    "supine_twist": supine_twist, "supine_hamstring": supine_hamstring,
    "glute_bridge": glute_bridge, "cobra": cobra, "seated_forward_fold": seated_forward_fold,
    "seated_hamstring": seated_hamstring, "hip_flexor_lunge": hip_flexor_lunge,
    "standing_quad": standing_quad, "standing_forward_fold": standing_forward_fold,
    "standing_side_bend": standing_side_bend, "overhead_triceps": overhead_triceps,
    "cross_body_shoulder": cross_body_shoulder, "neck_side_bend": neck_side_bend,
}
assert tuple(BUILDERS) == STRETCH_IDS


def ideal(stretch_id: str, side: str | None = None, **params: Any) -> Scene:
    """The stretch done right on ``side`` (default: its first side), optionally changed."""
    side = side or sides_of(stretch_id)[0]
    return BUILDERS[stretch_id](side, **params)


# --------------------------------------------------------------------------------------------
# Misses
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Miss:
    """A pose that misses one criterion (``low``/``high``) or passes one limit (``over``).

    ``angle`` is the criterion's or limit's angle template; ``miss`` how far outside the range
    the measured angle ends up (for a limit: past it), in degrees.
    """

    angle: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    miss: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.angle}-{self.kind}-{self.miss:g}"


def M(angle: str, kind: str, miss: float, **params: Any) -> Miss:  # noqa: N802
    return Miss(angle, kind, params, miss)


VIOLATIONS: dict[str, list[Miss]] = {
    "cat_cow": [
        # Kneeling up: thighs kept plumb. Beyond 15 deg short, chest_up would fail too.
        M("trunk_inclination", "low", 7, pitch=48.0, hip=48.0),
        M("trunk_inclination", "high", 7, pitch=132.0, hip=132.0),
        M("chest_up", "high", 20, roll=70.0),  # rolled onto one side, thighs still plumb
        # Shin angle from the floor's plumb line = knee flexion - the thigh's forward tilt
        # (hip - 90): the knee misses are made with the shins kept on the floor (>= 60).
        M("knee_flexion_{side}", "low", 15, knee=35.0, hip=55.0),
        M("knee_flexion_{side}", "high", 10, knee=140.0),
        M("thigh_inclination_{side}", "high", 15, hip=145.0, knee=130.0),
        M("thigh_inclination_{side}", "high", 5, hip=45.0),
        # Squatting on steep shins (80 - 35 = 45 deg from plumb), rounded over like cat-cow.
        M("shank_inclination_{side}", "low", 15, hip=125.0, knee=80.0),
        M("shoulder_flexion_{side}", "low", 15, shoulder=40.0),
        M("shoulder_flexion_{side}", "high", 15, shoulder=140.0),
    ],
    "childs_pose": [
        M("knee_flexion_{side}", "low", 15, knee=95.0, hip=130.0),  # shins kept flat (65)
        M("hip_flexion_{side}", "low", 15, hip=85.0),
        M("chest_up", "high", 20.2, roll=80.0),
        M("trunk_inclination", "low", 15, pitch=45.0, hip=105.0),  # shins kept flat (80)
        # A deep squat folded forward: shins steep (35 deg from plumb), all else child's pose.
        M("shank_inclination_{side}", "low", 25, pitch=70.0, knee=115.0),
        M("trunk_inclination", "high", 5, pitch=145.0),
    ],
    "knee_to_chest": [
        M("chest_up", "low", 15, roll=60.0),
        M("trunk_inclination", "low", 5, pitch=-55.0),
        M("trunk_inclination", "high", 5, pitch=-125.0),
        M("hip_flexion_{side}", "low", 15, hip=85.0),
        M("hip_flexion_{side}", "high", 2, hip=152.0),
        M("knee_flexion_{side}", "low", 20, knee=50.0),
        M("hip_flexion_{other}", "high", 15, other_hip=85.0),
    ],
    "supine_twist": [
        M("chest_up_shoulders", "low", 15, roll=75.0),
        M("trunk_inclination", "low", 8, pitch=-52.0),
        M("trunk_inclination", "high", 8, pitch=-128.0),
        M("knee_flexion_{side}", "low", 15, side_knee=30.0),
        # Hips bent 33: trunk-thigh 147. Much less and the thighs come within 30 deg of the
        # trunk axis, where knee_drop is unknown.
        M("trunk_thigh_{side}", "high", 7, hip=33.0),
        M("knee_drop", "low", 12, drop=18.0),
        M("knee_drop", "high", 3, drop=83.0),
    ],
    "supine_hamstring": [
        M("chest_up", "low", 15, roll=60.0),
        M("trunk_inclination", "low", 5, pitch=-55.0),
        M("trunk_inclination", "high", 5, pitch=-125.0),
        M("hip_flexion_{side}", "low", 12, hip=48.0),
        M("hip_flexion_{side}", "high", 5, hip=115.0),
        M("knee_flexion_{side}", "high", 15, knee=50.0),
        M("hip_flexion_{other}", "high", 14, other_hip=84.0),
    ],
    "glute_bridge": [
        M("trunk_inclination", "low", 15, lift=-5.0),
        M("trunk_inclination", "low", 5, lift=5.0),
        M("trunk_inclination", "high", 15, lift=75.0),
        M("hip_flexion_{side}", "low", 8, hip=-28.0),
        M("hip_flexion_{side}", "high", 15, hip=35.0),
        M("knee_flexion_{side}", "low", 15, knee=45.0),
        M("knee_flexion_{side}", "high", 15, knee=160.0),
    ],
    "cobra": [
        M("chest_up", "high", 18.2, roll=100.0),
        M("thigh_inclination_{side}", "low", 13, pitch=12.0),
        M("thigh_inclination_{side}", "high", 15, pitch=100.0),
        M("hip_flexion_{side}", "low", 2, lift=62.0),
        M("hip_flexion_{side}", "high", 15, lift=0.0),
        M("hip_flexion_{side}", "high", 5, lift=10.0),
    ],
    "seated_forward_fold": [
        M("thigh_inclination_{side}", "low", 15, fold=85.0, hip=130.0),
        M("thigh_inclination_{side}", "high", 15, fold=-5.0, hip=130.0),
        M("knee_flexion_{side}", "high", 15, knee=45.0),
        M("hip_flexion_{side}", "low", 15, fold=0.0),
        M("hip_flexion_{side}", "low", 5, fold=10.0),
    ],
    "seated_hamstring": [
        M("thigh_inclination_{side}", "low", 15, fold=85.0, hip=130.0),
        M("thigh_inclination_{side}", "high", 15, fold=-5.0, hip=130.0),
        M("knee_flexion_{side}", "high", 2, knee=32.0),
        M("knee_flexion_{side}", "high", 15, knee=45.0),
        M("knee_flexion_{other}", "low", 20, other_knee=40.0),
        M("hip_flexion_{side}", "low", 15, fold=0.0),
    ],
    "hip_flexor_lunge": [
        M("trunk_inclination", "high", 15, pitch=45.0),
        M("trunk_inclination", "high", 5, pitch=35.0),
        M("hip_flexion_{other}", "low", 15, front_hip=40.0),
        M("hip_flexion_{other}", "high", 15, front_hip=140.0),
        M("knee_flexion_{other}", "low", 15, front_knee=40.0),
        M("knee_flexion_{other}", "high", 15, front_knee=140.0),
        M("knee_flexion_{side}", "low", 15, knee=30.0),
        M("hip_flexion_{side}", "low", 3, hip=-38.0),
        M("hip_flexion_{side}", "high", 8, hip=8.0),
        M("hip_flexion_{side}", "high", 12, hip=12.0),
    ],
    "standing_quad": [
        # Leaning forward from the hips, thighs kept plumb.
        M("trunk_inclination", "high", 15, pitch=40.0, hip=35.0, other_hip=40.0),
        M("knee_flexion_{other}", "high", 15, other_knee=40.0),
        M("knee_flexion_{side}", "low", 15, knee=95.0),
        M("thigh_inclination_{side}", "high", 15, hip=50.0),
    ],
    "standing_forward_fold": [
        M("thigh_inclination_{side}", "high", 15, hip=145.0),
        M("thigh_inclination_{side}", "high", 15, hip=55.0),
        M("trunk_inclination", "low", 15, fold=55.0),
        M("knee_flexion_{side}", "high", 15, knee=50.0),
    ],
    "standing_side_bend": [
        M("knee_flexion_{side}", "high", 15, knee=40.0),
        M("knee_flexion_{other}", "high", 15, other_knee=40.0),
        M("shoulder_abduction_{side}", "low", 20, arm=100.0),
        M("shoulder_abduction_{side}", "low", 8, arm=112.0),
        M("trunk_lateral_tilt", "low", 3, tilt=7.0),
        M("trunk_lateral_tilt", "high", 3, tilt=43.0),
    ],
    "overhead_triceps": [
        M("trunk_inclination", "high", 15, pitch=40.0),
        M("shoulder_flexion_{side}", "low", 15, shoulder=115.0),
        M("elbow_flexion_{side}", "low", 20, elbow=80.0),
    ],
    "cross_body_shoulder": [
        M("trunk_inclination", "high", 15, pitch=40.0),
        M("shoulder_flexion_{side}", "low", 15, shoulder=40.0),
        M("shoulder_flexion_{side}", "high", 15, shoulder=140.0),
        M("shoulder_horizontal_adduction_{side}", "low", 4, across=16.0),
        M("elbow_flexion_{side}", "high", 15, elbow=60.0),
    ],
    "neck_side_bend": [
        M("shoulder_tilt", "low", 15, trunk=-25.0),
        M("shoulder_tilt", "high", 15, trunk=25.0),
        M("neck_lateral_tilt", "low", 7, tilt=8.0),
        M("neck_lateral_tilt", "high", 3, tilt=48.0),
        # Leaning 60 deg, the head tilt shows foreshortened from the front: tilt it further.
        M("trunk_inclination", "high", 15, pitch=60.0, tilt=35.0),
    ],
}

OVER: dict[str, list[Miss]] = {
    "cat_cow": [M("neck_flexion", "over", 10, neck=-60.0)],
    "childs_pose": [M("hip_flexion_{side}", "over", 5, hip=175.0)],
    "knee_to_chest": [M("hip_flexion_{side}", "over", 5, hip=160.0)],
    "supine_twist": [M("knee_drop", "over", 3, drop=88.0)],
    "supine_hamstring": [M("hip_flexion_{side}", "over", 5, hip=125.0)],
    "glute_bridge": [M("hip_flexion_{side}", "over", 5, hip=-35.0)],
    "cobra": [M("hip_flexion_{side}", "over", 5, lift=75.0)],
    "seated_forward_fold": [M("hip_flexion_{side}", "over", 5, fold=85.0, hip=175.0)],
    "seated_hamstring": [M("hip_flexion_{side}", "over", 5, fold=85.0, hip=175.0)],
    "hip_flexor_lunge": [M("hip_flexion_{side}", "over", 5, hip=-45.0)],
    "standing_quad": [M("hip_flexion_{side}", "over", 3, hip=-33.0)],
    "standing_forward_fold": [M("hip_flexion_{side}", "over", 5, fold=145.0, hip=170.0)],
    "standing_side_bend": [M("trunk_lateral_tilt", "over", 5, tilt=50.0)],
    "overhead_triceps": [M("shoulder_flexion_{side}", "over", 10, shoulder=225.0)],
    "cross_body_shoulder": [M("shoulder_horizontal_adduction_{side}", "over", 5, across=80.0)],
    "neck_side_bend": [M("neck_lateral_tilt", "over", 5, tilt=55.0)],
}

#: A landmark of the working side to hide (``{side}`` filled in; for stretches on both sides
#: it is hidden on both) and the part the cue must then name.
HIDE: dict[str, str] = {
    "cat_cow": "{side}_knee", "childs_pose": "{side}_knee", "knee_to_chest": "{side}_knee",
    "supine_twist": "{side}_knee", "supine_hamstring": "{side}_knee",
    "glute_bridge": "{side}_knee", "cobra": "{side}_knee", "seated_forward_fold": "{side}_knee",
    "seated_hamstring": "{side}_knee", "hip_flexor_lunge": "{side}_knee",
    "standing_quad": "{side}_knee", "standing_forward_fold": "{side}_knee",
    "standing_side_bend": "{side}_elbow", "overhead_triceps": "{side}_elbow",
    "cross_body_shoulder": "{side}_elbow", "neck_side_bend": "{side}_ear",
}


@dataclass(frozen=True)
class Depth:
    """What deepens a stretch: a builder param, the angle it moves (template, read for the
    side as the criteria read it), a centre for a +-8 deg bounce, a slow deepening (start,
    rate deg/s) that stays inside the range for 6 s, and params clearly out of position."""

    param: str
    angle: str
    centre: float
    ramp_start: float
    ramp_rate: float
    out: dict[str, Any]


DEPTH: dict[str, Depth] = {
    "cat_cow": Depth("neck", "neck_flexion", 0.0, -8.0, 3.0, {"knee": 10.0}),
    "childs_pose": Depth("hip", "hip_flexion_{side}", 145.0, 120.0, 3.0, {"hip": 80.0}),
    "knee_to_chest": Depth("hip", "hip_flexion_{side}", 125.0, 105.0, 3.0, {"hip": 50.0}),
    "supine_twist": Depth("drop", "knee_drop", 50.0, 35.0, 3.0, {"drop": 0.0}),
    "supine_hamstring": Depth("hip", "hip_flexion_{side}", 85.0, 65.0, 3.0, {"hip": 20.0}),
    "glute_bridge": Depth("lift", "trunk_inclination", 35.0, 14.0, 3.0,
                          {"lift": 0.0, "hip": 50.0}),
    "cobra": Depth("lift", "hip_flexion_{side}", 35.0, 18.0, 3.0, {"lift": 0.0}),
    "seated_forward_fold": Depth("fold", "hip_flexion_{side}", 40.0, 17.0, 3.0, {"fold": -5.0}),
    "seated_hamstring": Depth("fold", "hip_flexion_{side}", 40.0, 17.0, 3.0, {"fold": -5.0}),
    "hip_flexor_lunge": Depth("hip", "hip_flexion_{side}", -15.0, -3.0, -3.0, {"hip": 30.0}),
    "standing_quad": Depth("knee", "knee_flexion_{side}", 135.0, 115.0, 3.0, {"knee": 40.0}),
    "standing_forward_fold": Depth("fold", "trunk_inclination", 100.0, 75.0, 3.0,
                                   {"fold": 30.0}),
    "standing_side_bend": Depth("tilt", "trunk_lateral_tilt", 25.0, 12.0, 3.0,
                                {"tilt": 0.0, "arm": 0.0}),
    "overhead_triceps": Depth("shoulder", "shoulder_flexion_{side}", 160.0, 140.0, 3.0,
                              {"shoulder": 60.0, "elbow": 30.0}),
    "cross_body_shoulder": Depth("across", "shoulder_horizontal_adduction_{side}", 45.0, 25.0,
                                 3.0, {"across": -10.0}),
    "neck_side_bend": Depth("tilt", "neck_lateral_tilt", 28.0, 17.0, 3.0, {"tilt": 0.0}),
}
