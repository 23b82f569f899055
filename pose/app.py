"""The Streamlit app: its pages and how it is started.

``streamlit run app.py`` in the repository and ``stretchcheck app`` from an installed wheel both
run ``run`` (each rerun of the script calls it again, as Streamlit expects).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from pose.uploads import MAX_UPLOAD_MB

PAGES = Path(__file__).resolve().parent / "pages"

#: Streamlit settings ``stretchcheck app`` passes on the command line, because an installed
#: wheel has no ``.streamlit/config.toml`` beside it: nothing phones home (no usage statistics,
#: no lookup of this machine's public address), no first-run prompt, the server listens on
#: this computer only, and uploads have the limit ``pose.uploads`` checks.
#: ``tests/robustness/test_no_network.py`` checks they agree with ``.streamlit/config.toml``.
STREAMLIT_FLAGS: dict[str, str] = {
    "browser.gatherUsageStats": "false",
    "browser.serverAddress": "localhost",
    "server.headless": "true",
    "server.address": "localhost",
    "server.maxUploadSize": str(MAX_UPLOAD_MB),
    "client.toolbarMode": "minimal",  # no Deploy button or developer menu (issue 11)
    # A busy computer must not lose the page's connection: a reconnect restarts the camera's
    # WebRTC link and ends the session mid-routine (see .streamlit/config.toml).
    "server.websocketPingInterval": "60",
    "theme.baseFontSize": "18",  # every page one step larger: read from a mat
}


def run() -> None:
    """Lay out the app: one page per file in ``pose/pages``, each run inside one guard that turns
    a damaged store, a broken routine or an unreadable file into an ``st.error`` in words."""
    import streamlit as st

    from pose.app_state import show_error
    from pose.errors import StretchCheckError

    st.set_page_config(page_title="StretchCheck", page_icon="🧘", layout="wide")
    pages = [
        st.Page(PAGES / "live.py", title="Live", icon=":material/videocam:", default=True),
        st.Page(PAGES / "replay.py", title="Replay", icon=":material/replay:"),
        st.Page(PAGES / "review.py", title="Review", icon=":material/insights:"),
        st.Page(PAGES / "routines.py", title="Routines", icon=":material/list_alt:"),
        st.Page(PAGES / "data.py", title="Your data", icon=":material/folder_managed:"),
    ]
    page = st.navigation(pages)
    try:
        page.run()
    except (StretchCheckError, OSError, sqlite3.Error) as exc:  # a damaged store, a broken routine
        show_error(exc)


def start(extra_args: Sequence[str] = ()) -> None:
    """Replace this process with ``streamlit run`` of this file (``stretchcheck app``)."""
    flags = [f"--{key}={value}" for key, value in STREAMLIT_FLAGS.items()]
    argv = [sys.executable, "-m", "streamlit", "run", str(Path(__file__).resolve()), *flags,
            *extra_args]
    os.execv(sys.executable, argv)


if __name__ == "__main__":
    run()
