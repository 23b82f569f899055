"""Helpers for the browser test: a fake webcam file, the Streamlit server, and Chromium.

* ``make_fake_camera`` decodes a clip with PyAV, letterboxes it to 640x480 and writes a y4m
  (raw I420) file that Chromium plays as its camera (``--use-file-for-fake-video-capture``).
  No ffmpeg command line is needed.
* ``start_server`` / ``stop_server`` run ``streamlit run app.py`` in its own process group.
* ``launch_chromium`` starts Debian's Chromium through Playwright (never a downloaded browser).

See ../shared/notes/browser-webcam.md for why each flag and step is there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT, FPS = 640, 480, 30

#: Environment variables that make streamlit-webrtc (or anything else) call third parties.
SECRET_PREFIXES = ("HF_TOKEN", "TWILIO", "CLOUDFLARE")


# -- the fake camera -------------------------------------------------------------------------

def letterbox(rgb: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """``rgb`` scaled to fit ``width`` x ``height`` (aspect kept), centred on black."""
    import cv2

    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(2, round(w * scale)), max(2, round(h * scale))
    out = np.zeros((height, width, 3), np.uint8)
    if (nw, nh) != (w, h):
        rgb = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    x, y = (width - nw) // 2, (height - nh) // 2
    out[y:y + nh, x:x + nw] = rgb
    return out


def i420_bytes(rgb: np.ndarray) -> bytes:
    """The Y, U and V planes of an even-sized RGB frame, one after the other (I420)."""
    import av

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    yuv = frame.reformat(format="yuv420p")
    h, w = rgb.shape[:2]
    planes = []
    sizes = ((w, h), (w // 2, h // 2), (w // 2, h // 2))
    for plane, (pw, ph) in zip(yuv.planes, sizes, strict=False):
        # Rows may be padded (line_size > width): copy the visible part only.
        rows = np.frombuffer(bytes(plane), np.uint8).reshape(-1, plane.line_size)
        planes.append(rows[:ph, :pw].tobytes())
    return b"".join(planes)


class Y4MWriter:
    """Writes I420 frames to a YUV4MPEG2 file (the format Chromium's fake camera reads)."""

    def __init__(self, out: BinaryIO, width: int = WIDTH, height: int = HEIGHT,
                 fps: int = FPS) -> None:
        self.out, self.width, self.height = out, width, height
        self.frames = 0
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())

    def write(self, i420: bytes, repeat: int = 1) -> None:
        expected = self.width * self.height * 3 // 2
        if len(i420) != expected:
            raise ValueError(f"an I420 frame of {self.width}x{self.height} has {expected} "
                             f"bytes, not {len(i420)}")
        for _ in range(repeat):
            self.out.write(b"FRAME\n")
            self.out.write(i420)
            self.frames += 1


def clip_frames(path: Path) -> Iterator[np.ndarray]:
    """The clip's frames, letterboxed to 640x480 RGB (decoded with ``pose.video``)."""
    from pose.video import read_video

    with read_video(path) as reader:
        for frame in reader:
            yield letterbox(frame.rgb)


def make_fake_camera(src: Path, dst: Path, lead_s: float = 4.0, tail_s: float = 2.0,
                     fps: int = FPS) -> int:
    """Write ``src`` as a y4m camera file at ``dst``: its first frame held ``lead_s`` (the
    WebRTC connection comes up late), then the clip, then its last frame held ``tail_s``.
    Every source frame becomes one y4m frame (the sample clips are 30 fps). Returns the
    number of frames written."""
    with open(dst, "wb") as out:
        writer = Y4MWriter(out, fps=fps)
        last = None
        for k, rgb in enumerate(clip_frames(src)):
            last = i420_bytes(rgb)
            writer.write(last, repeat=round(lead_s * fps) + 1 if k == 0 else 1)
        if last is None:
            raise ValueError(f"{src} has no frames")
        writer.write(last, repeat=round(tail_s * fps))
        return writer.frames


