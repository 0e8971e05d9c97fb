#!/usr/bin/env bash
# deploy/build-worker-cuda.sh: the one recipe of the GPU worker images, shared by
# deploy/docker/Dockerfile.worker-cuda and deploy/apptainer/nasq-worker.def, so both build the
# same thing. Run as root on Debian 12, from the repository root:
#
#   deploy/build-worker-cuda.sh build PREFIX     (build stage, after scripts/install-deps.sh)
#   deploy/build-worker-cuda.sh runtime PREFIX   (runtime stage, on debian:12-slim, with PREFIX
#                                                 copied from the build stage to the same path)
#
# build: makes the venv PREFIX/venv with PyPI's CUDA torch wheel (the version pinned in
# scripts/torch-wheel.sh) and its nvidia-* CUDA libraries (cuDNN, cuBLAS, NCCL, the CUDA
# runtime), configures nasq against the wheel's LibTorch (NASQ_TORCH_DIR, NASQ_TORCH_CUDA=ON:
# cmake/NasqTorch.cmake) and Debian's gRPC, protobuf and the rest, builds only nasq-worker and
# nasq, and installs them stripped into PREFIX/bin. The binaries' rpath is the wheel's lib folder
# under PREFIX, so PREFIX must stay the same path in the runtime image.
# runtime: installs the Debian libraries the binaries link (RUNTIME_PACKAGES) and fails when ldd
# finds a library missing, so a broken image fails its build, not its first start.
#
# The wheel is built with the C++11 ABI (PyTorch >= 2.7), which Debian's gRPC needs. Its CUDA
# (13.x for torch 2.15) needs an NVIDIA driver that supports it (>= 580) on the host; the driver
# itself (libcuda.so.1) comes from the host at run time (NVIDIA container toolkit, apptainer
# --nv). Errors exit non-zero with the failing step's message; bad usage exits 2.
set -euo pipefail

# The Debian 12 libraries nasq-worker and nasq link besides LibTorch (the wheel brings its CUDA
# libraries; libsqlite3-0: nasq export --format optuna).
RUNTIME_PACKAGES=(libgrpc++1.51 libprotobuf32 libabsl20220623 libyaml-cpp0.7 libspdlog1.10
  libfmt9 libicu72 libgomp1 libsqlite3-0)

usage() {
  echo "usage: $0 {build|runtime} PREFIX" >&2
  exit 2
}
[[ $# -eq 2 && $2 == /* ]] || usage
prefix=$2

build() {
  local version torch_dir build_dir=/tmp/nasq-build-cuda
  version=$(scripts/torch-wheel.sh --version)
  python3 -m venv "$prefix/venv"
  "$prefix/venv/bin/pip" install --no-cache-dir --disable-pip-version-check "torch==$version"
  torch_dir=$("$prefix/venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DNASQ_BUILD_BENCH=OFF -DNASQ_BUILD_DASHBOARD=OFF \
    -DNASQ_TORCH_DIR="$torch_dir" -DNASQ_TORCH_CUDA=ON
  cmake --build "$build_dir" --target nasq-worker nasq
  install -D -s -m 0755 "$build_dir/worker/app/nasq-worker" "$prefix/bin/nasq-worker"
  install -D -s -m 0755 "$build_dir/cli/nasq" "$prefix/bin/nasq"
  rm -rf "$build_dir"
}

runtime() {
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${RUNTIME_PACKAGES[@]}"
  rm -rf /var/lib/apt/lists/*
  local missing
  missing=$(ldd "$prefix/bin/nasq-worker" "$prefix/bin/nasq" | grep 'not found' || true)
  if [[ -n $missing ]]; then
    echo "build-worker-cuda.sh: libraries missing in the runtime image:" >&2
    echo "$missing" >&2
    exit 1
  fi
}

case $1 in
  build) build ;;
  runtime) runtime ;;
  *) usage ;;
esac
