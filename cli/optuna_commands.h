// cli/optuna_commands.h: the `nasq` commands that move studies in and out of Optuna's storage
// (docs/optuna-interop.md): `export --format optuna` and `import`.
//
// Thread-safety: none needed (one command per process).
#ifndef NASQ_CLI_OPTUNA_COMMANDS_H_
#define NASQ_CLI_OPTUNA_COMMANDS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "cli/cli_commands.h"

namespace nasq {

// Writes the study and every trial into the Optuna SQLite file `out_file`, new or an Optuna
// storage that gains the study (WriteOptunaStudy, interop/optuna_storage.h). INVALID_ARGUMENT
// naming --out when it is empty; WriteOptunaStudy's errors.
absl::Status ExportOptunaCommand(const CliContext& ctx, const std::string& study,
                                 const std::string& out_file);

struct ImportArgs {
  std::string from;             // "sqlite:///PATH"
  std::string study;            // the Optuna study's name
  std::string as;               // the new nasq study's name; "" = the Optuna study's name
  std::string sampler = "tpe";  // the new study's sampler: tpe, random or nsga2
  uint64_t seed = 0;            // the sampler's seed
};
// Creates a nasq study from Optuna study `args.study`: its directions, metric names, user attrs
// and the search space: the one a nasq export stored ("nasq:spec"), else the one its finished
// trials were sampled from (interop/optuna_space.h), then adds
// its COMPLETE, PRUNED and FAIL trials in number order with AddTrial (each with system attr
// "optuna_trial": {"study": NAME, "number": N}); RUNNING and WAITING trials are skipped and
// counted. Prints what it did. Everything is read and checked before the study is created; when
// an AddTrial fails, the new study is deleted again. INVALID_ARGUMENT naming --from for a storage
// URL that is not sqlite:///PATH, --sampler for an unknown or grid sampler; errors of
// ReadOptunaStudy and InferSearchSpace otherwise.
absl::Status ImportOptunaCommand(const CliContext& ctx, const ImportArgs& args);

}  // namespace nasq

#endif  // NASQ_CLI_OPTUNA_COMMANDS_H_
