"""The app in a real browser: Debian's Chromium with a fake webcam playing a sample clip.

The Live page gets the glute-bridge clip as its camera (a y4m file made here with PyAV), the
frames go through streamlit-webrtc into the pipeline, and the test checks what the app did
where it is recorded - the session store - before checking what the page shows: the hold
event in the coaching panel, the skeleton drawn into the returned video, no exception, no
console error, and a session that is ended (or has results) once STOP is pressed. Then it
seeds the store with ``stretchcheck analyze --save`` and screenshots Replay, Review and
Routines.

Screenshots go to artifacts/screenshots/ (git-ignored). Needs /usr/bin/chromium (see
scripts/test.sh); never downloads a browser. Run alone with ``pytest -m browser``.
Recipe and pitfalls: ../shared/notes/browser-webcam.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from webcam import (
    ROOT,
    chromium,
    clean_env,
    clip_frames,
    make_fake_camera,
    rows,
    serving,
)

pytestmark = pytest.mark.browser

CLIP = "A03_physiocore_glute_bridge_side_floor.mp4"
SHARED_CLIP = Path(__file__).resolve().parents[2] / "shared" / "samples" / CLIP
REPO_CLIP = ROOT / "sample_videos" / "glute_bridge_side.mp4"  # the same clip
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
WEBRTC_IFRAME = 'iframe[title*="streamlit_webrtc"]'

#: How much longer than on an idle computer a step may take here: the machine is shared (load
#: averages of 13-19 on 2 cores were seen, 1 processed frame a second). Upper bounds of waits,
#: never asserted durations.
PATIENCE = 3.0
RETRY_START_S = 8.0  # about 1 START in 4 fails with some streamlit-webrtc versions: click again
FIRST_FRAMES_S = 20.0
EVENT_S = 25.0
STOP_S = 8.0
#: The summary after STOP is racy in pose/pages/live.py (see the test): only warn until fixed.
SUMMARY_AFTER_STOP_IS_RELIABLE = True

#: Colours of the overlay that the sample scene itself hardly contains. The grey of "unknown"
#: is left out: the curtains and trousers are grey.
OVERLAY = ("in_form", "nearly", "out_of_form", "over_range", "tracking")
COLOUR_TOLERANCE = 28  # per channel: VP8 and 4:2:0 chroma shift thin coloured lines
MIN_OVERLAY_PX = 60

#: Console errors that are not the app's fault. Each is matched against the message text.
BENIGN_CONSOLE = (
    # Opening a page by its URL (/replay), Streamlit's frontend first looks for its server
    # under that path (/replay/_stcore/health, .../host-config), gets 404, then uses the root.
    re.compile(r"status of 404 .*/[a-z_-]+/_stcore/(health|host-config)\)$"),
)


def _clip() -> Path:
    if SHARED_CLIP.is_file():
        return SHARED_CLIP
    if REPO_CLIP.is_file():
        return REPO_CLIP
    pytest.fail(f"neither {SHARED_CLIP} nor {REPO_CLIP} exists")


# -- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def camera(work) -> Path:
    y4m = work / "camera.y4m"
    make_fake_camera(_clip(), y4m, lead_s=4.0, tail_s=2.0)
    return y4m


@pytest.fixture(scope="module")
def db(work) -> Path:
    return work / "live.db"


@pytest.fixture(scope="module")
def server(work, db):
    with serving(work, db) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(camera):
    with chromium(camera) as browser:
        yield browser


class Console:
    """Errors the page (and its iframes) logged or threw."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.ignored: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _message(self, msg) -> None:
        if msg.type != "error":
            return
        text = f"{msg.text} ({msg.location.get('url', '')})"
        (self.ignored if any(p.search(text) for p in BENIGN_CONSOLE) else self.errors).append(text)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.console = Console(pg)
    yield pg
    context.close()


# -- helpers ---------------------------------------------------------------------------------

def _live_session(db: Path) -> tuple[int, int] | None:
    """(id, frames stored) of the newest live session, or None."""
    found = rows(db, "SELECT s.id, (SELECT COUNT(*) FROM frames f WHERE f.session_id = s.id)"
                     " FROM sessions s WHERE s.source = 'live' ORDER BY s.id DESC LIMIT 1")
    return found[0] if found else None


def _wait(page, what: str, timeout_s: float, probe, step_ms: int = 500):
    """Poll ``probe()`` until it returns something truthy; fail naming ``what`` otherwise."""
    timeout_s *= PATIENCE
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout_s:.0f} s")
        page.wait_for_timeout(step_ms)  # not time.sleep: Playwright events keep flowing


