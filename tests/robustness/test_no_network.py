"""Fault 1 (nothing phones home) and fault 2 (localhost only), measured with strace.

mediapipe's native usage logger looks up Google's logging host about once a minute while a
landmarker runs and again when it closes (pose/privacy.py). These tests run the real program
under strace and fail on any DNS query or any connection to a non-local address - and on an
empty trace. Without pose/privacy.py, `analyze` fails them with one lookup at close.
"""

from __future__ import annotations

import sys
import tomllib

import pytest
from conftest import ROOT, sample
from nettrace import run_traced

from pose import privacy

A03 = "A03_physiocore_glute_bridge_side_floor.mp4"
A06 = "A06_sports2d_lateral_raise_reps_front.mp4"
#: Long enough for the logger's background send (seen 60-62 s after the model started).
LIVE_SECONDS = 70.0


def _env(**extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items()
           if k.lower() not in (*privacy.PROXY_VARS, *privacy.NO_PROXY_VARS)}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


@pytest.mark.slow
def test_analyze_makes_no_lookup_and_no_connection(tmp_path):
    result, trace = run_traced(
        [sys.executable, "-m", "pose", "analyze", str(sample(A03)), "--out", str(tmp_path / "o"),
         "--save", "--db", str(tmp_path / "s.db")],
        tmp_path / "analyze.strace", cwd=ROOT, env=_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    trace.assert_nothing_left("stretchcheck analyze")
    # The logger did try - into the dead loopback proxy, where it stops.
    assert trace.loopback_connects(9) >= 1, "the usage logger never ran: is pose/privacy.py " \
                                            "still needed with this mediapipe?"


@pytest.mark.slow
def test_parallel_analyze_makes_no_lookup_and_no_connection(tmp_path):
    """Each spawned pose process holds its own landmarker offline (strace -f follows them)."""
    result, trace = run_traced(
        [sys.executable, "-m", "pose", "analyze", str(sample(A06)), "--out", str(tmp_path / "o"),
         "--jobs", "2"], tmp_path / "analyze.strace", cwd=ROOT, env=_env(), timeout=400)
    assert result.returncode == 0, result.stderr
    trace.assert_nothing_left("stretchcheck analyze --jobs 2")
    assert trace.loopback_connects(9) >= 2, "both processes' usage loggers should have tried"


@pytest.mark.slow
def test_live_session_makes_no_lookup_and_no_connection(tmp_path):
    """The Live page's engine, fed a real clip and kept open past the logger's background
    send, then closed like STOP (results saved)."""
    db = tmp_path / "live.db"
    result, trace = run_traced(
        [sys.executable, str(ROOT / "tests" / "robustness" / "live_child.py"), str(sample(A03)),
         str(db), str(LIVE_SECONDS)],
        tmp_path / "live.strace", cwd=ROOT, env=_env(PYTHONPATH=str(ROOT)), timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    trace.assert_nothing_left("a live session")
    assert trace.loopback_connects(9) >= 2, "expected the logger's background send and its " \
                                            "send at close, both into the dead proxy"
    from pose.store import open_store

    with open_store(db) as store:
        sid = int(result.stdout.split()[-1])
        assert store.session(sid).n_frames > 91
        assert store.results(sid), "the session's results were not saved"


def test_proxy_variables_are_set_only_while_a_landmarker_lives(monkeypatch):
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("https_proxy", raising=False)
    from pose.estimator import PoseEstimator

    with PoseEstimator("lite", count_people_every_s=None):
        import os

        assert os.environ["https_proxy"] == privacy.DEAD_PROXY
        assert os.environ["HTTPS_PROXY"] == privacy.DEAD_PROXY
        assert "no_proxy" not in os.environ
        with PoseEstimator("lite", count_people_every_s=None):
            pass
        assert privacy.blocked(), "a second estimator closing must not lift the block"
    assert not privacy.blocked()
    assert os.environ["no_proxy"] == "*"
    assert os.environ["HTTPS_PROXY"] == "http://proxy.example:3128"
    assert "https_proxy" not in os.environ


def test_the_app_listens_on_localhost_by_default():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["browser"]["gatherUsageStats"] is False
    readme = (ROOT / "README.md").read_text()
    assert "streamlit run app.py" in readme and "--server.address" not in readme.split(
        "## Opening it to your network")[0], "the README's start command must not override it"


def test_stretchcheck_app_passes_the_same_settings_as_the_config_file():
    """An installed wheel has no .streamlit/config.toml: ``stretchcheck app`` passes its
    settings on the command line, and they must say the same."""
    from pose.app import STREAMLIT_FLAGS

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    in_file = {f"{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
               for section, values in config.items() for key, value in values.items()}
    assert STREAMLIT_FLAGS == in_file
