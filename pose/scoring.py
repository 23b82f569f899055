"""Scoring ``report.json`` files against hand labels, as the private real-clip set is scored.

The metrics and their arithmetic are those of ``../shared/realclips/score.py`` (the scorer of
the private set), to the digit; a test runs both on the same reports. Times are seconds.

- hold coverage: labelled hold time (phase ``hold`` of a catalogue stretch, or ``other`` whose
  ``detail`` names one) covered by reported holds of the same stretch, over all labelled hold
  time; a labelled hold counts as found when >= 60 % of it is covered.
- side accuracy: of the covered left/right hold time, the share reported with the right side
  (NaN when none is covered).
- false hold time: reported hold seconds of a stretch outside every labelled segment of that
  stretch (+-1 s); on clips with no catalogue stretch that is all reported hold time.
- bounce recall: ballistic clips (``expected.ballistic``) with at least one bounce reported.
- false bounces: bounce events inside a labelled ``hold`` segment (any stretch, ``none``
  included) of a non-ballistic clip; ``false_bounces_moving`` the same inside ``moving`` ones.

Label format: ``{"segments": [{start_s, end_s, stretch, side, phase, detail?}], "expected":
{"ballistic": bool}}``; see ``../shared/realclips/README.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Label vocabulary -> catalogue id (as score.py has it).
ALIASES = {"overhead_side_bend": "standing_side_bend", "crossbody_shoulder": "cross_body_shoulder",
           "childs_pose": "childs_pose", "overhead_triceps": "overhead_triceps",
           "kneeling_hip_flexor": "hip_flexor_lunge"}
#: The catalogue ids the private set knows (as score.py has them).
CATALOGUE = {"cat_cow", "childs_pose", "knee_to_chest", "supine_twist", "supine_hamstring",
             "standing_quad", "hip_flexor_lunge", "overhead_triceps", "cross_body_shoulder",
             "seated_forward_fold", "seated_hamstring", "cobra", "standing_side_bend",
             "neck_side_bend", "standing_forward_fold", "glute_bridge"}

EMPTY_REPORT: dict[str, Any] = {"stretches": [], "events": []}


def stretch_id(segment: Mapping[str, Any]) -> str | None:
    """The catalogue stretch a labelled segment shows, or None."""
    name = segment["stretch"]
    if name == "other":
        name = segment.get("detail", "")
    name = ALIASES.get(name, name)
    return name if name in CATALOGUE else None


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def reported_holds(report: Mapping[str, Any]) -> list[tuple[str, str, float, float]]:
    """(stretch, side, start_s, end_s) of every hold in a report."""
    return [(s.get("stretch"), s.get("side"), float(h["start_s"]), float(h["end_s"]))
            for s in report.get("stretches", []) for h in s.get("holds", [])]


def bounce_times(report: Mapping[str, Any]) -> list[float]:
    """Distinct times (to 0.01 s) of the bounces a report flags, events and per-stretch alike."""
    ts = [float(e["t_s"]) for e in report.get("events", []) if e.get("kind") == "bounce"]
    for s in report.get("stretches", []):
        ts += [float(b["t_s"]) for b in s.get("bounces", [])]
    return sorted(set(round(t, 2) for t in ts))


def score_clip(label: Mapping[str, Any], report: Mapping[str, Any]) -> dict[str, Any]:
    """One clip's tallies: hold_total/hold_covered (s), holds/holds_found, side_total/side_right
    (s), false_hold_s, false_bounces, false_bounces_moving, ballistic, bounce_flagged."""
    segs = [dict(s, sid=stretch_id(s)) for s in label["segments"]]
    holds = reported_holds(report)
    r: dict[str, Any] = {"hold_total": 0.0, "hold_covered": 0.0, "holds": 0, "holds_found": 0,
                         "side_total": 0.0, "side_right": 0.0, "false_hold_s": 0.0,
                         "false_bounces": 0, "false_bounces_moving": 0}
    for s in segs:
        if s["sid"] is None or s["phase"] != "hold":
            continue
        dur = s["end_s"] - s["start_s"]
        cov = sum(_overlap(s["start_s"], s["end_s"], h0, h1)
                  for sid, _, h0, h1 in holds if sid == s["sid"])
        cov = min(cov, dur)
        r["hold_total"] += dur
        r["hold_covered"] += cov
        r["holds"] += 1
        r["holds_found"] += cov >= 0.6 * dur
        if s.get("side") in ("left", "right"):
            r["side_total"] += cov
            r["side_right"] += min(cov, sum(_overlap(s["start_s"], s["end_s"], h0, h1)
                                            for sid, side, h0, h1 in holds
                                            if sid == s["sid"] and side == s["side"]))
    for sid, _, h0, h1 in holds:
        inside = sum(_overlap(h0, h1, s["start_s"] - 1, s["end_s"] + 1)
                     for s in segs if s["sid"] == sid)
        r["false_hold_s"] += max(0.0, (h1 - h0) - inside)
    ballistic = bool(label.get("expected", {}).get("ballistic"))
    bounces = bounce_times(report)
    r["ballistic"] = ballistic
    r["bounce_flagged"] = bool(bounces)
    if not ballistic:
        r["false_bounces"] = sum(1 for t in bounces for s in segs
                                 if s["phase"] == "hold" and s["start_s"] <= t <= s["end_s"])
        r["false_bounces_moving"] = sum(
            1 for t in bounces for s in segs
            if s["phase"] == "moving" and s["start_s"] <= t <= s["end_s"])
    return r


def summarise(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The totals over clips, rounded as score.py rounds them."""
    total: dict[str, float] = {}
    for r in rows:
        for k, v in r.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                total[k] = total.get(k, 0) + v
    ballistic = [r for r in rows if r["ballistic"]]
    return {
        "clips": len(rows),
        "hold_coverage": round(total.get("hold_covered", 0)
                               / max(total.get("hold_total", 0), 1e-9), 3),
        "holds_found": f"{total.get('holds_found', 0)}/{total.get('holds', 0)}",
        "side_accuracy": (round(total["side_right"] / total["side_total"], 3)
                          if total.get("side_total", 0) > 0 else math.nan),
        "false_hold_s": round(total.get("false_hold_s", 0), 1),
        "bounce_recall": f"{sum(r['bounce_flagged'] for r in ballistic)}/{len(ballistic)}",
        "false_bounces": total.get("false_bounces", 0),
        "false_bounces_moving": total.get("false_bounces_moving", 0),
    }


