#!/usr/bin/env bash
# Creates BUILD_DIR/venv (default build-bench/venv) with the Optuna that bench_tpe_quality
# compares against (OPTUNA_VERSION, default 5.0.0); does nothing when it is already there.
# bench_tpe_quality's default interpreter is <its build directory>/venv/bin/python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${1:-$root/build-bench}/venv"
version="${OPTUNA_VERSION:-5.0.0}"
if "$venv/bin/python3" -c "import optuna, sys; sys.exit(optuna.__version__ != '$version')" \
    2>/dev/null; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "optuna==$version"
