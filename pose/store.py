"""The session store: profiles, sessions, landmarks, events, results and personal ranges.

Everything StretchCheck keeps between runs goes through this one module, addressed by a
database URL. Only SQLite is implemented (stdlib ``sqlite3``: embedded, one file, nothing to
start); the default file is ``stretchcheck.db`` in the platform's user data folder, and
``--db`` or ``$STRETCHCHECK_DB`` (a path or a ``sqlite:///abs/path.db`` URL) point elsewhere.

The SQL is kept standard where that costs nothing (``?`` placeholders apart), and what is
SQLite's own - PRAGMAs, the id column type, ``BEGIN IMMEDIATE`` - sits in the "SQLite" section
below, so that a clinic can later point many users at one PostgreSQL server by adding a second
connection function there.

Landmarks are stored as compact little-endian float32 blobs (``numpy.tobytes``), one row per
frame; frames without a pose hold NaN landmarks and zero visibility, as in ``Track``.

A live session writes through a ``Recorder``: the video callback only puts frames and events
on a queue, and a background thread commits them in small transactions (at least every
``batch_s`` seconds) on its own connection. In WAL mode a committed transaction survives the
process being killed, so a crash loses at most the last fraction of a second.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import queue
import re
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import numpy as np

from pose import landmarks as lm
from pose.errors import StoreError
from pose.events import Event
from pose.track import Track

if TYPE_CHECKING:
    from pose.landmarks import PoseFrame
    from pose.report import Report, StretchResult

ENV_VAR = "STRETCHCHECK_DB"
APP_NAME = "stretchcheck"
DB_FILENAME = "stretchcheck.db"
SOURCES = ("live", "video")

N = lm.N_LANDMARKS
_F32 = np.dtype("<f4")
_FRAME_BATCH = 1000  # rows per executemany when saving a whole track

# -- schema ----------------------------------------------------------------------------------
# Ordered migrations: MIGRATIONS[k] takes a database from version k to version k + 1. Never
# edit a step once released; add a new one. ``{id}`` and ``{blob}`` are filled in with the
# dialect's types (see _SQLITE_TYPES).

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the first schema.
    (
        """CREATE TABLE profiles (
            id {id},
            name TEXT NOT NULL UNIQUE,
            created_at DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE sessions (
            id {id},
            profile_id INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
            source TEXT NOT NULL CHECK (source IN ('live', 'video')),
            source_name TEXT NOT NULL,
            routine TEXT,
            model TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            ended_at DOUBLE PRECISION,
            fps DOUBLE PRECISION NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            video_path TEXT
        )""",
        "CREATE INDEX sessions_by_profile ON sessions (profile_id, started_at)",
        """CREATE TABLE frames (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            t_s DOUBLE PRECISION NOT NULL,
            people INTEGER NOT NULL,
            image {blob} NOT NULL,
            world {blob} NOT NULL,
            visibility {blob} NOT NULL,
            PRIMARY KEY (session_id, idx)
        )""",
        # Covering index: frame counts and durations of a session without reading the blobs.
        "CREATE INDEX frames_by_time ON frames (session_id, t_s)",
        """CREATE TABLE events (
            id {id},
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            t_s DOUBLE PRECISION NOT NULL,
            kind TEXT NOT NULL,
            stretch TEXT,
            side TEXT,
            message TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX events_by_session ON events (session_id, t_s)",
        """CREATE TABLE results (
            id {id},
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            stretch TEXT NOT NULL,
            side TEXT NOT NULL,
            target_hold_s DOUBLE PRECISION NOT NULL,
            held_s DOUBLE PRECISION NOT NULL,
            longest_s DOUBLE PRECISION NOT NULL,
            completed BOOLEAN NOT NULL,
            in_form_fraction DOUBLE PRECISION,
            n_bounces INTEGER NOT NULL,
            n_over_range INTEGER NOT NULL,
            n_pain_stops INTEGER NOT NULL,
            detail TEXT NOT NULL
        )""",
        "CREATE INDEX results_by_session ON results (session_id)",
    ),
    # 2: flexion-sensitive profiles (no forward bends) and personal comfortable ranges.
    (
        "ALTER TABLE profiles ADD COLUMN flexion_sensitive BOOLEAN NOT NULL DEFAULT FALSE",
        """CREATE TABLE ranges (
            id {id},
            profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
            stretch TEXT NOT NULL,
            angle TEXT NOT NULL,
            comfortable_deg DOUBLE PRECISION NOT NULL,
            session_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
            updated_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX ranges_by_profile ON ranges (profile_id, stretch, angle, updated_at)",
    ),
    # 3: what a faithful replay needs beyond the landmarks: how the session was checked (JSON,
    # see pose.sessions.checker_spec), and the person's actions and the source's drop-outs.
    (
        "ALTER TABLE sessions ADD COLUMN checker TEXT",
        """CREATE TABLE controls (
            id {id},
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            t_s DOUBLE PRECISION NOT NULL,
            action TEXT NOT NULL,
            value DOUBLE PRECISION
        )""",
        "CREATE INDEX controls_by_session ON controls (session_id, t_s)",
    ),
    # 4: replays with changed settings, kept beside the session's own results.
    (
        """CREATE TABLE replays (
            id {id},
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            created_at DOUBLE PRECISION NOT NULL,
            settings TEXT NOT NULL,
            routine TEXT,
            stretches TEXT NOT NULL
        )""",
        "CREATE INDEX replays_by_session ON replays (session_id, id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


# -- SQLite ----------------------------------------------------------------------------------
# Everything specific to SQLite. A PostgreSQL backend would supply its own versions of these
# (identity column, BYTEA, plain BEGIN, no PRAGMAs, %s placeholders).

_SQLITE_TYPES = {"id": "INTEGER PRIMARY KEY", "blob": "BLOB"}
_BEGIN = "BEGIN IMMEDIATE"  # take the write lock up front: no deadlock between writers
_BUSY_TIMEOUT_S = 10.0


def migration_sql(version: int) -> list[str]:
    """The SQLite statements of the step that brings a database to ``version`` (1-based)."""
    return [sql.format(**_SQLITE_TYPES) for sql in MIGRATIONS[version - 1]]


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, synchronous=NORMAL.

    WAL lets the Review page read while a live session writes; with synchronous=NORMAL a
    commit is not fsynced, but it survives the process being killed (only a power cut can
    lose the last commits).
    """
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None,
                           check_same_thread=False)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"the session store {path} cannot use WAL mode (got {mode}); "
                             "put it on a local disk")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        # A damaged text cell reads with replacement characters instead of stopping the read.
        conn.text_factory = lambda b: b.decode("utf-8", "replace")
    except BaseException:
        conn.close()
        raise
    return conn


