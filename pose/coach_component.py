"""The Live page's browser side as an ``st.components.v2`` component (see coach_component.js):
the coach's column drawn from HTML, its buttons, keys, full screen and the voice, in the page's
own document (no iframe, no deprecated API)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

_JS = Path(__file__).with_name("coach_component.js").read_text(encoding="utf-8")
_HTML = '<div class="sc-panel" data-testid="live-panel"></div>'

# Not isolated: the panel takes the page's styles (pose.live_view.CSS), and tests find it.
_mount = st.components.v2.component("stretchcheck_coach", html=_HTML, js=_JS,
                                    isolate_styles=False)


def local_voice(key: str = "sc-browser") -> bool | None:
    """Whether the browser has a local voice, as it last said (None until it has)."""
    return st.session_state.get(f"{key}-local")


def browser_coach(parts: Sequence[str], utterances: Sequence[dict], voice_on: bool,
                  key: str = "sc-browser") -> list[str]:
    """Mount (or update) the browser side, drawing ``parts`` (HTML, ``pose.live_view``) as
    the coach's column. Returns the actions of the keys pressed and buttons clicked since the
    last run, oldest first (a button's ``data-action``); ``local_voice`` then says whether the
    browser has a voice of its own."""
    result = _mount(key=key, data={"parts": list(parts), "utterances": list(utterances),
                                   "voice_on": voice_on, "known_local_voice": local_voice(key)},
                    on_pressed_change=lambda: None, on_local_voice_change=lambda: None)
    st.session_state[f"{key}-local"] = getattr(result, "local_voice", None)
    pressed = getattr(result, "pressed", None) or []
    done = st.session_state.get(f"{key}-done", 0)
    new = [k for k in pressed if isinstance(k, dict) and k.get("n", 0) > done]
    if new:
        st.session_state[f"{key}-done"] = max(k["n"] for k in new)
    return [str(k.get("action")) for k in new]
