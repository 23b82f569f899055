"""Ballistic movement anywhere: fast repeated reversals of the big joints, stretch or not.

Jumping jacks, fast toe touches, kicks and burpees are what back-pain advice warns against,
whether or not they look like a catalogue stretch. ``BallisticWatch`` follows the big joints
(hips, knees, shoulders, trunk) through every frame with one ``BounceDetector`` each (the trunk
two: its swings and its folds), tuned for whole-body movement, and reports an episode when
joints of at least ``MIN_LIMBS`` parts of the body reverse fast together, or one limb or the
trunk swings whole as told below. A stretch's own small bounces (+-5-10 deg) are
``StretchChecker``'s business.

Constants:
- ``MIN_SWING_DEG`` = 20: a swing of the whole limb or trunk, far above landmark jitter
  (a few degrees) and a stretch's own bounce; jumping jacks and walkouts swing 60-150 deg.
- turning points 0.1-0.55 s apart (about 0.9 Hz and faster), five in a row, as for bouncing;
  or, for the hips, trunk and shoulders, explosive swings with pauses (``PAUSES``, a
  ``pose.bounce.Pauses``): five turning points within 4 s, two of the four swings between
  them of 60 deg or more crossing the middle of their range (10-90 %) at 400 deg/s or faster,
  and a real pause (turning points 2.5 such crossings apart or more; a steady swinging is
  1.7 apart and is bouncing's business). Kicks and burpees pause between explosive swings (a
  kick's leg rests while the other kicks; a burpee stands a moment), so not every swing is
  fast. 60 deg and 400 deg/s: kicks and a burpee's jumps cross 85-110 deg at about 500 deg/s;
  a walk's hips swing about 40 deg, brisk squats, marching with high knees, a bird dog and
  picking something up move at 230-290 deg/s. A swing is timed over its middle, not from
  turning point to turning point: with landmark noise a rest's lowest sample falls anywhere
  in it. Not the knees: at every step of a walk a knee bends 60-70 deg in about a third of a
  second and straightens as fast, then stands.
- no swing faster than a limb (``BounceDetector``'s ``seen_moving``): one that crossed the
  middle of its range in under ``pose.bounce.MIN_MOVING_S`` = 0.05 s is a landmark jumping
  there and back (the model swapping the legs' labels for a moment in a side view, or losing
  the whole body for a frame), not a limb moving. Told above 20 fps only: slower, a frame is
  longer than that, and a jump reads as a fast swing.
- ``MIN_LIMBS`` = 2 of the trunk, the arms and the legs (``limb``) within ``AGREE_S`` = 1 s: a
  body moving, not one limb's landmarks flickering (a far limb in a side view can swing
  wildly on its own, and a shoulder's flexion and abduction both move with its elbow). Or
  one limb, the hips or shoulders, whose every swing of the run is a whole limb's
  (``BounceDetector.whole_limb_seen_s``): 60 deg or more and seen on its way, a sample in its
  middle half, as explosive swings with pauses are (``PAUSES``), and whose hand or foot
  really went that far (``MIN_REACH_M`` = 0.25 m across the last ``TRAVEL_S``, in the world
  landmarks: a punch goes at the camera, not across the picture). One leg kicking with rests
  or swinging, one arm punching: synthetic kicks at 0.5-1.5 a second and leg swings at 1-1.5
  Hz were missed at 10-60 fps (one limb) and are found. A flickering limb jumps from one frame
  to the next (no sample on its way, ``test_one_limb_flickering_is_not_a_body_moving``); an
  arm lying out to the side reads a shoulder flexion that swings 90 deg and more with
  landmark jitter alone (its projection on the sagittal plane is short), with the hand still;
  a walker's arms and a walk's hips swing about 40 deg. One limb swinging fast is enough for
  the travel below to be noted (a walker's swinging shows limb by limb).
- The trunk folding and straightening (``FOLDS``): toe touches swing the whole upper body
  90-110 deg, and at a brisk pace (0.8 Hz, or 0.4 s a way with a pause at the top) their
  swings are too slow for the bouncing and explosive rules above. The trunk alone is enough
  here, its every swing ``FOLD_SWING_DEG`` = 60 deg or more and seen on its way (a swing of
  four landmarks at once, which no single landmark's flicker makes): turning points at most
  ``FOLD_HALF_PERIOD_S`` = 0.8 s apart five in a row (0.63 Hz and faster), or explosive
  swings with pauses at ``FOLD_SPEED_DEG_S`` = 280 deg/s or faster; and the shoulders
  really went up and down the picture, ``FOLD_SHIFT`` = 0.2 body sizes over the last
  ``TRAVEL_S`` (a toe touch lowers them 0.3-0.5; the model re-reading the trunk's depth
  moves no point across the picture). 60 deg leaves out a
  squat's trunk (30-40 deg) and a walk's; 0.8 s a way and 280 deg/s leave out rolling down
  and up slowly (1 s a way or slower) and picking something up (down in 0.6 s: about 180
  deg/s across the middle of the swing; 230 measured on people, see ``Pauses``).
- ``MIN_TRAVEL`` = 0.25 body sizes between the halves of the last ``TRAVEL_S`` = 2 s (the hips'
  mean position over each half): a body that travels across the picture while its legs and
  arms swing is walking (or running) past, not swinging in place, and no episode starts until
  it has not travelled so far for ``TRAVEL_S``. Walking at 1.0-1.4 m/s puts the halves 0.6-0.8
  body sizes apart (an upright walker's size is about their height). A07's real walkers seen
  near (the street cut into quarters shown at twice the size): 0.27-1.09 where their episodes
  started before, and each run of swinging reached 0.31 or more (one walking away from the
  camera, up the street, 0.20-0.33). In place, R07's jumping jacks move 0.06 at most over the
  whole clip, R09's walkouts 0.11 where their episode starts and 0.26 at most (p90 0.14). The
  two overlap at the threshold: there is no margin, the latch is what carries the walkers,
  and a walkout that travels as far would not be flagged while it does. Walking straight
  towards or away from the camera crosses little and may still be flagged.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pose import landmarks as lm
from pose.bounce import Bounce, BounceDetector, Pauses
from pose.landmarks import PoseFrame

BIG_JOINTS: tuple[str, ...] = (
    "trunk_inclination",
    "hip_flexion_left", "hip_flexion_right", "hip_abduction_left", "hip_abduction_right",
    "knee_flexion_left", "knee_flexion_right",
    "shoulder_flexion_left", "shoulder_flexion_right",
    "shoulder_abduction_left", "shoulder_abduction_right",
)
MIN_SWING_DEG = 20.0
PAUSES = Pauses()
"""Fast swings with pauses: the hips, trunk and shoulders (see the module docstring)."""
FOLD_SWING_DEG = 60.0
FOLD_HALF_PERIOD_S = 0.8
FOLD_SPEED_DEG_S = 280.0
FOLDS = Pauses(min_swing_deg=FOLD_SWING_DEG, min_speed_deg_s=FOLD_SPEED_DEG_S)
"""The trunk folding and straightening fast (see the module docstring)."""
FOLD_SHIFT = 0.2
"""How far (body sizes) the shoulders' midpoint must cross the picture for the trunk's folds
alone to be ballistic movement (see the module docstring)."""
MIN_LIMBS = 2
AGREE_S = 1.0
REARM_S = 3.0
"""Quiet time after which a new episode is reported again."""
MIN_TRAVEL = 0.25
TRAVEL_S = 2.0
"""The window travel is measured over, and how long after the body last travelled so far no
episode starts."""
TRAVEL_CHECK_S = 0.25
"""While one limb alone swings fast, how often travel is measured (s): often enough for a
latch of ``TRAVEL_S``."""

MIN_REACH_M = 0.25
"""How far (m) one limb's hand or foot must have gone over the last ``TRAVEL_S`` for that limb
alone to be ballistic movement: a kick's foot and a punch's hand go 0.4-0.8 m; an angle
flickering on a still limb moves it by the landmarks' jitter, a few centimetres."""
#: The landmark at each limb's end, whose reach ``MIN_REACH_M`` is measured on.
LIMB_END = {"left arm": lm.LEFT_WRIST, "right arm": lm.RIGHT_WRIST,
            "left leg": lm.LEFT_ANKLE, "right leg": lm.RIGHT_ANKLE}

