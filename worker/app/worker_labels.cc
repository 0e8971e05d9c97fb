#include "worker/app/worker_labels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstddef>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

// The CUDA driver API entry points used here (cuda.h: CUresult and CUdevice are ints; 0 is
// CUDA_SUCCESS). Declared locally so that no CUDA header is needed at build time.
using CuInit = int (*)(unsigned int);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceTotalMem = int (*)(size_t*, int);

// Adds gpu_name and gpu_memory_bytes of CUDA device `ordinal`, or gpu_error.
void DescribeGpu(int ordinal, std::map<std::string, std::string>& labels) {
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver == nullptr) {
    labels["gpu_error"] = "the CUDA driver (libcuda.so.1) is not installed";
    return;
  }
  auto init = reinterpret_cast<CuInit>(dlsym(driver, "cuInit"));
  auto get = reinterpret_cast<CuDeviceGet>(dlsym(driver, "cuDeviceGet"));
  auto name = reinterpret_cast<CuDeviceGetName>(dlsym(driver, "cuDeviceGetName"));
  auto memory = reinterpret_cast<CuDeviceTotalMem>(dlsym(driver, "cuDeviceTotalMem_v2"));
  int device = 0;
  char text[256] = {};
  size_t bytes = 0;
  if (init == nullptr || get == nullptr || name == nullptr || memory == nullptr) {
    labels["gpu_error"] = "the CUDA driver lacks cuInit/cuDeviceGet/cuDeviceGetName";
  } else if (int code = init(0); code != 0) {
    labels["gpu_error"] = absl::StrCat("cuInit failed with CUDA error ", code);
  } else if (int code = get(&device, ordinal); code != 0) {
    labels["gpu_error"] = absl::StrCat("no CUDA device ", ordinal, " (CUDA error ", code, ")");
  } else if (name(text, sizeof(text) - 1, device) == 0 && memory(&bytes, device) == 0) {
    labels["gpu_name"] = text;
    labels["gpu_memory_bytes"] = absl::StrCat(bytes);
  } else {
    labels["gpu_error"] = absl::StrCat("cannot query CUDA device ", ordinal);
  }
  dlclose(driver);
}

}  // namespace

std::map<std::string, std::string> DescribeWorker(const WorkerOptions& options) {
  std::map<std::string, std::string> labels;
  labels["device"] = options.device;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) labels["host"] = host;
  labels["slots"] = absl::StrCat(options.slots);
  labels["threads"] = absl::StrCat(options.num_threads);
  labels["fuse"] = absl::StrCat(options.fuse);
  // Debian's Abseil has its own string_view, so the device name is handled as std::string.
  const std::string kCuda = "cuda";
  const std::string& device = options.device;
  if (device.starts_with(kCuda)) {
    int ordinal = 0;
    if (device.size() > kCuda.size() &&
        (device[kCuda.size()] != ':' ||
         !absl::SimpleAtoi(device.substr(kCuda.size() + 1), &ordinal))) {
      labels["gpu_error"] = absl::StrCat("cannot read a device number from \"", device, "\"");
    } else {
      DescribeGpu(ordinal, labels);
    }
  }
  return labels;
}

}  // namespace nasq
