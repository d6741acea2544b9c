#!/usr/bin/env bash
# Install everything, then run the whole test suite (unit, real config checkers, lab integration).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/pytest "$@"
