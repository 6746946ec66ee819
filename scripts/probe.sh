#!/usr/bin/env bash
# The hostile-input probe, whole (670 cases, about 4 minutes on 2 cores): every command on bad
# options, arrays, label files, ONNX files, image folders, study configs, rules files, method specs
# and stores, and the Python module on bad arguments, each outcome classified (scripts/probe.py). CI
# runs every fifth case (ctest: probe_fast).
#   bash scripts/probe.sh [--keep DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SANITY_TARGETS=sanity bash scripts/setup.sh >/dev/null
exec "${SANITY_VENV:-.venv}/bin/python" scripts/probe.py "${SANITY_BUILD_DIR:-build}/sanity" "$@"
