// fuzz/spec_yaml_fuzzer.cc: libFuzzer target for the study spec YAML reader
// (spec/spec_yaml.h). Any input must give a StudySpec or an error status: never a crash,
// an exception or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>

#include "spec/spec_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  (void)nasq::ParseStudySpecYaml(yaml, "fuzz.yaml");
  return 0;
}
