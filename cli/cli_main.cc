// cli/cli_main.cc: `nasq`, the command-line client of nasq-server.
//
//   nasq [--server ADDR] [--tls-ca CA.pem] [--token-file FILE] study create FILE.yaml | list | ...
//   nasq trials NAME [--state S] [--sort COLUMN[:asc|:desc]] [-f table|json|csv|yaml]
//   nasq best NAME [-f ...]      nasq watch NAME [--interval SECONDS] [--reference R1,R2,...]
//   nasq pareto NAME [--reference R1,R2,...] [-f table|json|csv|yaml]
//   nasq ask NAME [--lease DURATION] [--client-id ID] [-f json|...]   (prints the lease too)
//   nasq heartbeat NAME N --epoch E --token T [--lease DURATION] [-f json|...]
//   nasq tell NAME N (--values V... | --state fail|pruned) [--epoch E --token T] [--force]
//             [--constraint NAME=VALUE]... [--client-id ID]
//   nasq enqueue NAME --params '{"x": 1}'
//   nasq study resume NAME       nasq study extend NAME --max-trials N
//   nasq export NAME --format csv|json [--out FILE]   nasq export NAME --format optuna --out F.db
//   nasq import --from sqlite:///F.db --study NAME [--as NEWNAME] [--sampler tpe|random|nsga2]
//                [--seed N]
//   nasq plot NAME [--kind history|sweep|pareto|importance] [--param P] [--objective K]
//             [--reference R1,R2,...] --out F.svg
//   nasq workers slurm --study NAME --count N [--script F.sbatch] [sbatch options...]
//
// Tables (study list, trials, best, pareto; ask and heartbeat with -f table) take --columns all
// or --columns a,b,c; on a terminal (or with --width N) they keep the most useful columns that
// fit its width and say which are hidden. `nasq --version` prints the version. Global flags
// (--server, --timeout, --tls-ca, --token-file, ...) may also follow the command; a misspelled
// command gets "did you mean".
//
// The server address comes from --server, else $NASQ_SERVER, else localhost:50051; TLS and the
// token from --tls-ca/--tls-cert/--tls-key/--token-file or $NASQ_TLS_CA, $NASQ_TOKEN, ... (see
// client/client_credentials.h and docs/security.md). Results go
// to stdout; a failure prints one line "nasq: ..." to stderr and exits with status 1 (2 for a
// bad command line). Asks and tells name the CLI as "cli:<user>@<host>" (--client-id overrides):
// the lease holder of an asked trial, system attr "told_by" of a told one.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>

#include "CLI/CLI.hpp"
#include "cli/cli_commands.h"
#include "cli/client_id.h"
#include "cli/command_suggestion.h"
#include "cli/optuna_commands.h"
#include "cli/slurm_workers.h"
#include "cli/terminal.h"
#include "client/credential_flags.h"

namespace nasq {
namespace {

constexpr char kDefaultServer[] = "localhost:50051";

// The table's columns: --columns, and --width for tables fitted to a width.
struct ColumnFlags {
  std::string selection;
  int width = 0;  // 0: the terminal's width on a terminal, else no limit
};

// Adds -f/--format (one of `allowed`, `default_format` when not given) to `cmd`, and, when
// `allowed` has "table", --columns and --width.
void AddFormat(CLI::App* cmd, std::string& format, const std::string& default_format,
               std::vector<std::string> allowed, ColumnFlags& columns) {
  format = default_format;
  const bool table = std::find(allowed.begin(), allowed.end(), "table") != allowed.end();
  cmd->add_option("-f,--format", format, "Output format")
      ->check(CLI::IsMember(std::move(allowed)))
      ->capture_default_str();
  if (!table) return;
  cmd->add_option("--columns", columns.selection,
                  "Table columns: all, or names separated by commas (number,state,params_lr); "
                  "default: on a terminal, the most useful ones that fit its width");
  cmd->add_option("--width", columns.width,
                  "Fit tables to this many columns (default: the terminal's width on a "
                  "terminal, else no limit)")
      ->check(CLI::PositiveNumber);
}

// The option named `name` ("--server", "-f") of `app` or, as options fall through to parents,
// of an app above it; nullptr when none.
const CLI::Option* FindOption(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* option = app->get_option_no_throw(name)) return option;
  }
  return nullptr;
}

