"""Screenshots of the Routines, Review and Live pages with a scripted session, to look at.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default artifacts/screenshots/)

Seeds a fresh store with one live session of the Lower back routine, played by the scripted
person of tests/scripted_session.py (cat-cow skipped, child's pose held, knee to chest held on
the left, bounced and stopped for pain on the right, then STOP), starts the app on a free port
and photographs the pages with Debian's headless Chromium (tests/webcam.py); the Live page
with the camera off, as it stands before START.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from scripted_session import Act, Actor, run_script  # noqa: E402
from webcam import launch_chromium, start_server, stop_server  # noqa: E402

from pose.live import LiveSession  # noqa: E402
from pose.routines import load_catalogue  # noqa: E402
from pose.sessions import grow_ranges  # noqa: E402
from pose.store import open_store  # noqa: E402

SCRIPT = (Act("cat_cow", "both", 0, "skip"), Act("childs_pose", "both", 33),
          Act("knee_to_chest", "left", 33), Act("knee_to_chest", "right", 12, "pain", bounce_s=4))
#: Earlier days, for the progress charts: (days ago, what was done).
EARLIER = ((3, (Act("cat_cow", "both", 0, "skip"), Act("childs_pose", "both", 20, "skip"))),
           (2, (Act("cat_cow", "both", 0, "skip"), Act("childs_pose", "both", 31),
                Act("knee_to_chest", "left", 31), Act("knee_to_chest", "right", 31))))


def seed(db: Path, script=SCRIPT, started_at: float | None = None) -> int:
    """One scripted live session of the Lower back routine; returns its id."""
    routine = load_catalogue().routine("lower-back")
    with open_store(db) as store:
        profile = store.profile("me")

    def recorder_factory(width: int, height: int, checker: dict):  # as the Live page does
        store = open_store(db)
        sid = store.start_session("live", "webcam", routine.id, "full", 0.0, (width, height),
                                  profile_id=profile.id, started_at=started_at, checker=checker)
        return sid, store.recorder(sid, owns_store=True)

    def on_finish(sid: int, report) -> None:
        # The results were written with the recording's last transaction.
        with open_store(db) as s:
            grow_ranges(s, sid, report, profile.id)

    actor = Actor()
    session = LiveSession(routine, lambda: actor, recorder_factory, on_finish=on_finish)
    run_script(session, actor, script)
    return session.close()


def stretch_sheet(path: Path, columns: int = 4) -> None:
    """Every catalogue stretch's picture with its name, as one PNG (docs/stretches.png)."""
    import cv2
    import numpy as np

    from pose.picture import stretch_picture

    tiles = []
    for stretch in load_catalogue().stretches.values():
        tile = np.vstack([np.full((40, 400, 3), 255, np.uint8),
                          np.array(stretch_picture(stretch, None, 400, 300))])
        cv2.putText(tile, stretch.name, (10, 30), cv2.FONT_HERSHEY_DUPLEX, 0.8, (30, 30, 30),
                    1, cv2.LINE_AA)
        tiles.append(tile)
    tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)]
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
    print(path)


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    stretch_sheet(out / "stretches.png")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sessions.db"
        for days_ago, script in EARLIER:
            seed(db, script, time.time() - days_ago * 86400.0)
        seed(db)
        server = start_server(Path(tmp) / "streamlit.log", db,
                              extra_env={"STRETCHCHECK_CAMERA": "off"})
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw, None)
                for width in (1400, 900):
                    page = browser.new_page(viewport={"width": width, "height": 3000})
                    for path, heading in (("routines", "Routines and stretches"),
                                          ("review", "Review"), ("", "Live coaching")):
                        page.goto(f"{server.url}/{path}")
                        page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
                        page.wait_for_function(
                            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                            timeout=60_000)
                        page.wait_for_timeout(1500)  # charts and pictures draw after the run
                        name = out / f"{path or 'live'}_{width}.png"
                        page.screenshot(path=str(name))
                        print(name)
                        if path == "review":
                            page.get_by_text("Progress over days").click()
                            page.wait_for_timeout(1500)
                            name = out / f"review_progress_{width}.png"
                            page.screenshot(path=str(name))
                            print(name)
                    page.close()
                browser.close()
        finally:
            stop_server(server)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "artifacts" / "screenshots")
