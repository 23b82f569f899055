"""The Live page's browser side as an ``st.components.v2`` component (see coach_component.js):
keys, full screen and the voice, in the page's own document (no iframe, no deprecated API)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

_JS = Path(__file__).with_name("coach_component.js").read_text(encoding="utf-8")
_HTML = ('<button class="sc-fullscreen" type="button" '
         'title="Full screen (key F)">Full screen (F)</button>')
_CSS = """
.sc-fullscreen { font-size: max(1.1rem, 2.6vh); font-weight: 700; padding: 0.4rem 1rem;
                 background: #ffffff; color: #000000; border: 2px solid #000000;
                 border-radius: 0.5rem; cursor: pointer; }
"""

_mount = st.components.v2.component("stretchcheck_coach", html=_HTML, css=_CSS, js=_JS,
                                    isolate_styles=False)


def browser_coach(utterances: Sequence[dict], voice_on: bool, key: str = "sc-browser"
                  ) -> tuple[list[str], bool | None]:
    """Mount (or update) the browser side. Returns (the actions of the keys pressed since the
    last run, oldest first; whether the browser has a local voice: None until it has said)."""
    known = st.session_state.get(f"{key}-local")
    result = _mount(key=key, data={"utterances": list(utterances), "voice_on": voice_on,
                                   "known_local_voice": known},
                    on_pressed_change=lambda: None, on_local_voice_change=lambda: None)
    local = getattr(result, "local_voice", None)
    st.session_state[f"{key}-local"] = local
    pressed = getattr(result, "pressed", None) or []
    done = st.session_state.get(f"{key}-done", 0)
    new = [k for k in pressed if isinstance(k, dict) and k.get("n", 0) > done]
    if new:
        st.session_state[f"{key}-done"] = max(k["n"] for k in new)
    return [str(k.get("action")) for k in new], local
