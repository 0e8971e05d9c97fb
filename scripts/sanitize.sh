#!/usr/bin/env bash
# Builds the server and storage tests with clang++-14 under ThreadSanitizer in build-tsan/, with
# clang's thread-safety analysis as errors (the lock annotations of core/mutex.h), and runs them
# with ctest. Exits non-zero on a build error, an unannotated access to guarded state, a failing
# test or a data race.
# Left out: tests that run gRPC (ServiceTest, LimitsTest, ExclusiveStart, FaultsProcess): Debian's
# gRPC, protobuf and abseil are not instrumented, so TSan cannot see their hand-offs between
# threads and reports races inside them. No LibTorch: the worker and the benchmarks are not
# configured.
# Run: storage_postgres_test, the PostgreSQL storage against a real PostgreSQL 15 it starts itself
# (it skips without postgresql-15): libpq is not instrumented, but the storage hands a
# connection from thread to thread only under core/mutex.h's locks, which TSan sees.
#
# Usage: scripts/sanitize.sh [CTEST_ARG ...]   (e.g. -R StudyManager to run some tests only)
# Environment: TSAN_BUILD_DIR (default build-tsan), CXX_TSAN (default clang++-14).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${TSAN_BUILD_DIR:-build-tsan}
cxx=${CXX_TSAN:-clang++-14}
command -v "$cxx" >/dev/null || { echo "sanitize.sh: $cxx not found (scripts/install-deps.sh)" >&2; exit 2; }
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1 keeps the instrumented tests fast enough; line tables keep TSan's stacks readable.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
  "-DCMAKE_CXX_FLAGS=-fsanitize=thread -Wthread-safety -Werror=thread-safety" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread" \
  -DNASQ_BUILD_WORKER=OFF -DNASQ_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
# Every storage test, and the server tests that do not need gRPC's threads.
cmake --build "$build_dir" -j"$(nproc)" --target tests/storage/all server_test server_auth_test \
  server_fault_test
grpc_tests='^(ServiceTest|LimitsTest|ExclusiveStart|FaultsProcess)\.|_NOT_BUILT'

export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
ctest --test-dir "$build_dir/tests/storage" --output-on-failure -j"$(nproc)" "$@"
ctest --test-dir "$build_dir/tests/server" --output-on-failure -j"$(nproc)" -E "$grpc_tests" "$@"
