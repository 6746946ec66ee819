#!/usr/bin/env bash
# `pip install .` as a new user would: a fresh virtual environment with the pinned torch and
# torchvision, the checkout installed into it (a full build of the library, about 15 min on 2 cores),
# then the module's torch interop tests (python/tests/test_torch_interop.py) against the installed
# package, from a folder outside the checkout, and the `sanity` command it put on PATH.
#   bash scripts/pip-install-check.sh [VENV]     # default: a new folder under /tmp
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-$(mktemp -d /tmp/sanity-pip-XXXXXX)/venv}"
/usr/bin/python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check $(grep -E '^(torch|torchvision|pybind11|scikit-build-core|numpy|pytest)==' requirements.txt)
"$VENV/bin/pip" install -q --disable-pip-version-check --no-build-isolation .
"$VENV/bin/sanity" --version
work="$(mktemp -d)"
cp python/tests/test_torch_interop.py "$work/"
(cd "$work" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider test_torch_interop.py)