# -- URLs ------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def default_db_path() -> Path:
    """``stretchcheck.db`` in the platform's user data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME)) / DB_FILENAME


def resolve_db(db: str | os.PathLike[str] | None = None) -> Path:
    """The SQLite file that ``db`` names: a path or a ``sqlite:///`` URL.

    None means ``$STRETCHCHECK_DB`` if set (and not empty), else ``default_db_path()``.
    ``sqlite:///abs/path.db`` is the file ``/abs/path.db`` (on Windows ``sqlite:///C:/x.db``).
    Any other scheme raises ``StoreError``.
    """
    if db is None or str(db) == "":
        db = os.environ.get(ENV_VAR) or None
    if db is None:
        return default_db_path()
    text = os.fspath(db)
    match = _SCHEME.match(text)
    if match is None:
        return Path(text).expanduser().absolute()
    scheme = match.group(1).lower()
    if scheme != "sqlite":
        raise StoreError(f"cannot use {scheme}:// for the session store: only SQLite is "
                         "supported so far (a file path or sqlite:///path/to/file.db)")
    parts = urlsplit(text)
    path = unquote(parts.path)
    if parts.netloc or not path or path == "/":
        raise StoreError(f"{text} is not a SQLite URL of a file: write sqlite:///path/to/file.db")
    if re.match(r"^/[A-Za-z]:", path):  # sqlite:///C:/Users/... on Windows
        path = path[1:]
    return Path(path).expanduser().absolute()


def sqlite_url(path: Path) -> str:
    """The ``sqlite:///`` URL of a file (the inverse of ``resolve_db``)."""
    return "sqlite:///" + path.as_posix().lstrip("/")


# -- value conversions -----------------------------------------------------------------------

def _blob(values: Any, shape: tuple[int, ...]) -> bytes:
    """Little-endian float32 bytes of an array of ``shape``."""
    return np.ascontiguousarray(values, dtype=_F32).reshape(shape).tobytes()


_NO_POSE = (_blob(np.full((N, 2), np.nan), (N, 2)), _blob(np.full((N, 3), np.nan), (N, 3)),
            _blob(np.zeros(N), (N,)))


def _frame_row(session_id: int, idx: int, t_s: float,
               pose: PoseFrame | None) -> tuple[Any, ...]:
    if pose is None:
        return (session_id, idx, float(t_s), 0, *_NO_POSE)
    return (session_id, idx, float(t_s), int(pose.people), _blob(pose.image, (N, 2)),
            _blob(pose.world, (N, 3)), _blob(pose.visibility, (N,)))


def _track_rows(session_id: int, track: Track) -> Iterator[tuple[Any, ...]]:
    image = np.ascontiguousarray(track.image, dtype=_F32).reshape(-1, N, 2)
    world = np.ascontiguousarray(track.world, dtype=_F32).reshape(-1, N, 3)
    vis = np.ascontiguousarray(track.visibility, dtype=_F32).reshape(-1, N)
    for i in range(len(track)):
        yield (session_id, i, float(track.t_s[i]), int(track.people[i]),
               image[i].tobytes(), world[i].tobytes(), vis[i].tobytes())


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    it = iter(rows)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _unblob(blobs: Sequence[bytes], shape: tuple[int, ...], where: str = "the session store"
            ) -> np.ndarray:
    """(len(blobs), *shape) float64 from float32 blobs."""
    size = int(np.prod(shape)) * _F32.itemsize
    bad = next((i for i, b in enumerate(blobs) if not isinstance(b, bytes) or len(b) != size),
               None)
    if bad is not None:
        raise StoreError(f"{where} holds a damaged frame (frame {bad}: wrong landmark size); "
                         "its other sessions are fine: delete this one "
                         "(`stretchcheck delete session ID`)")
    flat = np.frombuffer(b"".join(blobs), dtype=_F32)
    return flat.reshape((len(blobs), *shape)).astype(np.float64)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _to_json(value: Any) -> str:
    return json.dumps(value, default=_plain, separators=(",", ":"))


