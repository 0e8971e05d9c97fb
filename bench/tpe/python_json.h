// bench/tpe/python_json.h: runs one of the benchmark's Python scripts and parses its JSON output.
//
// The benchmarks compare nasq with Optuna in the same run: they start the script with the
// Debian interpreter (which has python3-optuna), read its stdout to the end and parse it as one
// JSON document. The script's stderr goes to the terminal.
//
// Thread-safety: thread-compatible (popen); the benchmarks call it from one thread.
#ifndef NASQ_BENCH_TPE_PYTHON_JSON_H_
#define NASQ_BENCH_TPE_PYTHON_JSON_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace nasq::bench {

// Runs `python script args...` (each argument single-quoted for the shell) and returns its
// stdout parsed as JSON. INTERNAL when the process cannot be started, exits non-zero (the
// message carries the exit status) or prints something that is not JSON.
absl::StatusOr<nlohmann::json> RunPythonJson(const std::string& python, const std::string& script,
                                             const std::vector<std::string>& args);

// The shared tail of each benchmark's main(): runs `run` and maps its outcome to the exit code
// (0 targets met, 1 a target missed, 2 an error, printed as "program: status"). A
// nlohmann::json exception from `run` (a malformed Optuna document) counts as an error.
int RunBenchmarkMain(const char* program, const std::function<absl::StatusOr<bool>()>& run);

}  // namespace nasq::bench

#endif  // NASQ_BENCH_TPE_PYTHON_JSON_H_
