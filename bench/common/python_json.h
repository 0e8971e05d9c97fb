// bench/common/python_json.h: the JSON exchange of the benchmarks with their Python (Optuna)
// halves: running a script and parsing its output, reading a saved output, the params it reports.
//
// The benchmarks compare nasq with Optuna in the same run: they start the script with the
// given interpreter (one that has Optuna), read its stdout to the end and parse it as one JSON
// document. The script's stderr goes to the terminal.
//
// Thread-safety: thread-compatible (popen); the benchmarks call it from one thread.
#ifndef NASQ_BENCH_COMMON_PYTHON_JSON_H_
#define NASQ_BENCH_COMMON_PYTHON_JSON_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/search_space.h"
#include "nlohmann/json.hpp"

namespace nasq::bench {

// Runs `python script args...` (each argument single-quoted for the shell) and returns its
// stdout parsed as JSON. INTERNAL when the process cannot be started, exits non-zero (the
// message carries the exit status) or prints something that is not JSON.
absl::StatusOr<nlohmann::json> RunPythonJson(const std::string& python, const std::string& script,
                                             const std::vector<std::string>& args);

// Reads `path`, a saved output of a benchmark's Python script, which must be a JSON object.
// NOT_FOUND when the file cannot be read, INVALID_ARGUMENT when it is not a JSON object; the
// messages start with `flag` (the command-line option that named the file).
absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& flag, const std::string& path);

// The params of a JSON object {name: value} that Optuna reported (integers, floats, strings).
// INTERNAL naming the param when a value has another type.
absl::StatusOr<ExternalParams> ExternalParamsFromJson(const nlohmann::json& json);

// The shared tail of each benchmark's main(): runs `run` and maps its outcome to the exit code
// (0 targets met, 1 a target missed, 2 an error, printed as "program: status"). A
// nlohmann::json exception from `run` (a malformed Optuna document) counts as an error.
int RunBenchmarkMain(const char* program, const std::function<absl::StatusOr<bool>()>& run);

}  // namespace nasq::bench

#endif  // NASQ_BENCH_COMMON_PYTHON_JSON_H_
