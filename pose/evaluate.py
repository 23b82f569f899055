"""How far to trust the checks: run them on labelled recordings and score them.

Each clip is a pose trace (``<id>.npz``, see ``pose.traces``) or a video file; a trace enters
the pipeline where the model's ``PoseFrame``s do, a video goes through the model. Every clip's
report is checked as ``stretchcheck analyze`` checks it, optionally written as ``<id>.json``,
and scored against ``<id>.json`` in the labels folder by ``pose.scoring``.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import signal
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pose.errors import StretchCheckError
from pose.extraction import default_jobs
from pose.report import Report
from pose.routines import load_catalogue
from pose.scoring import score_clip, summarise
from pose.sessions import analyse_trace, analyse_video
from pose.stretches import Catalogue

TRACE_SUFFIX = ".npz"
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif")


@dataclass(frozen=True)
class Clip:
    """A labelled recording: ``id`` is the file stem shared by the label and the recording."""

    id: str
    label: Path
    source: Path

    @property
    def is_trace(self) -> bool:
        return self.source.suffix == TRACE_SUFFIX


@dataclass
class Evaluation:
    """Scores per clip and in total, with what it took to get them.

    ``per_clip`` rows carry score.py's tallies (seconds and counts) plus ``clip`` (the id),
    ``source`` ("trace" or "video") and ``media_s`` (the recording's length in seconds).
    """

    summary: dict[str, Any]
    per_clip: list[dict[str, Any]]
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_s: float = 0.0
    media_s: float = 0.0
    unmatched: list[str] = field(default_factory=list)

    @property
    def x_real_time(self) -> float | None:
        """Seconds of recordings checked per second of the run, to 0.1 (None: no time)."""
        return round(self.media_s / self.run_s, 1) if self.run_s > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "per_clip": self.per_clip,
                "timing": {"run_s": round(self.run_s, 3), "media_s": round(self.media_s, 2),
                           "x_real_time": self.x_real_time},
                "unmatched": self.unmatched}


def _recordings(paths: Iterable[Path]) -> dict[str, Path]:
    """Recordings by stem: each path a file or a folder of them; a trace beats a video."""
    found: dict[str, Path] = {}
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise StretchCheckError(f"{path}: no such file or folder")
        for p in files:
            suffix = p.suffix.lower()
            if suffix == TRACE_SUFFIX or (suffix in VIDEO_SUFFIXES
                                          and p.stem not in found):
                found[p.stem] = p
    return found


def find_clips(labels: Path, recordings: Iterable[Path]) -> tuple[list[Clip], list[str]]:
    """Pair labels (a ``.json`` file or a folder of them) with recordings of the same stem.

    Returns the clips in id order and the ids of labels without a recording. Raises
    ``StretchCheckError`` when nothing pairs up.
    """
    if labels.is_dir():
        label_files = sorted(labels.glob("*.json"))
    elif labels.is_file():
        label_files = [labels]
    else:
        raise StretchCheckError(f"{labels}: no such file or folder")
    by_stem = _recordings(recordings)
    clips = [Clip(p.stem, p, by_stem[p.stem]) for p in label_files if p.stem in by_stem]
    unmatched = [p.stem for p in label_files if p.stem not in by_stem]
    if not clips:
        raise StretchCheckError(
            f"no recording matches a label in {labels}: a label <id>.json needs <id>.npz "
            f"or a video <id>.mp4 (or another video suffix) beside it")
    return clips, unmatched


def clip_report(clip: Clip, catalogue: Catalogue, stretch: str | None = "auto",
                progress: Callable[[int, int], None] | None = None) -> Report:
    """The clip checked as ``stretchcheck analyze`` checks a recording: a trace from the model's
    raw output through the one pipeline (``pose.sessions.analyse_trace``), a video through the
    model and the same pipeline (``pose.sessions.analyse_video``)."""
    if clip.is_trace:
        return analyse_trace(clip.source, catalogue, stretch=stretch)
    return analyse_video(clip.source, catalogue, stretch=stretch, progress=progress)


def _read_label(path: Path) -> dict[str, Any]:
    try:
        label = json.loads(path.read_text())
        if not isinstance(label.get("segments"), list):
            raise ValueError("no segments list")
        for s in label["segments"]:
            float(s["start_s"]), float(s["end_s"]), s["stretch"], s["phase"]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise StretchCheckError(f"{path}: not a label file ({exc})") from None
    return label


def _checked(clip: Clip, catalogue: Catalogue, stretch: str | None,
             progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, Any], float]:
    """A clip's report as a dict, and the recording's length in seconds."""
    report = clip_report(clip, catalogue, stretch, progress)
    return report.to_dict(), report.track.duration_s


#: A worker process's catalogue and stretch (``_start_worker``; unset in the parent).
_WORKER: tuple[Catalogue, str | None] | None = None


def _start_worker(catalogue: Catalogue, stretch: str | None) -> None:
    """A forked worker's start: the settings it inherited (a forked process's arguments are
    not pickled), and Ctrl-C left to the parent (blocked since the fork, see ``_Workers``)."""
    global _WORKER
    _WORKER = (catalogue, stretch)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _checked_in_worker(clip: Clip) -> tuple[dict[str, Any], float]:
    assert _WORKER is not None, "not a worker started by _start_worker"
    return _checked(clip, *_WORKER)


class _Workers:
    """``_checked`` of trace clips in ``jobs`` forked processes, started at once; ``next()``
    gives the clips' results in ``clips``' order.

    Each clip's checks are pure Python over its own trace (the GIL allows no gain from
    threads), and every clip is checked alone from a fresh loop, so the reports are the same
    to the byte as one process's (``tests/test_evaluate.py``). Forked, the workers start in
    ~10 ms with the modules and the catalogue already loaded; a spawned worker would spend
    more time importing them than the nine traces of ``../shared/realclips`` take to check.
    A clip's error (a corrupt trace) is raised when its turn comes, as in one process; a
    worker that dies (out of memory) raises a ``StretchCheckError``. ``close`` waits for the
    clips under way (up to ``2 * jobs + 1`` are handed out at a time) and drops the rest.
    """

    def __init__(self, clips: list[Clip], catalogue: Catalogue, stretch: str | None,
                 jobs: int) -> None:
        self._clips = iter(clips)
        self._pool = ProcessPoolExecutor(jobs, multiprocessing.get_context("fork"),
                                         initializer=_start_worker,
                                         initargs=(catalogue, stretch))
        frozen_by_caller = gc.get_freeze_count() > 0
        # Ctrl-C between a fork and the worker's start would print the worker's traceback:
        # blocked here, the workers inherit it blocked and unblock it once they ignore it.
        sigint_blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK,
                                                                 {signal.SIGINT})
        try:
            # A forked child must not free what it inherited: an object of a library whose
            # threads stayed behind (a video decoder's) can hang in its destructor there
            # (seen: a PyAV codec context freed by a child's garbage collector, after the
            # parent had decoded a video). So everything the parent holds, its garbage too,
            # is frozen out of the children's cycle collections; the parent collects that
            # garbage itself once the workers are done. Not collected first: in ``bench``'s
            # process, after the model and an analysis, a full collection took 14-37 ms of an
            # evaluation's 0.4-0.5 s (issue 14). The workers are forked by the first
            # submission, inside ``map``.
            gc.freeze()
            self._results = self._pool.map(_checked_in_worker, clips)
        except BaseException:
            self._pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            if not frozen_by_caller:
                gc.unfreeze()
            if not sigint_blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def next(self) -> tuple[dict[str, Any], float]:
        clip = next(self._clips)
        try:
            return next(self._results)
        except BrokenProcessPool:
            raise StretchCheckError(
                f"{clip.source}: the process checking it (or another clip) ended "
                "unexpectedly, out of memory perhaps: try again with --jobs 1") from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def evaluate(labels: Path, recordings: Iterable[Path], stretch: str | None = "auto",
             out: Path | None = None, catalogue: Catalogue | None = None,
             on_clip: Callable[[Clip], Callable[[int, int], None] | None] | None = None,
             jobs: int | None = 1) -> Evaluation:
    """Check every labelled clip and score it.

    Args:
        labels: a label file or a folder of ``<id>.json`` labels.
        recordings: files or folders holding ``<id>.npz`` traces or ``<id>.<video>`` files.
        stretch: "auto" (or None) for auto mode, or one catalogue stretch id.
        out: if given, each report is written there as ``<id>.json``.
        on_clip: called as each clip starts (traces checked in parallel: all of them before
            the workers start); may return a ``(done, total)`` progress callback for a video.
        jobs: processes checking the traces, a clip each at a time (None: one per core, at
            most 4 and at most one per trace; 1: all in this process). The workers are forked
            (``_Workers``): the command forks from a fresh process, ``bench`` after running
            the model, with the parent's objects frozen first; a caller with threads of
            its own should weigh that. Videos are analysed one after the other, each with
            ``pose.extraction``'s threads.

    Raises ``StretchCheckError`` (one line) for missing paths, bad labels, unknown stretches and
    unreadable recordings.
    """
    catalogue = catalogue or load_catalogue()
    if stretch not in (None, "auto"):
        catalogue.stretch(stretch)
    clips, unmatched = find_clips(labels, recordings)
    labels_read = {clip.id: _read_label(clip.label) for clip in clips}  # a broken one fails fast
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    traces = [clip for clip in clips if clip.is_trace]
    jobs = min(jobs or default_jobs(), len(traces))
    t0 = time.perf_counter()
    rows, reports, media_s = [], {}, 0.0
    parallel = jobs > 1 and "fork" in multiprocessing.get_all_start_methods()
    if parallel and on_clip:
        for clip in traces:
            on_clip(clip)
    # Forked before any video of this evaluation runs the model, whose threads would be left
    # behind in the workers.
    pooled = _Workers(traces, catalogue, stretch, jobs) if parallel else None
    try:
        for clip in clips:
            if pooled is not None and clip.is_trace:
                report, duration_s = pooled.next()
            else:
                report, duration_s = _checked(clip, catalogue, stretch,
                                              on_clip(clip) if on_clip else None)
            reports[clip.id] = report
            if out is not None:
                (out / f"{clip.id}.json").write_text(json.dumps(report, indent=1) + "\n")
            row = score_clip(labels_read[clip.id], report)
            row.update(clip=clip.id, source="trace" if clip.is_trace else "video",
                       media_s=round(duration_s, 2))
            rows.append(row)
            media_s += duration_s
    finally:
        if pooled is not None:
            pooled.close()  # on an error: the clips under way end, the rest are dropped
    run_s = time.perf_counter() - t0
    return Evaluation(summarise(rows), rows, reports, run_s, media_s, unmatched)


def format_evaluation(ev: Evaluation) -> str:
    """Per clip lines and the totals, for a terminal."""
    lines = []
    for r in ev.per_clip:
        side = (f"{r['side_right']:.1f}/{r['side_total']:.1f} s" if r["side_total"] > 0
                else "-")
        lines.append(
            f"{r['clip']}: hold {r['hold_covered']:.1f}/{r['hold_total']:.1f} s, found "
            f"{r['holds_found']}/{r['holds']}, side right {side}, false hold "
            f"{r['false_hold_s']:.1f} s, bounce {'flagged' if r['bounce_flagged'] else 'none'}"
            f"{' (ballistic clip)' if r['ballistic'] else ''}, false bounces "
            f"{r['false_bounces']} in holds / {r['false_bounces_moving']} moving")
    s = ev.summary
    lines.append("")
    lines.append(f"{s['clips']} clips: hold coverage {s['hold_coverage']}, holds found "
                 f"{s['holds_found']}, side accuracy {s['side_accuracy']}, false hold "
                 f"{s['false_hold_s']} s, bounce recall {s['bounce_recall']}, false bounces "
                 f"{s['false_bounces']} (+{s['false_bounces_moving']} while moving)")
    speed = f"{ev.media_s / ev.run_s:.0f}x real time" if ev.run_s > 0 else "instant"
    lines.append(f"checked {ev.media_s:.1f} s of recordings in {ev.run_s:.2f} s ({speed})")
    if ev.unmatched:
        lines.append(f"labels without a recording (not scored): {', '.join(ev.unmatched)}")
    return "\n".join(lines)