@dataclass(frozen=True)
class Shot:
    """One piece of a composed fake camera: frames ``start``..``stop`` (exclusive) of a clip,
    mirrored or not (a mirrored side view is the other side), each repeated ``repeat`` times,
    then the last one frozen for ``freeze_s`` seconds."""

    src: Path
    start: int = 0
    stop: int | None = None
    mirrored: bool = False
    freeze_s: float = 0.0
    repeat: int = 1
    rotate_deg: float = 0.0
    """Turn the picture about its centre (counter-clockwise), as a camera tilted the other way:
    a person standing tall in it leans to one side, a lean the checks read in the image."""


def _rotated(rgb: np.ndarray, degrees: float) -> np.ndarray:
    if not degrees:
        return rgb
    import cv2

    h, w = rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(rgb, turn, (w, h))


def compose_camera(shots: Iterable[Shot], dst: Path, fps: int = FPS) -> int:
    """Write the ``shots`` one after the other as a y4m camera file; returns frames written."""
    cache: dict[Path, list[np.ndarray]] = {}
    with open(dst, "wb") as out:
        writer = Y4MWriter(out, fps=fps)
        for shot in shots:
            if shot.src not in cache:
                cache[shot.src] = list(clip_frames(shot.src))
            frames = cache[shot.src][shot.start:shot.stop]
            if not frames:
                raise ValueError(f"{shot.src}: no frames in {shot.start}:{shot.stop}")
            data = b""
            for rgb in frames:
                rgb = _rotated(rgb, shot.rotate_deg)
                data = i420_bytes(np.ascontiguousarray(rgb[:, ::-1]) if shot.mirrored else rgb)
                writer.write(data, repeat=shot.repeat)
            if shot.freeze_s > 0:
                writer.write(data, repeat=round(shot.freeze_s * fps))
        return writer.frames


# -- the Streamlit server --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def output(self, last_chars: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-last_chars:]
        except OSError:
            return ""


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without third-party credentials, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_PREFIXES)}
    env.update(extra)
    return env


def start_server(log: Path, db: Path, timeout_s: float = 30.0,
                 extra_env: dict[str, str] | None = None) -> Server:
    """``streamlit run app.py`` on a free port, in its own process group, with the store at
    ``db``; returns once ``/_stcore/health`` answers ``ok``. On a timeout the server is stopped
    and ``RuntimeError`` carries its output."""
    port = free_port()
    env = clean_env(STRETCHCHECK_DB=str(db), PYTHONUNBUFFERED="1", **(extra_env or {}))
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false",
           # Set explicitly, or a headless server asks checkip.amazonaws.com for its address.
           "--browser.serverAddress", "localhost",
           "--server.fileWatcherType", "none"]  # nothing is edited during a test
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, port, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n"
                               f"{server.output()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"streamlit did not answer {server.url}/_stcore/health within "
                       f"{timeout_s:.0f} s:\n{server.output()}")


def stop_server(server: Server, timeout_s: float = 10.0) -> None:
    """End the server's process group: SIGTERM, then SIGKILL if it lingers."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            server.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pass
    try:  # anything the server started and left behind
        os.killpg(server.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.process.wait(timeout_s)


# -- Chromium --------------------------------------------------------------------------------

def chromium_args(camera: Path | None) -> list[str]:
    args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic"]
    if camera is not None:
        args.append(f"--use-file-for-fake-video-capture={camera}")
    return args


def launch_chromium(playwright, camera: Path | None, executable: Path = CHROMIUM,
                    extra_args: Iterable[str] = (), env: dict[str, str] | None = None):
    """Debian's Chromium, headless, with ``camera`` (a y4m file) as its webcam."""
    if not executable.is_file():
        raise FileNotFoundError(
            f"{executable} is missing: the browser test drives Debian's Chromium "
            "(scripts/test.sh installs it with apt-get install chromium; no browser is "
            "ever downloaded)")
    return playwright.chromium.launch(executable_path=str(executable), headless=True,
                                      args=chromium_args(camera) + list(extra_args),
                                      **({"env": env} if env is not None else {}))


# -- a real voice ------------------------------------------------------------------------------

SPEECH_TOOLS = (Path("/usr/bin/speech-dispatcher"), Path("/usr/bin/espeak-ng"))