def score_dirs(labels_dir: Path, reports_dir: Path, all_labels: bool = False
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Score ``reports_dir/<stem>.json`` against ``labels_dir/<stem>.json`` (score.py's CLI).

    Without ``all_labels`` only the reports that have a label are scored; with it every label
    is, a missing report counting as one that found nothing.
    """
    wanted = sorted(p.stem for p in reports_dir.glob("*.json") if (labels_dir / p.name).exists())
    if all_labels:
        wanted = sorted(p.stem for p in labels_dir.glob("*.json"))
    rows = []
    for stem in wanted:
        rp = reports_dir / f"{stem}.json"
        report = json.loads(rp.read_text()) if rp.exists() else EMPTY_REPORT
        r = score_clip(json.loads((labels_dir / f"{stem}.json").read_text()), report)
        r["clip"] = stem[:3]
        rows.append(r)
    return summarise(rows), rows


def format_row(r: Mapping[str, Any]) -> str:
    """One clip's line, as score.py prints it."""
    return (f"{r['clip']}: hold {r['hold_covered']:.1f}/{r['hold_total']:.1f}s found "
            f"{r['holds_found']}/{r['holds']} side {r['side_right']:.1f}/{r['side_total']:.1f}s "
            f"false_hold {r['false_hold_s']:.1f}s"
            f" bounce {'Y' if r['bounce_flagged'] else 'n'}"
            f"{'(ballistic)' if r['ballistic'] else ''}"
            f" false_bounces {r['false_bounces']}/{r['false_bounces_moving']}")


def format_summary(summary: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in summary.items())