MESSAGE = "Fast, jerky movement: stretch slowly and hold instead"

_PART = {"trunk_inclination": "trunk", "hip_flexion": "hips", "hip_abduction": "hips",
         "knee_flexion": "knees", "shoulder_flexion": "arms", "shoulder_abduction": "arms"}


@dataclass(frozen=True)
class Ballistic:
    """One episode of ballistic movement, as first noticed."""

    t_s: float
    joints: tuple[str, ...]
    """The big-joint angles reversing fast, fastest swing first."""
    amplitude_deg: float
    frequency_hz: float

    @property
    def detail(self) -> str:
        parts = list(dict.fromkeys(_PART[j.rsplit("_", 1)[0] if j != "trunk_inclination"
                                         else j] for j in self.joints))
        return (f"fast repeated movement of the {' and '.join(parts)} "
                f"(about {self.frequency_hz:.1f} Hz, swings of {2 * self.amplitude_deg:.0f} deg)")


def limb(angle: str) -> str:
    """The part of the body a big-joint angle moves with: ``trunk``, ``left arm``, ``right
    arm``, ``left leg`` or ``right leg`` (a shoulder's flexion and abduction come from the
    same two landmarks, so one limb's flicker moves both)."""
    if not angle.endswith(("_left", "_right")):
        return "trunk"
    side = angle.rsplit("_", 1)[1]
    return f"{side} {'arm' if angle.startswith(('shoulder', 'elbow')) else 'leg'}"


