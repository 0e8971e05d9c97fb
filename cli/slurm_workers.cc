#include "cli/slurm_workers.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/run_program.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

namespace fs = std::filesystem;

// The path of this process's binary; "" when /proc cannot tell.
std::string OwnExecutable() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  return error ? "" : exe.string();
}

// Whether `option` (one word of sbatch's command line) sets sbatch's `long_name` (--array,
// --export) or its short form `short_name` (-a; "" = none).
bool SetsOption(const std::string& option, const std::string& long_name,
                const std::string& short_name) {
  return option == long_name || absl::StartsWith(option, long_name + "=") ||
         (!short_name.empty() && absl::StartsWith(option, short_name));
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> SlurmJobEnvironment(
    const SlurmWorkersArgs& args, const std::string& server, const std::string& worker_beside) {
  std::map<std::string, std::string> env = {{"NASQ_SERVER", server}, {"NASQ_STUDY", args.study}};
  const std::pair<const char*, const std::string*> files[] = {
      {"NASQ_TLS_CA", &args.credentials.tls_ca},
      {"NASQ_TLS_CERT", &args.credentials.tls_cert},
      {"NASQ_TLS_KEY", &args.credentials.tls_key},
      {"NASQ_TOKEN_FILE", &args.credentials.token_file}};
  for (const auto& [name, path] : files) {
    if (!path->empty()) env[name] = fs::absolute(*path).string();
  }
  if (!worker_beside.empty()) env["NASQ_WORKER_BIN"] = worker_beside;
  for (const auto& [name, value] : env) {
    if (absl::StrContains(value, ',')) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": '", value, "' holds a comma, which sbatch --export cannot pass"));
    }
  }
  return env;
}

absl::StatusOr<std::vector<std::string>> SbatchArgv(const SlurmWorkersArgs& args,
                                                    const std::map<std::string, std::string>& env,
                                                    const std::string& script) {
  if (args.count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--count: must be at least 1 (one worker per array task), got ", args.count));
  }
  for (const std::string& option : args.sbatch_options) {
    if (SetsOption(option, "--array", "-a") || SetsOption(option, "--export", "")) {
      return absl::InvalidArgumentError(
          absl::StrCat("sbatch option ", option,
                       ": nasq sets --array (from --count) and --export (the workers' "
                       "NASQ_* settings; other variables pass from your environment)"));
    }
  }
  std::vector<std::string> exports = {"ALL"};
  for (const auto& [name, value] : env) exports.push_back(absl::StrCat(name, "=", value));
  std::vector<std::string> argv = {"sbatch", "--parsable",
                                   absl::StrCat("--array=0-", args.count - 1),
                                   absl::StrCat("--job-name=nasq-", args.study),
                                   absl::StrCat("--export=", absl::StrJoin(exports, ","))};
  argv.insert(argv.end(), args.sbatch_options.begin(), args.sbatch_options.end());
  argv.push_back(script);
  return argv;
}

absl::StatusOr<std::string> ParseSbatchJobId(const std::string& out) {
  const std::string line(absl::StripAsciiWhitespace(out));
  const std::string id = line.substr(0, line.find(';'));
  if (id.empty() || !std::all_of(id.begin(), id.end(), absl::ascii_isdigit)) {
    return absl::InternalError(absl::StrCat("sbatch printed no job id: '", line, "'"));
  }
  return id;
}

std::string InstalledSlurmScript(const std::string& exe) {
  return (fs::path(exe).parent_path().parent_path() / "share/nasq/slurm/nasq-worker.sbatch")
      .string();
}

absl::Status WorkersSlurmCommand(const CliContext& ctx, const SlurmWorkersArgs& args) {
  const std::string exe = OwnExecutable();
  const std::string script = args.script.empty() ? InstalledSlurmScript(exe) : args.script;
  if (!fs::is_regular_file(script)) {
    return absl::NotFoundError(absl::StrCat(
        "--script: no sbatch script at '", script, "'",
        args.script.empty() ? " (deploy/install.sh installs it; or give --script)" : ""));
  }
  std::string worker_beside;
  if (const fs::path beside = fs::path(exe).parent_path() / "nasq-worker";
      !exe.empty() && std::getenv("NASQ_WORKER_BIN") == nullptr && fs::is_regular_file(beside)) {
    worker_beside = beside.string();
  }
  NASQ_ASSIGN_OR_RETURN(auto env, SlurmJobEnvironment(args, ctx.server, worker_beside));
  NASQ_ASSIGN_OR_RETURN(std::vector<std::string> argv, SbatchArgv(args, env, script));
  NASQ_RETURN_IF_ERROR(ctx.client->GetStudy(args.study).status());
  absl::StatusOr<ProgramResult> ran = RunProgram(argv);
  if (absl::IsNotFound(ran.status())) {
    return absl::FailedPreconditionError(
        "sbatch not found on $PATH: run this on a Slurm login node (or put Slurm's client "
        "commands on $PATH)");
  }
  NASQ_RETURN_IF_ERROR(ran.status());
  if (ran->exit_code != 0) {
    return absl::UnknownError(absl::StrCat("sbatch failed (exit code ", ran->exit_code,
                                           "): ", absl::StripAsciiWhitespace(ran->err)));
  }
  NASQ_ASSIGN_OR_RETURN(const std::string job, ParseSbatchJobId(ran->out));
  *ctx.out << "Submitted Slurm job " << job << ": " << args.count << " nasq-worker"
           << (args.count == 1 ? "" : "s") << " for study '" << args.study << "' (array tasks 0-"
           << args.count - 1 << "; squeue -j " << job << " lists them, scancel " << job
           << " stops them and releases their trials)\n";
  return absl::OkStatus();
}

}  // namespace nasq
