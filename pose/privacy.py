"""Keeping the pose library's usage logger from reaching the network.

mediapipe 1.x's native Tasks library (``mediapipe/tasks/c/libmediapipe.so``) carries a usage
logger: an HTTP client (libcurl) that posts to Google's logging host. Measured with strace
(``tests/robustness/test_no_network.py``): a landmarker looks the host up when it is closed,
and a busy one also in the background while it runs (seen about 60 s after it started); it
opens TLS connections to the host wherever the name resolves. mediapipe 1.0.0, 1.2.2 and
1.2.3 all do it, and nothing the Python layer hands the C options stops it (no CA bundle, a
missing CA bundle, host environment 0), nor does any environment setting the library reads
(``GOOGLE_SANDBOX_NO_NETWORK``, ``GOOGLE_DISKLESS_MODE``, ``no_proxy``).

What stops it: libcurl reads the standard proxy variables each time it sends. Pointed at a
closed port on loopback (``https_proxy=http://127.0.0.1:9``), it makes no DNS query at all and
its one connect attempt is refused on this machine; the landmarker works as before.

The variables are set only while a landmarker exists (``native_offline``), in the process that
runs it, so other HTTPS clients of the process - ``stretchcheck models build``'s downloads in
the same test run - are left alone. StretchCheck's Streamlit server makes no HTTPS request of
its own (usage statistics and the address lookup are off in ``.streamlit/config.toml``), and
streamlit-webrtc's aiortc/aioice open their STUN/TURN sockets directly, never through a proxy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: A proxy on a loopback port where nothing listens (9: the discard port): refused at once.
DEAD_PROXY = "http://127.0.0.1:9"
#: What libcurl reads for an https:// URL, in its order; the first one set wins.
PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
#: Hosts these list are sent around any proxy: emptied so the logging host is not among them.
NO_PROXY_VARS = ("no_proxy", "NO_PROXY")

_lock = threading.Lock()
_holders = 0
_saved: dict[str, str | None] = {}


def _block() -> None:
    for name in (*PROXY_VARS, *NO_PROXY_VARS):
        _saved[name] = os.environ.get(name)
    for name in PROXY_VARS:
        os.environ[name] = DEAD_PROXY
    for name in NO_PROXY_VARS:
        os.environ.pop(name, None)


def _restore() -> None:
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved.clear()


def hold() -> None:
    """Start (or join) the blocked period: call before creating a native landmarker."""
    global _holders
    with _lock:
        if _holders == 0:
            _block()
        _holders += 1


def release() -> None:
    """Leave the blocked period: call after the landmarker is closed. The variables return
    to what they were when the last holder leaves."""
    global _holders
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0:
            _restore()


def blocked() -> bool:
    """True while some landmarker holds the proxy variables."""
    with _lock:
        return _holders > 0


@contextmanager
def native_offline() -> Iterator[None]:
    """``hold()`` for the block's duration: the native logger cannot reach the network."""
    hold()
    try:
        yield
    finally:
        release()
