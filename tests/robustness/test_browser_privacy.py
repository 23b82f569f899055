"""The app in Chromium, its server under strace: nothing requested from other hosts.

The Streamlit server is started as the README says (from the project folder, so that
.streamlit/config.toml applies: no --server.address here), under ``strace -f``. Chromium opens
every page and runs a Live session from its fake camera (START, frames in the store, STOP).
Then:
- every request the pages made (documents, scripts, images, fonts, websockets, iframes) went to
  the app's own address: no CDN, no font service, no analytics;
- the server made no DNS query and connected to nothing outside this machine (WebRTC's media
  flows between Chromium and the server over this machine's own addresses);
- the server answers on localhost and refuses a connection on the machine's network address.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from nettrace import NetTrace, traced
from webcam import (
    ROOT,
    Server,
    clean_env,
    free_port,
    launch_chromium,
    make_fake_camera,
    rows,
    stop_server,
)

pytestmark = pytest.mark.browser

CLIP = ROOT / "sample_videos" / "glute_bridge_side.mp4"
WEBRTC_IFRAME = 'iframe[title*="streamlit_webrtc"]'
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension"}


def _machine_addresses() -> set[str]:
    """This machine's own interface addresses (WebRTC host candidates use them)."""
    import ifaddr  # aioice's own dependency, used the same way aioice gathers candidates

    out = set()
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            out.add(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    return out


def _start_traced_server(work: Path, db: Path) -> tuple[Server, Path]:
    port = free_port()
    log = work / "streamlit.log"
    trace = work / "server.strace"
    cmd = traced([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                  "--server.fileWatcherType", "none"], trace)
    env = clean_env(STRETCHCHECK_DB=str(db), PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited:\n{server.output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, trace
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    pytest.fail(f"streamlit did not start:\n{server.output()}")


def test_pages_request_nothing_from_other_hosts(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "app.db"
    camera = tmp_path / "camera.y4m"
    make_fake_camera(CLIP, camera, lead_s=1.0, tail_s=1.0)
    server, trace_path = _start_traced_server(tmp_path, db)
    requests: list[str] = []
    try:
        # Listening on localhost only: the machine's network address refuses.
        for address in sorted(_machine_addresses()):
            if address.startswith(("127.", "::1", "fe80:")):
                continue
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.socket(family) as s, pytest.raises(OSError):
                s.settimeout(2)
                s.connect((address, server.port))

        with sync_playwright() as pw:
            browser = launch_chromium(pw, camera)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", lambda ws: requests.append(ws.url))
            page.goto(f"{server.url}/?routine=floor-flow")
            page.wait_for_selector(WEBRTC_IFRAME, timeout=60_000)
            webrtc = page.frame_locator(WEBRTC_IFRAME)
            start = webrtc.get_by_role("button", name=re.compile(r"^start$", re.I))
            start.click(timeout=20_000)
            deadline = time.monotonic() + 40
            clicked = time.monotonic()
            while not rows(db, "SELECT 1 FROM frames LIMIT 1"):
                assert time.monotonic() < deadline, "no live frames reached the store"
                if time.monotonic() - clicked > 8 and start.is_visible():
                    start.click(timeout=5_000)  # the known dropped START
                    clicked = time.monotonic()
                page.wait_for_timeout(500)
            page.wait_for_timeout(3000)
            webrtc.get_by_role("button", name=re.compile(r"^stop$", re.I)).click(timeout=5_000)
            page.wait_for_timeout(2000)
            for path in ("replay", "review", "routines"):
                page.goto(f"{server.url}/{path}")
                page.wait_for_selector('[data-testid="stApp"][data-test-script-state='
                                       '"notRunning"]', timeout=60_000)
                page.wait_for_timeout(1000)
            browser.close()
    finally:
        stop_server(server)

    assert requests, "Chromium logged no request at all"
    foreign = [u for u in requests if urlsplit(u).scheme not in LOCAL_SCHEMES
               and urlsplit(u).hostname not in {h.strip("[]") for h in LOCAL_HOSTS}]
    assert not foreign, "the pages requested other hosts:\n" + "\n".join(sorted(set(foreign)))

    trace = NetTrace.read(trace_path)
    assert trace.calls("execve"), f"the strace log {trace_path} is empty"
    assert not trace.dns_queries(), "the server made DNS queries:\n" + "\n".join(
        trace.dns_queries()[:5])
    mine = _machine_addresses()
    outside = [line for line in trace.outside()
               if not any(f'"{a}"' in line for a in mine)]
    assert not outside, "the server connected outside this machine:\n" + "\n".join(
        line[:300] for line in outside[:10])
