"""A profile's data in one zip: its sessions, results and pain notes, as JSON and as CSV.

``export.json`` holds everything in one document (profile, personal ranges, and per session its
details, results and events); the CSV files hold the same as tables a spreadsheet opens:
``sessions.csv``, ``results.csv`` (one row per stretch and side), ``events.csv`` (every event,
pain stops included) and ``pain_notes.csv`` (the pain stops alone). Landmarks stay out: they
are the body's coordinates frame by frame, available per session as ``frames.csv`` on Review.
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from pose.review import results_rows
from pose.store import Profile, Store

SCHEMA = "stretchcheck.export/1"


def profile_data(store: Store, profile: Profile) -> dict[str, Any]:
    """Everything stored for ``profile`` as plain JSON-ready data."""
    sessions = []
    for info in store.sessions(profile.id):
        events = [e.to_dict() for e in store.events(info.id)]
        sessions.append({
            "id": info.id, "source": info.source, "source_name": info.source_name,
            "routine": info.routine, "model": info.model, "started_at": info.started_at,
            "ended_at": info.ended_at, "frames": info.n_frames,
            "duration_s": round(info.duration_s, 3), "fps": info.fps,
            "video_kept": bool(info.video_path),
            "results": store.results(info.id),
            "replays": store.replays(info.id),
            "events": events,
            "pain_notes": [e for e in events if e["kind"] == "pain_stop"],
        })
    return {"schema": SCHEMA, "exported_at": time.time(),
            "profile": {"name": profile.name, "flexion_sensitive": profile.flexion_sensitive},
            "comfortable_ranges": store.comfortable_ranges(profile.id),
            "sessions": sessions}


def _csv(rows: list[dict[str, Any]], fields: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


_SESSION_FIELDS = ["id", "started_at", "ended_at", "source", "source_name", "routine", "model",
                   "frames", "duration_s", "fps", "video_kept"]
_EVENT_FIELDS = ["session", "t_s", "kind", "stretch", "side", "message"]


def export_zip(store: Store, profile: Profile) -> bytes:
    """The zip's bytes: ``export.json`` and the CSV tables (see the module docstring)."""
    data = profile_data(store, profile)
    sessions = data["sessions"]
    results, events = [], []
    for s in sessions:
        results += [{"session": s["id"], **row} for row in results_rows(s["results"])]
        events += [{"session": s["id"], **e} for e in s["events"]]
    result_fields = ["session", *(list(results[0])[1:] if results else [])]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export.json", json.dumps(data, indent=1) + "\n")
        z.writestr("sessions.csv", _csv(sessions, _SESSION_FIELDS))
        z.writestr("results.csv", _csv(results, result_fields))
        z.writestr("events.csv", _csv(events, _EVENT_FIELDS))
        z.writestr("pain_notes.csv", _csv([e for e in events if e["kind"] == "pain_stop"],
                                          _EVENT_FIELDS))
    return buffer.getvalue()


def write_export(store: Store, profile: Profile, out: Path) -> Path:
    """Write ``export_zip`` to ``out`` (a .zip file, or a folder to put
    ``stretchcheck-<profile>.zip`` in)."""
    out = Path(out)
    if out.is_dir():
        out = out / f"stretchcheck-{profile.name}.zip"
    data = export_zip(store, profile)
    out.write_bytes(data)
    return out
