#!/usr/bin/env bash
# The main job on the built-in default spec: install, validate, plan report, render.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
kf=.venv/bin/kubeforge
$kf validate
$kf plan --html report.html --force  # --force: replace the report of a previous run (only ours)
$kf render --out out
echo "report: $(pwd)/report.html   rendered files: $(pwd)/out/"
