// nasq-worker: runs bert-classify trials.
//   nasq-worker --server HOST:PORT [--device cpu|cuda:K] [--slots N]   lease loop (lease_loop.h)
//               [--fuse K]                                           K same-shaped trials fused
//   nasq-worker --once --task FILE [--params JSON] [--device ...]     one local trial, prints
//                                                                    its metrics as JSON
// SIGTERM/SIGINT with --on-sigterm finish (default): the first stops leasing and lets running
// trials finish (exit 0); the second abandons them (their leases expire and the coordinator
// re-queues them). With --on-sigterm release ($NASQ_ON_SIGTERM): the first stops leasing,
// cancels running trials and gives them back (ReleaseTrial: re-queued at once), then exits 0
// (for Slurm, deploy/slurm/). With --slots N > 1 each slot runs in a child process of its own
// (slot_supervisor.h) as "<worker-id>/<slot>".
// TLS and the token: --tls-ca, --tls-cert, --tls-key, --token-file or $NASQ_TLS_CA, $NASQ_TOKEN,
// ... (client/client_credentials.h, docs/security.md).
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "client/credential_flags.h"
#include "client/nasq_client.h"
#include "task/fusion_key.h"
#include "worker/app/lease_loop.h"
#include "worker/app/once.h"
#include "worker/app/slot_supervisor.h"
#include "worker/app/worker_options.h"

namespace {

int RunOnceCommand(const std::string& task, const std::string& params,
                   const nasq::WorkerOptions& options) {
  auto metrics = nasq::RunOnce(task, params, nasq::ToPipelineOptions(options), std::cerr);
  if (!metrics.ok()) {
    std::cerr << "nasq-worker: " << metrics.status() << std::endl;
    return 1;
  }
  std::cout << nasq::MetricsToJson(*metrics) << std::endl;
  return 0;
}

// The write end of the self-pipe that carries SIGTERM/SIGINT to the signal thread. A signal
// handler can reach only static state, and write() is async-signal-safe.
int signal_pipe_write_fd = -1;

void OnStopSignal(int) {
  const char byte = 's';
  [[maybe_unused]] ssize_t written = write(signal_pipe_write_fd, &byte, 1);
}

int RunLeaseLoop(const nasq::WorkerOptions& options) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::cerr << "nasq-worker: cannot create the signal pipe" << std::endl;
    return 1;
  }
  signal_pipe_write_fd = fds[1];
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  nasq::NasqClient client(options.server, options.client);
  nasq::LeaseLoop loop(client, options);
  std::thread([&loop, release = options.on_sigterm == nasq::SigtermAction::kRelease,
               read_fd = fds[0]] {
    for (int received = 0;; ++received) {
      char byte = 0;
      if (read(read_fd, &byte, 1) != 1) return;
      if (release) {
        if (received == 0) {
          std::clog << "nasq-worker: stopping; running trials are cancelled and released"
                    << std::endl;
        }
        loop.RequestRelease();
      } else if (received == 0) {
        std::clog << "nasq-worker: stopping; running trials finish (signal again to abandon)"
                  << std::endl;
        loop.RequestStop();
      } else {
        loop.RequestAbort();
      }
    }
  }).detach();
  auto status = loop.Run();
  // The signal thread refers to `loop`; from here on signals take their default action.
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  if (!status.ok()) {
    std::cerr << "nasq-worker: " << status << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nasq-worker: runs bert-classify trials for a nasq coordinator"};
  nasq::WorkerOptions options;
  bool once = false;
  std::string task;
  std::string params = "{}";
  std::string data_dir;
  std::string cache_dir;
  int lease_wait_ms = static_cast<int>(options.lease_wait.count());
  app.add_flag("--once", once, "Run one trial locally (no server) and print its metrics as JSON");
  app.add_option("--task", task, "--once: a study YAML or a task JSON file");
  app.add_option("--params", params, "--once: the trial params as a JSON object")
      ->capture_default_str();
  app.add_option("--server", options.server, "Coordinator address (default $NASQ_SERVER)");
  app.add_option("--device", options.device, "cpu or cuda:K")->capture_default_str();
  app.add_option("--slots", options.slots, "Trials run concurrently, one process each")
      ->capture_default_str()
      ->check(CLI::Range(1, nasq::kMaxSlots));
  app.add_option("--fuse", options.fuse,
                 "Lease up to K trials whose models have the same shape and train them as one "
                 "fused model (1 = one trial at a time)")
      ->capture_default_str()
      ->check(CLI::Range(1, nasq::kMaxFusedTrials));
  app.add_option("--worker-id", options.worker_id, "Lease holder id (default host-pid)");
  app.add_option("--threads", options.num_threads, "LibTorch threads per trial (0 = cores/slots)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--study", options.studies, "Only lease from this study (repeatable)");
  app.add_option("--lease-wait-ms", lease_wait_ms, "Long-poll wait of one LeaseTrial call")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--data-dir", data_dir, "Base of relative data paths (default $NASQ_DATA_DIR)");
  app.add_option("--cache-dir", cache_dir, "Built vocabularies (default $NASQ_CACHE_DIR)");
  nasq::CredentialFiles credential_files;
  nasq::AddCredentialFlags(app, credential_files);
  app.add_option(
         "--on-sigterm", options.on_sigterm,
         "What SIGTERM/SIGINT does with running trials: finish (the default: stop leasing, "
         "let them finish; a second signal drops them) or release (cancel them and give them back "
         "to the coordinator at once, then exit; for Slurm)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, nasq::SigtermAction>{
          {"finish", nasq::SigtermAction::kFinish}, {"release", nasq::SigtermAction::kRelease}}))
      ->envname("NASQ_ON_SIGTERM");
  app.add_option("--max-model-params", options.max_model_params,
                 "Largest model a trial may build, in parameters")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  options.lease_wait = std::chrono::milliseconds(lease_wait_ms);
  options.paths.data_dir = data_dir;
  options.paths.cache_dir = cache_dir;

  if (once) {
    if (task.empty()) {
      std::cerr << "nasq-worker: --once needs --task FILE" << std::endl;
      return 2;
    }
    return RunOnceCommand(task, params, options);
  }
  if (options.server.empty()) {
    const char* env = std::getenv("NASQ_SERVER");
    if (env == nullptr || *env == '\0') {
      std::cerr << "nasq-worker: give --server HOST:PORT (or set NASQ_SERVER), or use --once"
                << std::endl;
      return 2;
    }
    options.server = env;
  }
  auto credentials = nasq::LoadClientCredentials(credential_files, options.server);
  if (!credentials.ok()) {
    std::cerr << "nasq-worker: " << credentials.status().message() << std::endl;
    return 2;
  }
  options.client.credentials = *std::move(credentials);
  nasq::ApplyWorkerDefaults(options);
  if (options.slots == 1) return RunLeaseLoop(options);
  return nasq::SuperviseSlots(
      options.slots,
      [&options](int slot) {
        nasq::WorkerOptions slot_options = options;
        slot_options.worker_id = options.worker_id + "/" + std::to_string(slot);
        return RunLeaseLoop(slot_options);
      },
      std::clog);
}
