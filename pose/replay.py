"""Replay: the checks again on stored landmarks (no pose model), and a playback video.

A therapist can change a range (``--set``) and see what the checks would have said, because the
landmarks of every session are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import av
import numpy as np

from pose.coach import Event
from pose.draw import STATUS_COLOURS, draw_coaching, draw_skeleton
from pose.errors import RoutineError
from pose.report import Report, check_track
from pose.routines import Catalogue, with_overrides
from pose.track import Track
from pose.video import read_video


def parse_settings(items: list[str]) -> dict[str, dict[str, str]]:
    """``["knee_to_chest.hip_flexion_{side}.min=90"]`` -> ``{stretch: {key: value}}``."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        stretch, dot, field = key.partition(".")
        if not sep or not dot or not field:
            raise RoutineError(f"--set {item!r}: expected STRETCH.FIELD=VALUE, e.g. "
                               "knee_to_chest.hip_flexion_{side}.min=90")
        out.setdefault(stretch.strip(), {})[field.strip()] = value.strip()
    return out


def tuned(catalogue: Catalogue, settings: Mapping[str, Mapping[str, str]]) -> Catalogue:
    """A copy of the catalogue (and its routines) with the given stretch fields changed."""
    stretches = dict(catalogue.stretches)
    for sid, fields in settings.items():
        stretches[sid] = with_overrides(catalogue.stretch(sid), dict(fields))
    routines = {
        rid: replace(r, steps=tuple(replace(st, stretch=stretches[st.stretch.id])
                                    for st in r.steps))
        for rid, r in catalogue.routines.items()
    }
    return Catalogue(stretches, routines)


def replay(track: Track, catalogue: Catalogue, routine: str | None = None,
           stretch: str | None = None, personal_limits=None) -> Report:
    """The checks over a stored track, exactly as analysis runs them."""
    r = catalogue.routine(routine) if routine else None
    return check_track(track, catalogue, routine=r, stretch=stretch,
                       personal_limits=personal_limits)


def _messages(events: list[Event], t: np.ndarray) -> list[str]:
    """For each frame, the message of the latest event at most 3 s old (the cue shown)."""
    out = [""] * len(t)
    shown = [e for e in events if e.message and e.kind not in ("pose_found",)]
    j = 0
    current, until = "", -np.inf
    for i, ti in enumerate(t):
        while j < len(shown) and shown[j].t_s <= ti:
            current, until = shown[j].message, shown[j].t_s + 3.0
            j += 1
        out[i] = current if ti <= until else ""
    return out


def render_playback(track: Track, report: Report, out: Path, video: Path | None = None,
                    progress: Callable[[int, int], None] | None = None) -> Path:
    """An mp4 of the session with the skeleton and cues: over the original video when it was
    kept, else over a dark background. Skeleton colour: in form during holds."""
    w, h = track.size
    w, h = max(2, w // 2 * 2), max(2, h // 2 * 2)
    in_hold = np.zeros(len(track), dtype=bool)
    for r in report.results:
        for hold in r.record.holds:
            in_hold |= (track.t_s >= hold.start_s) & (track.t_s <= hold.end_s)
    messages = _messages(report.events, track.t_s)
    frames = iter(read_video(video)) if video is not None and Path(video).is_file() else None
    fps = max(1, round(track.fps or 30))
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i in range(len(track)):
            base = next(frames, None) if frames is not None else None
            rgb = (base.rgb[:h, :w].copy() if base is not None
                   else np.full((h, w, 3), 24, dtype=np.uint8))
            pose = track.frame(i)
            status = "in_form" if in_hold[i] else "tracking"
            if pose is not None:
                rgb = draw_skeleton(rgb, pose.image, pose.visibility,
                                    colour=STATUS_COLOURS[status])
            draw_coaching(rgb, f"{track.t_s[i]:6.1f} s", messages[i] or "",
                          "in_form" if in_hold[i] else "unknown")
            for packet in stream.encode(av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(rgb[:h, :w]), format="rgb24")):
                container.mux(packet)
            if progress is not None:
                progress(i + 1, len(track))
        for packet in stream.encode():
            container.mux(packet)
    return out
