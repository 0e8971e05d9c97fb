// cli/run_program.h: runs an outside program (sbatch) and collects what it printed.
//
// Thread-safety: thread-safe (each call spawns its own child); the child inherits the caller's
// environment and working directory.
#ifndef NASQ_CLI_RUN_PROGRAM_H_
#define NASQ_CLI_RUN_PROGRAM_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace nasq {

// What a program that ran printed, and how it ended.
struct ProgramResult {
  int exit_code = 0;  // -1 when a signal ended it
  std::string out;    // its stdout
  std::string err;    // its stderr
};

// Runs argv[0] (looked up on $PATH when it has no '/') with `argv` and waits for it to end.
// NOT_FOUND naming the program when it does not exist on $PATH; INTERNAL naming it when it
// cannot be started (permissions, no memory); INVALID_ARGUMENT for an empty argv. A program
// that runs and fails is no error: see exit_code.
absl::StatusOr<ProgramResult> RunProgram(const std::vector<std::string>& argv);

}  // namespace nasq

#endif  // NASQ_CLI_RUN_PROGRAM_H_
