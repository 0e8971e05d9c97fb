// fuzz/safetensors_fuzzer.cc: libFuzzer target for the safetensors reader
// (worker/checkpoint/safetensors.h). Any input must parse or fail with a status; whatever parses
// must serialise and parse again to the same tensors and metadata.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "worker/checkpoint/safetensors.h"

using nasq::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto contents =
      nasq::ParseSafetensors(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!contents.ok()) return 0;
  auto bytes = nasq::SerializeSafetensors(*contents);
  Check(bytes.ok(), "parsed safetensors do not serialise");
  auto again = nasq::ParseSafetensors(*bytes);
  Check(again.ok(), "serialised safetensors do not parse");
  Check(again->metadata == contents->metadata, "metadata changed in a round trip");
  Check(again->tensors.size() == contents->tensors.size(), "tensor count changed in a round trip");
  for (const auto& [name, tensor] : contents->tensors) {
    auto it = again->tensors.find(name);
    Check(it != again->tensors.end() && it->second.scalar_type() == tensor.scalar_type() &&
              it->second.sizes() == tensor.sizes() &&
              std::string_view(static_cast<const char*>(it->second.data_ptr()),
                               it->second.nbytes()) ==
                  std::string_view(static_cast<const char*>(tensor.data_ptr()), tensor.nbytes()),
          "a tensor changed in a round trip");
  }
  return 0;
}
