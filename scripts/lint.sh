#!/usr/bin/env bash
# ruff (E, F, B, I, UP; 100 columns) and mypy (pose/, third-party stubs not required), as
# configured in pyproject.toml, over the whole tree.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/mypy --follow-imports=silent pose
