// cli/slurm_workers.h: `nasq workers slurm`: submits a Slurm job array of nasq-workers for one
// study, one worker per array task and GPU (deploy/slurm/nasq-worker.sbatch, its README).
//
// The workers learn where to go through the job's environment: sbatch runs with
// --export=ALL,NASQ_SERVER=<the CLI's server>,NASQ_STUDY=<study> plus NASQ_TLS_CA,
// NASQ_TLS_CERT, NASQ_TLS_KEY and NASQ_TOKEN_FILE (absolute paths) for the credential flags
// given on the command line (those set in the environment pass through ALL), and
// NASQ_WORKER_BIN when a nasq-worker is installed beside this nasq and the environment names
// none. Thread-safety: none needed (one command per process).
#ifndef NASQ_CLI_SLURM_WORKERS_H_
#define NASQ_CLI_SLURM_WORKERS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/cli_commands.h"
#include "client/client_credentials.h"

namespace nasq {

struct SlurmWorkersArgs {
  std::string study;
  int64_t count = 0;   // workers: array tasks 0..count-1; at least 1
  std::string script;  // the sbatch script; "" = InstalledSlurmScript()
  // sbatch options, passed before the script so that they override its #SBATCH lines (--time,
  // --partition, --gres=gpu:0, ...). --array and --export are nasq's and refused here.
  std::vector<std::string> sbatch_options;
  CredentialFiles credentials;  // the credential flags as given (not the environment's)
};

// The job's environment beyond the submitter's (see top), by name. `worker_beside` is the
// nasq-worker installed next to this nasq ("" = none). INVALID_ARGUMENT naming the flag when a
// value holds a comma, which --export cannot carry.
absl::StatusOr<std::map<std::string, std::string>> SlurmJobEnvironment(
    const SlurmWorkersArgs& args, const std::string& server, const std::string& worker_beside);

// The sbatch command line: sbatch --parsable --array=0-<count-1> --job-name=nasq-<study>
// --export=ALL,<env...> <sbatch_options...> <script>. INVALID_ARGUMENT naming --count when it is
// below 1, or naming the option when sbatch_options set --array/-a or --export.
absl::StatusOr<std::vector<std::string>> SbatchArgv(const SlurmWorkersArgs& args,
                                                    const std::map<std::string, std::string>& env,
                                                    const std::string& script);

// The job id in what `sbatch --parsable` printed ("123" or "123;cluster"); INTERNAL quoting the
// output when there is none.
absl::StatusOr<std::string> ParseSbatchJobId(const std::string& out);

// Where deploy/install.sh puts the script for the nasq binary at `exe` (PREFIX/bin/nasq):
// PREFIX/share/nasq/slurm/nasq-worker.sbatch.
std::string InstalledSlurmScript(const std::string& exe);

// Checks the arguments (SbatchArgv), that the script is a file (NOT_FOUND naming it and
// --script) and that the study exists (NOT_FOUND from the server otherwise), runs sbatch and
// prints the job id with how to follow and stop it. Errors: FAILED_PRECONDITION when sbatch is
// not on $PATH (not a Slurm login node); UNKNOWN with sbatch's stderr when it refuses the job.
absl::Status WorkersSlurmCommand(const CliContext& ctx, const SlurmWorkersArgs& args);

}  // namespace nasq

#endif  // NASQ_CLI_SLURM_WORKERS_H_
