#!/usr/bin/env bash
# The test command: set up (install, build) and run every unit test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir "${SANITY_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" "$@"