class BallisticWatch:
    """Feed it every frame's angles (an empty mapping when there is no usable pose) and, to tell
    walking past from swinging in place, the pose they were measured on."""

    def __init__(self, joints: tuple[str, ...] = BIG_JOINTS, min_swing_deg: float = MIN_SWING_DEG,
                 min_limbs: int = MIN_LIMBS, agree_s: float = AGREE_S,
                 rearm_s: float = REARM_S, min_travel: float = MIN_TRAVEL,
                 travel_s: float = TRAVEL_S, pauses: Pauses | None = PAUSES,
                 folds: Pauses | None = FOLDS,
                 fold_half_period_s: float = FOLD_HALF_PERIOD_S) -> None:
        self.detectors = [
            BounceDetector(j, min_swing_deg=min_swing_deg, rearm_s=rearm_s,
                           pauses=None if j.startswith("knee") else pauses, seen_moving=True)
            for j in joints]
        # The trunk's wide swings, watched on their own: one is enough (``FOLDS``).
        self._fold = None if folds is None else BounceDetector(
            "trunk_inclination", min_swing_deg=folds.min_swing_deg,
            max_half_period_s=fold_half_period_s, rearm_s=rearm_s, pauses=folds,
            seen_moving=True)
        if self._fold is not None:
            self.detectors.append(self._fold)
        self._limb = {j: limb(j) for j in (*joints, "trunk_inclination")}
        self.min_limbs = min_limbs
        self.agree_s = agree_s
        self.rearm_s = rearm_s
        self._last: dict[BounceDetector, Bounce] = {}
        self._episode_at: float | None = None
        self.episodes: list[Ballistic] = []
        self.min_travel = min_travel
        self.travel_s = travel_s
        # The poses of the last ``travel_s``: only looked at while a limb swings fast.
        self._recent: deque[PoseFrame] = deque()
        self._travelled_at: float | None = None  # when the body last crossed the picture
        self._travel_checked_at: float | None = None
        self._last_t: float | None = None

    def _start_afresh(self) -> None:
        """Forget what was watched (the episodes found stay listed)."""
        for det in self.detectors:
            det.reset()
        self._last.clear()
        self._episode_at = self._travelled_at = self._travel_checked_at = None
        self._recent.clear()

    def update(self, t_s: float, angles: Mapping[str, float],
               pose: PoseFrame | None = None) -> Ballistic | None:
        """The episode that starts at this frame (``t_s`` s, its ``angles`` in degrees), if
        any. ``pose``, at the same time (``pose.t_s == t_s``), is the body the angles were
        measured on; frames without one add nothing to how far the body travelled."""
        if self._last_t is not None and t_s < self._last_t:
            self._start_afresh()  # time went back: a new recording
        self._last_t = t_s
        recent = self._recent
        if pose is not None:
            recent.append(pose)
        while recent and t_s - recent[0].t_s > self.travel_s:
            recent.popleft()
        read = angles.get
        for det in self.detectors:
            bounce = det.update(t_s, read(det.angle, math.nan))
            if bounce is not None:
                self._last[det] = bounce
        agree = self.agree_s
        active = [d for d in self.detectors
                  if d.last_seen_s is not None and t_s - d.last_seen_s <= agree]
        if not active:
            return None
        moving = len({self._limb[d.angle] for d in active}) >= self.min_limbs or any(
            d.whole_limb_seen_s is not None and t_s - d.whole_limb_seen_s <= self.agree_s
            and (self.shoulders_moved() >= FOLD_SHIFT if d is self._fold
                 else self.reach(self._limb[d.angle]) >= MIN_REACH_M)
            for d in active)
        if self._episode_at is not None and t_s - self._episode_at < self.rearm_s:
            if moving:
                self._episode_at = t_s  # still the same episode
            return None
        # Whether the body is crossing the picture is noted whenever a limb swings fast (a
        # walker's swinging shows limb by limb): on every such frame when an episode could
        # start, else every ``TRAVEL_CHECK_S`` (it costs ~0.3 ms).
        if moving or self._travel_checked_at is None \
                or t_s - self._travel_checked_at >= TRAVEL_CHECK_S:
            self._travel_checked_at = t_s
            if self.travelled() >= self.min_travel:
                self._travelled_at = t_s
        if not moving:
            return None
        if self._travelled_at is not None and t_s - self._travelled_at <= self.travel_s:
            # Walking past (a walker stopping or turning for a moment is still one): a
            # swinging in place that goes on afterwards still starts an episode.
            return None
        self._episode_at = t_s
        found = [self._last[d] for d in active if d in self._last]
        if not found:
            return None
        found.sort(key=lambda b: -b.amplitude_deg)
        # The trunk may show twice (its bouncing and its folding detector): name it once.
        joints = tuple(dict.fromkeys(b.angle for b in found))
        episode = Ballistic(t_s, joints, found[0].amplitude_deg,
                            found[0].frequency_hz)
        self.episodes.append(episode)
        return episode

    def reach(self, limb: str) -> float:
        """How far (m) ``limb``'s hand or foot went over the last ``travel_s``: the diagonal
        of the box its world positions fill, where seen (visibility 0.5 or more); 0 for the
        trunk and with fewer than 4 such poses."""
        end = LIMB_END.get(limb)
        if end is None:
            return 0.0
        at = [p.world[end] for p in self._recent if p.visibility[end] >= 0.5]
        if len(at) < 4:
            return 0.0
        return float(np.linalg.norm(np.ptp(lm.stack_rows(at), axis=0)))

    def _midpoints(self, left: int, right: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Over the recent poses that show both ``left`` and ``right`` (visibility 0.5 or
        more) and size the body (``PoseFrame.span``; NaN: too few landmarks seen): their
        times (N,), the pair's midpoint (N, 2) pixels and the body's size (N,) pixels, its
        larger extent; None with fewer than 4 such poses."""
        poses = [p for p in self._recent
                 if min(p.visibility[left], p.visibility[right]) >= 0.5 and not math.isnan(p.span)]
        if len(poses) < 4:
            return None
        image = lm.stack_rows([p.image for p in poses])  # (N, 33, 2) pixels
        size = lm.extents(image, lm.stack_rows([p.visibility for p in poses])).max(axis=1)
        return (np.array([p.t_s for p in poses]), image[:, [left, right]].mean(axis=1), size)

    def shoulders_moved(self) -> float:
        """How far the shoulders' midpoint went across the picture over the last
        ``travel_s``: the diagonal of the box it fills, in body sizes (the median of the
        poses' larger extent); 0 with fewer than 4 poses that show both shoulders and size
        the body."""
        seen = self._midpoints(lm.LEFT_SHOULDER, lm.RIGHT_SHOULDER)
        if seen is None:
            return 0.0
        _, mid, size = seen
        return float(np.hypot(*np.ptp(mid, axis=0)) / np.median(size))

    def travelled(self) -> float:
        """How far the body moved across the picture over the last ``travel_s``: the hips'
        midpoint averaged over the window's first half against its second half, in body sizes
        (the median of the poses' larger extent, pixels); 0 without two poses in each half
        that show both hips and size the body (``PoseFrame.span``). Halves rather than the
        first and the last pose: a swing in place mostly averages out over each half (exactly
        at whole cycles a second; at other rates the halves differ by up to about 0.4 of the
        hips' own swing), where a walker's halves lie apart by the distance walked in 1 s."""
        seen = self._midpoints(lm.LEFT_HIP, lm.RIGHT_HIP)
        if seen is None:
            return 0.0
        t, hips, size = seen
        second = t >= (t[0] + t[-1]) / 2
        if not 2 <= second.sum() <= len(t) - 2:
            return 0.0
        moved = hips[second].mean(axis=0) - hips[~second].mean(axis=0)
        return float(np.hypot(*moved) / np.median(size))

    def drop_out(self, t_s: float) -> None:
        """The source lost time before the frame at ``t_s`` (``pose.clock``): swings seen before
        the gap cannot pair with those after it, nor can positions. A walker stays one: the
        swings seen just before the gap still count as recent, and with no positions left to
        measure travel on, forgetting that the body was crossing would flag the walk."""
        self._recent.clear()
        for det in self.detectors:
            det.update(t_s, float("nan"))
