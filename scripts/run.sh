#!/usr/bin/env bash
# The main command: set up (install, build), then run the default experiment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "${SANITY_BUILD_DIR:-build}/sanity" train --model cnn --dataset mnist "$@"
