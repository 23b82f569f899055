"""Output files written whole: beside their place first, then moved in.

A full disk or a file size limit stops a write halfway. Written in place, that left a
truncated table to be taken for the analysis, or an older export deleted with nothing in its
stead; written beside it and moved in with ``os.replace`` (atomic on one file system), the
file where it goes is either the new one, whole, or what was there before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pose.errors import StretchCheckError


@contextmanager
def written(path: Path, kept: str = "") -> Iterator[Path]:
    """A file beside ``path`` to write, which becomes ``path`` once the block ends. If writing
    it fails (``OSError``), ``path`` is left as it was, the partial file is removed, and a
    ``StretchCheckError`` names the file, the reason and what was kept (``kept``: "; ...")."""
    part = path.with_name(f".{path.name}.part")
    try:
        yield part
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise StretchCheckError(f"{path}: could not be written ({exc.strerror or exc})"
                                f"{kept}") from None
