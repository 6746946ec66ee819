#!/usr/bin/env bash
# libFuzzer on every parser of untrusted input (ONNX, .npy, IDX, method/metric/check/rule specs, LRP rules files,
# study configs), with AddressSanitizer and UndefinedBehaviorSanitizer (clang-14):
#   bash scripts/fuzz.sh [RUNS] [TARGET...]    # RUNS executions per target (default 1,000,000)
# Builds into build-fuzz/ (the library instrumented, no tests) and fuzzes each target from its seed
# corpus in fuzz/corpus/<target> (new inputs it finds go to build-fuzz/corpus/<target>, not the repo).
# A crash, leak or sanitizer report stops the target and leaves crash-*/leak-* files in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SANITY_TARGETS=none bash scripts/setup.sh >/dev/null  # packages (clang-14, libFuzzer) and MNIST
RUNS="${1:-1000000}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(onnx npy idx spec study_config rules)
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DSANITY_FUZZ=ON \
  -DSANITY_BUILD_TESTS=OFF -DSANITY_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${TARGETS[@]/#/fuzz_}"
cd build-fuzz
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t"
  echo "fuzz_$t: $RUNS runs"
  start=$(date +%s)
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "fuzz/fuzz_$t" -runs="$RUNS" -max_len=65536 -timeout=20 -rss_limit_mb=6000 -malloc_limit_mb=4096 \
    -print_final_stats=1 "corpus/$t" "../fuzz/corpus/$t" 2>&1 | grep -E "stat::number_of_executed_units|stat::peak_rss|Done|ERROR|SUMMARY|crash-|leak-" || true
  echo "fuzz_$t: $(( $(date +%s) - start )) s"
done
