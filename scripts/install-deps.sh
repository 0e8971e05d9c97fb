#!/usr/bin/env bash
# Installs every Debian package nasq needs to build, test and run. Idempotent; needs root
# (or sudo). Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libsqlite3-dev sqlite3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libssl-dev openssl curl
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libabsl-dev libre2-dev
  libtorch-dev libopenblas0-pthread libicu-dev
  python3-optuna python3-torch python3-venv python3-yaml
  clang-14 libclang-rt-14-dev clang-format-14
  chromium libgl1-mesa-dri fonts-dejavu-core fonts-liberation  # the dashboard's browser tests
  tmux
  postgresql libpq-dev  # PostgreSQL storage (--db postgresql://...) and its tests, which start a server
  slurmd slurmctld slurm-client munge  # deploy/slurm's integration test runs a single-node Slurm
  iproute2  # the multi-host test (tests/python/test_multi_host.py) builds hosts from network namespaces
  nodejs  # the dashboard's build (dashboard/web: npm ci, tsc, esbuild); NASQ_BUILD_DASHBOARD=OFF skips it
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs comes without npm (a package of its own); NodeSource's nodejs bundles it.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