def speech_env(home: Path) -> dict[str, str]:
    """An environment in which Chromium (``--enable-speech-dispatcher``) speaks with Debian's
    speech-dispatcher and its espeak-ng voices, which run on this computer (``localService``).

    speech-dispatcher is started by Chromium itself, with a configuration of its own under
    ``home``: sound to libao's null driver, since a test machine has no sound card (with the
    default, PulseAudio, nothing is ever said and no utterance ends). The null driver does not
    play in real time: an utterance ends as soon as it is synthesised."""
    import re

    conf = home / ".config" / "speech-dispatcher"
    if not conf.exists():
        import shutil

        shutil.copytree("/etc/speech-dispatcher", conf)
        text = (conf / "speechd.conf").read_text(encoding="utf-8")
        text, n = re.subn(r"(?m)^#?\s*AudioOutputMethod.*$", 'AudioOutputMethod "libao"', text,
                          count=1)
        (conf / "speechd.conf").write_text(
            text if n else text + '\nAudioOutputMethod "libao"\n', encoding="utf-8")
    (home / ".libao").write_text("default_driver=null\n", encoding="utf-8")
    run = home / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    return clean_env(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                     XDG_RUNTIME_DIR=str(run), XDG_CACHE_HOME=str(home / ".cache"))


def stop_speech(home: Path, timeout_s: float = 10.0) -> None:
    """End the speech-dispatcher that Chromium started under ``home`` (it leaves by itself
    once idle; this makes sure, by the process id in its pid file)."""
    deadline = time.monotonic() + timeout_s
    for pid_file in (home / "run" / "speech-dispatcher" / "pid").glob("*.pid"):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)


# -- the store, read-only --------------------------------------------------------------------

def read_only(db: Path):
    """A read-only sqlite3 connection to the store (the app keeps writing through its own)."""
    import sqlite3

    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)


def rows(db: Path, sql: str, params: Iterable = ()) -> list[tuple]:
    """Rows of one query on the store; [] while the file or its tables do not exist yet."""
    import sqlite3

    if not db.exists():
        return []
    try:
        conn = read_only(db)
    except sqlite3.Error:
        return []
    try:
        return conn.execute(sql, tuple(params)).fetchall()
    except sqlite3.OperationalError:  # no such table: the app has not created the schema
        return []
    finally:
        conn.close()


# -- fixtures' bodies, shared by the browser tests ----------------------------------------------

@contextmanager
def serving(work: Path, db: Path, routines: dict[str, str] | None = None,
            catalogue_extra: str = "", extra_env: dict[str, str] | None = None
            ) -> Iterator[Server]:
    """The app on a free port with the store at ``db``; with ``routines`` ({file name: TOML})
    it reads a routines folder of its own: the catalogue (plus ``catalogue_extra``) and those.
    A server that does not come up fails the test with its output."""
    import pytest

    env = dict(extra_env or {})
    if routines is not None:
        folder = work / "routines"
        folder.mkdir(exist_ok=True)
        text = (ROOT / "routines" / "catalogue.toml").read_text(encoding="utf-8")
        (folder / "catalogue.toml").write_text(text + catalogue_extra, encoding="utf-8")
        for name, toml in routines.items():
            (folder / name).write_text(toml, encoding="utf-8")
        env["STRETCHCHECK_ROUTINES"] = str(folder)
    try:
        server = start_server(work / "streamlit.log", db, extra_env=env)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        stop_server(server)


@contextmanager
def chromium(camera: Path | None, playwright=None):
    """Debian's Chromium with ``camera`` as its webcam, through Playwright (``playwright``, or
    one of its own: a process runs one sync Playwright at a time); a missing browser fails the
    test with the reason."""
    import pytest
    from playwright.sync_api import sync_playwright

    with contextlib.nullcontext(playwright) if playwright else sync_playwright() as pw:
        try:
            browser = launch_chromium(pw, camera)
        except FileNotFoundError as exc:
            pytest.fail(str(exc), pytrace=False)
        try:
            yield browser
        finally:
            browser.close()
