"""The Live page's coach column as Streamlit's AppTest sees it: one component element whose
data holds the column's HTML parts (``pose.live_view``, drawn by ``pose.coach_component``)."""

from __future__ import annotations

import html
import json
import re


def panel_parts(at) -> list[str]:
    """The HTML parts of the page's coach column, in order."""
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)["parts"]


def panel_text(at) -> str:
    """The column's words, as a person reads them (tags gone, spaces folded)."""
    words = re.sub(r"<[^>]+>", " ", " ".join(panel_parts(at)))
    return re.sub(r"\s+", " ", html.unescape(words)).strip()
