"""A session store with known content, made without the pose model (synthetic landmarks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_store import hand_report, synthetic_track

from pose.coach import Event
from pose.store import open_store

ROOT = Path(__file__).resolve().parents[2]


def seed(db: Path, sessions: dict[str, int] | None = None, video: Path | None = None
         ) -> dict[str, list[int]]:
    """``{profile: n_sessions}`` saved sessions, each with results, events and a pain note (the
    first of each profile answered);
    returns the session ids per profile. ``video`` is recorded as the first one's kept video."""
    ids: dict[str, list[int]] = {}
    with open_store(db) as store:
        for name, n in (sessions or {"ana": 2, "ben": 1}).items():
            profile = store.profile(name)
            for i in range(n):
                track = synthetic_track()
                track.source = f"{name}-clip-{i}.mp4"
                report = hand_report(track)
                report.events.append(Event(2.9, "pain_stop", report.results[0].stretch.id,
                                           "left", f"Stopped: it hurts ({name} {i})"))
                if i == 0:  # the first one's questions answered, the others' not
                    report.events.append(Event(
                        3.4, "pain_report", report.results[0].stretch.id, "left", "answered",
                        {"feeling": "discomfort", "rating": 4, "stop_today": "no"}))
                sid = store.save_analysis(track, report, profile_id=profile.id,
                                          video_path=video if video and not ids else None)
                store.save_results(sid, report)
                store.update_range(profile.id, report.results[0].stretch.id,
                                   "hip_flexion_left", 80.0 + i, sid)
                ids.setdefault(name, []).append(sid)
    return ids


def cli(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pose", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, **kwargs)


def namespace_available() -> bool:
    """True if a user+mount namespace can be made here (a private tmpfs or read-only mount
    without root): ``unshare -rm``."""
    import shutil

    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True,
                          timeout=30).returncode == 0


def in_namespace(setup: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``stretchcheck ARGS`` after the shell commands ``setup`` (mounts), in a user and mount
    namespace of its own: the mounts vanish with it."""
    import shlex

    command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "pose", *args))
    return subprocess.run(["unshare", "-rm", "sh", "-c", f"{setup} && exec {command}"],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)
