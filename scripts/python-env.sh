#!/usr/bin/env bash
# Creates (or refreshes) the Python environment that the Python tests, the Optuna interop tests
# and the Python benches run in, and installs nasq's Python package into it from
# clients/python (its gRPC stubs are generated from proto/ by that install).
# Usage: scripts/python-env.sh [VENV]   (default build/venv; BUILD_DIR moves the default)
#
# The venv is made from Debian's /usr/bin/python3 with --system-site-packages so that Debian's
# python3-torch (scripts/install-deps.sh) serves the PyTorch examples: PyPI's torch wheel is the
# CUDA build, gigabytes with its libraries. Everything else comes pinned from PyPI
# (clients/python/requirements-test.txt) and shadows Debian's copies.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/${BUILD_DIR:-build}/venv}"
requirements="$root/clients/python/requirements-test.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python3" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" >"$stamp"
fi
# Reinstalled every time: a changed proto or package source must reach the tests. The build
# needs setuptools and grpcio-tools, both pinned in the venv already; setuptools' build folder
# goes first, or a module deleted from the source would live on in it and in the install.
rm -rf "$root/clients/python/build"
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check --no-deps \
  --no-build-isolation --force-reinstall "$root/clients/python"
echo "python-env: $venv ($("$venv/bin/python3" -c 'import nasq, optuna; print("nasq", nasq.__version__, "optuna", optuna.__version__)'))"
