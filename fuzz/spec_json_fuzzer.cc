// fuzz/spec_json_fuzzer.cc: libFuzzer target for the stored StudySpec and distribution JSON
// (spec/spec_json.h). Any input must decode or fail with a status; whatever decodes must
// encode, and its encoding must survive a second round trip unchanged (the server restarts
// from this text, so a spec that does not round-trip is a bug).
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "spec/spec_json.h"

using nasq::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto distribution = nasq::DistributionFromJson(text); distribution.ok()) {
    auto json = nasq::DistributionToJson(*distribution);
    Check(json.ok(), "a decoded distribution does not encode");
    auto again = nasq::DistributionFromJson(*json);
    Check(again.ok() && *again == *distribution, "a distribution does not round-trip");
  }
  auto spec = nasq::StudySpecFromJson(text);
  if (!spec.ok()) return 0;
  auto json = nasq::StudySpecToJson(*spec);
  Check(json.ok(), "a decoded spec does not encode");
  auto again = nasq::StudySpecFromJson(*json);
  Check(again.ok(), "an encoded spec does not decode");
  auto json_again = nasq::StudySpecToJson(*again);
  Check(json_again.ok() && *json_again == *json, "a spec does not round-trip");
  return 0;
}
