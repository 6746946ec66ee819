#!/usr/bin/env bash
# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (GCC, -O1 -g): builds into
# build-asan/ and runs ctest there. Any report fails the test that triggered it.
#   bash scripts/sanitize.sh [ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
SANITY_TARGETS=none bash scripts/setup.sh >/dev/null
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DSANITY_SANITIZE=ON \
  -DSANITY_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$(nproc)"
build-asan/sanity data >/dev/null
# LibTorch's own thread pools and caches live until exit: leaks are not checked, everything else is.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export SANITY_BUILD_DIR=build-asan
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" "$@"
