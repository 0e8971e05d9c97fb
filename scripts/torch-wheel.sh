#!/usr/bin/env bash
# scripts/torch-wheel.sh: fetches LibTorch 2.x as PyPI's `torch` wheel and prints its `torch`
# folder (include/, lib/), the value of the CMake cache variable NASQ_TORCH_DIR:
#   cmake -S . -B build-torch2 -DNASQ_TORCH_DIR="$(scripts/torch-wheel.sh)"
# The wheel is downloaded once per version with `pip download --no-deps` (no nvidia-* wheels) into
# $BUILD_DIR/torch-wheel/<version>/ (default build/) and unpacked there as a zip (no pip install),
# keeping only torch/include, torch/lib and torch/share. PyPI's wheel is the CUDA build: its
# libtorch_cpu.so needs libcudart.so.13 and libcupti.so.13 even on a CPU machine, so those two
# (about 14 MB of wheels, the versions the torch wheel requires through its cuda-toolkit extras)
# are copied into torch/lib; the other nvidia-* wheels (gigabytes) are not fetched, so
# libtorch_cuda.so is not loadable here. The pinned version is NASQ_TORCH_VERSION
# below, the only place it is written; `scripts/torch-wheel.sh --version` prints it.
# Errors (no pip, no network, a wheel without libtorch_cpu.so) exit non-zero with a message.
set -euo pipefail
NASQ_TORCH_VERSION=2.15.0

if [[ ${1:-} == --version ]]; then
  echo "$NASQ_TORCH_VERSION"
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "usage: $0 [--version]" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir=$root/$build_dir
dest=$build_dir/torch-wheel/$NASQ_TORCH_VERSION
if [[ ! -f $dest/torch/lib/libtorch_cpu.so ]]; then
  python=$(command -v python3)
  if ! "$python" -m pip --version >/dev/null 2>&1; then
    echo "torch-wheel.sh: $python has no pip (python3 -m pip); install pip" >&2
    exit 1
  fi
  mkdir -p "$dest/download"
  if ! compgen -G "$dest/download/torch-$NASQ_TORCH_VERSION-*.whl" >/dev/null; then
    echo "torch-wheel.sh: downloading torch==$NASQ_TORCH_VERSION (about 540 MB)" >&2
    "$python" -m pip download --quiet --no-deps --dest "$dest/download" \
      "torch==$NASQ_TORCH_VERSION" >&2
  fi
  wheel=$(compgen -G "$dest/download/torch-$NASQ_TORCH_VERSION-*.whl" | head -n 1)
  rm -rf "$dest/unpack" "$dest/torch"
  # The cuda-toolkit requirement of the wheel, e.g. "cuda-toolkit[cublas,cudart,...]==13.2.2".
  cuda_toolkit=$("$python" - "$wheel" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        m = re.match(r"Requires-Dist: cuda-toolkit\[[^]]*\](==[^ ;]+)", line)
        if m:
            print("cuda-toolkit[cudart,cupti]" + m.group(1))
PY
)
  if [[ -n $cuda_toolkit ]]; then
    echo "torch-wheel.sh: downloading $cuda_toolkit (libcudart, libcupti)" >&2
    "$python" -m pip download --quiet --dest "$dest/download" "$cuda_toolkit" >&2
  fi
  "$python" - "$dest/unpack" "$wheel" "$dest"/download/nvidia_cuda_{runtime,cupti}-*.whl <<'PY'
import os, shutil, sys, zipfile
out, wheel, runtime_wheels = sys.argv[1], sys.argv[2], sys.argv[3:]
keep = ("torch/include/", "torch/lib/", "torch/share/", "torch/version.py")
with zipfile.ZipFile(wheel) as z:
    z.extractall(out, [n for n in z.namelist() if n.startswith(keep)])
for path in runtime_wheels:
    if not os.path.exists(path):  # an unmatched glob: a CPU-only wheel needs none
        continue
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            base = os.path.basename(name)
            if base.startswith(("libcudart.so.", "libcupti.so.")):
                with z.open(name) as src, open(os.path.join(out, "torch/lib", base), "wb") as dst:
                    shutil.copyfileobj(src, dst)
PY
  if [[ ! -f $dest/unpack/torch/lib/libtorch_cpu.so ]]; then
    echo "torch-wheel.sh: $wheel has no torch/lib/libtorch_cpu.so" >&2
    exit 1
  fi
  chmod -R u+w,a+rX "$dest/unpack"
  mv "$dest/unpack/torch" "$dest/torch"
  rm -rf "$dest/unpack"
fi
echo "$dest/torch"
