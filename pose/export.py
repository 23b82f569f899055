"""A profile's data in one zip: its sessions, results and pain notes, as JSON and as CSV.

``export.json`` holds everything in one document (profile, personal ranges, and per session its
details, results and events); the CSV files hold the same as tables a spreadsheet opens:
``sessions.csv``, ``results.csv`` (one row per stretch and side), ``events.csv`` (every event,
pain stops included) and ``pain_notes.csv`` (the pain stops, each with the answers to its
questions: feeling, 0-10 rating, stopped for the day, or that they went unanswered). Times in
the CSV files are local date and time; ``export.json`` keeps them as Unix seconds too.
Landmarks stay out: they are the body's coordinates frame by frame, available per session as
``frames.csv`` on Review.
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from pose.events import Event
from pose.outputs import written
from pose.phases import FEELINGS
from pose.review import results_rows
from pose.store import Profile, Store
from pose.summary import pain_answers

SCHEMA = "stretchcheck.export/1"


def profile_data(store: Store, profile: Profile) -> dict[str, Any]:
    """Everything stored for ``profile`` as plain JSON-ready data."""
    sessions = []
    for info in store.sessions(profile.id):
        stored = store.events(info.id)
        events = [e.to_dict() for e in stored]
        sessions.append({
            "id": info.id, "source": info.source, "source_name": info.source_name,
            "routine": info.routine, "model": info.model, "started_at": info.started_at,
            "ended_at": info.ended_at, "frames": info.n_frames,
            "duration_s": round(info.duration_s, 3), "fps": info.fps,
            "video_kept": bool(info.video_path),
            "results": store.results(info.id),
            "replays": store.replays(info.id),
            "events": events,
            "pain_notes": [_pain_note(stop, answer) for stop, answer in pain_answers(stored)],
        })
    return {"schema": SCHEMA, "exported_at": time.time(),
            "profile": {"name": profile.name, "flexion_sensitive": profile.flexion_sensitive},
            "comfortable_ranges": store.comfortable_ranges(profile.id),
            "sessions": sessions}


def _pain_note(stop: Event, answer: Event | None) -> dict[str, Any]:
    """A pain stop's event as a dict, with the answers to its questions (empty if none)."""
    data = answer.data if answer is not None else {}
    return {**stop.to_dict(), "answered": answer is not None,
            "feeling": FEELINGS.get(str(data.get("feeling")), "") if data else "",
            "rating": data.get("rating", ""), "stopped_for_the_day": data.get("stop_today", "")}


def _local(t: float | None) -> str:
    """Unix seconds as local date and time, for a spreadsheet ("2026-12-01 18:42:14")."""
    return "" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _csv(rows: list[dict[str, Any]], fields: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


_SESSION_FIELDS = ["id", "started_at", "ended_at", "source", "source_name", "routine", "model",
                   "frames", "duration_s", "fps", "video_kept"]
_EVENT_FIELDS = ["session", "t_s", "kind", "stretch", "side", "message"]
_PAIN_FIELDS = ["session", "t_s", "stretch", "side", "answered", "feeling", "rating",
                "stopped_for_the_day", "message"]


def export_zip(store: Store, profile: Profile) -> bytes:
    """The zip's bytes: ``export.json`` and the CSV tables (see the module docstring)."""
    data = profile_data(store, profile)
    sessions = data["sessions"]
    results, events, pains = [], [], []
    for s in sessions:
        results += [{"session": s["id"], **row} for row in results_rows(s["results"])]
        events += [{"session": s["id"], **e} for e in s["events"]]
        pains += [{"session": s["id"], **note} for note in s["pain_notes"]]
    table = [{**s, "started_at": _local(s["started_at"]), "ended_at": _local(s["ended_at"])}
             for s in sessions]
    result_fields = ["session", *(list(results[0])[1:] if results else [])]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export.json", json.dumps(data, indent=1) + "\n")
        z.writestr("sessions.csv", _csv(table, _SESSION_FIELDS))
        z.writestr("results.csv", _csv(results, result_fields))
        z.writestr("events.csv", _csv(events, _EVENT_FIELDS))
        z.writestr("pain_notes.csv", _csv(pains, _PAIN_FIELDS))
    return buffer.getvalue()


def write_export(store: Store, profile: Profile, out: Path) -> Path:
    """Write ``export_zip`` to ``out`` (a .zip file, or a folder to put
    ``stretchcheck-<profile>.zip`` in)."""
    out = Path(out)
    if out.is_dir():
        out = out / f"stretchcheck-{profile.name}.zip"
    data = export_zip(store, profile)
    with written(out, "; the store is unchanged") as part:  # no half zip, no older one lost
        part.write_bytes(data)
    return out
