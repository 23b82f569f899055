#!/usr/bin/env bash
# Install everything the tests need on a fresh machine (the locked versions), then run them.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m "not browser"`); without any (CI),
# the wheel is also built, installed into a fresh venv and run (scripts/check_wheel.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser test drives Debian's Chromium (never a browser download).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)  # to write rotation metadata in a test
command -v strace >/dev/null 2>&1 || missing+=(strace)  # the no-network tests trace the app
# A real local voice for the browser test: Chromium speaks through speech-dispatcher/espeak-ng.
command -v speech-dispatcher >/dev/null 2>&1 || missing+=(speech-dispatcher)
command -v espeak-ng >/dev/null 2>&1 || missing+=(speech-dispatcher-espeak-ng espeak-ng)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

python=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e ".[test,lint]"
if [ $# -gt 0 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
status=0
bash scripts/lint.sh || status=$?
.venv/bin/python -m pytest || status=$?
bash scripts/check_wheel.sh || status=$?
exit $status
