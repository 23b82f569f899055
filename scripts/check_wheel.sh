#!/usr/bin/env bash
# The wheel as a user gets it: built from this checkout, installed with the locked versions into
# a fresh venv, and run from another folder (no repository beside it): `stretchcheck analyze` on
# a sample clip must find the glute bridge, and `stretchcheck app` must start and answer.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
app_pid=""
cleanup() {
    [ -z "$app_pid" ] || kill "$app_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

python=$(command -v python3.11 || command -v python3)
echo "wheel: building"
.venv/bin/python -m pip wheel -q --disable-pip-version-check --no-deps -w "$work/dist" .
"$python" -m venv "$work/venv"
echo "wheel: installing $(basename "$work"/dist/*.whl) into a fresh venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check -c requirements.lock \
    "$work"/dist/*.whl

cd "$work"  # nothing of the repository is importable from here
bin="$work/venv/bin"
"$bin/stretchcheck" routines list > routines.txt
grep -q "^lower-back:" routines.txt
"$bin/stretchcheck" analyze "$root/sample_videos/glute_bridge_side.mp4" --out out 2> analyze.err \
    || { cat analyze.err; exit 1; }
"$bin/python" - <<'PY'
import json
report = json.load(open("out/report.json"))
assert report["schema"] == "stretchcheck.report/1", report["schema"]
found = [s["stretch"] for s in report["stretches"] if s["holds"]]
assert found == ["glute_bridge"], found
print(f"wheel: analyze found {found} from {report['source']}")
PY

port=$("$bin/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
STRETCHCHECK_DB="$work/app.db" STRETCHCHECK_CAMERA=off "$bin/stretchcheck" app \
    --server.port "$port" --server.fileWatcherType none > app.log 2>&1 &
app_pid=$!
for _ in $(seq 60); do
    if "$bin/python" -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://localhost:$port/_stcore/health', timeout=2).read() != b'ok')" 2>/dev/null; then
        echo "wheel: stretchcheck app answers on localhost:$port"
        exit 0
    fi
    sleep 1
done
cat app.log
echo "wheel: stretchcheck app did not start" >&2
exit 1
