// fuzz/task_spec_fuzzer.cc: libFuzzer target for a worker's task section and trial params
// (task/task_spec.h, task/param_binding.h). The input is the task JSON, optionally
// followed by a NUL byte and a JSON object of trial params; whatever parses is bound and its
// produced metric names and compression range are computed, as a worker does on a lease.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "task/param_binding.h"
#include "task/task_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view task = input.substr(0, nul);
  auto spec = nasq::ParseTaskSpec(task);
  if (!spec.ok()) return 0;
  (void)nasq::ProducedMetricNames(*spec);
  (void)nasq::CompressionRange(*spec);
  if (nul == std::string_view::npos) return 0;
  auto params = nasq::ParseExternalParamsJson(input.substr(nul + 1));
  if (!params.ok()) return 0;
  auto bound = nasq::BindTrialParams(*spec, *params);
  if (!bound.ok()) return 0;
  (void)nasq::ProducedMetricNames(*bound);
  (void)nasq::CompressionRange(*bound);
  return 0;
}
