"""Shared glue for the Streamlit pages: cached heavy objects and settings from the environment.

Only thin wrappers live here; the logic they wrap is in plain modules tested without Streamlit.
"""

from __future__ import annotations

import json
import os
import sqlite3

import streamlit as st

from pose.errors import StretchCheckError
from pose.routines import Catalogue, load_catalogue


@st.cache_resource
def catalogue() -> Catalogue:
    return load_catalogue()


def db_url() -> str | None:
    """The store the app uses: ``STRETCHCHECK_DB`` or the user data folder (None)."""
    return os.environ.get("STRETCHCHECK_DB") or None


ICE_EXAMPLE = '[{"urls": ["stun:stun.example.org:3478"]}]'


def rtc_configuration() -> dict:
    """WebRTC settings. On localhost no ICE server is needed (host candidates connect), and
    none is contacted unless configured: set ``STRETCHCHECK_ICE_SERVERS`` to a JSON list such as
    ``[{"urls": ["stun:stun.example.org:3478"]}]`` for use across a network.

    Raises ``StretchCheckError`` naming the variable when it is not such a list."""
    raw = os.environ.get("STRETCHCHECK_ICE_SERVERS", "").strip()
    if not raw:
        return {"iceServers": []}
    try:
        servers = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise StretchCheckError(f"STRETCHCHECK_ICE_SERVERS is not valid JSON ({exc}); write a "
                                f"list such as {ICE_EXAMPLE}, or unset it on localhost") from None
    if not isinstance(servers, list) or not all(
            isinstance(s, dict) and isinstance(s.get("urls"), (str, list)) for s in servers):
        raise StretchCheckError("STRETCHCHECK_ICE_SERVERS must be a list of servers, each with "
                                f"\"urls\", such as {ICE_EXAMPLE}")
    return {"iceServers": servers}


def show_error(exc: BaseException) -> None:
    """A page's failure in words (never a traceback), and what still works."""
    if isinstance(exc, OSError) and not isinstance(exc, StretchCheckError):
        text = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    elif isinstance(exc, sqlite3.Error):
        text = f"the session store could not be read: {exc}"
    else:
        text = str(exc)
    st.error(text, icon=":material/error:")
    st.caption("Nothing was changed. The other pages still work; fix the problem named above "
               "and reload this page.")


def camera_enabled() -> bool:
    """False with ``STRETCHCHECK_CAMERA=off``: a machine with no camera (or a page test)."""
    return os.environ.get("STRETCHCHECK_CAMERA", "on").lower() not in ("off", "0", "no")
