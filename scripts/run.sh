#!/usr/bin/env bash
# The main command: set up (install, build), then run the default study (sanity run [config.json]).
set -euo pipefail
cd "$(dirname "$0")/.."
SANITY_TARGETS=sanity bash scripts/setup.sh
exec "${SANITY_BUILD_DIR:-build}/sanity" run "$@"