// The error for the first word of the command line that should name a command (or a
// subcommand of `study`) and names none, with a "did you mean"; nullopt when there is none.
// Options are skipped with their values.
std::optional<std::string> UnknownCommandError(CLI::App& app, int argc, char** argv) {
  CLI::App* level = &app;
  std::string path;  // the commands so far: "", "study"
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      const CLI::Option* option = FindOption(level, arg);
      if (option != nullptr && option->get_expected_min() > 0 &&
          arg.find('=') == std::string::npos) {
        ++i;  // the option's value
      }
      continue;
    }
    // Option groups are subcommands without a name.
    const std::vector<CLI::App*> commands =
        level->get_subcommands([](CLI::App* c) { return !c->get_name().empty(); });
    if (commands.empty()) return std::nullopt;
    std::vector<std::string> names;
    for (CLI::App* command : commands) {
      if (command->check_name(arg)) {
        level = command;
        path = path.empty() ? command->get_name() : path + " " + command->get_name();
        break;
      }
      names.push_back(command->get_name());
    }
    if (names.size() == commands.size()) return UnknownCommandMessage(path, arg, names);
  }
  return std::nullopt;
}

int Run(int argc, char** argv) {
  CLI::App app{"nasq: command-line client of a nasq-server search service", "nasq"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("nasq ") + NASQ_VERSION);
  // Global flags also work after the (sub)command: `nasq trials NAME --server ADDR`. Set before
  // the subcommands are added, which inherit it.
  app.fallthrough();
  std::string server = kDefaultServer;
  if (const char* env = std::getenv("NASQ_SERVER"); env != nullptr && *env != '\0') server = env;
  app.add_option(
      "--server", server,
      "nasq-server address (default: $NASQ_SERVER or " + std::string(kDefaultServer) + ")");
  double deadline_s = 10;
  app.add_option("--timeout", deadline_s, "Deadline of each call in seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CredentialFiles credential_files;
  AddCredentialFlags(app, credential_files);

  // Each subcommand stores what to run here; it runs after parsing succeeded.
  std::function<absl::Status(const CliContext&)> command;
  const std::vector<std::string> kListFormats = {"table", "json", "csv", "yaml"};
  ColumnFlags columns;

  CLI::App* study =
      app.add_subcommand("study", "Create, list, show, stop, resume, extend or delete studies");
  study->require_subcommand(1);
  std::string spec_file, name, list_format, trials_format, best_format, ask_format, export_format,
      pareto_format;
  study->add_subcommand("create", "Create a study from a YAML spec (docs/study-spec.md)")
      ->callback(
          [&] { command = [&](const CliContext& c) { return StudyCreateCommand(c, spec_file); }; })
      ->add_option("FILE", spec_file, "Study spec YAML file")
      ->required();
  CLI::App* list = study->add_subcommand("list", "List studies");
  AddFormat(list, list_format, "table", kListFormats, columns);
  list->callback([&] {
    command = [&](const CliContext& c) {
      return StudyListCommand(c, *ParseOutputFormat(list_format));
    };
  });
  study->add_subcommand("resume", "Resume a stopped or completed study")
      ->callback([&] {
        command = [&](const CliContext& c) { return StudyResumeCommand(c, name, std::nullopt); };
      })
      ->add_option("NAME", name, "Study name")
      ->required();
  int64_t max_trials = 0;
  CLI::App* extend =
      study->add_subcommand("extend", "Set a study's max_trials (and resume it if it ended)");
  extend->add_option("NAME", name, "Study name")->required();
  extend->add_option("--max-trials", max_trials, "The new max_trials (0 = unlimited)")
      ->required()
      ->check(CLI::NonNegativeNumber);
  extend->callback([&] {
    command = [&](const CliContext& c) { return StudyResumeCommand(c, name, max_trials); };
  });
  const std::pair<const char*, absl::Status (*)(const CliContext&, const std::string&)>
      study_commands[] = {{"show", &StudyShowCommand},
                          {"stop", &StudyStopCommand},
                          {"delete", &StudyDeleteCommand}};
  for (const auto& [verb, run] : study_commands) {
    CLI::App* sub = study->add_subcommand(verb, std::string(verb) + " a study");
    sub->add_option("NAME", name, "Study name")->required();
    sub->callback(
        [&, run = run] { command = [&, run](const CliContext& c) { return run(c, name); }; });
  }

  TrialsArgs trials_args;
  CLI::App* trials = app.add_subcommand("trials", "List a study's trials");
  trials->add_option("NAME", trials_args.study, "Study name")->required();
  trials->add_option("--state", trials_args.state, "Only trials in this state");
  trials
      ->add_option("--sort", trials_args.sort,
                   "Order by a column: number, value or an objective's metric (best first), "
                   "a reported metric or any column (ascending); append :asc or :desc to choose")
      ->capture_default_str();
  AddFormat(trials, trials_format, "table", kListFormats, columns);
  trials->callback([&] {
    trials_args.format = *ParseOutputFormat(trials_format);
    command = [&](const CliContext& c) { return TrialsCommand(c, trials_args); };
  });

  CLI::App* best =
      app.add_subcommand("best", "Show the best trial (Pareto front if several objectives)");
  best->add_option("NAME", name, "Study name")->required();
  AddFormat(best, best_format, "table", kListFormats, columns);
  best->callback([&] {
    command = [&](const CliContext& c) {
      return BestCommand(c, name, *ParseOutputFormat(best_format));
    };
  });

  const char* kReferenceHelp =
      "Hypervolume reference point, one number per objective in its own units (default: the "
      "study's reference_point, else derived from the front as Optuna's TPE does)";
  ParetoArgs pareto_args;
  CLI::App* pareto = app.add_subcommand(
      "pareto", "Show the feasible Pareto front by metric name, and its hypervolume");
  pareto->add_option("NAME", pareto_args.study, "Study name")->required();
  pareto->add_option("--reference", pareto_args.reference, kReferenceHelp);
  AddFormat(pareto, pareto_format, "table", kListFormats, columns);
  pareto->callback([&] {
    pareto_args.format = *ParseOutputFormat(pareto_format);
    command = [&](const CliContext& c) { return ParetoCommand(c, pareto_args); };
  });

  WatchArgs watch_args;
  CLI::App* watch = app.add_subcommand("watch", "Live progress of a study until it ends");
  watch->add_option("NAME", watch_args.study, "Study name")->required();
  watch->add_option("--interval", watch_args.interval_s, "Seconds between refreshes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  watch->add_option("--reference", watch_args.reference, kReferenceHelp);
  watch->callback(
      [&] { command = [&](const CliContext& c) { return WatchCommand(c, watch_args); }; });

  const std::vector<std::string> kRecordFormats = {"json", "table", "yaml"};
  const char* kLeaseHelp =
      "How long the lease lasts (90s, 30m, 2h; 1 s to 7 days); default: the study's "
      "lease.duration";
  std::string client_id;
  const char* kClientIdHelp = "Who asks or tells (default: cli:<user>@<host>)";
  AskArgs ask_args;
  CLI::App* ask = app.add_subcommand(
      "ask", "Lease a new trial and print its number, params and lease (epoch, token)");
  ask->add_option("NAME", ask_args.study, "Study name")->required();
  ask->add_option("--lease", ask_args.lease, kLeaseHelp);
  ask->add_option("--client-id", client_id, kClientIdHelp);
  AddFormat(ask, ask_format, "json", kRecordFormats, columns);
  ask->callback([&] {
    ask_args.format = *ParseOutputFormat(ask_format);
    command = [&](const CliContext& c) { return AskCommand(c, ask_args); };
  });

  HeartbeatArgs heartbeat_args;
  std::string heartbeat_format;
  CLI::App* heartbeat = app.add_subcommand(
      "heartbeat", "Renew the lease of an asked trial; prints its expiry and whether to stop");
  heartbeat->add_option("NAME", heartbeat_args.study, "Study name")->required();
  heartbeat->add_option("NUMBER", heartbeat_args.number, "Trial number")
      ->required()
      ->check(CLI::NonNegativeNumber);
  heartbeat->add_option("--epoch", heartbeat_args.epoch, "The lease's epoch (ask prints it)")
      ->required();
  heartbeat->add_option("--token", heartbeat_args.token, "The lease's token (ask prints it)")
      ->required();
  heartbeat->add_option("--lease", heartbeat_args.lease,
                        "Renew for this long (90s, 30m, 2h); default: the study's "
                        "lease.duration, never shortening the lease");
  AddFormat(heartbeat, heartbeat_format, "json", kRecordFormats, columns);
  heartbeat->callback([&] {
    heartbeat_args.format = *ParseOutputFormat(heartbeat_format);
    command = [&](const CliContext& c) { return HeartbeatCommand(c, heartbeat_args); };
  });

  std::string enqueue_params;
  CLI::App* enqueue =
      app.add_subcommand("enqueue", "Queue a trial with fixed params, run before sampled ones");
  enqueue->add_option("NAME", name, "Study name")->required();
  enqueue->add_option("--params", enqueue_params, R"(Params as a JSON object, e.g. {"x": 1})")
      ->required();
  enqueue->callback([&] {
    command = [&](const CliContext& c) { return EnqueueCommand(c, name, enqueue_params); };
  });

  TellArgs tell_args;
  CLI::App* tell = app.add_subcommand("tell", "Finish a trial obtained with ask");
  tell->add_option("NAME", tell_args.study, "Study name")->required();
  tell->add_option("NUMBER", tell_args.number, "Trial number")
      ->required()
      ->check(CLI::NonNegativeNumber);
  tell->add_option("--values", tell_args.values, "Objective values (state complete)");
  tell->add_option("--state", tell_args.state, "complete (default with --values), pruned or fail");
  tell->add_option("--constraint", tell_args.constraints,
                   "Outcome constraint NAME=VALUE, repeatable; the trial is feasible when every "
                   "value is <= 0");
  tell->add_flag("--force", tell_args.force,
                 "Finish a trial that a worker holds under a lease (admins; its work is lost)");
  tell->add_flag("--skip-if-finished", tell_args.skip_if_finished,
                 "Succeed without change when the trial is already finished");
  CLI::Option* tell_epoch =
      tell->add_option("--epoch", tell_args.epoch, "The lease's epoch (with --token)");
  tell->add_option("--token", tell_args.token, "The lease's token (ask prints both)")
      ->needs(tell_epoch);
  tell->add_option("--client-id", client_id, kClientIdHelp);
  tell->callback([&] { command = [&](const CliContext& c) { return TellCommand(c, tell_args); }; });

  std::string out_file;
  CLI::App* export_cmd = app.add_subcommand(
      "export", "Write every trial as CSV or JSON, or the study as an Optuna SQLite storage");
  export_cmd->add_option("NAME", name, "Study name")->required();
  export_cmd
      ->add_option("--format", export_format,
                   "csv, json or optuna (an Optuna 5.0 SQLite storage, new or gaining the study; "
                   "needs --out)")
      ->required()
      ->check(CLI::IsMember({"csv", "json", "optuna"}));
  export_cmd->add_option("--out", out_file, "Output file (default: stdout)");
  export_cmd->callback([&] {
    command = [&](const CliContext& c) {
      if (export_format == "optuna") return ExportOptunaCommand(c, name, out_file);
      return ExportCommand(c, name, *ParseOutputFormat(export_format), out_file);
    };
  });

  ImportArgs import_args;
  CLI::App* import_cmd = app.add_subcommand(
      "import", "Create a study from an Optuna study, with its finished trials as history");
  import_cmd->add_option("--from", import_args.from, "Optuna storage: sqlite:///FILE.db")
      ->required();
  import_cmd->add_option("--study", import_args.study, "The Optuna study's name")->required();
  import_cmd->add_option("--as", import_args.as, "The new study's name (default: --study)");
  import_cmd->add_option("--sampler", import_args.sampler, "tpe, random or nsga2")
      ->capture_default_str();
  import_cmd->add_option("--seed", import_args.seed, "The sampler's seed")->capture_default_str();
  import_cmd->callback(
      [&] { command = [&](const CliContext& c) { return ImportOptunaCommand(c, import_args); }; });

  PlotArgs plot_args;
  CLI::App* plot = app.add_subcommand("plot", "Write an SVG chart of a study's trials");
  plot->add_option("NAME", plot_args.study, "Study name")->required();
  plot->add_option("--kind", plot_args.kind,
                   "history (value and best so far), sweep (value by --param), pareto (the "
                   "first two objectives, front highlighted) or importance (each param's "
                   "PED-ANOVA importance, as Optuna's)")
      ->check(CLI::IsMember({"history", "sweep", "pareto", "importance"}));
  plot->add_option("--param", plot_args.param, "sweep: the parameter on the x axis");
  plot->add_option("--objective", plot_args.objective,
                   "history, sweep, importance: which objective (0-based)")
      ->capture_default_str();
  plot->add_option("--reference", plot_args.reference, std::string("pareto: ") + kReferenceHelp);
  plot->add_option("--out", plot_args.out_file, "SVG file to write")->required();
  plot->callback([&] { command = [&](const CliContext& c) { return PlotCommand(c, plot_args); }; });

  SlurmWorkersArgs slurm_args;
  CLI::App* workers = app.add_subcommand("workers", "Start nasq-workers on a cluster");
  workers->require_subcommand(1);
  CLI::App* slurm = workers->add_subcommand(
      "slurm",
      "Submit a Slurm job array of nasq-workers for a study, one per array task and GPU "
      "(deploy/slurm/); options nasq does not know, and everything after --, go to sbatch");
  slurm->add_option("--study", slurm_args.study, "The study the workers serve")->required();
  slurm->add_option("--count", slurm_args.count, "How many workers (array tasks)")->required();
  slurm->add_option("--script", slurm_args.script,
                    "The sbatch script (default: PREFIX/share/nasq/slurm/nasq-worker.sbatch "
                    "beside this nasq)");
  std::vector<std::string> sbatch_after_dashes;
  slurm->add_option("SBATCH_OPTIONS", sbatch_after_dashes,
                    "sbatch options after -- (options nasq does not know need no --)");
  // Whatever nasq does not know goes to sbatch, so nasq's global flags cannot follow here.
  slurm->fallthrough(false)->allow_extras();
  slurm->callback([&] {
    for (const std::string& extra : slurm->remaining()) {
      const std::string flag = extra.substr(0, extra.find('='));
      if (flag.size() > 1 && flag[0] == '-' && app.get_option_no_throw(flag) != nullptr) {
        throw CLI::ValidationError(flag, "give nasq's " + flag +
                                             " before 'workers' (options after 'workers slurm' "
                                             "that it does not know go to sbatch)");
      }
    }
    slurm_args.sbatch_options = slurm->remaining();
    slurm_args.sbatch_options.insert(slurm_args.sbatch_options.end(), sbatch_after_dashes.begin(),
                                     sbatch_after_dashes.end());
    slurm_args.credentials = credential_files;
    command = [&](const CliContext& c) { return WorkersSlurmCommand(c, slurm_args); };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::optional<std::string> unknown = UnknownCommandError(app, argc, argv);
    std::cerr << "nasq: " << unknown.value_or(e.what()) << " (see nasq --help)\n";
    return 2;
  }

  ClientOptions options;
  options.deadline = std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1000));
  options.client_id = client_id.empty() ? DefaultCliClientId() : client_id;
  absl::StatusOr<ClientCredentials> credentials = LoadClientCredentials(credential_files, server);
  if (!credentials.ok()) {
    std::cerr << "nasq: " << credentials.status().message() << "\n";
    return 2;
  }
  options.credentials = *std::move(credentials);
  const NasqClient client(server, options);
  const bool tty = isatty(STDOUT_FILENO) == 1;
  const int width = columns.width > 0 ? columns.width
                    : tty             ? TerminalSizeOf(STDOUT_FILENO).columns
                                      : 0;
  const CliContext ctx{
      .client = &client,
      .server = server,
      .out = &std::cout,
      .tty = tty,
      .columns = {.selection = columns.selection, .width = static_cast<size_t>(width)}};
  const absl::Status status = command(ctx);
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << CliErrorLine(status, server) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) { return nasq::Run(argc, argv); }