def _from_json(text: Any, table: str, path: Path | str = "") -> Any:
    """A JSON column's value; a damaged one is a ``StoreError`` naming the table."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise StoreError(f"the session store {path} holds a damaged row in its {table} table "
                         f"(not JSON: {str(text)[:30]!r}); delete that session "
                         "(`stretchcheck delete session ID`) or restore the file from a backup"
                         ) from None


def _event_row(session_id: int, e: Event) -> tuple[Any, ...]:
    return (session_id, float(e.t_s), e.kind, e.stretch, e.side, e.message,
            _to_json(dict(e.data)))


def _result_row(session_id: int, result: StretchResult) -> tuple[Any, ...]:
    d, holds = result.to_dict(), result.record.holds
    total = sum(h.duration_s for h in holds)
    in_form = (sum(h.duration_s * h.in_form_fraction for h in holds) / total
               if total > 0 else None)  # share of the time held in full form
    return (session_id, d["stretch"], d["side"], float(d["target_hold_s"]), float(d["held_s"]),
            float(d["longest_hold_s"]), bool(d["completed"]), in_form, len(d["bounces"]),
            len(d["over_range"]), len(d["pain_stops"]), _to_json(d))


def _day(epoch_s: float) -> str:
    """The local calendar day of a timestamp, as YYYY-MM-DD."""
    return datetime.fromtimestamp(epoch_s).date().isoformat()


# -- records ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    flexion_sensitive: bool = False


@dataclass(frozen=True)
class SessionInfo:
    """One session as listed by ``Store.sessions``. Times are seconds since the epoch.

    ``ended_at`` is None for a live session that never ended (the app was killed).
    ``duration_s`` is measured on the stored frames, like ``Track.duration_s``.
    """

    id: int
    profile_id: int | None
    profile: str | None
    source: str
    source_name: str
    routine: str | None
    model: str
    started_at: float
    ended_at: float | None
    n_frames: int
    duration_s: float
    fps: float
    size: tuple[int, int]
    video_path: str | None
    checker: dict[str, Any] | None = None
    """How the session was checked, for a faithful replay (``pose.sessions.checker_spec``);
    None for sessions stored before schema version 3."""

    @property
    def started(self) -> datetime:
        """``started_at`` as a local datetime."""
        return datetime.fromtimestamp(self.started_at)


_SESSION_SQL = """
    SELECT s.id, s.profile_id, p.name, s.source, s.source_name, s.routine, s.model,
           s.started_at, s.ended_at, s.fps, s.width, s.height, s.video_path, s.checker,
           (SELECT COUNT(*) FROM frames f WHERE f.session_id = s.id),
           (SELECT MIN(f.t_s) FROM frames f WHERE f.session_id = s.id),
           (SELECT MAX(f.t_s) FROM frames f WHERE f.session_id = s.id)
    FROM sessions s LEFT JOIN profiles p ON p.id = s.profile_id
