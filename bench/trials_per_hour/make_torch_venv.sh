#!/usr/bin/env bash
# Creates BUILD_DIR/venv-torch (default build/venv-torch) for the Python loop of the trials-per-hour
# bench (python_loop.py): PyTorch from the PyPI wheel (TORCH_VERSION, default 2.15.0; a few GB with
# its nvidia wheels), Optuna at the version clients/python/requirements-test.txt pins, numpy and
# PyYAML. Separate from build/venv (the tests' environment), which stays torch-free. Does nothing
# when the venv already has these versions.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${BUILD_DIR:-$root/build}/venv-torch"
torch_version="${TORCH_VERSION:-2.15.0}"
optuna_version=$(sed -n 's/^optuna==//p' "$root/clients/python/requirements-test.txt")
if "$venv/bin/python3" -c "
import sys, torch, optuna, numpy, yaml
sys.exit(torch.__version__.split('+')[0] != '$torch_version' or optuna.__version__ != '$optuna_version')
" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "torch==$torch_version" "optuna==$optuna_version" numpy pyyaml
"$venv/bin/python3" -c "import torch, optuna; print('venv-torch: torch', torch.__version__, 'optuna', optuna.__version__)"
