// bench/common/python_json.cc: see python_json.h.
#include "bench/common/python_json.h"

#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace nasq::bench {
namespace {

std::string ShellQuote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

}  // namespace

absl::StatusOr<nlohmann::json> RunPythonJson(const std::string& python, const std::string& script,
                                             const std::vector<std::string>& args) {
  std::string command = absl::StrCat(ShellQuote(python), " ", ShellQuote(script));
  for (const std::string& arg : args) absl::StrAppend(&command, " ", ShellQuote(arg));
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("cannot start: ", command));
  std::string output;
  char buffer[65536];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("'", command, "' failed (wait status ", status, ")"));
  }
  nlohmann::json parsed = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InternalError(absl::StrCat(
        "'", command, "' printed something that is not JSON: ", output.substr(0, 200)));
  }
  return parsed;
}

absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read '", path, "'"));
  nlohmann::json parsed = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": '", path, "' is not JSON"));
  }
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": '", path, "' is not a JSON object"));
  }
  return parsed;
}

absl::StatusOr<ExternalParams> ExternalParamsFromJson(const nlohmann::json& json) {
  ExternalParams params;
  for (const auto& [name, value] : json.items()) {
    if (value.is_number_integer()) {
      params[name] = value.get<int64_t>();
    } else if (value.is_number()) {
      params[name] = value.get<double>();
    } else if (value.is_string()) {
      params[name] = value.get<std::string>();
    } else {
      return absl::InternalError(absl::StrCat("probe param '", name, "' has an unsupported type"));
    }
  }
  return params;
}

int RunBenchmarkMain(const char* program, const std::function<absl::StatusOr<bool>()>& run) {
  absl::StatusOr<bool> pass = absl::InternalError("not run");
  try {
    pass = run();
  } catch (const nlohmann::json::exception& e) {  // .at()/.get() on a malformed document
    pass = absl::InternalError(absl::StrCat("malformed Optuna results: ", e.what()));
  }
  if (!pass.ok()) {
    std::cerr << program << ": " << pass.status() << std::endl;
    return 2;
  }
  return *pass ? 0 : 1;
}

}  // namespace nasq::bench
