#!/usr/bin/env bash
# The README's test command: installs what is needed, builds everything, checks the habits
# (includes against docs/design.md's layering, clang-format, lock annotations and ThreadSanitizer
# over the server and storage tests: scripts/check-layering.py, check-format.sh, sanitize.sh),
# runs every fuzz target briefly (scripts/fuzz.sh, about a minute in all), then runs every test
# with ctest. The pytest suites run in build/venv, which scripts/python-env.sh makes. Then the
# worker's LibTorch tests again against the other LibTorch (the pinned PyPI wheel of
# scripts/torch-wheel.sh) in build-torch2/: only the worker libraries and their tests, no service.
# Usage: scripts/test.sh  (BUILD_DIR overrides the build folder, default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-data.sh
BUILD_DIR="${BUILD_DIR:-build}" scripts/python-env.sh
scripts/check-layering.py
scripts/check-format.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)"
scripts/sanitize.sh
scripts/fuzz.sh --seconds 7
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)"
cmake -S . -B build-torch2 -G Ninja -DCMAKE_BUILD_TYPE=Release -DNASQ_BUILD_SERVICE=OFF \
  -DNASQ_TORCH_DIR="$(scripts/torch-wheel.sh)"
cmake --build build-torch2 -j"$(nproc)" --target tests/worker/all
ctest --test-dir build-torch2/tests/worker --output-on-failure -j"$(nproc)"
