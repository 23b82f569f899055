"""Uploaded videos: checked before decoding, deleted as soon as read unless the person keeps them.

A video is a picture of someone's body at home: it is kept only when asked for ("Keep a copy"),
and then in ``videos/`` beside the session store (the data folder), where deleting the session
deletes it too. Everything else - the upload being read, an upload that failed - is removed the
moment the analysis is over.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pose.errors import VideoError

#: The largest upload accepted (also server.maxUploadSize in .streamlit/config.toml and in
#: pose.app.STREAMLIT_FLAGS): about ten minutes of phone video at 1080p.
MAX_UPLOAD_MB = 200
UPLOAD_TYPES = ("mp4", "mov", "m4v", "avi", "webm", "mkv", "gif")


def video_kind(head: bytes) -> str | None:
    """The container a file's first bytes announce ("mp4", "avi", "webm", "gif"), or None."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mp4"  # ISO base media: mp4, mov, m4v
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"  # Matroska / WebM
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def check_upload(name: str, size: int, head: bytes, max_mb: float = MAX_UPLOAD_MB) -> None:
    """Refuse an upload before anything decodes it: wrong extension, too big, or bytes that
    are not a video container. Raises ``VideoError`` with one line naming the file."""
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in UPLOAD_TYPES:
        raise VideoError(f"{name}: not a video file this app reads "
                         f"(use {', '.join(UPLOAD_TYPES)})")
    if size <= 0:
        raise VideoError(f"{name}: the file is empty")
    if size > max_mb * 1024 * 1024:
        raise VideoError(f"{name}: {size / 1024 / 1024:.0f} MB is more than the "
                         f"{max_mb:.0f} MB this app accepts; trim the recording")
    if video_kind(head) is None:
        raise VideoError(f"{name}: the file does not start like a video "
                         f"({', '.join(UPLOAD_TYPES)}); is it really one?")


def videos_dir(db_path: Path) -> Path:
    """Where kept videos go: ``videos/`` beside the session store."""
    return Path(db_path).parent / "videos"


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "video"
    return stem[-80:]


@contextmanager
def staged_upload(name: str, data: bytes, keep_in: Path | None = None) -> Iterator[Path]:
    """The upload as a file for the decoder, for the duration of the block.

    With ``keep_in`` (see ``videos_dir``) the file is written there under a unique name and
    stays if the block succeeds; otherwise (and whenever the block raises) it is deleted when
    the block ends. Raises ``VideoError`` if the bytes are refused by ``check_upload``, and
    ``OSError`` if the folder cannot be written.
    """
    check_upload(name, len(data), data[:16])
    if keep_in is not None:
        keep_in.mkdir(parents=True, exist_ok=True)
        path = keep_in / f"{uuid.uuid4().hex[:12]}-{_safe_name(name)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    else:
        fd, tmp = tempfile.mkstemp(prefix="stretchcheck-upload-",
                                   suffix=Path(name).suffix.lower())
        path = Path(tmp)
    kept = False
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield path
        kept = keep_in is not None
    finally:
        if not kept:
            path.unlink(missing_ok=True)


def remove_kept(paths: list[Path], db_path: Path) -> int:
    """Delete kept videos of deleted sessions; only files inside ``videos_dir(db_path)`` are
    touched (a sample video the session pointed at is not the person's). Returns how many."""
    root = videos_dir(db_path).resolve()
    removed = 0
    for p in paths:
        p = Path(p).resolve()
        if p.parent == root and p.is_file():
            p.unlink()
            removed += 1
    return removed
