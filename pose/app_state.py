"""Shared glue for the Streamlit pages: cached heavy objects and settings from the environment.

Only thin wrappers live here; the logic they wrap is in plain modules tested without Streamlit.
"""

from __future__ import annotations

import json
import os

import streamlit as st

from pose.routines import Catalogue, load_catalogue


@st.cache_resource
def catalogue() -> Catalogue:
    return load_catalogue()


def db_url() -> str | None:
    """The store the app uses: ``STRETCHCHECK_DB`` or the user data folder (None)."""
    return os.environ.get("STRETCHCHECK_DB") or None


def rtc_configuration() -> dict:
    """WebRTC settings. On localhost no ICE server is needed (host candidates connect), and
    none is contacted unless configured: set ``STRETCHCHECK_ICE_SERVERS`` to a JSON list such as
    ``[{"urls": ["stun:stun.example.org:3478"]}]`` for use across a network."""
    raw = os.environ.get("STRETCHCHECK_ICE_SERVERS", "").strip()
    servers = json.loads(raw) if raw else []
    return {"iceServers": servers}


def camera_enabled() -> bool:
    """False with ``STRETCHCHECK_CAMERA=off``: a machine with no camera (or a page test)."""
    return os.environ.get("STRETCHCHECK_CAMERA", "on").lower() not in ("off", "0", "no")
