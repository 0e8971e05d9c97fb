// fuzz/optuna_storage_fuzzer.cc: libFuzzer target for the Optuna storage reader that
// `nasq import` runs on files users hand it (interop/optuna_storage.h ReadOptunaStudy, then
// interop/optuna_space.h InferSearchSpace on the trials read). The input is the SQLite file; the
// study read is kStudyName, the name of both seeds' studies. Any input must give a study or an
// error status; a space inferred from a study must accept each of its COMPLETE and PRUNED trials'
// params as a whole assignment (that is what `nasq import` then adds), and each FAIL trial's
// params must lie in the space's distributions.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/distribution.h"
#include "core/search_space.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/scratch_file.h"
#include "interop/optuna_space.h"
#include "interop/optuna_storage.h"

using nasq::fuzz::Check;

namespace {

constexpr char kStudyName[] = "fuzz";

// Removes the files SQLite keeps next to a database (a rollback journal, a WAL and its index), so
// that no input sees what the previous one left and every crash replays from its input alone.
void RemoveSidecars(const std::filesystem::path& path) {
  std::error_code error;
  for (const char* suffix : {"-journal", "-wal", "-shm"}) {
    std::filesystem::remove(path.string() + suffix, error);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path path = nasq::fuzz::WriteScratchFile(data, size, ".db");
  RemoveSidecars(path);
  auto study = nasq::ReadOptunaStudy(path.string(), kStudyName);
  RemoveSidecars(path);
  if (!study.ok()) return 0;
  auto space = nasq::InferSearchSpace(study->trials);
  if (!space.ok()) return 0;
  for (const nasq::Trial& trial : study->trials) {
    if (trial.state == nasq::TrialState::kComplete || trial.state == nasq::TrialState::kPruned) {
      Check(space->CheckAssignment(trial.params).ok(),
            "a complete or pruned trial's params are not an assignment of the inferred space");
    } else if (trial.state == nasq::TrialState::kFail) {
      for (const auto& [name, internal] : trial.params) {
        const nasq::ParamSpec* param = space->Find(name);
        Check(param != nullptr && nasq::Contains(param->distribution, internal),
              "a failed trial's param lies outside the inferred space");
      }
    }
  }
  return 0;
}