def _wait_script_done(page, timeout_ms: int = 30_000) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=timeout_ms)


def _assert_no_exception(page, name: str) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, f"{name}: {errors.first.inner_text()}"
    text = page.locator('[data-testid="stApp"]').inner_text()
    assert "Traceback" not in text, f"{name} shows a traceback:\n{text[:2000]}"


def _overlay_pixels(rgb: np.ndarray) -> int:
    """Pixels of ``rgb`` within COLOUR_TOLERANCE of one of the OVERLAY colours."""
    from pose.draw import STATUS_COLOURS

    img = rgb.astype(np.int16)
    hit = np.zeros(rgb.shape[:2], bool)
    for status in OVERLAY:
        ref = np.array(STATUS_COLOURS[status], np.int16)
        hit |= (np.abs(img - ref) <= COLOUR_TOLERANCE).all(axis=-1)
    return int(hit.sum())


def _as_640x480(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB").resize((640, 480)))


# -- the tests -------------------------------------------------------------------------------

def test_live_page_coaches_the_webcam(server, page, db):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    timings: dict[str, float] = {}
    t0 = time.monotonic()
    page.goto(f"{server.url}/?routine=floor-flow")
    page.wait_for_selector(WEBRTC_IFRAME, timeout=30_000)
    webrtc = page.frame_locator(WEBRTC_IFRAME)
    start = webrtc.get_by_role("button", name=re.compile(r"^start$", re.I))  # CSS upper-cases
    start.click(timeout=20_000)
    clicked = time.monotonic()
    timings["page to START"] = clicked - t0

    # Server side first: the pipeline records a live session with frames.
    retried = False

    def frames_arrived():
        nonlocal retried, clicked
        found = _live_session(db)
        if found and found[1] > 0:
            return found
        if not retried and time.monotonic() - clicked > RETRY_START_S and start.is_visible():
            retried = True  # the known dropped START: press it again
            start.click(timeout=5_000)
            clicked = time.monotonic()
        return None

    sid, _ = _wait(page, "live frames in the store", FIRST_FRAMES_S, frames_arrived)
    timings["START to first frame"] = time.monotonic() - clicked

    def bridge_event():
        return rows(db, "SELECT kind, t_s FROM events WHERE session_id = ? AND stretch ="
                        " 'glute_bridge' AND kind IN ('hold_started', 'position_entered')"
                        " ORDER BY id", (sid,))

    events = _wait(page, "glute_bridge hold_started/position_entered event", EVENT_S,
                   bridge_event)
    timings["START to bridge event"] = time.monotonic() - clicked
    kinds = {k for k, _ in events}

    # The coaching panel shows the stretch (the fragment refreshes every 0.5 s).
    page.get_by_test_id("live-label").filter(has_text="Glute bridge").wait_for(timeout=10_000)
    cue = page.locator('[data-testid="live-cue"]')
    cue.wait_for(timeout=5_000)
    assert cue.inner_text().strip(), "the cue is empty"

    # Frames reached the pipeline, with a pose in most.
    def enough_frames():
        found = rows(db, "SELECT COUNT(*), SUM(people > 0) FROM frames WHERE session_id = ?",
                     (sid,))
        return found[0] if found and found[0][0] > 20 else None

    n, posed = _wait(page, "more than 20 stored frames", 10, enough_frames)
    assert posed >= 0.8 * n, f"a pose in only {posed} of {n} frames"

    # The overlay is drawn into the returned video.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    video = webrtc.locator("video").first
    shot = _as_640x480(video.screenshot(path=str(SCREENSHOTS / "live_video.png")))
    page.screenshot(path=str(SCREENSHOTS / "live.png"))
    baseline = max(_overlay_pixels(rgb) for rgb in clip_frames(_clip()))
    found = _overlay_pixels(shot)
    assert found >= baseline + MIN_OVERLAY_PX, (
        f"{found} overlay-coloured pixels in the video (the raw clip has up to {baseline}): "
        "no skeleton drawn?")

    _assert_no_exception(page, "Live")

    # STOP ends the session in the store (frames were written all along).
    webrtc.get_by_role("button", name=re.compile(r"^stop$", re.I)).click(timeout=5_000)
    stopped = time.monotonic()

    def ended():
        found = rows(db, "SELECT s.ended_at, (SELECT COUNT(*) FROM results r"
                         " WHERE r.session_id = s.id) FROM sessions s WHERE s.id = ?", (sid,))
        return found and (found[0][0] is not None or found[0][1] > 0) and found[0]

    ended_at, n_results = _wait(page, f"end (ended_at or results) of live session {sid} "
                                      "after STOP", STOP_S, ended)
    timings["STOP to session ended"] = time.monotonic() - stopped
    n_after = rows(db, "SELECT COUNT(*) FROM frames WHERE session_id = ?", (sid,))[0][0]
    assert n_after >= n, "frames went missing from the store after STOP"

    # The panel should switch to the session's summary. It does only when STOP's rerun of the
    # page runs before on_video_ended closes the session (about 2 STOPs in 3 here); otherwise
    # the rerun replaces the closed session with a new one and the panel says "Press START".
    # The results are in the store either way (checked above).
    summary = page.get_by_text(re.compile(r"Session ended|Routine finished")).first
    try:
        summary.wait_for(timeout=6_000)
        page.locator('[data-testid="live-summary-table"]').first.wait_for(timeout=5_000)
        page.wait_for_timeout(1000)  # a couple more runs of the panel's fragment
        shown_summary = True
    except PlaywrightTimeout:
        shown_summary = False
    page.screenshot(path=str(SCREENSHOTS / "live_stopped.png"))
    if not shown_summary:
        message = ("the Live page showed no summary after STOP (the page replaced the "
                   "closed session before showing it; see pose/pages/live.py)")
        if SUMMARY_AFTER_STOP_IS_RELIABLE:
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
    _assert_no_exception(page, "Live after STOP")
    # START again from the summary with Enter: the video's START, pressed, starts the camera.
    page.locator('[data-testid="live-again"]').first.wait_for(timeout=5_000)
    page.locator("body").press("Enter")
    webrtc.get_by_role("button", name=re.compile(r"^stop$", re.I)).wait_for(timeout=10_000)
    assert not page.console.errors, "console errors:\n" + "\n".join(page.console.errors)
    print(f"\nlive session {sid}: {n_after} frames, {n_results} results, ended_at "
          f"{'set' if ended_at is not None else 'unset'}, summary shown: {shown_summary}, "
          f"events {sorted(kinds)}, overlay pixels "
          f"{found} (clip alone <= {baseline}), retried START: "
          f"{retried}, " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
          + (f"; ignored console errors: {page.console.ignored}" if page.console.ignored else ""))


def test_other_pages_render(server, page, db, work):
    seed = subprocess.run(
        [sys.executable, "-m", "pose", "analyze", str(_clip()), "--out", str(work / "analysis"),
         "--save", "--db", str(db)],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert seed.returncode == 0, seed.stdout + seed.stderr

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its own container, so a full_page screenshot is only the
    # viewport: a tall viewport shows the whole page.
    page.set_viewport_size({"width": 1400, "height": 2200})
    for path, heading in (("replay", "Replay"), ("review", "Review"),
                          ("routines", "Routines and stretches")):
        page.goto(f"{server.url}/{path}")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
        _wait_script_done(page)
        page.wait_for_timeout(500)  # charts and tables draw after the run
        _assert_no_exception(page, path)
        page.screenshot(path=str(SCREENSHOTS / f"{path}.png"))
    assert not page.console.errors, "console errors:\n" + "\n".join(page.console.errors)


def test_replay_takes_the_next_file_after_a_bad_one(server, page, work):
    """A file that is no video gets one line, and the next file picked is analysed: the
    uploader that failed had spent its key, so the page kept an uploader that dropped the
    next pick (a new user's first try found it)."""
    bad = work / "bad.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 2048, np.uint8).tobytes())
    page.goto(f"{server.url}/replay")
    page.get_by_role("heading", name="Replay").first.wait_for(timeout=30_000)
    _wait_script_done(page)
    page.get_by_text("Video file", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="Analyse").click(timeout=30_000)
    error = page.locator('[data-testid="stAlert"]').filter(has_text="bad.mp4")
    error.wait_for(timeout=60_000)
    words = error.locator('[data-testid="stMarkdownContainer"]').inner_text().strip()
    assert len(words.splitlines()) == 1, words  # (the icon is a word of its own font)
    page.locator("input[type=file]").set_input_files(str(_clip()))
    page.get_by_role("button", name="Analyse").click(timeout=30_000)
    page.get_by_role("heading", name=re.compile(r"^Session \d+: ")).wait_for(
        timeout=int(120_000 * PATIENCE))
    _assert_no_exception(page, "replay")
    assert not page.console.errors, "console errors:\n" + "\n".join(page.console.errors)
