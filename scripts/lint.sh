#!/usr/bin/env bash
# ruff (E, F, B, I, UP; 100 columns) and mypy (pose/, third-party stubs not required), as
# configured in pyproject.toml. CHECKED lists the files held to them so far: the modules of the
# one pipeline (issue 9) and the new modules of issues 10 and 11. The rest of the tree joins after one tree-wide `ruff check --fix`, which
# waits for the open branches to merge; then set CHECKED to "pose tests".
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKED="pose/app.py pose/catalogue_checker.py pose/clock.py pose/events.py pose/live.py
pose/pipeline.py pose/render.py pose/sessions.py pose/stretches.py pose/tuning.py pose/words.py
pose/ballistic.py pose/evaluate.py pose/scoring.py pose/stillness.py pose/traces.py pose/view.py
pose/phases.py pose/voice.py pose/live_view.py pose/coach_component.py
tests/test_clock.py tests/test_pipeline.py tests/synthetic.py"
# shellcheck disable=SC2086
.venv/bin/ruff check $CHECKED
# shellcheck disable=SC2086
.venv/bin/mypy --follow-imports=silent $(echo $CHECKED | tr ' ' '\n' | grep '^pose/')