"""


def _session_info(row: Sequence[Any]) -> SessionInfo:
    (sid, pid, pname, source, source_name, routine, model, started, ended, fps, width, height,
     video_path, checker, n, t0, t1) = row
    duration = (t1 - t0 + (1.0 / fps if fps else 0.0)) if n else 0.0
    return SessionInfo(sid, pid, pname, source, source_name, routine, model, started, ended,
                       int(n), float(duration), float(fps), (int(width), int(height)),
                       video_path, json.loads(checker) if checker else None)


# -- the store -------------------------------------------------------------------------------

def open_store(db: str | os.PathLike[str] | None = None) -> Store:
    """Open (creating or migrating as needed) the session store ``db`` names.

    ``db`` is a path, a ``sqlite:///abs/path.db`` URL, or None for ``$STRETCHCHECK_DB`` and
    then the user data folder. Raises ``StoreError`` with a one-line message when it cannot.
    """
    return Store(resolve_db(db))


def _disk_is_full(path: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        return False


def explain(exc: BaseException, path: Path) -> str:
    """One line saying what went wrong with the store file ``path`` and what to do about it.

    SQLite's own words ("readonly database", "disk I/O error", "unable to open database
    file") name neither the file nor the fix; this does, from the error code and a look at
    the file and its disk.
    """
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if isinstance(exc, OverflowError):
        return f"{text}: SQLite integers stop at {2**63 - 1}"
    if name.startswith("SQLITE_FULL") or (name.startswith("SQLITE_IOERR")
                                          and _disk_is_full(path)):
        return (f"the disk holding the session store {path} is full: free some space "
                "(or point --db / STRETCHCHECK_DB at another disk)")
    if name.startswith("SQLITE_READONLY") or (
            name.startswith("SQLITE_CANTOPEN") and path.exists() and not os.access(path, os.W_OK)):
        return (f"the session store {path} cannot be written (a read-only file or folder): "
                "check its permissions, or use another store with --db / STRETCHCHECK_DB")
    if path.is_dir():
        return (f"the session store {path} is a folder, not a database file: give a file "
                f"path, e.g. {path / DB_FILENAME}")
    if name.startswith("SQLITE_CANTOPEN"):
        if not os.access(path.parent, os.W_OK):
            return (f"cannot create the session store {path}: its folder cannot be written; "
                    "check its permissions, or use another store with --db / STRETCHCHECK_DB")
        return f"cannot open the session store {path}: {text}"
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return (f"the session store {path} is damaged or not a StretchCheck database: move "
                "it aside and start a new one (`sqlite3 FILE .recover` may rescue its "
                "sessions)")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return (f"the session store {path} is locked by another program: close it (or wait "
                "for it) and try again")
    if name.startswith("SQLITE_IOERR"):
        return (f"the disk reported an error writing the session store {path}: {text}; "
                "check the disk (and that it is not full or removed)")
    return f"session store {path}: {text}"


@contextmanager
def _errors(path: Path) -> Iterator[None]:
    """Turn database errors into ``StoreError`` naming the store file and the fix."""
    try:
        yield
    except (sqlite3.Error, OverflowError) as exc:
        raise StoreError(explain(exc, path)) from exc


class Store:
    """The session store. Use as a context manager, or call ``close``.

    One ``Store`` may be shared between threads (calls are serialised); each ``Recorder``
    writes on a connection of its own.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = sqlite_url(self.path)
        self._lock = threading.RLock()
        self._recorders: list[Recorder] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of the session store {self.path}: "
                             f"{exc.strerror or exc}") from None
        self._conn = self._open_connection()
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing --------------------------------------------------------------------------

    def _open_connection(self) -> sqlite3.Connection:
        with _errors(self.path):
            conn = _connect_sqlite(self.path)
            # Deleting a session or a profile overwrites its rows in the file: the person's
            # data is really gone, not left in free pages.
            conn.execute("PRAGMA secure_delete=ON")
            return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction; rolled back if the block raises."""
        with self._lock, _errors(self.path):
            cur = self._conn.cursor()
            cur.execute(_BEGIN)
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.rollback()
                raise

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, _errors(self.path):
            return self._conn.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        """Bring the schema to ``SCHEMA_VERSION`` in one transaction."""
        with self._transaction() as cur:
            cur.execute(_VERSION_TABLE)
            row = cur.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the session store {self.path} was written by a newer StretchCheck "
                    f"(schema version {version}; this one knows up to {SCHEMA_VERSION}): "
                    "upgrade StretchCheck")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for sql in migration_sql(step):
                    cur.execute(sql)
            if version == 0:
                cur.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif version < SCHEMA_VERSION:
                cur.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def check_integrity(self) -> None:
        """SQLite's ``quick_check`` over the whole file (every page and row, not the index
        order: linear in the file's size); ``StoreError`` naming the file and the fix if the
        file is damaged. Run before writing a new session into it."""
        try:
            with self._lock:
                rows = self._conn.execute("PRAGMA quick_check(3)").fetchall()
        except sqlite3.DatabaseError as exc:
            rows = [(str(exc),)]
        problems = [" ".join(str(r[0]).replace("*** in database main ***", "").split())
                    for r in rows if str(r[0]) != "ok"]
        if problems:
            raise StoreError(f"the session store {self.path} is damaged ({problems[0]}): "
                             "nothing was written to it; move it aside and start a new one "
                             "(`sqlite3 FILE .recover` may rescue its sessions)")

    @property
    def schema_version(self) -> int:
        return int(self._rows("SELECT MAX(version) FROM schema_version")[0][0])

    def _require_session(self, session_id: int) -> None:
        if not (isinstance(session_id, int) and -2**63 <= session_id < 2**63) or not self._rows(
                "SELECT 1 FROM sessions WHERE id = ?", (session_id,)):
            raise StoreError(f"no session {session_id}")

    def _require_profile(self, profile_id: int) -> None:
        if not self._rows("SELECT 1 FROM profiles WHERE id = ?", (profile_id,)):
            raise StoreError(f"no profile {profile_id}")

    def close(self) -> None:
        """Close open recorders (writing what they hold), then the connection."""
        try:
            for rec in list(self._recorders):
                rec.close()
        finally:
            with self._lock:
                self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # -- profiles --------------------------------------------------------------------------

    def profile(self, name: str, create: bool = True) -> Profile:
        """The profile called ``name``, created if missing (unless ``create`` is False)."""
        name = name.strip()
        if not name:
            raise StoreError("a profile needs a name")
        sql = "SELECT id, name, flexion_sensitive FROM profiles WHERE name = ?"
        rows = self._rows(sql, (name,))
        if not rows and create:
            with self._transaction() as cur:
                cur.execute("INSERT INTO profiles (name, created_at) VALUES (?, ?) "
                            "ON CONFLICT (name) DO NOTHING", (name, time.time()))
            rows = self._rows(sql, (name,))
        if not rows:
            raise StoreError(f"no profile {name!r}")
        pid, pname, flex = rows[0]
        return Profile(pid, pname, bool(flex))

    def profiles(self) -> list[Profile]:
        """Every profile, by name."""
        rows = self._rows("SELECT id, name, flexion_sensitive FROM profiles ORDER BY name")
        return [Profile(pid, name, bool(flex)) for pid, name, flex in rows]

    def set_flexion_sensitive(self, profile_id: int, flag: bool) -> None:
        """Mark a profile as flexion-sensitive (forward bends to be avoided) or not."""
        with self._transaction() as cur:
            cur.execute("UPDATE profiles SET flexion_sensitive = ? WHERE id = ?",
                        (bool(flag), profile_id))
            if cur.rowcount == 0:
                raise StoreError(f"no profile {profile_id}")

    # -- sessions --------------------------------------------------------------------------

    def start_session(self, source: str, source_name: str, routine: str | None, model: str,
                      fps: float, size: tuple[int, int], profile_id: int | None = None,
                      video_path: str | os.PathLike[str] | None = None,
                      started_at: float | None = None,
                      checker: dict[str, Any] | None = None) -> int:
        """Record the start of a session; returns its id.

        Args:
            source: "live" (camera) or "video" (an analysed file).
            source_name: the camera's or the file's name (``Track.source``).
            size: (width, height) of the frames in pixels.
            video_path: where the video was saved, if the user opted in.
            started_at: seconds since the epoch (default: now).
            checker: how the session is checked, to replay it (``pose.sessions``).
        """
        with self._transaction() as cur:
            return self._insert_session(cur, source, source_name, routine, model, fps, size,
                                        profile_id, video_path, started_at, checker=checker)

    def _insert_session(self, cur: sqlite3.Cursor, source: str, source_name: str,
                        routine: str | None, model: str, fps: float, size: tuple[int, int],
                        profile_id: int | None, video_path: str | os.PathLike[str] | None,
                        started_at: float | None, ended_at: float | None = None,
                        checker: dict[str, Any] | None = None) -> int:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        if profile_id is not None:
            self._require_profile(profile_id)
        cur.execute(
            "INSERT INTO sessions (profile_id, source, source_name, routine, model, started_at,"
            " ended_at, fps, width, height, video_path, checker)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (profile_id, source, source_name or "", routine, model,
             time.time() if started_at is None else float(started_at), ended_at, float(fps),
             int(size[0]), int(size[1]), os.fspath(video_path) if video_path else None,
             _to_json(checker) if checker is not None else None))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def end_session(self, session_id: int, ended_at: float | None = None) -> None:
        """Record the end of a session (default: now)."""
        with self._transaction() as cur:
            cur.execute("UPDATE sessions SET ended_at = ? WHERE id = ?",
                        (time.time() if ended_at is None else float(ended_at), session_id))
            if cur.rowcount == 0:
                raise StoreError(f"no session {session_id}")

    def sessions(self, profile_id: int | None = None) -> list[SessionInfo]:
        """Sessions, newest first: all of them, or one profile's."""
        if profile_id is None:
            rows = self._rows(_SESSION_SQL + " ORDER BY s.started_at DESC, s.id DESC")
        else:
            rows = self._rows(_SESSION_SQL + " WHERE s.profile_id = ?"
                              " ORDER BY s.started_at DESC, s.id DESC", (profile_id,))
        return [_session_info(r) for r in rows]

    def session(self, session_id: int) -> SessionInfo:
        """One session; ``StoreError`` if there is none with this id."""
        self._require_session(session_id)
        rows = self._rows(_SESSION_SQL + " WHERE s.id = ?", (session_id,))
        if not rows:
            raise StoreError(f"no session {session_id}")
        return _session_info(rows[0])

    # -- landmarks, events, results --------------------------------------------------------

    def load_track(self, session_id: int) -> Track:
        """The stored landmarks of a session (float32 precision) as a ``Track``."""
        info = self.session(session_id)
        rows = self._rows("SELECT t_s, people, image, world, visibility FROM frames"
                          " WHERE session_id = ? ORDER BY idx", (session_id,))
        where = f"session {session_id} in {self.path}"
        try:
            t_s = np.array([r[0] for r in rows], dtype=np.float64)
            people = np.array([r[1] for r in rows], dtype=np.int64)
        except (TypeError, ValueError):
            raise StoreError(f"{where} holds a damaged frame (time or people count); its "
                             "other sessions are fine: delete this one "
                             "(`stretchcheck delete session ID`)") from None
        return Track(
            t_s=t_s,
            image=_unblob([r[2] for r in rows], (N, 2), where),
            world=_unblob([r[3] for r in rows], (N, 3), where),
            visibility=_unblob([r[4] for r in rows], (N,), where),
            people=people,
            size=info.size, fps=info.fps, source=info.source_name, model=info.model)

    def events(self, session_id: int) -> list[Event]:
        """A session's events in time order."""
        self._require_session(session_id)
        rows = self._rows("SELECT t_s, kind, stretch, side, message, data FROM events"
                          " WHERE session_id = ? ORDER BY t_s, id", (session_id,))
        return [Event(t, kind, stretch, side, message, _from_json(data, "events", self.path))
                for t, kind, stretch, side, message, data in rows]

    def results(self, session_id: int) -> list[dict[str, Any]]:
        """A session's results: the ``StretchResult.to_dict()`` of each, in saved order."""
        self._require_session(session_id)
        rows = self._rows("SELECT detail FROM results WHERE session_id = ? ORDER BY id",
                          (session_id,))
        return [_from_json(r[0], "results", self.path) for r in rows]

    def save_analysis(self, track: Track, report: Report, profile_id: int | None = None,
                      video_path: str | os.PathLike[str] | None = None,
                      checker: dict[str, Any] | None = None) -> int:
        """Save an analysed video - session, frames, events, results, the source's drop-outs -
        in one transaction; ``checker`` says how it was checked (to replay it)."""
        now = time.time()
        with self._transaction() as cur:
            sid = self._insert_session(cur, "video", track.source, report.routine, track.model,
                                       track.fps, track.size, profile_id, video_path, now, now,
                                       checker=checker)
            for chunk in _chunks(_track_rows(sid, track), _FRAME_BATCH):
                cur.executemany(_INSERT_FRAME, chunk)
            cur.executemany(_INSERT_EVENT, [_event_row(sid, e) for e in report.events])
            cur.executemany(_INSERT_CONTROL, [(sid, float(t), "dropout", float(gap))
                                              for t, gap in report.dropouts])
            _replace_results(cur, sid, report)
        return sid

    def controls(self, session_id: int) -> list[tuple[float, str, float | None]]:
        """(session time, action, value) of a session's actions ("pause", "resume", "skip",
        "pain") and drop-outs ("dropout", the source gap in seconds), in the order recorded."""
        self._require_session(session_id)
        rows = self._rows("SELECT t_s, action, value FROM controls WHERE session_id = ?"
                          " ORDER BY id", (session_id,))
        return [(float(t), str(a), None if v is None else float(v)) for t, a, v in rows]

    def save_results(self, session_id: int, report: Report | Sequence[StretchResult]) -> None:
        """Replace a session's results (after a live session, or a replay with ``--save``).

        ``report`` is a ``Report`` or just its ``results``.
        """
        with self._transaction() as cur:
            cur.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,))
            if cur.fetchone() is None:
                raise StoreError(f"no session {session_id}")
            _replace_results(cur, session_id, report)

    def save_replay(self, session_id: int, settings: dict[str, Any], routine: str | None,
                    report: Report | Sequence[StretchResult]) -> int:
        """Keep a replay's results beside the session's own (never over them); returns the
        replay's id. ``settings`` are the changes it was run with (``--set``, routine)."""
        items = report.results if hasattr(report, "results") else report
        with self._transaction() as cur:
            if cur.execute("SELECT 1 FROM sessions WHERE id = ?",
                           (session_id,)).fetchone() is None:
                raise StoreError(f"no session {session_id}")
            cur.execute("INSERT INTO replays (session_id, created_at, settings, routine,"
                        " stretches) VALUES (?, ?, ?, ?, ?)",
                        (session_id, time.time(), _to_json(settings), routine,
                         _to_json([r.to_dict() for r in items])))
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def replays(self, session_id: int) -> list[dict[str, Any]]:
        """A session's stored replays, oldest first: id, created_at, settings, routine and
        stretches (``StretchResult.to_dict()`` each)."""
        self._require_session(session_id)
        rows = self._rows("SELECT id, created_at, settings, routine, stretches FROM replays"
                          " WHERE session_id = ? ORDER BY id", (session_id,))
        return [{"id": rid, "created_at": at, "routine": routine,
                 "settings": _from_json(settings, "replays", self.path),
                 "stretches": _from_json(stretches, "replays", self.path)}
                for rid, at, settings, routine, stretches in rows]

    def recorder(self, session_id: int, batch_s: float = 0.25,
                 owns_store: bool = False) -> Recorder:
        """A ``Recorder`` writing a live session's frames and events in the background.

        With ``owns_store`` the recorder closes this store when it closes (a store opened for
        one live session, which then needs no other owner).
        """
        self._require_session(session_id)
        start = self._rows("SELECT COALESCE(MAX(idx) + 1, 0) FROM frames WHERE session_id = ?",
                           (session_id,))[0][0]
        rec = Recorder(self, session_id, batch_s, first_idx=int(start), owns_store=owns_store)
        self._recorders.append(rec)
        return rec

    def recorder_closed(self, recorder: Recorder) -> None:
        """Called by a closing ``Recorder``: the store no longer needs to close it."""
        if recorder in self._recorders:
            self._recorders.remove(recorder)

    # -- the person's own data: deleting ---------------------------------------------------

    def delete_session(self, session_id: int) -> list[Path]:
        """Delete a session with its frames, events and results; its ranges stay (unlinked).

        Returns the kept video files the session pointed at (the caller removes them: see
        ``pose.uploads.remove_kept``). ``StoreError`` if there is no such session.
        """
        with self._transaction() as cur:
            row = cur.execute("SELECT video_path FROM sessions WHERE id = ?",
                              (session_id,)).fetchone()
            if row is None:
                raise StoreError(f"no session {session_id}")
            cur.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        self._scrub()
        return [Path(row[0])] if row[0] else []

    def delete_profile(self, profile_id: int) -> list[Path]:
        """Delete a profile, every session of it and its personal ranges; returns the kept
        video files of those sessions."""
        with self._transaction() as cur:
            if cur.execute("SELECT 1 FROM profiles WHERE id = ?",
                           (profile_id,)).fetchone() is None:
                raise StoreError(f"no profile {profile_id}")
            videos = [Path(r[0]) for r in cur.execute(
                "SELECT video_path FROM sessions WHERE profile_id = ? AND video_path IS NOT NULL",
                (profile_id,))]
            cur.execute("DELETE FROM sessions WHERE profile_id = ?", (profile_id,))
            cur.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))
        self._scrub()
        return videos

    def delete_everything(self) -> list[Path]:
        """Delete every profile, session, landmark, event, result and range; returns the kept
        video files. The emptied database is compacted so the data is gone from the file too."""
        with self._transaction() as cur:
            videos = [Path(r[0]) for r in cur.execute(
                "SELECT video_path FROM sessions WHERE video_path IS NOT NULL")]
            for table in ("ranges", "replays", "controls", "results", "events", "frames",
                          "sessions", "profiles"):
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        with self._lock, _errors(self.path):
            self._conn.execute("VACUUM")
        self._scrub()
        return videos

    def _scrub(self) -> None:
        """Deleted rows were zeroed (``secure_delete``); fold the WAL back into the file so
        no copy of them stays beside it."""
        with self._lock, _errors(self.path):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- personal ranges and goals ---------------------------------------------------------

    def update_range(self, profile_id: int, stretch: str, angle: str, comfortable_deg: float,
                     session_id: int | None = None) -> bool:
        """Record a comfortable range reached; True if it beats the best so far.

        Every value is kept (history); the best - the largest - is what
        ``comfortable_ranges`` returns.
        """
        deg = float(comfortable_deg)
        if not math.isfinite(deg):
            raise ValueError(f"comfortable_deg must be a finite angle, not {comfortable_deg!r}")
        self._require_profile(profile_id)
        with self._transaction() as cur:
            cur.execute("SELECT MAX(comfortable_deg) FROM ranges"
                        " WHERE profile_id = ? AND stretch = ? AND angle = ?",
                        (profile_id, stretch, angle))
            best = cur.fetchone()[0]
            cur.execute("INSERT INTO ranges (profile_id, stretch, angle, comfortable_deg,"
                        " session_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (profile_id, stretch, angle, deg, session_id, time.time()))
        return best is None or deg > best

    def comfortable_ranges(self, profile_id: int) -> dict[str, dict[str, float]]:
        """The best comfortable range of each stretch and angle: stretch -> angle -> degrees."""
        rows = self._rows("SELECT stretch, angle, MAX(comfortable_deg) FROM ranges"
                          " WHERE profile_id = ? GROUP BY stretch, angle ORDER BY stretch, angle",
                          (profile_id,))
        out: dict[str, dict[str, float]] = {}
        for stretch, angle, deg in rows:
            out.setdefault(stretch, {})[angle] = float(deg)
        return out

    def range_history(self, profile_id: int) -> list[tuple[str, str, str, float]]:
        """(stretch, angle, YYYY-MM-DD, degrees): the best range of each day, by date."""
        rows = self._rows("SELECT stretch, angle, updated_at, comfortable_deg FROM ranges"
                          " WHERE profile_id = ?", (profile_id,))
        best: dict[tuple[str, str, str], float] = {}
        for stretch, angle, at, deg in rows:
            key = (stretch, angle, _day(at))
            best[key] = max(best.get(key, -math.inf), float(deg))
        return sorted(((s, a, d, v) for (s, a, d), v in best.items()),
                      key=lambda r: (r[2], r[0], r[1]))

    def daily_seconds(self, profile_id: int | None) -> list[tuple[str, float]]:
        """(YYYY-MM-DD, seconds held) per day with results, by date; None: every session.

        A session counts on the (local) day it started.
        """
        sql = ("SELECT s.started_at, r.held_s FROM results r"
               " JOIN sessions s ON s.id = r.session_id")
        rows = (self._rows(sql) if profile_id is None
                else self._rows(sql + " WHERE s.profile_id = ?", (profile_id,)))
        days: dict[str, float] = defaultdict(float)
        for started, held in rows:
            days[_day(started)] += float(held)
        return sorted(days.items())


_INSERT_FRAME = ("INSERT INTO frames (session_id, idx, t_s, people, image, world, visibility)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)")
_INSERT_EVENT = ("INSERT INTO events (session_id, t_s, kind, stretch, side, message, data)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)")
_INSERT_CONTROL = ("INSERT INTO controls (session_id, t_s, action, value) VALUES (?, ?, ?, ?)")
_INSERT_RESULT = ("INSERT INTO results (session_id, stretch, side, target_hold_s, held_s,"
                  " longest_s, completed, in_form_fraction, n_bounces, n_over_range,"
                  " n_pain_stops, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _replace_results(cur: sqlite3.Cursor, session_id: int,
                     results: Report | Sequence[StretchResult]) -> None:
    items = results.results if hasattr(results, "results") else results
    cur.execute("DELETE FROM results WHERE session_id = ?", (session_id,))
    cur.executemany(_INSERT_RESULT, [_result_row(session_id, r) for r in items])


# -- live recording --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Ending:
    """The last item a recorder's queue holds."""

    ended_at: float
    results: Report | Sequence[StretchResult] | None


class Recorder:
    """Writes a live session's frames and events from a background thread.

    ``add_frame`` and ``add_event`` only put the item on a queue, so the video callback never
    waits on the disk. The writer thread commits what has arrived in one transaction at least
    every ``batch_s`` seconds, on a connection of its own. Poses handed over must not be
    modified afterwards (``PoseEstimator`` makes new arrays for every frame).

    Write errors do not reach the callback: they are kept and raised (as ``StoreError``) by
    ``flush`` and ``close``. After the first one (a full disk, a removed drive) recording
    stops: ``error`` says why at once, frames and events handed over later are dropped, and
    ``close`` still tries to write the end of the session and its results.
    """

    def __init__(self, store: Store, session_id: int, batch_s: float = 0.25,
                 first_idx: int = 0, owns_store: bool = False) -> None:
        self.store = store
        self._owns_store = owns_store
        self.session_id = session_id
        self.batch_s = float(batch_s)
        self._idx = itertools.count(first_idx)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Set by ``flush`` and ``close``: the writer waits out a batch on this, not on the
        # queue, so the frames queued meanwhile (30 a second) wake no thread.
        self._hurry = threading.Event()
        self._errors: list[str] = []
        self.error: str | None = None
        """Why recording stopped (one line naming the file and the fix); None while it runs."""
        self._closed = False
        with _errors(store.path):
            self._conn = _connect_sqlite(store.path)
        self._thread = threading.Thread(target=self._run, name=f"recorder-{session_id}",
                                        daemon=True)
        self._thread.start()

    # -- caller side (never blocks) --------------------------------------------------------

    def add_frame(self, t_s: float, pose: PoseFrame | None) -> None:
        """Queue one frame (``pose`` None when no one was seen); dropped once recording has
        stopped on an error."""
        self._check_open()
        if self.error is None:
            self._queue.put(("frame", next(self._idx), t_s, pose))

    def add_event(self, event: Event) -> None:
        """Queue one event (dropped once recording has stopped on an error)."""
        self._check_open()
        if self.error is None:
            self._queue.put(("event", event))

    def add_control(self, t_s: float, action: str, value: float | None = None) -> None:
        """Queue one action of the person, or a drop-out of the source (``Store.controls``);
        dropped once recording has stopped on an error."""
        self._check_open()
        if self.error is None:
            self._queue.put(("control", float(t_s), action, value))

    def flush(self) -> None:
        """Wait until everything queued so far is written."""
        if self._thread.is_alive():
            done = threading.Event()
            self._queue.put(done)
            self._hurry.set()
            done.wait()
        self._raise_errors()

    def close(self, ended_at: float | None = None,
              results: Report | Sequence[StretchResult] | None = None) -> None:
        """Write everything queued, stop the thread and record the end of the session.

        With ``results`` (a ``Report`` or a list of ``StretchResult``), they replace the
        session's results in the same last transaction. A session started with ``fps`` 0
        (unknown) gets the frame rate measured on its frames.
        """
        if self._closed:
            return
        self._closed = True
        self._queue.put(_Ending(time.time() if ended_at is None else float(ended_at), results))
        self._hurry.set()
        self._thread.join()
        self._conn.close()
        self.store.recorder_closed(self)
        if self._owns_store:
            self.store.close()
        self._raise_errors()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the recorder of session {self.session_id} is closed")

    def _raise_errors(self) -> None:
        if self._errors:
            first, n = self._errors[0], len(self._errors)
            self._errors.clear()
            more = f" (and {n - 1} more)" if n > 1 else ""
            raise StoreError(f"recording session {self.session_id} failed: {first}{more}")

    # -- writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            items, waiters, ending = self._collect()
            self._write(items, ending)
            for w in waiters:
                w.set()
            if ending is not None:
                return

    def _collect(self) -> tuple[list[Any], list[threading.Event], _Ending | None]:
        """Block for the first item, then gather what arrives until ``batch_s`` after it has
        passed, a flush is asked for, or the recorder is closing. Within a batch the writer
        sleeps rather than waiting on the queue, so a frame's put wakes no thread: waking the
        writer at every frame cost the live callback 0.1 ms of CPU a frame and the writer
        0.025 (the callback without the model, 1.07 -> 0.92 ms a frame, on this 2-core
        machine; issue 14)."""
        items: list[Any] = []
        item = self._queue.get()
        self._hurry.wait(self.batch_s)
        self._hurry.clear()
        while True:
            if isinstance(item, threading.Event):
                return items, [item], None
            if isinstance(item, _Ending):
                return items, [], item
            items.append(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return items, [], None

    def _write(self, items: list[Any], ending: _Ending | None) -> None:
        """One transaction: the frames and events of a batch (and the ending, if last)."""
        sid = self.session_id
        if self.error is not None:
            items = []  # recording stopped: only the ending is still tried
        try:
            frames = [_frame_row(sid, idx, t, pose) for _, idx, t, pose in
                      (i for i in items if i[0] == "frame")]
            events = [_event_row(sid, i[1]) for i in items if i[0] == "event"]
            controls = [(sid, *i[1:]) for i in items if i[0] == "control"]
            if not frames and not events and not controls and ending is None:
                return
            cur = self._conn.cursor()
            cur.execute(_BEGIN)
            try:
                cur.executemany(_INSERT_FRAME, frames)
                cur.executemany(_INSERT_EVENT, events)
                cur.executemany(_INSERT_CONTROL, controls)
                if ending is not None:
                    self._end(cur, ending)
                cur.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.rollback()
                raise
        except Exception as exc:  # noqa: BLE001 - kept for flush/close, never for the callback
            message = (explain(exc, self.store.path) if isinstance(exc, sqlite3.Error)
                       else f"{type(exc).__name__}: {exc}")
            self._errors.append(message)
            if self.error is None:
                self.error = message

    def _end(self, cur: sqlite3.Cursor, ending: _Ending) -> None:
        sid = self.session_id
        cur.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (ending.ended_at, sid))
        n, t0, t1 = cur.execute("SELECT COUNT(*), MIN(t_s), MAX(t_s) FROM frames"
                                " WHERE session_id = ?", (sid,)).fetchone()
        if n > 1 and t1 > t0:
            cur.execute("UPDATE sessions SET fps = ? WHERE id = ? AND fps <= 0",
                        ((n - 1) / (t1 - t0), sid))
        if ending.results is not None:
            _replace_results(cur, sid, ending.results)


__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Profile", "Recorder", "SessionInfo", "Store",
           "default_db_path", "migration_sql", "open_store", "resolve_db", "sqlite_url"]
