#!/usr/bin/env bash
# The README's test command: installs what is needed, builds everything and runs every test
# with ctest. Usage: scripts/test.sh  (BUILD_DIR overrides the build folder, default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-data.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)"
